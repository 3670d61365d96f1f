/**
 * `MrdConnection` over a Node stream socket (net.Socket, or any Duplex carrying the MRD byte
 * stream): the reference's connection.py, asynchronous and with bounded memory.
 *
 * Reading: socket chunks go through `MrdStreamDecoder` (payloads are views into the received
 * chunks; a chunk nothing refers to is handed back to a `ChunkReleasingStream` at once). Decoded messages wait in a queue; when it holds more than `readHighWaterMark` bytes
 * the socket is paused, so a slow consumer never makes the process buffer an unbounded stream.
 * Iteration yields messages up to CLOSE (not included) and ends there, or at a clean end of the
 * socket; a socket that ends inside a message, or bytes that violate the protocol, make the
 * iteration throw `MrdProtocolError`.
 *
 * Writing: sends are serialised in call order. Each message is encoded (payloads copied once)
 * when its turn comes and written; when the socket's buffer is above its high-water mark the
 * send waits for 'drain', so memory stays bounded when the peer reads slowly. A send resolves
 * once its bytes are accepted by the socket; it rejects if the socket fails or is closed.
 */
import type { Duplex } from 'node:stream';
import { MessageId, MRD_LOGGING, messageIdName } from '../constants/index.js';
import { logger } from '../logging/index.js';
import type { Acquisition, Image, Waveform } from '../messages/types.js';
import { MrdStreamDecoder, type MrdStreamDecoderOptions } from '../stream/decoder.js';
import { AssemblyArena } from '../stream/assembly-arena.js';
import { encodeMessages, messageIdOf } from '../stream/encoder.js';
import type { MrdConnection, MrdMessage, TextLogLevel } from './types.js';

export type MrdMessageType = MrdMessage['type'];

export type MessageCounters = Record<MrdMessageType, number>;

function zeroCounters(): MessageCounters {
  return { config_file: 0, config_text: 0, header: 0, text: 0, acquisition: 0, image: 0, waveform: 0, ndarray: 0, close: 0 };
}

/**
 * A byte stream whose chunks may be handed back once read (mrd-server's PortStream: each chunk is
 * memory transferred from another thread, freed at once instead of by a later GC). The
 * SocketConnection, as the stream's reader, calls `releaseChunk` with a chunk it was given when
 * nothing decoded from it refers to its memory; the stream decides whether it may act on it
 * (the chunk is wholly its own and no other reader saw it) and ignores the call otherwise.
 */
export interface ChunkReleasingStream {
  releaseChunk(chunk: Uint8Array): void;
}

export interface SocketConnectionOptions extends MrdStreamDecoderOptions {
  /** Bytes of received, not yet consumed messages at which reading pauses. Default 64 MiB. */
  readHighWaterMark?: number;
  /** Size of the ring that messages spanning socket reads are assembled in after `borrowPayloads()`. Default 16 MiB. */
  borrowArenaBytes?: number;
  /**
   * The ring itself, given by the caller instead of a new one of `borrowArenaBytes` (e.g. kept
   * from connection to connection on one thread: the first touch of a fresh ring costs far more
   * than the copies into it). The caller must not give it to another connection while this one
   * may still return messages (until its consumer is done).
   */
  borrowArena?: AssemblyArena;
}

/**
 * Default ring for `borrowPayloads`: a few dozen 131 KB readouts of 32 coils (the ones decoded
 * while the consumer catches up after a long computation); when it is full, messages get fresh
 * buffers as without it.
 */
const BORROW_ARENA_BYTES = 16 * 1024 * 1024;

/** Approximate bytes a decoded message occupies (its payload sizes). */
function messageBytes(m: MrdMessage): number {
  switch (m.type) {
    case 'acquisition':
      return 342 + m.acquisition.data.byteLength + m.acquisition.traj.byteLength;
    case 'image':
      return 208 + m.image.attribute.length + m.image.data.byteLength;
    case 'waveform':
      return 42 + m.waveform.data.byteLength;
    case 'ndarray':
      return 2 + m.bytes.length;
    case 'config_file':
      return 1026;
    case 'header':
      return 6 + m.xml.length;
    case 'config_text':
    case 'text':
      return 6 + m.text.length;
    case 'close':
      return 2;
  }
}

/** Largest buffer one write is encoded into (a single larger message is written whole). */
const WRITE_GROUP_BYTES = 4 * 1024 * 1024;

/** Bytes a message takes on the wire, cheaply (texts estimated by their length). */
function encodedSizeHint(m: MrdMessage): number {
  return messageBytes(m);
}

