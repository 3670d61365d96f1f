/**
 * A session's socket, carried across a worker_threads MessagePort.
 *
 * Sessions run in a worker so a CPU-heavy module never stalls the main thread, which only
 * accepts connections and moves bytes. Node cannot hand a TCP socket to a worker thread, so the
 * main thread relays raw bytes (`relaySocketOverPort`) and the worker sees a Duplex stream
 * (`PortSocket`) that the ordinary stream codec reads and writes. Both directions are flow
 * controlled: the main thread pauses the socket while more than `HIGH_WATER` bytes wait in the
 * worker unconsumed, and the worker's writes wait while more than `HIGH_WATER` bytes are queued
 * in the main thread's socket.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { MessagePort } from 'node:worker_threads';

const HIGH_WATER = 8 * 1024 * 1024;

/**
 * An ArrayBuffer holding exactly `chunk`, to transfer: the chunk's own buffer when the chunk is
 * all of it (socket reads and large encodings get their own), else a copy (a pooled buffer is
 * shared with other Buffers and must never be transferred).
 */
function copyToArrayBuffer(chunk: Uint8Array): ArrayBuffer {
  const own = chunk.buffer;
  if (own instanceof ArrayBuffer && chunk.byteOffset === 0 && own.byteLength === chunk.byteLength && chunk.byteLength > 4096) return own;
  const ab = new ArrayBuffer(chunk.byteLength);
  new Uint8Array(ab).set(chunk);
  return ab;
}

type ToWorker =
  | { t: 'data'; buf: ArrayBuffer }
  | { t: 'end' }
  | { t: 'error'; message: string }
  | { t: 'wrote'; n: number };

type ToMain =
  | { t: 'ack'; n: number }
  | { t: 'write'; buf: ArrayBuffer }
  | { t: 'end' }
  | { t: 'destroy' };

/** Main-thread side: moves bytes between `socket` and the worker holding the other end of `port`. */
export function relaySocketOverPort(socket: Socket, port: MessagePort): { detach(): void } {
  let unacked = 0;
  let ended = false;
  const onData = (chunk: Buffer) => {
    // Copy into an ArrayBuffer of exactly this chunk and transfer it (the socket's buffer may be pooled).
    const ab = copyToArrayBuffer(chunk);
    unacked += chunk.byteLength;
    port.postMessage({ t: 'data', buf: ab } satisfies ToWorker, [ab]);
    if (unacked > HIGH_WATER) socket.pause();
  };
  const onEnd = () => {
    if (ended) return;
    ended = true;
    port.postMessage({ t: 'end' } satisfies ToWorker);
  };
  const onError = (err: Error) => {
    if (ended) return;
    ended = true;
    port.postMessage({ t: 'error', message: err.message } satisfies ToWorker);
  };
  const onClose = () => onEnd();
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.on('close', onClose);
  port.on('message', (m: ToMain) => {
    switch (m.t) {
      case 'ack':
        unacked -= m.n;
        if (unacked <= HIGH_WATER / 2 && socket.isPaused()) socket.resume();
        break;
      case 'write': {
        const n = m.buf.byteLength;
        if (socket.destroyed || socket.writableEnded) {
          port.postMessage({ t: 'wrote', n } satisfies ToWorker);
          break;
        }
        socket.write(Buffer.from(m.buf), () => port.postMessage({ t: 'wrote', n } satisfies ToWorker));
        break;
      }
      case 'end':
        if (!socket.destroyed) socket.end();
        break;
      case 'destroy':
        socket.destroy();
        break;
    }
  });
  return {
    detach() {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onClose);
      port.close();
    },
  };
}

/** Worker side: a Duplex whose bytes come from and go to the main thread's socket. */
export class PortSocket extends Duplex {
  private pendingAck = 0;
  private queuedWrite = 0;
  private writeWaiters: (() => void)[] = [];
  remoteAddress?: string;
  remotePort?: number;

  constructor(private readonly port: MessagePort) {
    super({ allowHalfOpen: true });
    port.on('message', (m: ToWorker) => {
      switch (m.t) {
        case 'data': {
          const ok = this.push(Buffer.from(m.buf));
          if (ok) this.port.postMessage({ t: 'ack', n: m.buf.byteLength } satisfies ToMain);
          else this.pendingAck += m.buf.byteLength;
          break;
        }
        case 'end':
          this.push(null);
          break;
        case 'error':
          this.destroy(Object.assign(new Error(m.message), { code: 'ECONNRESET' }));
          break;
        case 'wrote':
          this.queuedWrite -= m.n;
          if (this.queuedWrite <= HIGH_WATER) {
            const waiters = this.writeWaiters;
            this.writeWaiters = [];
            for (const w of waiters) w();
          }
          break;
      }
    });
  }

  override _read(): void {
    if (this.pendingAck > 0) {
      this.port.postMessage({ t: 'ack', n: this.pendingAck } satisfies ToMain);
      this.pendingAck = 0;
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.sendChunk(chunk);
    if (this.queuedWrite <= HIGH_WATER) cb();
    else this.writeWaiters.push(() => cb());
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    const total = chunks.reduce((s, c) => s + c.chunk.byteLength, 0);
    const merged = Buffer.allocUnsafeSlow(total);
    let off = 0;
    for (const { chunk } of chunks) {
      merged.set(chunk, off);
      off += chunk.byteLength;
    }
    this._write(merged, 'binary', cb);
  }

  private sendChunk(chunk: Buffer): void {
    const ab = copyToArrayBuffer(chunk);
    this.queuedWrite += ab.byteLength;
    this.port.postMessage({ t: 'write', buf: ab } satisfies ToMain, [ab]);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.port.postMessage({ t: 'end' } satisfies ToMain);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    try {
      this.port.postMessage({ t: 'destroy' } satisfies ToMain);
    } catch {
      /* port already closed */
    }
    cb(err);
  }

  /** net.Socket compatibility for code that calls these. */
  setNoDelay(): this { return this; }
  setKeepAlive(): this { return this; }
}
