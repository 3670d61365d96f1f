/**
 * One client connection as mrd-server's main thread sees it, from accept to close. The main
 * thread always keeps the socket; sessions run elsewhere (a worker thread, a `-m` process) and
 * get the connection's bytes through a stream (`SessionRunner.stream`). This is what makes the
 * server's promises hold whatever happens to a session: nothing but the socket before the config
 * message (at most PRECONFIG_BYTES), flow-controlled relaying in whole messages, every session
 * ending with CLOSE (an ERROR text of the main thread's own when the session's output stops
 * short), half-close and linger, and the idle timeout. docs/server.md describes each.
 * MRD v2 clients (yardl magic; v2-relay.ts) are relayed as they are: docs/mrd-v2.md.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { encodeMessages, MrdFrameScanner, MrdProtocolError } from '@mrd-tools/core/stream';
import { formatLogging } from '@mrd-tools/core/connection';
import { logger } from '@mrd-tools/core/logging';
import { V2Relay } from './v2-relay.js';
import { keepRelayHeap } from './relay-heap.js';

/** Bytes a connection may hold before its first message is complete (a config is ~1 KB). */
export const PRECONFIG_BYTES = 64 * 1024;

/** How long a session whose client is gone may take to end before its runner is ended. */
const ABORT_GRACE_MS = 2000;

/** A place a session runs, seen from the main thread. */
export interface SessionRunner {
  /** The session's bytes: what is written is the client's input; what is read is its output. */
  readonly stream: Duplex;
  /** Starts the session (the stream is connected). */
  start(label: string): void;
  /** Asks the session to stop now (files are closed properly). */
  abort(): void;
  /** Ends the runner at once. */
  kill(): void;
  /** Resolves when the runner is gone: null when it ended normally, else why not. */
  readonly exited: Promise<string | null>;
}

export interface ConnectionLimits {
  /** No byte from a client the server waits for, for this long: ERROR, CLOSE, closed. 0: never. */
  idleTimeoutMs: number;
  /** After the server's CLOSE, with the client's input complete: how long to wait for it to close. */
  lingerMs: number;
}

export interface ConnectionEvents {
  /** The first message is complete (or PRECONFIG_BYTES are held): time to start a session. */
  ready(conn: ClientConnection): void;
  /** The client is gone while its session still runs (the session is being aborted). */
  orphaned(conn: ClientConnection): void;
  /** The socket is closed and the session (if any) is over. */
  closed(conn: ClientConnection): void;
}

function errorAndClose(text: string): Uint8Array {
  return encodeMessages([{ type: 'text', text: formatLogging('ERROR', text) }, { type: 'close' }]);
}

type State = 'waiting-config' | 'ready' | 'running' | 'ended';

export class ClientConnection {
  private state: State = 'waiting-config';
  private held: Buffer[] = [];
  private heldBytes = 0;
  private readonly input = new MrdFrameScanner();
  /** The client's generation, from its first bytes (`v2.active` for an MRD v2 client). */
  private readonly v2 = new V2Relay();
  private inputScanFailed = false;
  private inputEnded = false;
  private readonly output = new MrdFrameScanner();
  /** Output bytes received from the session and not yet written (the incomplete last message). */
  private outputTail: Buffer[] = [];
  private outputTailBytes = 0;
  /** CLOSE (the session's or our own) written and the write side ended. */
  private outputDone = false;
  private outputBlocked = false;
  private runner: SessionRunner | null = null;
  private runnerOutputEnded = false;
  private runnerExit: string | null | undefined = undefined;
  private lastActivity = Date.now();
  private doneAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private closedSignalled = false;
  private settleTimer: NodeJS.Timeout | null = null;
  // What the operational surface reads (metrics, logs; operations/session-record.ts).
  /** Bytes received from the client / written to it. */
  bytesIn = 0;
  bytesOut = 0;
  /** The idle timeout ended the connection. */
  timedOut = false;
  /** The client's stream stopped (end or disconnect) before its CLOSE and before the server's. */
  stoppedEarly = false;
  /** The ERROR text the main thread sent for the session (runner died, aborted, timed out, refused), if any. */
  errorSent: string | null = null;
  /**
   * Told every run of complete messages the session sends to the client (set by the live view
   * while a page watches, operations/live-view; null otherwise: the relay then does nothing more).
   */
  outputTap: ((messages: Buffer) => void) | null = null;
  /** Time (ms) the main thread spent relaying this connection's bytes (both ways). */
  relayMs = 0;