export class SocketConnection implements MrdConnection {
  /** Messages received (decoded) and sent, per type. */
  readonly counters = { received: zeroCounters(), sent: zeroCounters() };
  /** Time spent decoding received bytes and encoding sent messages (ms), for phase timings. */
  readonly timing = { decodeMs: 0, encodeMs: 0 };
  readonly socket: Duplex;
  private readonly decoder: MrdStreamDecoder;
  private readonly readHighWaterMark: number;
  private queue: MrdMessage[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private paused = false;
  private ended = false;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];
  private writeChain: Promise<void> = Promise.resolve();
  private writeFailure: Error | null = null;
  private closeSeen = false;
  private readonly borrowArenaBytes: number;
  private readonly givenArena: AssemblyArena | null;
  /** The given ring's counters when this connection took it (its stats are this connection's part). */
  private arenaBase = { carved: 0, misses: 0 };
  /** After `borrowPayloads()`: the arena, and the message returned last (released at the next receive). */
  private arena: AssemblyArena | null = null;
  private lent: MrdMessage | null = null;

  constructor(socket: Duplex, opts: SocketConnectionOptions = {}) {
    this.socket = socket;
    this.decoder = new MrdStreamDecoder(opts);
    this.readHighWaterMark = opts.readHighWaterMark ?? 64 * 1024 * 1024;
    this.borrowArenaBytes = opts.borrowArenaBytes ?? BORROW_ARENA_BYTES;
    this.givenArena = opts.borrowArena ?? null;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('close', () => this.onEnd());
    socket.on('error', (err: Error) => this.onError(err));
  }

  /** Whether a CLOSE message has been received. */
  get closeReceived(): boolean {
    return this.closeSeen;
  }

  /**
   * See `MrdConnection.borrowPayloads`: messages decoded from now on that span socket reads are
   * assembled in a reused ring (`AssemblyArena`); each message returned by `receive` is given
   * back to it when `receive` is called again. Not with `copyPayloads`.
   */
  borrowPayloads(): void {
    if (this.arena || this.decoder.copyPayloads) return;
    this.arena = this.givenArena ?? new AssemblyArena(this.borrowArenaBytes);
    this.arenaBase = { carved: this.arena.stats.carved, misses: this.arena.stats.misses };
    this.arena.stats.peakInUse = this.arena.inUse;
    this.decoder.useArena(this.arena);
  }

  /** The borrow arena's counters (blocks carved, requests it had no room for); null before `borrowPayloads`. */
  get arenaStats(): { carved: number; misses: number; peakInUse: number } | null {
    if (!this.arena) return null;
    const s = this.arena.stats;
    return { carved: s.carved - this.arenaBase.carved, misses: s.misses - this.arenaBase.misses, peakInUse: s.peakInUse };
  }

