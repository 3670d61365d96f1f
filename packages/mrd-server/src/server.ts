/**
 * The mrd-server listener (reference `server.py` `Server`): accepts TCP connections and runs
 * each session off the main thread, so the main event loop only accepts and moves bytes:
 * - default: each session in a worker thread (`runner: 'worker'`);
 * - `-m/--multiprocessing`: each session in its own child process (`runner: 'process'`), so a
 *   module that crashes or exhausts memory ends only its session;
 * - `runner: 'inline'`: on the main thread (tests and embedding only).
 *
 * The main thread keeps every client socket (client-connection.ts): a connection gets a runner
 * only once its first message (the config) is complete, so idle or hostile connections cost a
 * socket and a few bytes, not a worker (~10 MB) or a process (~57 MB). A runner is kept ready
 * (a fixed number, not one per connection) so a new session does not wait for a boot: booted
 * ahead, or, in worker mode, the worker of a session that has finished (IDLE_WORKERS). Such a
 * worker keeps its last session's reusable buffers; after `workerIdleTimeoutMs` without a session
 * it ends (its memory goes with it) and a freshly booted worker takes its place.
 * `maxSessions` bounds the sessions running at once: a connection beyond it gets an ERROR text
 * "server busy" and CLOSE (counted in `busyRejections`); `idleTimeoutMs` closes connections the
 * server waits for in vain. `close()` drains: it stops accepting, lets the connections already
 * accepted and the open sessions finish for a grace period, then aborts them (their files are
 * closed properly) and finally terminates what is left.
 *
 * The operational surface (operations/: metrics, JSON logs, PROXY protocol) hooks in through
 * `observer` (operations/server-observer.ts) and `proxyProtocol`.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Worker, MessageChannel } from 'node:worker_threads';
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import type { Duplex } from 'node:stream';
import { encodeMessages } from '@mrd-tools/core/stream';
import { formatLogging } from '@mrd-tools/core/connection';
import { logger, LogLevel } from '@mrd-tools/core/logging';
import { PortStream } from './port-stream.js';
import { runSession, type SessionOptions } from './session.js';
import { ClientConnection, type SessionRunner } from './client-connection.js';
import { SESSION_STREAM_FD } from './session-host.js';
import type { ServerObserver, RefusalReason } from './operations/server-observer.js';
import { isSessionFactMessage } from './operations/session-facts.js';
import { runInLogContext, type LogContext } from './operations/log-context.js';
import type { LogFormat } from './operations/json-log.js';
import { readProxyHeader, ProxyHeaderError } from './operations/proxy-protocol.js';
import { flushAcceptQueue, isAcceptQueueSentinel } from './operations/accept-queue.js';
import { SpareRunnerTiming } from './spare-runner-timing.js';
import { QuietTrim } from './operations/allocator-trim.js';

/**
 * Booted session workers kept waiting for sessions. Two, so that sequential sessions never wait
 * for a boot: the one booted ahead when a session takes the last, and the one that session
 * gives back when it ends. A fixed cost (~10 MB each when booted; a worker given back also
 * keeps its last session's reusable buffers, docs/server.md), not one per connection.
 */
const IDLE_WORKERS = 2;

/** Default `--idle-timeout`: 300 s. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** Default `--worker-idle-timeout`: 60 s. */
export const DEFAULT_WORKER_IDLE_TIMEOUT_MS = 60_000;
/**
 * While draining, how long a connection accepted before the drain began may take to send its
 * config (a balancer forwards the client's first bytes within milliseconds); then it is refused.
 */
const DRAIN_PRECONFIG_GRACE_MS = 2000;
/** How long a PROXY protocol header may take to arrive (a balancer sends it at once). */
const PROXY_HEADER_TIMEOUT_MS = 10_000;

/** Sessions per CPU core of the default `--max-sessions`. */
export const SESSIONS_PER_CORE = 8;

/** Default `--max-sessions`: SESSIONS_PER_CORE x the CPU cores, at least 8. */
export function defaultMaxSessions(): number {
  return Math.max(8, SESSIONS_PER_CORE * availableParallelism());
}