  constructor(
    readonly socket: Socket,
    readonly label: string,
    private readonly limits: ConnectionLimits,
    private readonly events: ConnectionEvents,
  ) {
    // The socket reads' memory stays in the heap for the next reads (relay-heap.ts).
    keepRelayHeap();
    socket.on('data', (chunk: Buffer) => this.onData(chunk, true));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => this.onSocketError(err));
    socket.on('close', () => this.onClose());
    socket.on('drain', () => {
      this.outputBlocked = false;
      this.lastActivity = Date.now();
      if (this.runner && this.state === 'running') this.runner.stream.resume();
    });
    this.arm();
    socket.resume();
  }

  /** Whether the connection has not sent its config yet (no session). */
  get waitingForConfig(): boolean {
    return this.state === 'waiting-config' || this.state === 'ready';
  }

  /** Whether everything the server wrote was handed to the kernel (or the socket is gone). */
  get flushed(): boolean {
    return this.socket.destroyed || (this.outputDone && this.socket.writableFinished);
  }

  /** Complete messages received from the client / sent to it. */
  get messagesIn(): number {
    return this.input.messages;
  }

  get messagesOut(): number {
    return this.output.messages;
  }

  /** When the server's side of the stream ended (CLOSE out), in ms since the epoch; 0 while open. */
  get outputEndedAt(): number {
    return this.doneAt;
  }

  /** Whether a session runner is attached and has not exited. */
  get hasRunningSession(): boolean {
    return this.runner !== null && this.runnerExit === undefined;
  }

  // ------------------------------------------------------------------ client input

  private onData(chunk: Buffer, counted = true): void {
    const t0 = performance.now();
    this.relayIn(chunk, counted);
    this.relayMs += performance.now() - t0;
  }

  private relayIn(chunk: Buffer, counted: boolean): void {
    this.lastActivity = Date.now();
    if (counted) this.bytesIn += chunk.length;
    const bytes = this.v2.sniff(chunk);
    if (bytes === null) return; // too few bytes yet to tell v1 from v2
    chunk = bytes;
    if (this.v2.active) {
      if (this.state === 'waiting-config' || this.state === 'ready') {
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        if (this.state === 'waiting-config' && this.v2.readyAt(this.heldBytes)) {
          this.socket.pause();
          this.state = 'ready';
          this.events.ready(this);
        }
      } else if (this.state === 'running') this.relayInput(chunk);
      return;
    }
    if (this.state !== 'ended' && !this.inputScanFailed && !this.input.closeSeen) {
      try {
        this.input.push(chunk);
      } catch (err) {
        this.inputScanFailed = true;
        if (this.state === 'waiting-config') {
          this.fail(`protocol error: ${(err as Error).message}`);
          return;
        }
        // A running session's decoder finds the same error and answers it.
      }
    }
    switch (this.state) {
      case 'waiting-config':
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        if (this.input.messages >= 1 || this.heldBytes >= PRECONFIG_BYTES) {
          this.socket.pause();
          this.state = 'ready';
          this.events.ready(this);
        }
        break;
      case 'ready':
        // paused; a chunk already in flight
        this.held.push(chunk);
        this.heldBytes += chunk.length;
        break;
      case 'running':
        this.relayInput(chunk);
        break;
      case 'ended':
        break; // the session is over: what the client still sends is read and dropped
    }
  }

  private relayInput(chunk: Buffer): void {
    if (this.hasRunningSession && !this.runner!.stream.writableEnded && !this.runner!.stream.destroyed) {
      if (!this.runner!.stream.write(chunk)) {
        this.socket.pause();
        this.runner!.stream.once('drain', () => this.socket.resume());
      }
    }
  }

  private onEnd(): void {
    const undecided = this.v2.endUndecided();
    if (undecided) this.onData(undecided, false);
    this.inputEnded = true;
    if (this.v2.active) {
      this.lastActivity = Date.now();
      if (this.state === 'waiting-config') {
        // the whole (short) stream is in: the session reads it and says what is wrong with it
        this.socket.pause();
        this.state = 'ready';
        this.events.ready(this);
      } else if (this.state === 'running' && this.hasRunningSession) this.runner!.stream.end();
      this.arm();
      return;
    }
    if (!this.input.closeSeen && !this.outputDone && this.bytesIn > 0) this.stoppedEarly = true;
    this.lastActivity = Date.now();
    if (this.state === 'waiting-config') {
      if (this.heldBytes === 0) {
        logger.info(`Connection closed without any data received (${this.label})`);
        this.finishOutput(null);
      } else {
        const err = this.input.endError() ?? new MrdProtocolError('stream ended', { reason: 'truncated' });
        this.fail(`protocol error: ${err.message}`);
      }
      return;
    }
    if (this.state === 'running' && this.hasRunningSession) this.runner!.stream.end();
    this.arm();
  }

  private onSocketError(err: Error): void {
    logger.debug(`Connection ${this.label}: ${err.message}`);
    // 'close' follows.
  }

  private onClose(): void {
    this.clearTimer();
    // MRD_PHASE_TIMES=1 (scripts/bench/e2e-throughput): the main thread's share of the session.
    if (process.env.MRD_PHASE_TIMES) logger.info(`Connection ${this.label} relay phases ${JSON.stringify({ relayMs: Math.round(this.relayMs), bytesIn: this.bytesIn, bytesOut: this.bytesOut })}`);
    if (!this.outputDone && this.bytesIn > 0) this.stoppedEarly = true;
    if (this.runner && this.runnerExit === undefined) {
      if (!this.outputDone) logger.warning(`Client ${this.label} disconnected before the end of its session; aborting the session`);
      const runner = this.runner;
      runner.abort();
      runner.stream.destroy();
      this.events.orphaned(this);
      // An aborted session closes its files and ends within moments; one that does not (still
      // booting, or stuck in a computation) is ended, so that it frees its place.
      setTimeout(() => {
        if (this.runnerExit === undefined) runner.kill();
      }, ABORT_GRACE_MS).unref();
    }
    this.state = 'ended';
    this.maybeSignalClosed();
  }

  private maybeSignalClosed(): void {
    if (this.closedSignalled || !this.socket.destroyed) return;
    if (this.runner && this.runnerExit === undefined) return;
    this.closedSignalled = true;
    this.events.closed(this);
  }

  // ------------------------------------------------------------------ session

  /** Hands the connection to `runner`: the bytes held so far first, then the rest as it comes. */
  run(runner: SessionRunner): void {
    if (this.state !== 'ready') throw new Error('ClientConnection.run: not ready');
    this.state = 'running';
    this.runner = runner;
    const s = runner.stream;
    s.on('data', (chunk: Buffer) => this.onOutput(chunk));
    const outputEnded = () => {
      if (this.runnerOutputEnded) return;
      this.runnerOutputEnded = true;
      this.settle();
    };
    s.on('end', outputEnded);
    s.on('close', outputEnded);
    s.on('error', (err) => logger.debug(`Session stream of ${this.label}: ${err.message}`));
    runner.exited.then((why) => {
      this.runnerExit = why;
      this.settle();
      this.maybeSignalClosed();
    });
    runner.start(this.label);
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of held) s.write(chunk);
    if (this.inputEnded) s.end();
    if (this.socket.destroyed) {
      runner.abort();
      s.destroy();
      return;
    }
    this.socket.resume();
  }

  private onOutput(chunk: Buffer): void {
    const t0 = performance.now();
    this.relayOut(chunk);
    this.relayMs += performance.now() - t0;
  }

  private relayOut(chunk: Buffer): void {
    if (this.outputDone) return; // after CLOSE (ours or the session's) nothing more goes out
    if (this.v2.active) {
      // v2: no framing to keep; the session's bytes go out as they come (its end is the stream's)
      if (this.socket.destroyed) return;
      this.bytesOut += chunk.length;
      if (!this.socket.write(chunk)) {
        this.outputBlocked = true;
        this.runner?.stream.pause();
      }
      return;
    }
    try {
      this.output.push(chunk);
    } catch (err) {
      this.abort(`session ended: it sent invalid data (${(err as Error).message})`);
      return;
    }
    this.outputTail.push(chunk);
    this.outputTailBytes += chunk.length;
    // Write every complete message (up to the session's CLOSE); keep an incomplete last one.
    const end = this.output.closeSeen ? this.output.closeEnd : this.output.boundary;
    const tailStart = this.output.offset - this.outputTailBytes;
    let n = end - tailStart;
    if (n <= 0) return;
    const out: Buffer[] = [];
    while (n > 0) {
      const c = this.outputTail[0]!;
      if (c.length <= n) {
        out.push(c);
        this.outputTail.shift();
        this.outputTailBytes -= c.length;
        n -= c.length;
      } else {
        out.push(c.subarray(0, n));
        this.outputTail[0] = c.subarray(n);
        this.outputTailBytes -= n;
        n = 0;
      }
    }
    const bytes = out.length === 1 ? out[0]! : Buffer.concat(out);
    if (this.socket.destroyed) return;
    this.outputTap?.(bytes);
    this.bytesOut += bytes.length;
    if (!this.socket.write(bytes)) {
      this.outputBlocked = true;
      this.runner?.stream.pause();
    }
    if (this.output.closeSeen) this.finishOutput(null);
  }

  /** Called when the session's output ended or its runner exited: adds ERROR + CLOSE if missing. */
  private settle(): void {
    if (this.outputDone) {
      this.arm();
      return;
    }
    const why = () => `session ended: ${this.runnerExit ?? 'it ended without CLOSE'}`;
    if (this.v2.active && this.runnerOutputEnded) {
      // v2: the end of the session's output is the end of the stream (the session wrote the end
      // marker, or left it out after an error); a runner that died is logged.
      this.finishOutput(this.runnerExit ? why() : null);
      return;
    }
    if (this.runnerExit !== undefined && this.runnerOutputEnded) {
      this.finishOutput(why());
      return;
    }
    // One has happened without the other: bytes may still be in flight; wait a little for them.
    if (!this.settleTimer) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = null;
        if (this.outputDone) return;
        if (this.runnerExit === undefined) {
          // Output ended, runner still alive: it is finishing; its exit settles. Bound the wait.
          this.settleTimer = setTimeout(() => {
            if (!this.outputDone) {
              this.finishOutput(why());
              this.runner?.kill();
            }
          }, 10_000);
          this.settleTimer.unref();
          return;
        }
        this.finishOutput(why());
      }, 1000);
      this.settleTimer.unref();
    }
  }

  /**
   * Ends the output: with `errorText`, that ERROR text and CLOSE first (an incomplete last message
   * of the session is dropped: the stream is at a message boundary). Then the write side is ended.
   */
  private finishOutput(errorText: string | null, logged = false): void {
    if (this.outputDone) return;
    this.outputDone = true;
    this.doneAt = Date.now();
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = null;
    this.outputTail = [];
    this.outputTailBytes = 0;
    if (this.state !== 'running' || !this.hasRunningSession) this.state = 'ended';
    if (!this.socket.destroyed && !this.socket.writableEnded) {
      if (errorText !== null && this.v2.active) {
        // MRD v2 has no text message: logged, and the stream ends without its end marker
        if (!logged) logger.error(`Connection ${this.label}: ${errorText}`);
        logger.error(`Connection ${this.label}: MRD v2 client; its stream is ended without the end-of-stream marker`);
        this.errorSent = errorText;
        this.socket.end();
      } else if (errorText !== null) {
        if (!logged) logger.error(`Connection ${this.label}: ${errorText}`);
        const bytes = errorAndClose(errorText);
        this.errorSent = errorText;
        this.bytesOut += bytes.length;
        this.socket.end(bytes);
      } else {
        this.socket.end();
      }
    }
    // The session may still read (it drains or saves the client's input); the runner stream's
    // output is no longer forwarded. The client is read on (never left unread: closing a socket
    // with unread input resets it, which can destroy the answer in flight).
    if (this.runner) this.runner.stream.resume();
    if (!this.socket.destroyed) this.socket.resume();
    this.arm();
  }

  /** Refuses the connection at once with an ERROR text and CLOSE (e.g. "server busy"; the caller logs). */
  refuse(text: string): void {
    this.held = [];
    this.heldBytes = 0;
    this.state = 'ended';
    this.socket.resume();
    this.finishOutput(text, true);
  }

  private fail(text: string): void {
    this.held = [];
    this.heldBytes = 0;
    this.state = 'ended';
    this.finishOutput(text);
  }

  /** Ends the session now: ERROR text `errorText` and CLOSE to the client, the runner aborted. */
  abort(errorText: string): void {
    this.finishOutput(errorText);
    if (this.runner && this.runnerExit === undefined) this.runner.abort();
  }

  /** Destroys the socket now (shutdown after the grace period). */
  destroy(): void {
    this.socket.destroy();
    if (this.runner && this.runnerExit === undefined) this.runner.kill();
  }

  // ------------------------------------------------------------------ timers

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Whether the server waits for the client: before its CLOSE, for input (not complete) or for it
   * to read results (writes blocked); after, for it to take everything written.
   */
  private waitingForClient(): boolean {
    if (this.outputDone) return !this.socket.writableFinished;
    const inputOpen = !this.inputEnded && (this.v2.active || (!this.input.closeSeen && !this.inputScanFailed));
    return inputOpen || this.outputBlocked;
  }

  /** (Re)arms the one timer of the connection for the nearest deadline. */
  private arm(): void {
    this.clearTimer();
    if (this.socket.destroyed) return;
    let next = Infinity;
    if (this.limits.idleTimeoutMs > 0) next = this.lastActivity + this.limits.idleTimeoutMs;
    if (this.outputDone) next = Math.min(next, Math.max(this.lastActivity, this.doneAt) + this.limits.lingerMs);
    if (next === Infinity) return;
    this.timer = setTimeout(() => this.onTimer(), Math.max(10, next - Date.now()));
    this.timer.unref();
  }

  private onTimer(): void {
    this.timer = null;
    if (this.socket.destroyed) return;
    const now = Date.now();
    const idle = this.limits.idleTimeoutMs > 0 && now - this.lastActivity >= this.limits.idleTimeoutMs;
    if (this.outputDone) {
      // CLOSE is out. Close once the client took everything and has been quiet for the linger
      // time (so it read the answer, and no reset can hit results in flight), or when it has
      // neither read nor sent anything for the idle time.
      const quiet = now - Math.max(this.lastActivity, this.doneAt) >= this.limits.lingerMs;
      if ((this.socket.writableFinished && quiet) || (idle && this.waitingForClient())) {
        this.socket.destroy();
        return;
      }
    } else if (idle && this.waitingForClient()) {
      const secs = Math.round(this.limits.idleTimeoutMs / 100) / 10;
      const inputDone = this.inputEnded || this.input.closeSeen;
      const what = inputDone ? `the client read no data for ${secs} s` : `no data received for ${secs} s`;
      logger.warning(`Connection ${this.label}: ${what} (idle timeout); closing it`);
      this.timedOut = true;
      this.abort(`${what} (idle timeout); closing the connection`);
    }
    this.arm();
  }
}
