/**
 * The session a log line belongs to, for structured logs (`--log-format json`): session id,
 * client address and config, carried with AsyncLocalStorage so that the existing log calls
 * (`logger.info(...)` in the server, the connection relay and the session) need no extra
 * argument.
 *
 * A connection's code runs from its socket's and its session stream's events, which Node emits
 * outside the context they were set up in; `bindEmitterToLogContext` makes every event of such
 * an emitter run in the connection's context, and whatever it starts (timers, promise
 * continuations) inherits it. Used only with JSON logs, so the default text logs cost nothing.
 * Lines of worker-thread sessions are logged by the main thread in the context of their
 * session; a `-m` session process has one session and sets its context once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventEmitter } from 'node:events';

export interface LogContext {
  /** Session id (one per accepted connection). */
  session?: string;
  /** The client's address `ip:port` (the real one with --proxy-protocol). */
  client?: string;
  /** The config module the session runs, once resolved. */
  config?: string;
}

const storage = new AsyncLocalStorage<LogContext>();
let processContext: LogContext | undefined;

/** The context of the code running now (or the process's, in a session process). */
export function currentLogContext(): LogContext | undefined {
  return storage.getStore() ?? processContext;
}

export function runInLogContext<T>(ctx: LogContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Sets the context of every line of this process (a `-m` session process: one session). */
export function setProcessLogContext(ctx: LogContext): void {
  processContext = ctx;
}

/** Makes every event `emitter` emits from now on run in `ctx`. */
export function bindEmitterToLogContext(emitter: EventEmitter, ctx: LogContext): void {
  const emit = emitter.emit;
  emitter.emit = function (this: EventEmitter, ...args: Parameters<EventEmitter['emit']>) {
    return storage.run(ctx, () => emit.apply(this, args));
  } as EventEmitter['emit'];
}
