/**
 * A byte stream carried across a worker_threads MessagePort, as a Duplex at each end.
 *
 * Node cannot hand a TCP socket to a worker thread, so the server's main thread keeps the client
 * socket and relays its bytes (client-connection.ts) to the session's worker, which reads and writes
 * a `PortStream` as it would the socket. Both ends are the same class: bytes written at one end
 * are read at the other; `end()` at one end is the other's end of input (half-close), so each
 * direction closes on its own; `destroy()` aborts both. Each direction is flow controlled: a
 * writer stops being called back while more than `HIGH_WATER` bytes it sent are not yet read at
 * the other end.
 *
 * Bytes cross without a copy: each written chunk's ArrayBuffer is transferred when the chunk owns
 * it (socket reads do). With `batch` (the main thread's end, fed by socket reads), chunks written
 * in one turn of the event loop (a busy socket delivers up to 32 reads of 64 KiB per poll) go in
 * one message, up to FLUSH_BYTES: a postMessage costs tens of microseconds whatever its size,
 * which at one per 64 KiB chunk made the relay the server's main cost (a third of a second per
 * 250 MB). The session's end posts each write at once (a module computing for seconds must not
 * hold back what it has sent until it yields; its writes are whole encoded groups anyway).
 * Acknowledgements are coalesced the same way (one per ACK_BYTES read, the rest at the end of the
 * turn): one per data message cost the session thread about 0.1 s per 250 MB.
 *
 * Received chunks are freed as soon as their reader is done with them (`releaseChunk`, called by
 * mrd-core's SocketConnection when nothing it decoded refers to a chunk), not by the receiving
 * thread's GC: every transferred byte counts as that isolate's external memory, and V8 ran a full
 * mark-compact per ~64 MB of it (about 35 per 2 GB session).
 */
import { Duplex } from 'node:stream';
import { MessageChannel, type MessagePort } from 'node:worker_threads';

const HIGH_WATER = 8 * 1024 * 1024;
/** Pending bytes at which written chunks are posted at once rather than at the end of the turn. */
const FLUSH_BYTES = 2 * 1024 * 1024;
/** Bytes read at which an acknowledgement goes at once rather than at the end of the turn. */
const ACK_BYTES = 2 * 1024 * 1024;

/**
 * An ArrayBuffer holding exactly `chunk`, to transfer: the chunk's own buffer when the chunk is
 * all of it (socket reads and large encodings get their own), else a copy (a pooled buffer is
 * shared with other Buffers and must never be transferred).
 */
function transferable(chunk: Uint8Array): ArrayBuffer {
  const own = chunk.buffer;
  if (own instanceof ArrayBuffer && chunk.byteOffset === 0 && own.byteLength === chunk.byteLength && chunk.byteLength > 4096) return own;
  const ab = new ArrayBuffer(chunk.byteLength);
  new Uint8Array(ab).set(chunk);
  return ab;
}

/** A port with no other end: transferring ArrayBuffers through it detaches them and frees their memory. */
let sink: MessagePort | null = null;
/** Buffers to free at the end of the current task (one postMessage for all: each costs microseconds). */
let discards: ArrayBuffer[] = [];

function flushDiscards(): void {
  const list = discards;
  discards = [];
  if (!sink) {
    const { port1, port2 } = new MessageChannel();
    port2.close();
    sink = port1;
    sink.close();
  }
  sink.postMessage(null, list);
}

/**
 * Frees `ab`'s memory before the next task runs (it is detached then: every view of it reads as
 * empty from then on; the caller has no view left).
 */
function discard(ab: ArrayBuffer): void {
  if (discards.push(ab) === 1) queueMicrotask(flushDiscards);
}

type PortMessage =
  | { t: 'data'; bufs: ArrayBuffer[] }
  | { t: 'ack'; n: number }
  | { t: 'end' }
  | { t: 'abort'; message: string };

export class PortStream extends Duplex {
  /** Bytes received and pushed but not yet acknowledged (the reader has not asked for more). */
  private pendingAck = 0;
  /** Bytes received, pushed and taken (the reader wants more), acknowledged at the end of the turn or at ACK_BYTES. */
  private ackDue = 0;
  private ackScheduled = false;
  /** Bytes sent and not yet acknowledged by the other end. */
  private unacked = 0;
  private writeWaiters: (() => void)[] = [];
  private portClosed = false;
  /** The other end ended its writing ('end' received): all its bytes are in. */
  private peerEnded = false;
  /** Written chunks not yet posted (sent together at the end of the turn, or at FLUSH_BYTES). */
  private outBufs: ArrayBuffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  /** Received buffers not yet released, each read only through the one chunk pushed for it. */
  private readonly owned = new WeakSet<ArrayBuffer>();
  remoteAddress?: string;
  remotePort?: number;

