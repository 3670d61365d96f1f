/**
 * mrd-server's Prometheus metrics, kept with prom-client (the `/metrics` endpoint serves its
 * text format; nothing here formats metrics by hand). Loaded only with `--http-port`, on the
 * main thread. Names and labels (docs: packages/mrd-server/README.md, "Operations"):
 *
 * - `mrd_server_sessions_active{config}` gauge; `mrd_server_sessions_total{config,outcome}`
 *   counter, outcome one of ok, error, busy, timeout, truncated;
 * - `mrd_server_connections_total`: every accepted connection (also those that never sent a byte,
 *   e.g. TCP health checks, which are no session);
 * - `mrd_server_received_bytes_total`, `mrd_server_sent_bytes_total`,
 *   `mrd_server_received_messages_total`, `mrd_server_sent_messages_total` by config (an MRD v2
 *   client's stream items, which its session reports: the main thread relays v2 bytes unframed);
 * - `mrd_server_session_duration_seconds{config}` (accept to the server's CLOSE) and
 *   `mrd_server_recon_duration_seconds{config}` (the module's run) histograms;
 * - `mrd_server_saved_files_total`, `mrd_server_saved_bytes_total`;
 * - `mrd_server_client_sessions_total{client}`: sessions by client IP (the real one behind a
 *   PROXY-protocol balancer), at most MAX_CLIENT_LABELS addresses, the rest as "other";
 * - `mrd_server_draining`, `mrd_server_max_sessions`, `mrd_server_build_info{version,node}`;
 * - prom-client's default process metrics (CPU, resident memory, event-loop lag, heap, GC).
 *
 * The config label is the module the session resolved (a built-in or user module name, a
 * bounded set), never the raw name a client sent; "unknown" until the session says.
 */
