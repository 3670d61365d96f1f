/**
 * The mrd-server listener (reference `server.py` `Server`): accepts TCP connections and runs
 * each session off the main thread, so the main event loop only accepts and moves bytes:
 * - default: each session in a worker thread (`runner: 'worker'`), bytes relayed over a
 *   MessagePort; several sessions run at once and a CPU-heavy module never stalls the others;
 * - `-m/--multiprocessing`: each session in its own child process holding the socket itself
 *   (`runner: 'process'`), so a module that crashes or exhausts memory ends only its session;
 * - `runner: 'inline'`: on the main thread (tests and embedding only).
 *
 * One runner is started ahead of time so a new connection does not wait for a worker to boot.
 * `close()` stops accepting, lets open sessions finish for a grace period, then aborts them
 * (their files are closed properly) and finally terminates what is left.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { Worker, MessageChannel } from 'node:worker_threads';
import { fork, type ChildProcess } from 'node:child_process';
import { encodeMessages, formatLogging, logger, LogLevel } from '@mrd-tools/core';
import { relaySocketOverPort } from './port-socket.js';
import { runSession, type SessionOptions } from './session.js';

export type SessionRunner = 'worker' | 'process' | 'inline';

export interface ServerOptions extends SessionOptions {
  host: string;
  port: number;
  runner: SessionRunner;
  /** The script that hosts session workers / child processes (the bundled cli.js). */
  entryFile?: string;
  /** Log settings handed to session workers and child processes. */
  log?: { level: LogLevel; crlf: boolean; file?: string };
}

/** What a session worker or child process receives to start. */
export interface SessionBootData {
  kind: 'mrd-server-session';
  session: SessionOptions;
  log: { level: LogLevel; crlf: boolean; file?: string };
}

interface LiveSession {
  id: number;
  label: string;
  abort(): void;
  kill(): void;
  done: Promise<void>;
}

export class MrdServer {
  private readonly net: NetServer;
  private readonly sessions = new Set<LiveSession>();
  private nextId = 1;
  private spareWorker: Worker | null = null;
  private spareChild: ChildProcess | null = null;
  private closing = false;

  constructor(private readonly opts: ServerOptions) {
    this.net = createServer({ pauseOnConnect: true, noDelay: true }, (sock) => this.accept(sock));
    this.net.on('error', (err) => logger.error(`Server error: ${err.message}`));
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    logger.info(`Starting server and listening for data at ${this.opts.host}:${this.opts.port}`);
    logger.info(`Default config is ${this.opts.defaultConfig}`);
    if (this.opts.savedata) logger.debug('Saving incoming data is enabled.');
    if (this.opts.runner === 'process') logger.debug('Multiprocessing is enabled.');
    return new Promise((resolve, reject) => {
      this.net.once('error', reject);
      this.net.listen({ host: this.opts.host, port: this.opts.port }, () => {
        this.net.off('error', reject);
        const addr = this.net.address();
        const port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
        this.prepareSpare();
        logger.info(`Server listening at ${this.opts.host}:${port}`);
        logger.debug('Serving... ');
        resolve(port);
      });
    });
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  private bootData(): SessionBootData {
    const { defaultConfig, savedata, savedataFolder, modulesDirs, drainTimeoutMs } = this.opts;
    return {
      kind: 'mrd-server-session',
      session: { defaultConfig, savedata, savedataFolder, modulesDirs, drainTimeoutMs },
      log: this.opts.log ?? { level: logger.level, crlf: false },
    };
  }

  private prepareSpare(): void {
    if (this.closing) return;
    try {
      if (this.opts.runner === 'worker' && !this.spareWorker) this.spareWorker = this.startWorker();
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
    const heapMb = Number(process.env.MRD_SERVER_WORKER_MAX_HEAP_MB ?? '');
    const w = new Worker(this.entry(), {
      workerData: this.bootData(), stdout: false, stderr: false,
      ...(Number.isFinite(heapMb) && heapMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: heapMb } } : {}),
    });
    w.unref();
    w.on('error', (err) => logger.error(`Session worker failed: ${err.message}`));
    w.on('message', (m: { t: string; line?: string; level?: LogLevel }) => {
      if (m?.t === 'log' && m.line !== undefined) logger.log(m.level ?? LogLevel.INFO, m.line);
    });
    return w;
  }

