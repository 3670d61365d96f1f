/**
 * What `/view` shows (with --http-port): the sessions in progress and the recently finished ones,
 * and the latest images the running sessions sent. A ServerObserver (operations/server-observer):
 * it sees every connection on the main thread, where the session's output is relayed.
 *
 * Images cost nothing while nobody watches: only while a page is open (an event stream, or a
 * poll in the last POLL_LEASE_MS) does each running session get an output tap
 * (ClientConnection.outputTap), which feeds the complete messages the relay writes to the client
 * into mrd-core's incremental decoder and keeps the last image of each series (at most
 * MAX_SERIES per session, LRU over all sessions within IMAGE_BUDGET_BYTES) as pixel data and
 * header; the pixels stay views into the relayed chunk where that pins little more than them. When the last watcher leaves, taps, decoders and images are dropped. Session facts
 * (config, client, message counts, elapsed) are kept for at most RECENT_SESSIONS finished
 * sessions, watched or not.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { MrdStreamDecoder } from '@mrd-tools/core/stream';
import type { Image } from '@mrd-tools/core/messages';
import { logger } from '@mrd-tools/core/logging';
import type { ClientConnection } from '../client-connection.js';
import type { RefusalReason, ServerObserver } from '../operations/server-observer.js';
import type { SessionFact } from '../operations/session-facts.js';
import type { SessionOutcome } from '../operations/metrics.js';
import { SessionTracker } from '../operations/session-tracker.js';
import type { LogContext } from '../operations/log-context.js';

/** Finished sessions listed (oldest dropped first). */
export const RECENT_SESSIONS = 20;
/** Series whose latest image a session keeps (the least recently updated series goes first). */
export const MAX_SERIES = 8;
/** Pixel bytes kept over all sessions (the least recently received image goes first). */
export const IMAGE_BUDGET_BYTES = 256 * 1024 * 1024;
/** A poll (GET /view/api/sessions) counts as watching for this long. */
export const POLL_LEASE_MS = 15_000;
/** An image's pixels are kept as a view into the relayed chunk when the chunk is at most this much larger. */
const TIGHT_SLACK_BYTES = 64 * 1024;
/** Text messages (ERROR/INFO lines) of a session kept for the page. */
const TEXTS_KEPT = 5;

export interface KeptImage {
  series: number;
  /** Order of arrival among the images of the session seen while watched (1, 2, ...). */
  seq: number;
  at: number;
  image: Image;
  bytes: number;
}

interface LiveSession {
  id: string;
  client: string;
  openedAt: number;
  config: string;
  conn: ClientConnection | null;
  started: boolean;
  running: boolean;
  refused?: RefusalReason;
  sessionErrors: number;
  reconSeconds?: number;
  saved: string[];
  /** An MRD v2 session's item counts (the 'v2-items' fact): its message counts. */
  v2Items?: { received: number; sent: number };
  endedAt?: number;
  outcome?: SessionOutcome;
  /** Counts copied from the connection once it is closed. */
  final?: { bytesIn: number; bytesOut: number; messagesIn: number; messagesOut: number };
  decoder: MrdStreamDecoder | null;
  images: Map<number, KeptImage>;
  imagesSeen: number;
  texts: string[];
}

/** One session as the page lists it. */
export interface SessionSummary {
  id: string;
  client: string;
  config: string;
  state: 'running' | 'finishing' | 'finished';
  outcome: SessionOutcome | null;
  openedAt: number;
  endedAt: number | null;
  elapsedSeconds: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  reconSeconds: number | null;
  saved: string[];
  /** Images seen while watched (the tap runs only then). */
  imagesSeen: number;
  texts: string[];
  images: { series: number; seq: number; at: number; imageIndex: number; matrix: number[]; channels: number; dataType: number; slice: number; contrast: number; phase: number; repetition: number; set: number }[];
}

export interface LiveSnapshot {
  now: number;
  live: SessionSummary[];
  recent: SessionSummary[];
}

/** What /view/api/status reports: whether anything is held for the page. */
export interface LiveStatus {
  watching: boolean;
  watchers: number;
  tappedSessions: number;
  keptImages: number;
  keptBytes: number;
  liveSessions: number;
  recentSessions: number;
}