import type { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type SessionOutcome = 'ok' | 'error' | 'busy' | 'timeout' | 'truncated';

/** Distinct client addresses labelled in mrd_server_client_sessions_total before "other". */
const MAX_CLIENT_LABELS = 64;

/** Seconds: from sub-second null sessions to half-hour iterative recons. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export interface FinishedSession {
  config: string;
  outcome: SessionOutcome;
  clientAddress: string;
  bytesIn: number;
  bytesOut: number;
  messagesIn: number;
  messagesOut: number;
  durationSeconds: number;
  reconSeconds?: number;
  saved: { bytes: number }[];
}

export class ServerMetrics {
  readonly registry: Registry;
  private readonly active: Gauge<'config'>;
  private readonly sessions: Counter<'config' | 'outcome'>;
  private readonly connections: Counter;
  private readonly bytesIn: Counter<'config'>;
  private readonly bytesOut: Counter<'config'>;
  private readonly messagesIn: Counter<'config'>;
  private readonly messagesOut: Counter<'config'>;
  private readonly duration: Histogram<'config'>;
  private readonly recon: Histogram<'config'>;
  private readonly savedFiles: Counter;
  private readonly savedBytes: Counter;
  private readonly byClient: Counter<'client'>;
  private readonly draining: Gauge;
  private readonly clients = new Set<string>();

  /** Loads prom-client (only servers with --http-port need it) and registers the metrics. */
  static async create(info: { version: string; maxSessions: number }): Promise<ServerMetrics> {
    return new ServerMetrics(await import('prom-client'), info);
  }

  private constructor(prom: typeof import('prom-client'), info: { version: string; maxSessions: number }) {
    const registry = new prom.Registry();
    this.registry = registry;
    prom.collectDefaultMetrics({ register: registry });
    const registers = [registry];
    this.active = new prom.Gauge({ name: 'mrd_server_sessions_active', help: 'Sessions running now, by config module.', labelNames: ['config'], registers });
    this.sessions = new prom.Counter({ name: 'mrd_server_sessions_total', help: 'Sessions ended, by config module and outcome (ok, error, busy, timeout, truncated).', labelNames: ['config', 'outcome'], registers });
    this.connections = new prom.Counter({ name: 'mrd_server_connections_total', help: 'Connections accepted (including those that sent nothing, which are no session).', registers });
    this.bytesIn = new prom.Counter({ name: 'mrd_server_received_bytes_total', help: 'Bytes received from clients, by config module.', labelNames: ['config'], registers });
    this.bytesOut = new prom.Counter({ name: 'mrd_server_sent_bytes_total', help: 'Bytes sent to clients, by config module.', labelNames: ['config'], registers });
    this.messagesIn = new prom.Counter({ name: 'mrd_server_received_messages_total', help: 'MRD messages received from clients (MRD v2 clients: stream items), by config module.', labelNames: ['config'], registers });
    this.messagesOut = new prom.Counter({ name: 'mrd_server_sent_messages_total', help: 'MRD messages sent to clients (MRD v2 clients: stream items), by config module.', labelNames: ['config'], registers });
    this.duration = new prom.Histogram({ name: 'mrd_server_session_duration_seconds', help: 'Session duration from accept to the server\'s CLOSE, by config module.', labelNames: ['config'], buckets: DURATION_BUCKETS, registers });
    this.recon = new prom.Histogram({ name: 'mrd_server_recon_duration_seconds', help: 'Time the recon module ran, by config module.', labelNames: ['config'], buckets: DURATION_BUCKETS, registers });
    this.savedFiles = new prom.Counter({ name: 'mrd_server_saved_files_total', help: 'Data files saved (-s, savedataonly, savedata).', registers });
    this.savedBytes = new prom.Counter({ name: 'mrd_server_saved_bytes_total', help: 'Bytes of the data files saved.', registers });
    this.byClient = new prom.Counter({ name: 'mrd_server_client_sessions_total', help: `Sessions by client IP address (the first ${MAX_CLIENT_LABELS} addresses seen; the rest as "other").`, labelNames: ['client'], registers });
    this.draining = new prom.Gauge({ name: 'mrd_server_draining', help: '1 while the server drains (after SIGTERM/SIGINT), else 0.', registers });
    const max = new prom.Gauge({ name: 'mrd_server_max_sessions', help: 'The --max-sessions limit.', registers });
    max.set(info.maxSessions);
    const build = new prom.Gauge({ name: 'mrd_server_build_info', help: 'mrd-server version and Node.js version (value 1).', labelNames: ['version', 'node'], registers });
    build.set({ version: info.version, node: process.version }, 1);
    this.draining.set(0);
  }

  connectionAccepted(): void {
    this.connections.inc();
  }

  sessionStarted(config: string): void {
    this.active.inc({ config });
  }

  sessionConfigChanged(from: string, to: string): void {
    if (from === to) return;
    this.active.dec({ config: from });
    this.active.inc({ config: to });
  }

  sessionEnded(config: string): void {
    this.active.dec({ config });
  }

  sessionFinished(s: FinishedSession): void {
    const config = s.config;
    this.sessions.inc({ config, outcome: s.outcome });
    this.bytesIn.inc({ config }, s.bytesIn);
    this.bytesOut.inc({ config }, s.bytesOut);
    this.messagesIn.inc({ config }, s.messagesIn);
    this.messagesOut.inc({ config }, s.messagesOut);
    if (s.outcome !== 'busy') this.duration.observe({ config }, s.durationSeconds);
    if (s.reconSeconds !== undefined) this.recon.observe({ config }, s.reconSeconds);
    for (const f of s.saved) {
      this.savedFiles.inc();
      this.savedBytes.inc(f.bytes);
    }
    let client = s.clientAddress;
    if (!this.clients.has(client)) {
      if (this.clients.size < MAX_CLIENT_LABELS) this.clients.add(client);
      else client = 'other';
    }
    this.byClient.inc({ client });
  }

  setDraining(draining: boolean): void {
    this.draining.set(draining ? 1 : 0);
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
