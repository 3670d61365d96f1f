/**
 * The two places a session can run besides the main thread: a worker thread (default) and a
 * child process (`-m`). Both are started from the same bundled `cli.js`, which calls
 * `runSessionWorker` / `runSessionChild` when it finds itself in that role. Neither holds the
 * client socket: the main thread does, and relays its bytes.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { Socket } from 'node:net';
import { coreNamespaces } from './core-namespaces.js';
import { logger, LogLevel } from '@mrd-tools/core/logging';
import { PortStream } from './port-stream.js';
import { runSession } from './session.js';
import { provideCoreToUserModules } from './user-modules.js';
import type { SessionBootData } from './server.js';
import { configureServerLogging } from './server-logging.js';
import type { SessionFact } from './operations/session-facts.js';
import { setProcessLogContext, type LogContext } from './operations/log-context.js';

/** Sessions a worker serves before it is retired (bounds what one worker can accumulate). */
const SESSIONS_PER_WORKER = 100;
/** A worker whose heap is above this after a session is not reused. */
const REUSE_HEAP_LIMIT = 256 * 1024 * 1024;

/**
 * Worker-thread role: log lines go to the main thread (which owns stdout and the log file).
 * Sessions come one at a time ('start' with the session's port); after one that ended normally,
 * 'done' says whether the worker may serve another (the server keeps one such worker ready, so
 * most sessions start without booting a worker).
 */
export function runSessionWorker(boot: SessionBootData): void {
  const port = parentPort!;
  logger.level = boot.log.level;
  logger.setSinks([
    (line, level) => {
      const i = line.indexOf(' - ');
      port.postMessage({ t: 'log', line: i >= 0 ? line.slice(i + 3) : line, level });
    },
  ]);
  provideCoreToUserModules(coreNamespaces());
  let current: PortStream | null = null;
  let served = 0;
  port.on('message', (m: { t: string; port?: MessagePort; label?: string }) => {
    if (m.t === 'abort') {
      current?.destroy();
      return;
    }
    if (m.t !== 'start' || !m.port || current) return;
    // The session's bytes: the main thread relays the client socket (client-connection.ts).
    const sock = new PortStream(m.port);
    current = sock;
    served++;
    runSession(sock, boot.session, (fact) => port.postMessage({ t: 'fact', fact }))
      .catch((err) => logger.error(err))
      .finally(() => {
        sock.destroy();
        current = null;
        // The session has finished (aborted ones too: their files are closed), so the worker is
        // clean enough to serve another, within bounds.
        const reusable = served < SESSIONS_PER_WORKER && process.memoryUsage().heapUsed < REUSE_HEAP_LIMIT;
        port.postMessage({ t: 'done', reusable });
      });
  });
}

/** The file descriptor of a session process's byte stream (the parent's extra stdio pipe). */
export const SESSION_STREAM_FD = 4;

/**
 * Child-process role (`-m`): the session's bytes come and go over a pipe to the parent (fd 4),
 * which keeps the client socket and relays it (session-relay.ts), so that whatever becomes of
 * this process the client still gets an ERROR text and CLOSE.
 */
export function runSessionChild(boot: SessionBootData): void {
  configureServerLogging({ level: boot.log.level, crlf: boot.log.crlf, file: boot.log.file, format: boot.log.format, announce: false });
  provideCoreToUserModules(coreNamespaces());
  let started = false;
  let sock: Socket | null = null;
  process.on('message', (m: { t: string; log?: LogContext }) => {
    if (m.t === 'abort') {
      sock?.destroy();
      return;
    }
    if (m.t !== 'start' || started) return;
    started = true;
    // This process's one session: its log lines carry its context; its facts go to the parent.
    const ctx: LogContext = { ...m.log };
    setProcessLogContext(ctx);
    let sending = 0;
    const report = (fact: SessionFact) => {
      if (fact.fact === 'config') ctx.config = fact.config;
      if (!process.connected) return;
      sending++;
      process.send?.({ t: 'fact', fact }, undefined, {}, () => sending--);
    };
    // The last facts reach the parent before the channel is closed (bounded).
    const factsSent = async () => {
      for (let i = 0; i < 100 && sending > 0 && process.connected; i++) await new Promise((r) => setTimeout(r, 10));
    };
    sock = new Socket({ fd: SESSION_STREAM_FD, readable: true, writable: true, allowHalfOpen: true });
    runSession(sock, boot.session, report)
      .catch((err) => logger.error(err))
      .then(factsSent)
      .finally(() => {
        sock?.destroy();
        process.disconnect?.();
        // Let stdout drain, then leave.
        setImmediate(() => process.exit(0));
      });
  });
  // A child that loses its parent before being handed a session has nothing to do.
  process.on('disconnect', () => {
    if (!started) process.exit(0);
  });
  // The parent's signals are handled by the parent; a child finishes its session (or is aborted).
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => sock?.destroy());
}

export { LogLevel };