export class LiveSessions implements ServerObserver {
  private readonly byConn = new Map<ClientConnection, LiveSession>();
  private readonly recent: LiveSession[] = [];
  /** Every kept image, least recently received first (the budget's LRU). */
  private readonly kept = new Map<KeptImage, LiveSession>();
  private keptBytes = 0;
  private watchers = 0;
  private leaseUntil = 0;
  private leaseTimer: NodeJS.Timeout | null = null;
  private watching = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly o: { sessionId?: (conn: ClientConnection) => string | undefined; imageBudgetBytes?: number } = {}) {}

  // ------------------------------------------------------------------ watchers

  /** An event stream opened; the returned function ends it. */
  watch(): () => void {
    this.watchers++;
    this.updateWatching();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.watchers--;
      this.updateWatching();
    };
  }

  /** A poll: watching for POLL_LEASE_MS more. */
  poll(): void {
    this.leaseUntil = Date.now() + POLL_LEASE_MS;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = setTimeout(() => {
      this.leaseTimer = null;
      this.updateWatching();
    }, POLL_LEASE_MS + 10);
    this.leaseTimer.unref();
    this.updateWatching();
  }

  /** Called (coalesced by the caller) whenever what the page shows changed. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  private updateWatching(): void {
    const now = this.watchers > 0 || Date.now() < this.leaseUntil;
    if (now === this.watching) return;
    this.watching = now;
    if (now) {
      logger.debug('Live view: watched; tapping the running sessions\' output');
      for (const s of this.byConn.values()) if (s.running) this.tap(s);
    } else {
      logger.debug('Live view: nobody watches; dropping taps and images');
      for (const s of this.byConn.values()) this.untap(s);
      for (const s of this.recent) s.images.clear();
      this.kept.clear();
      this.keptBytes = 0;
    }
  }

  private tap(s: LiveSession): void {
    const conn = s.conn;
    if (!conn || conn.outputTap) return;
    s.decoder = new MrdStreamDecoder();
    conn.outputTap = (bytes) => this.onOutput(s, bytes);
  }

  private untap(s: LiveSession): void {
    if (s.conn) s.conn.outputTap = null;
    s.decoder = null;
    for (const k of s.images.values()) this.forget(k);
    s.images.clear();
  }

  private forget(k: KeptImage): void {
    if (this.kept.delete(k)) this.keptBytes -= k.bytes;
  }

  // ------------------------------------------------------------------ the output tap

  /**
   * Complete messages the session sent (always starting at a message boundary). Called by the
   * relay: nothing here may throw into it; output that does not decode (the relay ends such a
   * session itself) or any other failure only stops the live view looking at the session.
   */
  private onOutput(s: LiveSession, bytes: Buffer): void {
    const decoder = s.decoder;
    if (!decoder) return;
    try {
      let changed = false;
      for (const m of decoder.push(bytes)) {
        if (m.type === 'image') {
          this.keep(s, m.image);
          changed = true;
        } else if (m.type === 'text') {
          s.texts.push(m.text.length > 300 ? `${m.text.slice(0, 300)}...` : m.text);
          if (s.texts.length > TEXTS_KEPT) s.texts.shift();
          changed = true;
        }
      }
      if (changed) this.changed();
    } catch (err) {
      logger.debug(`Live view: session ${s.id} output not followed: ${(err as Error).message}`);
      this.untap(s);
    }
  }

  private keep(s: LiveSession, img: Image): void {
    s.imagesSeen++;
    const series = img.head.image_series_index;
    // The pixels are a view into the relayed chunk (which nobody writes again). Keeping the view
    // costs no copy when the chunk is about this image (a recon's output chunk usually is one
    // message); a view into a larger chunk would pin all of it, so the pixels are copied then.
    const d = img.data;
    const tight = d.buffer.byteLength <= d.byteLength + TIGHT_SLACK_BYTES;
    const image: Image = { head: img.head, attribute: img.attribute, data: tight ? d : (d.slice() as Image['data']) };
    const held = (tight ? d.buffer.byteLength : d.byteLength) + image.attribute.length;
    const k: KeptImage = { series, seq: s.imagesSeen, at: Date.now(), image, bytes: held };
    const old = s.images.get(series);
    if (old) {
      this.forget(old);
      s.images.delete(series);
    }
    s.images.set(series, k);
    if (s.images.size > MAX_SERIES) {
      const [first, oldest] = s.images.entries().next().value!;
      s.images.delete(first);
      this.forget(oldest);
    }
    this.kept.set(k, s);
    this.keptBytes += k.bytes;
    const budget = this.o.imageBudgetBytes ?? IMAGE_BUDGET_BYTES;
    while (this.keptBytes > budget && this.kept.size > 1) {
      const [oldest, owner] = this.kept.entries().next().value!;
      if (owner.images.get(oldest.series) === oldest) owner.images.delete(oldest.series);
      this.forget(oldest);
    }
  }

  /** A kept image of a session (live or recent), or undefined. */
  image(sessionId: string, series: number): KeptImage | undefined {
    for (const s of this.byConn.values()) if (s.id === sessionId) return s.images.get(series);
    return this.recent.find((s) => s.id === sessionId)?.images.get(series);
  }

  // ------------------------------------------------------------------ ServerObserver

  connectionOpened(conn: ClientConnection): void {
    this.byConn.set(conn, {
      id: this.o.sessionId?.(conn) ?? randomBytes(6).toString('hex'), client: conn.label, openedAt: Date.now(), config: 'unknown',
      conn, started: false, running: false, sessionErrors: 0, saved: [], decoder: null, images: new Map(), imagesSeen: 0, texts: [],
    });
  }

  sessionStarted(conn: ClientConnection, _stream: Duplex): void {
    const s = this.byConn.get(conn);
    if (!s) return;
    s.started = true;
    s.running = true;
    if (this.watching) this.tap(s);
    this.changed();
  }

  sessionEnded(conn: ClientConnection): void {
    const s = this.byConn.get(conn);
    if (!s) return;
    s.running = false;
    this.changed();
  }

  refused(conn: ClientConnection, reason: RefusalReason): void {
    const s = this.byConn.get(conn);
    if (s) s.refused ??= reason;
  }

  fact(conn: ClientConnection, fact: SessionFact): void {
    const s = this.byConn.get(conn);
    if (!s) return;
    if (fact.fact === 'config') s.config = fact.config;
    else if (fact.fact === 'recon') s.reconSeconds = fact.seconds;
    else if (fact.fact === 'saved') s.saved.push(fact.path);
    else if (fact.fact === 'errors') s.sessionErrors = fact.count;
    else if (fact.fact === 'v2-items') s.v2Items = { received: fact.received, sent: fact.sent };
    this.changed();
  }

  connectionClosed(conn: ClientConnection): void {
    const s = this.byConn.get(conn);
    if (!s) return;
    this.byConn.delete(conn);
    conn.outputTap = null;
    s.decoder = null;
    s.running = false;
    const outcome = SessionTracker.outcome(conn, s);
    if (outcome === null) {
      // a TCP probe: no session to list
      for (const k of s.images.values()) this.forget(k);
      return;
    }
    s.outcome = outcome;
    s.endedAt = conn.outputEndedAt || Date.now();
    s.final = { bytesIn: conn.bytesIn, bytesOut: conn.bytesOut, messagesIn: s.v2Items?.received ?? conn.messagesIn, messagesOut: s.v2Items?.sent ?? conn.messagesOut };
    s.conn = null;
    this.recent.unshift(s);
    while (this.recent.length > RECENT_SESSIONS) {
      const gone = this.recent.pop()!;
      for (const k of gone.images.values()) this.forget(k);
      gone.images.clear();
    }
    this.changed();
  }

  logContext(_conn: ClientConnection): LogContext | undefined {
    return undefined;
  }

  // ------------------------------------------------------------------ what the page reads

  private summary(s: LiveSession, now: number): SessionSummary {
    const c = s.conn;
    const counts = s.final ?? { bytesIn: c!.bytesIn, bytesOut: c!.bytesOut, messagesIn: c!.messagesIn, messagesOut: c!.messagesOut };
    const end = s.endedAt ?? (c?.outputEndedAt || now);
    return {
      id: s.id, client: s.client, config: s.config,
      state: s.endedAt !== undefined ? 'finished' : s.running && !c?.outputEndedAt ? 'running' : 'finishing',
      outcome: s.outcome ?? null, openedAt: s.openedAt, endedAt: s.endedAt ?? null,
      elapsedSeconds: Math.max(0, end - s.openedAt) / 1000,
      ...counts,
      reconSeconds: s.reconSeconds ?? null, saved: s.saved, imagesSeen: s.imagesSeen, texts: s.texts,
      images: [...s.images.values()].sort((a, b) => a.series - b.series).map((k) => {
        const h = k.image.head;
        return {
          series: k.series, seq: k.seq, at: k.at, imageIndex: h.image_index, matrix: [...h.matrix_size], channels: h.channels, dataType: h.data_type,
          slice: h.slice, contrast: h.contrast, phase: h.phase, repetition: h.repetition, set: h.set,
        };
      }),
    };
  }

  snapshot(): LiveSnapshot {
    const now = Date.now();
    const live = [...this.byConn.values()].filter((s) => s.started).map((s) => this.summary(s, now));
    return { now, live, recent: this.recent.map((s) => this.summary(s, now)) };
  }

  /** Whether any session is in progress (the page's elapsed times then change every second). */
  get hasLiveSessions(): boolean {
    for (const s of this.byConn.values()) if (s.started) return true;
    return false;
  }

  status(): LiveStatus {
    let tapped = 0;
    for (const s of this.byConn.values()) if (s.conn?.outputTap) tapped++;
    return {
      watching: this.watching, watchers: this.watchers, tappedSessions: tapped, keptImages: this.kept.size, keptBytes: this.keptBytes,
      liveSessions: [...this.byConn.values()].filter((s) => s.started).length, recentSessions: this.recent.length,
    };
  }
}