  /** Bytes of received messages waiting to be consumed. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.decoder.bufferedBytes;
  }

  // ------------------------------------------------------------------ reading

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private onData(chunk: Buffer): void {
    if (this.failure || this.ended) return;
    const before = this.queue.length;
    const t0 = performance.now();
    try {
      this.decoder.push(chunk, this.queue);
    } catch (e) {
      // Messages decoded before the fault stay queued and are delivered first.
      this.failure = e as Error;
      this.socket.pause();
    }
    this.timing.decodeMs += performance.now() - t0;
    // Nothing decoded from the chunk refers to its memory: a stream that lends its chunks
    // (PortStream: transferred buffers) may free it now rather than leave it to a GC.
    if (!this.failure && !this.decoder.lastChunkReferenced) (this.socket as Partial<ChunkReleasingStream>).releaseChunk?.(chunk);
    for (let i = before; i < this.queue.length; i++) {
      const m = this.queue[i]!;
      this.queuedBytes += messageBytes(m);
      this.counters.received[m.type]++;
      this.logReceived(m);
    }
    if (this.failure) {
      this.wake();
      return;
    }
    if (this.queuedBytes > this.readHighWaterMark && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (this.queue.length > before || this.decoder.bufferedBytes >= 2) this.wake();
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.failure) {
      try {
        this.decoder.end();
      } catch (e) {
        this.failure = e as Error;
      }
    }
    this.wake();
  }

  private onError(err: Error): void {
    if (!this.failure && !this.ended) this.failure = err;
    this.wake();
  }

  private logReceived(m: MrdMessage): void {
    const n = this.counters.received[m.type];
    switch (m.type) {
      case 'acquisition':
      case 'waveform':
        if (n === 1 || n % 100 === 0) logger.debug(`<-- Received ${messageIdName(messageIdOf(m))} (${messageIdOf(m)}) (total: ${n})`);
        break;
      case 'close':
        logger.info('<-- Received MRD_MESSAGE_CLOSE (4)');
        logger.info(`    Total received acquisitions: ${String(this.counters.received.acquisition).padStart(5)}`);
        logger.info(`    Total received images:       ${String(this.counters.received.image).padStart(5)}`);
        logger.info(`    Total received waveforms:    ${String(this.counters.received.waveform).padStart(5)}`);
        logger.info('------------------------------------------');
        break;
      default:
        logger.debug(`<-- Received ${messageIdName(messageIdOf(m))} (${messageIdOf(m)})`);
    }
  }

  private shift(): MrdMessage {
    const m = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined as never;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    this.queuedBytes -= messageBytes(m);
    if (this.paused && this.queuedBytes <= this.readHighWaterMark / 2) {
      this.paused = false;
      this.socket.resume();
    }
    return m;
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * The next message, CLOSE included; undefined when the socket ended cleanly. Throws the
   * protocol or socket error that stopped the stream.
   */
  async receive(): Promise<MrdMessage | undefined> {
    if (this.lent) {
      // Borrowing: the consumer is done with the message it had.
      this.decoder.release(this.lent);
      this.lent = null;
    }
    for (;;) {
      if (this.queueHead < this.queue.length) {
        const m = this.shift();
        if (this.arena) this.lent = m;
        if (m.type === 'close') this.closeSeen = true;
        return m;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return undefined;
      await this.wait();
    }
  }

  /**
   * The id of the next message without consuming it (as connection.py's
   * peek_mrd_message_identifier): resolves once its first two bytes have arrived; undefined at
   * the end of the stream.
   */
  async peekMessageId(): Promise<number | undefined> {
    for (;;) {
      if (this.queueHead < this.queue.length) return messageIdOf(this.queue[this.queueHead]!);
      const partial = this.decoder.peekMessageId();
      if (partial !== undefined) return partial;
      if (this.failure) throw this.failure;
      if (this.ended) return undefined;
      await this.wait();
    }
  }

  /**
   * Reads and discards every message up to CLOSE (consumed) or the end of the stream, without
   * building data messages (see `MrdStreamDecoder.discardDataMessages`: no payload is copied or
   * allocated), for a consumer that only drains. Counters and logging are as for messages read
   * one by one. Resolves with the number of messages discarded, CLOSE excluded; throws the
   * protocol or socket error that stopped the stream, as `receive`.
   */
  async discardUntilClose(): Promise<number> {
    let n = 0;
    const received = this.counters.received;
    const typeOf: Record<number, 'acquisition' | 'image' | 'waveform' | 'ndarray'> = {
      [MessageId.ACQUISITION]: 'acquisition', [MessageId.IMAGE]: 'image', [MessageId.WAVEFORM]: 'waveform', [MessageId.NDARRAY]: 'ndarray',
    };
    this.decoder.discardDataMessages((id) => {
      const type = typeOf[id]!;
      const k = ++received[type];
      n++;
      if ((type === 'acquisition' || type === 'waveform') && (k === 1 || k % 100 === 0)) {
        logger.debug(`<-- Received ${messageIdName(id)} (${id}) (total: ${k})`);
      }
      // Progress wakes nothing (no message is queued), but a paused socket must not stay paused.
    });
    try {
      for (;;) {
        if (this.closeSeen) return n;
        const m = await this.receive();
        if (!m || m.type === 'close') return n;
        n++;
      }
    } finally {
      this.decoder.discardDataMessages(null);
    }
  }

  /** Messages up to CLOSE (excluded); ends at CLOSE or at a clean end of the socket. */
  [Symbol.asyncIterator](): AsyncIterator<MrdMessage> {
    let done = false;
    return {
      next: async (): Promise<IteratorResult<MrdMessage>> => {
        if (done || this.closeSeen) return { done: true, value: undefined };
        const m = await this.receive();
        if (!m || m.type === 'close') {
          done = true;
          return { done: true, value: undefined };
        }
        return { done: false, value: m };
      },
      return: async (): Promise<IteratorResult<MrdMessage>> => {
        done = true;
        return { done: true, value: undefined };
      },
    };
  }

  // ------------------------------------------------------------------ writing

  /** Sends messages in order (one write per call); resolves when the socket accepted them. */
  send(msgs: MrdMessage | MrdMessage[]): Promise<void> {
    const list = Array.isArray(msgs) ? msgs : [msgs];
    const p = this.writeChain.then(() => this.writeNow(list));
    this.writeChain = p.catch(() => undefined);
    return p;
  }

  private async writeNow(list: MrdMessage[]): Promise<void> {
    if (this.writeFailure) throw this.writeFailure;
    if (list.length === 0) return;
    const s = this.socket;
    if (s.destroyed || s.writableEnded) {
      throw (this.writeFailure = new Error('cannot send MRD message: the connection is closed'));
    }
    // Encode in groups of at most WRITE_GROUP_BYTES (whole messages), so a large batch never
    // sits in memory twice, waiting for 'drain' between groups.
    for (let i = 0; i < list.length; ) {
      if (s.destroyed || s.writableEnded) {
        throw (this.writeFailure = new Error('connection closed while sending MRD messages'));
      }
      let j = i;
      let size = 0;
      do size += encodedSizeHint(list[j++]!);
      while (j < list.length && size + encodedSizeHint(list[j]!) <= WRITE_GROUP_BYTES);
      const group = i === 0 && j === list.length ? list : list.slice(i, j);
      const t0 = performance.now();
      const bytes = encodeMessages(group);
      this.timing.encodeMs += performance.now() - t0;
      for (const m of group) {
        this.counters.sent[m.type]++;
        this.logSent(m);
      }
      i = j;
      if (!s.write(bytes)) await this.drained();
    }
  }

  private drained(): Promise<void> {
    const s = this.socket;
    return new Promise<void>((resolve, reject) => {
      if (s.destroyed) {
        reject((this.writeFailure = new Error('connection closed while sending MRD messages')));
        return;
      }
      const done = (err?: Error) => {
        s.off('drain', onDrain);
        s.off('close', onClose);
        s.off('error', onError);
        if (err) reject((this.writeFailure = err));
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(new Error('connection closed while sending MRD messages'));
      const onError = (e: Error) => done(e);
      s.on('drain', onDrain);
      s.on('close', onClose);
      s.on('error', onError);
    });
  }

  private logSent(m: MrdMessage): void {
    const id = messageIdOf(m);
    const n = this.counters.sent[m.type];
    if (m.type === 'acquisition' || m.type === 'waveform') {
      if (n === 1 || n % 100 === 0) logger.debug(`--> Sending ${messageIdName(id)} (${id}) (total: ${n})`);
    } else if (m.type === 'image') {
      logger.debug(`--> Sending ${messageIdName(id)} (${id})`);
    } else {
      logger.debug(`--> Sending ${messageIdName(id)} (${id})`);
      if (m.type === 'text') logger.debug(`    ${m.text}`);
    }
  }

  sendConfigFile(name: string): Promise<void> {
    return this.send({ type: 'config_file', name });
  }
  sendConfigText(text: string): Promise<void> {
    return this.send({ type: 'config_text', text });
  }
  sendHeader(xml: string): Promise<void> {
    return this.send({ type: 'header', xml });
  }
  sendText(text: string): Promise<void> {
    return this.send({ type: 'text', text });
  }
  /**
   * The reference's send_logging: `"%s %s" % (level, text)` with the level padded to 8
   * characters (constants.py MRD_LOGGING_*), e.g. `"INFO     Total processing time: 3.06 ms"`.
   */
  sendLogging(level: TextLogLevel, text: string): Promise<void> {
    return this.sendText(formatLogging(level, text));
  }
  sendAcquisition(acq: Acquisition | Acquisition[]): Promise<void> {
    const list = Array.isArray(acq) ? acq : [acq];
    return this.send(list.map((acquisition) => ({ type: 'acquisition', acquisition }) as MrdMessage));
  }
  sendImage(img: Image | Image[]): Promise<void> {
    const list = (Array.isArray(img) ? img : [img]).filter((i) => i != null);
    return this.send(list.map((image) => ({ type: 'image', image }) as MrdMessage));
  }
  sendWaveform(wav: Waveform | Waveform[]): Promise<void> {
    const list = Array.isArray(wav) ? wav : [wav];
    return this.send(list.map((waveform) => ({ type: 'waveform', waveform }) as MrdMessage));
  }
  sendNdArray(bytes: Uint8Array): Promise<void> {
    return this.send({ type: 'ndarray', bytes });
  }
  sendClose(): Promise<void> {
    // Logged once, by writeNow (logSent), as every other message.
    return this.send({ type: 'close' });
  }

  /** Resolves when every send issued so far has been accepted by the socket (or failed). */
  flush(): Promise<void> {
    return this.writeChain;
  }

  /**
   * Ends the connection gracefully: waits for pending sends, ends the write side and resolves
   * when the socket has closed (or after `timeoutMs`, then destroys it).
   */
  async close(timeoutMs = 10_000): Promise<void> {
    await this.writeChain;
    const s = this.socket;
    if (s.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        s.destroy();
        resolve();
      }, timeoutMs);
      timer.unref?.();
      s.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      s.end();
      // Read side: keep draining so the peer's end arrives and 'close' fires.
      s.resume();
    });
  }

  /** Closes the socket at once. */
  destroy(err?: Error): void {
    this.socket.destroy(err);
  }
}

/** `"INFO     text"`: the level padded to 8 characters, a space, the text (connection.py send_logging). */
export function formatLogging(level: TextLogLevel | keyof typeof MRD_LOGGING, text: string): string {
  const padded = (MRD_LOGGING as Record<string, string>)[level] ?? String(level).padEnd(8);
  return `${padded} ${text}`;
}