  constructor(private readonly port: MessagePort, private readonly batch = false) {
    super({ allowHalfOpen: true });
    port.on('message', (m: PortMessage) => this.onMessage(m));
    port.on('close', () => this.peerGone('the other end of the session stream is gone'));
  }

  /**
   * The other end aborted or vanished. Bytes it sent are kept when all of them are in (it had
   * ended): the reader gets them and a clean end. Otherwise this end fails with ECONNRESET.
   */
  private peerGone(message: string): void {
    this.portClosed = true;
    this.releaseWriters();
    if (!this.peerEnded && !this.destroyed) this.destroy(Object.assign(new Error(message), { code: 'ECONNRESET' }));
  }

  private releaseWriters(): void {
    const waiters = this.writeWaiters;
    this.writeWaiters = [];
    for (const w of waiters) w();
  }

  private post(m: PortMessage, transfer?: ArrayBuffer[]): void {
    if (this.portClosed) return;
    try {
      this.port.postMessage(m, transfer);
    } catch {
      /* port closed */
    }
  }

  private onMessage(m: PortMessage): void {
    switch (m.t) {
      case 'data': {
        if (this.destroyed) return;
        let n = 0;
        let more = true;
        for (const buf of m.bufs) {
          n += buf.byteLength;
          this.owned.add(buf);
          more = this.push(Buffer.from(buf));
        }
        if (more) this.ackSoon(n);
        else this.pendingAck += n;
        break;
      }
      case 'ack':
        this.unacked -= m.n;
        if (this.unacked <= HIGH_WATER) this.releaseWriters();
        break;
      case 'end':
        this.peerEnded = true;
        if (!this.destroyed) this.push(null);
        break;
      case 'abort':
        this.peerGone(m.message);
        break;
    }
  }

  /** Acknowledges `n` bytes read: at once from ACK_BYTES on, else with the turn's others at its end. */
  private ackSoon(n: number): void {
    this.ackDue += n;
    if (this.ackDue >= ACK_BYTES) this.flushAck();
    else if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => {
        this.ackScheduled = false;
        this.flushAck();
      });
    }
  }

  private flushAck(): void {
    if (this.ackDue === 0) return;
    const n = this.ackDue;
    this.ackDue = 0;
    this.post({ t: 'ack', n });
  }

  override _read(): void {
    if (this.pendingAck > 0) {
      this.post({ t: 'ack', n: this.pendingAck });
      this.pendingAck = 0;
    }
  }

  /** Posts the written chunks not yet posted, in one message. */
  private flushOut(): void {
    this.flushScheduled = false;
    if (this.outBufs.length === 0) return;
    const bufs = this.outBufs;
    this.outBufs = [];
    this.outBytes = 0;
    this.post({ t: 'data', bufs }, bufs);
  }

  private queueOut(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    const ab = transferable(chunk);
    this.unacked += ab.byteLength;
    this.outBufs.push(ab);
    this.outBytes += ab.byteLength;
    if (!this.batch || this.outBytes >= FLUSH_BYTES) this.flushOut();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushOut());
    }
  }

  private written(cb: (err?: Error | null) => void): void {
    if (this.unacked <= HIGH_WATER || this.portClosed) cb();
    else {
      // Waiting for the other end: what is pending must reach it.
      this.flushOut();
      this.writeWaiters.push(() => cb());
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.queueOut(chunk);
    this.written(cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    for (const { chunk } of chunks) this.queueOut(chunk);
    this.written(cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.flushOut();
    this.post({ t: 'end' });
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Both directions ended (the automatic destroy after them) is no abort. Otherwise tell the
    // other end, unless it is the one that aborted (or is gone).
    const clean = !err && this.peerEnded && this.writableFinished;
    // What was written goes out before the abort (the other end decides what to keep).
    this.flushOut();
    if (!clean && !this.portClosed) this.post({ t: 'abort', message: err?.message ?? 'aborted' });
    this.releaseWriters();
    setImmediate(() => {
      this.portClosed = true;
      this.port.close();
    });
    cb(err);
  }

  /**
   * The reader is done with `chunk`, a chunk this stream emitted, and nothing refers to its
   * memory: it is freed now (ChunkReleasingStream, mrd-core). Ignored unless the chunk is a whole
   * received buffer not released yet and the stream has exactly one 'data' listener (the caller;
   * any other reader may still hold it).
   */
  releaseChunk(chunk: Uint8Array): void {
    const ab = chunk.buffer;
    if (!(ab instanceof ArrayBuffer) || chunk.byteOffset !== 0 || chunk.byteLength !== ab.byteLength) return;
    if (!this.owned.has(ab) || this.listenerCount('data') !== 1) return;
    this.owned.delete(ab);
    discard(ab);
  }

  /** net.Socket compatibility for code that calls these. */
  setNoDelay(): this { return this; }
  setKeepAlive(): this { return this; }
}