  private startChild(): ChildProcess {
    const child = fork(this.entry(), [], {
      env: { ...process.env, MRD_SERVER_SESSION: JSON.stringify(this.bootData()) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    child.on('error', (err) => logger.error(`Session process failed: ${err.message}`));
    child.unref();
    (child as unknown as { channel?: { unref(): void } }).channel?.unref();
    return child;
  }

  private accept(sock: Socket): void {
    const label = `${sock.remoteAddress}:${sock.remotePort}`;
    logger.info(`Accepting connection from: ${label}`);
    if (this.closing) {
      sock.destroy();
      return;
    }
    sock.setNoDelay(true);
    const id = this.nextId++;
    let session: LiveSession;
    try {
      if (this.opts.runner === 'worker') session = this.runInWorker(id, label, sock);
      else if (this.opts.runner === 'process') session = this.runInChild(id, label, sock);
      else session = this.runInline(id, label, sock);
    } catch (err) {
      logger.error(`Cannot start session for ${label}: ${(err as Error).message}`);
      sock.destroy();
      return;
    }
    this.sessions.add(session);
    session.done.finally(() => this.sessions.delete(session));
    // The next connection finds a runner already booted (booting takes 0.1-0.5 s).
    this.prepareSpare();
  }

  private runInline(id: number, label: string, sock: Socket): LiveSession {
    sock.resume();
    const done = runSession(sock, this.bootData().session).catch((err) => logger.error(err)).finally(() => sock.destroy());
    return { id, label, abort: () => sock.destroy(), kill: () => sock.destroy(), done: done.then(() => undefined) };
  }

  private runInWorker(id: number, label: string, sock: Socket): LiveSession {
    const worker = this.spareWorker ?? this.startWorker();
    this.spareWorker = null;
    worker.ref();
    const { port1, port2 } = new MessageChannel();
    const relay = relaySocketOverPort(sock, port1);
    worker.postMessage({ t: 'start', port: port2, label }, [port2]);
    sock.resume();
    let finished = false;
    const done = new Promise<void>((resolve) => {
      const finish = (why?: string) => {
        if (finished) return;
        finished = true;
        relay.detach();
        if (why) {
          logger.error(`Session ${id} (${label}) ended: ${why}`);
          // The worker's writes are whole messages (one encoded batch each), so the stream is at
          // a message boundary: tell the client why, and close properly.
          if (!sock.destroyed && !sock.writableEnded) {
            sock.end(encodeMessages([{ type: 'text', text: formatLogging('ERROR', `session ended: ${why}`) }, { type: 'close' }]));
            setTimeout(() => sock.destroy(), 2000).unref();
            resolve();
            return;
          }
        }
        if (!sock.destroyed) sock.destroy();
        resolve();
      };
      worker.on('message', (m: { t: string }) => {
        if (m?.t === 'done') {
          // Let the socket flush what the worker wrote, then end the worker.
          const end = () => {
            finish();
            void worker.terminate();
          };
          if (sock.writableLength > 0 && !sock.destroyed) sock.once('drain', end).once('close', end);
          else end();
        }
      });
      worker.on('exit', (code) => finish(code !== 0 && !finished ? `worker exited with code ${code}` : undefined));
      worker.on('error', (err) => finish(err.message));
    });
    return {
      id, label, done,
      abort: () => worker.postMessage({ t: 'abort' }),
      kill: () => void worker.terminate(),
    };
  }

  private runInChild(id: number, label: string, sock: Socket): LiveSession {
    const child = this.spareChild ?? this.startChild();
    this.spareChild = null;
    child.ref();
    (child as unknown as { channel?: { ref(): void } }).channel?.ref();
    logger.debug(`Spawned process ${child.pid} to handle connection.`);
    child.send({ t: 'start', label }, sock);
    const done = new Promise<void>((resolve) => {
      child.on('exit', (code, signal) => {
        if (code !== 0) logger.error(`Session ${id} (${label}) process ${child.pid} ended with ${signal ?? `code ${code}`}`);
        if (!sock.destroyed) sock.destroy();
        resolve();
      });
    });
    return {
      id, label, done,
      abort: () => { if (child.connected) child.send({ t: 'abort' }); },
      kill: () => child.kill('SIGKILL'),
    };
  }

  /**
   * Stops accepting connections; waits up to `graceMs` for open sessions, then aborts them
   * (files are closed properly), then after `killMs` more terminates what is still running.
   */
  async close(graceMs = 10_000, killMs = 5_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const listening = new Promise<void>((r) => this.net.close(() => r()));
    this.spareWorker?.terminate();
    this.spareWorker = null;
    this.spareChild?.kill();
    this.spareChild = null;
    const all = () => Promise.all([...this.sessions].map((s) => s.done));
    const wait = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());
    if (this.sessions.size) {
      logger.info(`Waiting for ${this.sessions.size} open session(s) to finish`);
      if ((await Promise.race([all(), wait(graceMs)])) === 'timeout') {
        logger.warning(`Aborting ${this.sessions.size} open session(s)`);
        for (const s of this.sessions) s.abort();
        if ((await Promise.race([all(), wait(killMs)])) === 'timeout') {
          for (const s of this.sessions) s.kill();
          await all();
        }
      }
    }
    await listening;
  }

  /** Aborts every open session now (a second signal). */
  abortAll(): void {
    for (const s of this.sessions) s.abort();
  }
}
