/**
 * Follows every connection of mrd-server for the operational surface (the ServerObserver of
 * server.ts): gives it a session id and log context, merges what the main thread sees (bytes and
 * messages relayed, timeouts, ERROR texts it added, refusals, a client that stopped early) with
 * what the session reports (config, recon time, saved files, ERROR texts it sent), and at the
 * end records the session in the metrics and logs one summary line.
 *
 * Outcome of a session, first that applies: busy (refused at --max-sessions, or while
 * draining: try another server), timeout (idle timeout), truncated (the client's stream stopped
 * before its CLOSE and the server's), error (an ERROR text was sent), ok. A connection that sent
 * nothing and was not refused (a TCP probe) is counted as a connection, not a session.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { logger } from '@mrd-tools/core/logging';
import type { ClientConnection } from '../client-connection.js';
import type { RefusalReason, ServerObserver } from './server-observer.js';
import type { SessionFact } from './session-facts.js';
import { bindEmitterToLogContext, runInLogContext, type LogContext } from './log-context.js';
import type { ServerMetrics, SessionOutcome } from './metrics.js';

interface Tracked {
  ctx: LogContext;
  openedAt: number;
  /** The config label (metrics): 'unknown' until the session resolves it. */
  config: string;
  started: boolean;
  active: boolean;
  refused?: RefusalReason;
  sessionErrors: number;
  reconSeconds?: number;
  saved: { path: string; bytes: number }[];
  /** An MRD v2 session's item counts (the 'v2-items' fact), which stand for its message counts. */
  v2Items?: { received: number; sent: number };
}

export interface SessionTrackerOptions {
  /** Metrics to record into (with --http-port). */
  metrics?: ServerMetrics;
  /** Carry each connection's log context into its events (JSON logs). */
  logContexts: boolean;
  /** Log the summary line of each session at INFO (else DEBUG). */
  summaryAtInfo: boolean;
}

/** The address part of `ip:port` / `[ip6]:port` labels. */
function addressOf(label: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(label) ?? /^(.*):\d+$/.exec(label);
  return m ? m[1]! : label;
}

export class SessionTracker implements ServerObserver {
  private readonly tracked = new WeakMap<ClientConnection, Tracked>();

  constructor(private readonly o: SessionTrackerOptions) {}

  connectionOpened(conn: ClientConnection): void {
    const t: Tracked = {
      ctx: { session: randomBytes(6).toString('hex'), client: conn.label },
      openedAt: Date.now(), config: 'unknown', started: false, active: false, sessionErrors: 0, saved: [],
    };
    this.tracked.set(conn, t);
    if (this.o.logContexts) bindEmitterToLogContext(conn.socket, t.ctx);
    this.o.metrics?.connectionAccepted();
  }

  sessionStarted(conn: ClientConnection, stream: Duplex): void {
    const t = this.tracked.get(conn);
    if (!t) return;
    t.started = true;
    t.active = true;
    if (this.o.logContexts) bindEmitterToLogContext(stream, t.ctx);
    this.o.metrics?.sessionStarted(t.config);
  }

  sessionEnded(conn: ClientConnection): void {
    const t = this.tracked.get(conn);
    if (!t || !t.active) return;
    t.active = false;
    this.o.metrics?.sessionEnded(t.config);
  }

  refused(conn: ClientConnection, reason: RefusalReason): void {
    const t = this.tracked.get(conn);
    if (t) t.refused ??= reason;
  }

  fact(conn: ClientConnection, fact: SessionFact): void {
    const t = this.tracked.get(conn);
    if (!t) return;
    switch (fact.fact) {
      case 'config':
        if (t.active) this.o.metrics?.sessionConfigChanged(t.config, fact.config);
        t.config = fact.config;
        t.ctx.config = fact.config;
        break;
      case 'recon':
        t.reconSeconds = fact.seconds;
        break;
      case 'saved':
        t.saved.push({ path: fact.path, bytes: fact.bytes });
        break;
      case 'errors':
        t.sessionErrors = fact.count;
        break;
      case 'v2-items':
        t.v2Items = { received: fact.received, sent: fact.sent };
        break;
    }
  }

  logContext(conn: ClientConnection): LogContext | undefined {
    return this.tracked.get(conn)?.ctx;
  }

  /** The outcome of a finished connection, or null when it was no session (sent nothing, not refused). */
  static outcome(conn: ClientConnection, t: Pick<Tracked, 'refused' | 'started' | 'sessionErrors'>): SessionOutcome | null {
    if (t.refused === 'busy' || t.refused === 'shutting-down') return 'busy';
    if (conn.timedOut) return 'timeout';
    if (conn.stoppedEarly) return 'truncated';
    if (t.refused || conn.errorSent !== null || t.sessionErrors > 0) return 'error';
    if (!t.started && conn.bytesIn === 0) return null;
    return 'ok';
  }

  connectionClosed(conn: ClientConnection): void {
    const t = this.tracked.get(conn);
    if (!t) return;
    this.sessionEnded(conn);
    const outcome = SessionTracker.outcome(conn, t);
    if (outcome === null) return;
    const end = conn.outputEndedAt || Date.now();
    // an MRD v2 client's items, as its session counted them (its bytes are relayed unframed)
    const messagesIn = t.v2Items?.received ?? conn.messagesIn, messagesOut = t.v2Items?.sent ?? conn.messagesOut;
    const unit = t.v2Items ? 'MRD v2 items' : 'messages';
    const durationSeconds = Math.max(0, end - t.openedAt) / 1000;
    this.o.metrics?.sessionFinished({
      config: t.config, outcome, clientAddress: addressOf(conn.label),
      bytesIn: conn.bytesIn, bytesOut: conn.bytesOut, messagesIn, messagesOut,
      durationSeconds, reconSeconds: t.reconSeconds, saved: t.saved,
    });
    const line = `Session ${t.ctx.session} from ${conn.label} ended: ${outcome} (config ${t.config}; received ${messagesIn} ${unit}, ${conn.bytesIn} bytes; sent ${messagesOut} ${unit}, ${conn.bytesOut} bytes; ${durationSeconds.toFixed(3)} s` +
      `${t.reconSeconds !== undefined ? `, recon ${t.reconSeconds.toFixed(3)} s` : ''}${t.saved.length ? `; saved ${t.saved.map((s) => s.path).join(', ')}` : ''})`;
    runInLogContext(t.ctx, () => (this.o.summaryAtInfo ? logger.info(line) : logger.debug(line)));
  }
}