export type RunnerKind = 'worker' | 'process' | 'inline';

export interface ServerOptions extends SessionOptions {
  host: string;
  port: number;
  runner: RunnerKind;
  /** Close a connection that sends (or reads) nothing for this long while awaited (ms; 0: never). Default 300 s. */
  idleTimeoutMs?: number;
  /** Most sessions running at once; beyond, "server busy". Default `defaultMaxSessions()`. */
  maxSessions?: number;
  /** After CLOSE, how long a quiet connection is kept for the client to read and close (ms). Default 10 s. */
  lingerMs?: number;
  /** The script that hosts session workers / child processes (the bundled cli.js). */
  entryFile?: string;
  /** Log settings handed to session workers and child processes. */
  log?: { level: LogLevel; crlf: boolean; file?: string; format?: LogFormat };
  /** Require a PROXY protocol (v1 or v2) header at the start of every connection. */
  proxyProtocol?: boolean;
  /** JavaScript heap limit of each session worker (MB); default MRD_SERVER_WORKER_MAX_HEAP_MB, else Node's. */
  workerMaxHeapMb?: number;
  /**
   * How long a session worker that has served a session may wait for the next one, keeping that
   * session's reusable buffers, before it ends and a fresh worker takes its place (ms; 0: kept
   * until the server stops). Default 60 s.
   */
  workerIdleTimeoutMs?: number;
  /** Told what happens to each connection (metrics, structured logs). */
  observer?: ServerObserver;
}

/** What a session worker or child process receives to start. */
export interface SessionBootData {
  kind: 'mrd-server-session';
  session: SessionOptions;
  log: { level: LogLevel; crlf: boolean; file?: string; format?: LogFormat };
}

export class MrdServer {
  private readonly net: NetServer;
  /** Every open connection (waiting for its config, in a session, or closing). */
  private readonly connections = new Set<ClientConnection>();
  /** Connections with a session runner that has not exited. */
  private readonly sessions = new Set<ClientConnection>();
  /**
   * Sessions whose client is gone, being aborted. They no longer hold a place in `maxSessions`,
   * so a storm of connections that reset after their config never shuts live clients out; at
   * most `maxSessions` of them may be ending at once (the oldest is ended beyond that), so
   * resources stay bounded by twice the limit.
   */
  private readonly orphans = new Set<ClientConnection>();
  /** Booted workers waiting for a session (at most IDLE_WORKERS). */
  private idleWorkers: Worker[] = [];
  /** The pending release of each idle worker that has served a session (--worker-idle-timeout). */
  private readonly idleReleases = new Map<Worker, NodeJS.Timeout>();
  private spareChild: ChildProcess | null = null;
  private closing = false;
  /** While draining: connections accepted before the drain may still start sessions. */
  private drainAdmitsSessions = true;
  private listening = false;
  /** The session each busy worker serves, for the context of its log lines. */
  private readonly workerLogContexts = new WeakMap<Worker, LogContext>();
  /** The bound address (after listen). */
  private bound: { host: string; port: number } | null = null;
  /** Connections accepted whose PROXY protocol header is still being read (--proxy-protocol). */
  private readonly awaitingHeader = new Set<Socket>();
  /** When the spare runner boots: not while the sessions stream (spare-runner-timing.ts). */
  private readonly spareTiming = new SpareRunnerTiming({
    needed: () => this.spareNeeded(),
    boot: () => this.prepareSpare(),
    sessions: () => this.sessions.size,
    traffic: () => {
      let n = 0;
      for (const c of this.sessions) n += c.bytesIn + c.bytesOut;
      return n;
    },
  });
  /** The allocator's free memory goes back to the system once no session runs (operations/allocator-trim.ts). */
  private readonly quietTrim = new QuietTrim(() => this.sessions.size + this.orphans.size);
  /** Connections refused with "server busy" since the start. */
  busyRejections = 0;
  /** Idle session workers ended by `workerIdleTimeoutMs` since the start. */
  idleWorkersReleased = 0;
  readonly maxSessions: number;
  readonly idleTimeoutMs: number;
  readonly workerIdleTimeoutMs: number;

  constructor(private readonly opts: ServerOptions) {
    this.maxSessions = opts.maxSessions ?? defaultMaxSessions();
    this.idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1) throw new RangeError(`max-sessions must be a whole number of at least 1 (got ${opts.maxSessions})`);
    if (!Number.isFinite(this.idleTimeoutMs) || this.idleTimeoutMs < 0) throw new RangeError(`idle-timeout must be a number of seconds, 0 or more (got ${this.idleTimeoutMs / 1000})`);
    this.workerIdleTimeoutMs = opts.workerIdleTimeoutMs ?? DEFAULT_WORKER_IDLE_TIMEOUT_MS;
    if (!Number.isFinite(this.workerIdleTimeoutMs) || this.workerIdleTimeoutMs < 0) throw new RangeError(`worker-idle-timeout must be a number of seconds, 0 or more (got ${this.workerIdleTimeoutMs / 1000})`);
    // allowHalfOpen: a client that shuts its write side after CLOSE still gets every result.
    this.net = createServer({ allowHalfOpen: true, noDelay: true }, (sock) => this.accept(sock));
    this.net.on('error', (err) => logger.error(`Server error: ${err.message}`));
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    logger.info(`Starting server and listening for data at ${this.opts.host}:${this.opts.port}`);
    logger.info(`Default config is ${this.opts.defaultConfig}`);
    if (this.opts.savedata) logger.debug('Saving incoming data is enabled.');
    if (this.opts.runner === 'process') logger.debug('Multiprocessing is enabled.');
    logger.debug(`At most ${this.maxSessions} sessions at once; idle timeout ${this.idleTimeoutMs / 1000} s`);
    return new Promise((resolve, reject) => {
      this.net.once('error', reject);
      this.net.listen({ host: this.opts.host, port: this.opts.port, backlog: 1024 }, () => {
        this.net.off('error', reject);
        const addr = this.net.address();
        const port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
        this.listening = true;
        this.bound = { host: this.opts.host, port };
        this.prepareSpare();
        logger.info(`Server listening at ${this.opts.host}:${port}`);
        logger.debug('Serving... ');
        resolve(port);
      });
    });
  }

  /** Sessions running now. */
  get activeSessions(): number {
    return this.sessions.size;
  }

  /** Open connections (with or without a session). */
  get openConnections(): number {
    return this.connections.size;
  }

  /** Whether the server is draining (close() was called). */
  get draining(): boolean {
    return this.closing;
  }

  /** Whether the MRD port is listening (until the drain closes it). */
  get isListening(): boolean {
    return this.listening && !this.closing;
  }

  /** Whether the server takes new sessions now: listening, not draining, below --max-sessions. */
  readiness(): { ready: boolean; reason: string } {
    if (this.closing) return { ready: false, reason: 'draining' };
    if (!this.listening) return { ready: false, reason: 'not listening' };
    if (this.full()) return { ready: false, reason: `at --max-sessions (${this.sessions.size} of ${this.maxSessions} sessions running)` };
    return { ready: true, reason: `accepting sessions (${this.sessions.size} of ${this.maxSessions} running)` };
  }

  private bootData(): SessionBootData {
    const { defaultConfig, savedata, savedataFolder, modulesDirs, drainTimeoutMs } = this.opts;
    return {
      kind: 'mrd-server-session',
      session: { defaultConfig, savedata, savedataFolder, modulesDirs, drainTimeoutMs },
      log: this.opts.log ?? { level: logger.level, crlf: false },
    };
  }

  /** Whether no session runner is ready for the next session (and the server takes sessions). */
  private spareNeeded(): boolean {
    if (this.closing) return false;
    if (this.opts.runner === 'worker') return !this.idleWorkers.some((w) => w.threadId >= 0);
    if (this.opts.runner === 'process') return !this.spareChild;
    return false;
  }

  private prepareSpare(): void {
    if (this.closing) return;
    try {
      if (this.opts.runner === 'worker' && this.idleWorkers.length === 0) this.idleWorkers.push(this.startWorker());
      if (this.opts.runner === 'process' && !this.spareChild) this.spareChild = this.startChild();
    } catch (err) {
      logger.error(`Cannot start a session runner: ${(err as Error).message}`);
    }
  }

  private entry(): string {
    if (!this.opts.entryFile) throw new Error('MrdServer: entryFile is required for worker/process runners');
    return this.opts.entryFile;
  }

  private startWorker(): Worker {
    // MRD_SERVER_WORKER_MAX_HEAP_MB bounds each session's JavaScript heap (worker mode): a session
    // that exceeds it ends with an ERROR to its client; the server and other sessions go on.
    const heapMb = this.opts.workerMaxHeapMb ?? Number(process.env.MRD_SERVER_WORKER_MAX_HEAP_MB ?? '');
    logger.debug('Starting a session worker');
    const w = new Worker(this.entry(), {
      workerData: this.bootData(), stdout: false, stderr: false,
      ...(Number.isFinite(heapMb) && heapMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: heapMb } } : {}),
    });
    w.unref();
    w.on('error', (err) => logger.error(`Session worker failed: ${err.message}`));
    w.on('exit', () => {
      const i = this.idleWorkers.indexOf(w);
      if (i >= 0) this.idleWorkers.splice(i, 1);
      this.cancelIdleRelease(w);
      // What the thread allocated is free now.
      this.quietTrim.sessionsEnded();
    });
    w.on('message', (m: { t: string; line?: string; level?: LogLevel }) => {
      if (m?.t !== 'log' || m.line === undefined) return;
      const ctx = this.workerLogContexts.get(w);
      if (ctx) runInLogContext(ctx, () => logger.log(m.level ?? LogLevel.INFO, m.line));
      else logger.log(m.level ?? LogLevel.INFO, m.line);
    });
    return w;
  }

  private startChild(): ChildProcess {
    // fd SESSION_STREAM_FD is the session's byte stream (a socket pair); the parent relays the client.
    const stdio: ('ignore' | 'inherit' | 'ipc' | 'pipe')[] = ['ignore', 'inherit', 'inherit', 'ipc'];
    while (stdio.length < SESSION_STREAM_FD) stdio.push('ignore');
    stdio.push('pipe');
    const child = fork(this.entry(), [], {
      env: { ...process.env, MRD_SERVER_SESSION: JSON.stringify(this.bootData()) },
      stdio,
      serialization: 'advanced',
    });
    child.on('error', (err) => logger.error(`Session process failed: ${err.message}`));
    child.once('exit', () => {
      if (this.spareChild === child) this.spareChild = null;
    });
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    const stream = child.stdio[SESSION_STREAM_FD] as Socket;
    stream.unref();
    return child;
  }

  private accept(sock: Socket): void {
    if (isAcceptQueueSentinel(sock)) return;
    if (this.closing && !this.drainAdmitsSessions) {
      sock.destroy();
      return;
    }
    if (sock.remoteAddress === undefined) {
      // The peer reset the connection before it was accepted (getpeername fails): nobody to
      // answer, nothing to start.
      logger.debug('Dropping a connection reset before it was accepted');
      sock.destroy();
      return;
    }
    if (this.opts.proxyProtocol) {
      this.acceptProxied(sock);
      return;
    }
    this.admit(sock, `${sock.remoteAddress}:${sock.remotePort}`);
  }

  /** --proxy-protocol: the connection's PROXY header names the real client; without one it is refused. */
  private acceptProxied(sock: Socket): void {
    const peer = `${sock.remoteAddress}:${sock.remotePort}`;
    sock.on('error', () => undefined);
    this.awaitingHeader.add(sock);
    readProxyHeader(sock, Math.min(PROXY_HEADER_TIMEOUT_MS, this.idleTimeoutMs || PROXY_HEADER_TIMEOUT_MS)).finally(() => this.awaitingHeader.delete(sock)).then(
      (header) => {
        if (sock.destroyed) return;
        const src = header.source;
        const label = src ? (src.address.includes(':') ? `[${src.address}]:${src.port}` : `${src.address}:${src.port}`) : peer;
        this.admit(sock, label);
      },
      (err: Error) => {
        if (sock.destroyed) return;
        const why = err instanceof ProxyHeaderError ? err.message : `reading its PROXY protocol header failed: ${err.message}`;
        logger.warning(`Refusing connection from ${peer}: ${why}`);
        // An MRD client that bypassed the balancer is told why (the stream is at its start).
        sock.end(encodeMessages([{ type: 'text', text: formatLogging('ERROR', `connection refused: ${why}`) }, { type: 'close' }]));
        sock.resume();
        setTimeout(() => sock.destroy(), 2000).unref();
      },
    );
  }

  private admit(sock: Socket, label: string): void {
    logger.info(`Accepting connection from: ${label}`);
    sock.setNoDelay(true);
    const conn = new ClientConnection(sock, label, { idleTimeoutMs: this.idleTimeoutMs, lingerMs: this.opts.lingerMs ?? 10_000 }, {
      // One turn of the event loop first: a reset that came with the config is seen, and costs
      // no session.
      ready: (c) => setImmediate(() => this.startSession(c)),
      orphaned: (c) => {
        if (!this.sessions.delete(c)) return;
        this.orphans.add(c);
        if (this.orphans.size > this.maxSessions) {
          const oldest = this.orphans.values().next().value!;
          this.orphans.delete(oldest);
          oldest.destroy();
        }
      },
      closed: (c) => {
        this.connections.delete(c);
        this.sessions.delete(c);
        this.orphans.delete(c);
        this.opts.observer?.connectionClosed(c);
      },
    });
    this.connections.add(conn);
    this.opts.observer?.connectionOpened(conn);
    // Busy now: say so at once rather than after the client sent its config.
    if (this.full()) this.refuseBusy(conn);
    // A connection on its way to a session: a deferred spare boots now, while its config comes.
    else if (this.spareTiming.pending) this.spareTiming.now();
  }

  private full(): boolean {
    return this.sessions.size >= this.maxSessions;
  }

  private refuse(conn: ClientConnection, text: string, reason: RefusalReason): void {
    this.opts.observer?.refused(conn, reason);
    conn.refuse(text);
  }

  private refuseBusy(conn: ClientConnection): void {
    this.busyRejections++;
    const why = `${this.sessions.size} sessions are running (--max-sessions ${this.maxSessions})`;
    logger.warning(`Server busy: ${why}; refusing ${conn.label}`);
    this.refuse(conn, `server busy: ${why}; try again later`, 'busy');
  }

  /** The connection's config is in: start its session, or refuse it when the server is full. */
  private startSession(conn: ClientConnection): void {
    if (conn.socket.destroyed || !conn.waitingForConfig) return;
    if (this.closing && !this.drainAdmitsSessions) {
      logger.info(`Server shutting down: refusing ${conn.label}`);
      this.refuse(conn, 'server shutting down', 'shutting-down');
      return;
    }
    if (this.full()) {
      this.refuseBusy(conn);
      return;
    }
    let runner: SessionRunner;
    try {
      runner = this.opts.runner === 'worker' ? this.workerRunner(conn) : this.opts.runner === 'process' ? this.processRunner(conn) : this.inlineRunner(conn);
    } catch (err) {
      logger.error(`Cannot start a session for ${conn.label}: ${(err as Error).message}`);
      this.refuse(conn, `cannot start a session: ${(err as Error).message}`, 'error');
      return;
    }
    this.sessions.add(conn);
    this.quietTrim.sessionStarted();
    this.opts.observer?.sessionStarted(conn, runner.stream);
    runner.exited.then(() => {
      this.sessions.delete(conn);
      this.orphans.delete(conn);
      this.opts.observer?.sessionEnded(conn);
      this.quietTrim.sessionsEnded();
    });
    conn.run(runner);
    // The next session finds a runner already booted (booting takes 0.1-0.5 s), booted once the
    // sessions are quiet so that the boot does not compete with this one's streaming.
    this.spareTiming.whenQuiet();
  }

  private inlineRunner(conn: ClientConnection): SessionRunner {
    const { port1, port2 } = new MessageChannel();
    const stream = new PortStream(port1, true);
    let session: PortStream | null = null;
    let resolveExit!: (v: string | null) => void;
    const exited = new Promise<string | null>((r) => (resolveExit = r));
    return {
      stream,
      exited,
      start: () => {
        session = new PortStream(port2);
        const io: Duplex = session;
        runSession(io, this.bootData().session, (fact) => this.opts.observer?.fact(conn, fact))
          .then(() => resolveExit(null), (err) => resolveExit(`session failed: ${(err as Error).message}`))
          .finally(() => io.destroy());
      },
      abort: () => session?.destroy(),
      kill: () => session?.destroy(),
    };
  }

  /**
   * A worker given back by its session keeps that session's reusable buffers (the wire's
   * assembly ring, a module's k-space storage: docs/server.md). After `workerIdleTimeoutMs`
   * without a session it ends, so they are freed (the exit re-arms the allocator trim), and a
   * fresh worker is booted in its place when none is left, once the sessions are quiet
   * (spare-runner-timing.ts). Everything here runs on the main thread: a worker is either taken
   * from `idleWorkers` by a session (which cancels this) or removed from it here, never both.
   */
  private armIdleRelease(worker: Worker): void {
    if (this.workerIdleTimeoutMs === 0) return;
    this.cancelIdleRelease(worker);
    const timer = setTimeout(() => {
      this.idleReleases.delete(worker);
      const i = this.idleWorkers.indexOf(worker);
      if (i < 0 || this.closing) return;
      this.idleWorkers.splice(i, 1);
      this.idleWorkersReleased++;
      logger.debug(`Ending a session worker idle for ${this.workerIdleTimeoutMs / 1000} s (--worker-idle-timeout), with the buffers it kept for its next session`);
      void worker.terminate();
      this.spareTiming.whenQuiet();
    }, this.workerIdleTimeoutMs);
    timer.unref();
    this.idleReleases.set(worker, timer);
  }

  private cancelIdleRelease(worker: Worker): void {
    const timer = this.idleReleases.get(worker);
    if (timer) clearTimeout(timer);
    this.idleReleases.delete(worker);
  }

  private workerRunner(conn: ClientConnection): SessionRunner {
    let worker = this.idleWorkers.pop();
    // (A worker that died while waiting is dropped.)
    while (worker && worker.threadId < 0) worker = this.idleWorkers.pop();
    if (worker) this.cancelIdleRelease(worker);
    worker ??= this.startWorker();
    worker.ref();
    const { port1, port2 } = new MessageChannel();
    const stream = new PortStream(port1, true);
    let done = false;
    let released = false;
    let failure: string | null = null;
    let resolveExit!: (why: string | null) => void;
    const exited = new Promise<string | null>((r) => (resolveExit = r));
    const onError = (err: Error) => (failure ??= err.message);
    const onExit = (code: number) => resolveExit(done ? null : failure ?? `worker exited with code ${code}`);
    const logContext = this.opts.observer?.logContext(conn);
    if (logContext) this.workerLogContexts.set(worker, logContext);
    const onMessage = (m: { t: string; reusable?: boolean }) => {
      if (isSessionFactMessage(m)) {
        this.opts.observer?.fact(conn, m.fact);
        return;
      }
      if (m?.t !== 'done') return;
      done = true;
      this.workerLogContexts.delete(worker);
      // A worker whose session has finished waits for the next session (no boot), unless
      // enough are waiting already; otherwise it ends.
      if (m.reusable && this.idleWorkers.length < IDLE_WORKERS && !this.closing) {
        released = true;
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        worker.unref();
        this.idleWorkers.push(worker);
        this.armIdleRelease(worker);
        resolveExit(null);
      } else {
        void worker.terminate();
      }
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    return {
      stream,
      exited,
      start: (label) => worker.postMessage({ t: 'start', port: port2, label }, [port2]),
      abort: () => {
        if (released) return;
        try {
          worker.postMessage({ t: 'abort' });
        } catch {
          /* exited */
        }
      },
      kill: () => {
        if (!released) void worker.terminate();
      },
    };
  }

  private processRunner(conn: ClientConnection): SessionRunner {
    const spare = this.spareChild;
    this.spareChild = null;
    const child = spare && spare.exitCode === null && spare.signalCode === null && spare.connected ? spare : this.startChild();
    child.ref();
    (child as unknown as { channel?: { ref(): void } }).channel?.ref();
    const stream = child.stdio[SESSION_STREAM_FD] as Socket;
    stream.ref();
    // The session's end of output is not the end of its input.
    stream.allowHalfOpen = true;
    logger.debug(`Spawned process ${child.pid} to handle connection.`);
    child.on('message', (m: unknown) => {
      if (isSessionFactMessage(m)) this.opts.observer?.fact(conn, m.fact);
    });
    const exited = new Promise<string | null>((resolve) => {
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        if (code === 0) resolve(null);
        else resolve(`session process ${child.pid} ${signal ? `killed by ${signal}` : `exited with code ${code}`}`);
      };
      if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
      else child.once('exit', onExit);
    });
    return {
      stream,
      exited,
      start: (label) => {
        if (child.connected) child.send({ t: 'start', label, log: this.opts.observer?.logContext(conn) });
      },
      abort: () => {
        if (child.connected) child.send({ t: 'abort' });
      },
      kill: () => child.kill('SIGKILL'),
    };
  }

  /**
   * Drains the server: stops accepting connections (after taking those the kernel had already
   * queued: their clients are in flight), lets the connections accepted so far send their config
   * (for DRAIN_PRECONFIG_GRACE_MS) and their sessions finish, up to `graceMs` from now; then aborts
   * what is still running (ERROR text and CLOSE to the client, files closed properly) and after
   * `killMs` more terminates what is left.
   */
  async close(graceMs = 10_000, killMs = 5_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const deadline = Date.now() + graceMs;
    if (this.bound) await flushAcceptQueue(this.net, this.bound).catch((err: Error) => logger.debug(`Accept queue not flushed: ${err.message}`));
    const listening = new Promise<void>((r) => this.net.close(() => r()));
    this.spareTiming.cancel();
    this.quietTrim.cancel();
    this.spareChild?.kill();
    this.spareChild = null;
    const wait = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), Math.max(0, ms)).unref());
    const until = (done: () => boolean) => new Promise<void>((resolve) => {
      const check = () => (done() ? resolve() : setTimeout(check, 20).unref());
      check();
    });
    // Connections accepted before the drain still waiting for their config (or their PROXY
    // header): a short grace, then refused.
    const waiting = () => this.awaitingHeader.size > 0 || [...this.connections].some((c) => c.waitingForConfig);
    if (waiting()) await Promise.race([until(() => !waiting()), wait(Math.min(DRAIN_PRECONFIG_GRACE_MS, deadline - Date.now()))]);
    this.drainAdmitsSessions = false;
    for (const timer of this.idleReleases.values()) clearTimeout(timer);
    this.idleReleases.clear();
    for (const w of this.idleWorkers.splice(0)) void w.terminate();
    for (const c of this.connections) {
      if (c.waitingForConfig) {
        logger.info(`Server shutting down: refusing ${c.label}`);
        this.refuse(c, 'server shutting down', 'shutting-down');
      }
    }
    const all = () => until(() => this.sessions.size + this.orphans.size === 0);
    if (this.sessions.size) {
      logger.info(`Waiting for ${this.sessions.size} open session(s) to finish`);
      if ((await Promise.race([all(), wait(deadline - Date.now())])) === 'timeout') {
        logger.warning(`Aborting ${this.sessions.size} open session(s)`);
        this.abortAll();
        if ((await Promise.race([all(), wait(killMs)])) === 'timeout') {
          for (const c of this.sessions) c.destroy();
          await all();
        }
      }
    }
    // Let what was written reach the kernel (results, CLOSE), then let go of every connection.
    const flushed = () => until(() => [...this.connections].every((c) => c.flushed));
    await Promise.race([flushed(), wait(killMs)]);
    for (const c of this.connections) c.destroy();
    await listening;
  }

  /** Aborts every open session now (a second signal): each client gets an ERROR text and CLOSE. */
  abortAll(): void {
    for (const c of this.sessions) c.abort('session aborted: the server is shutting down');
  }
}
