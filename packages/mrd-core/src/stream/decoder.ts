/**
 * Incremental MRD stream decoder: push chunks of any size (1 byte to many MB), get typed
 * messages back. Hand-written: the MRD framing is specific (message sizes depend on header
 * fields), and the decoder is the hot path of the server.
 *
 * - Payloads are typed-array VIEWS into the pushed chunk where the message lies inside it and is
 *   aligned; otherwise copied once (docs/wire.md has the rules). The decoder never modifies
 *   pushed chunks; callers must not reuse a chunk's memory while messages from it are alive (or
 *   use `cloneAcquisition` etc. / `copyPayloads: true`).
 * - Messages that span chunks are assembled into a buffer of their own: a fresh one each, or,
 *   for a consumer that is done with each message when it takes the next (`useArena`), a block
 *   of a reused `AssemblyArena`, given back with `release(message)`.
 * - Each message's size is checked against `maxMessageSize` from its fixed-size prefix before
 *   anything is allocated: a hostile length is a protocol error, never an allocation.
 * - Errors are `MrdProtocolError` with the message id, its name and the stream offset. After an
 *   error the decoder is unusable (the stream position is lost).
 */
import { describeMessageId, isDataType, MessageId, NDARRAY_MAXDIM, sizeofDataType } from '../constants/index.js';
import { readAcquisitionHeader, readImageHeader, readWaveformHeader } from '../headers/codec.js';
import type { MrdMessage } from '../connection/types.js';
import type { ImagePixels } from '../messages/types.js';
import { pixelArrayConstructor, elementsPerPixel } from '../messages/create.js';
import { MrdProtocolError } from './errors.js';
import type { AssemblyArena } from './assembly-arena.js';
import { decodeCString, isDefaultConfigFilePayload, isDefaultTextPayload } from './text.js';

/** Default maximum size of one message: 512 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 512 * 1024 * 1024;

export interface MrdStreamDecoderOptions {
  /** Largest message (id included) accepted; larger is a protocol error. Default 512 MiB. */
  maxMessageSize?: number;
  /** Always copy payloads (messages never reference pushed chunks). Default false. */
  copyPayloads?: boolean;
}

export interface MrdStreamDecoderStats {
  messages: number;
  bytes: number;
  /** Payloads returned as views (into a pushed chunk, or into an assembled message). */
  viewedPayloads: number;
  /** Payloads copied on their own (unaligned in the pushed chunk, or copyPayloads). */
  copiedPayloads: number;
  /** Messages that spanned chunks, copied once into a buffer of their own (payloads aligned). */
  assembledMessages: number;
  /** Largest single buffer the decoder allocated, in bytes. */
  largestAllocation: number;
}

const PREFIX_CAPACITY = 512;
/** Copies of unaligned payloads up to POOL_MAX_COPY bytes are carved from POOL_SIZE slabs. */
const POOL_SIZE = 64 * 1024;
const POOL_MAX_COPY = 8 * 1024;
const ACQ_PREFIX = 2 + 340;
const IMG_PREFIX = 2 + 198 + 8;
const WAV_PREFIX = 2 + 40;
const TEXT_PREFIX = 2 + 4;
const NDARRAY_PREFIX = 2 + 6;
const CONFIG_FILE_TOTAL = 2 + 1024;

function typeName(id: number): string {
  return describeMessageId(id);
}

/**
 * Total byte length of the message starting at `p` (id included) when it can be computed from
 * the `avail` bytes there, else `-need` (bytes of prefix required). Throws MrdProtocolError for
 * unsupported ids, invalid fields, and sizes above `max`.
 */
export function frameLength(u8: Uint8Array, dv: DataView, p: number, avail: number, at: number, max: number): number {
  if (avail < 2) return -2;
  const id = u8[p]! | (u8[p + 1]! << 8);
  let total: number;
  switch (id) {
    case MessageId.CLOSE:
      return 2;
    case MessageId.CONFIG_FILE:
      total = CONFIG_FILE_TOTAL;
      break;
    case MessageId.CONFIG_TEXT:
    case MessageId.HEADER:
    case MessageId.TEXT:
      if (avail < TEXT_PREFIX) return -TEXT_PREFIX;
      total = TEXT_PREFIX + dv.getUint32(p + 2, true);
      break;
    case MessageId.ACQUISITION: {
      if (avail < ACQ_PREFIX) return -ACQ_PREFIX;
      const ns = dv.getUint16(p + 2 + 34, true);
      const ac = dv.getUint16(p + 2 + 38, true);
      const td = dv.getUint16(p + 2 + 176, true);
      total = ACQ_PREFIX + 4 * ns * td + 8 * ns * ac;
      break;
    }
    case MessageId.IMAGE: {
      if (avail < IMG_PREFIX) return -IMG_PREFIX;
      const dt = dv.getUint16(p + 2 + 2, true);
      if (!isDataType(dt)) {
        throw new MrdProtocolError(`${typeName(id)} at stream offset ${at}: data_type ${dt} is not one of the ISMRMRD data types 1..8`, {
          reason: 'invalid-field', messageId: id, offset: at,
        });
      }
      const mx = dv.getUint16(p + 2 + 16, true);
      const my = dv.getUint16(p + 2 + 18, true);
      const mz = dv.getUint16(p + 2 + 20, true);
      const ch = dv.getUint16(p + 2 + 34, true);
      const attr = dv.getUint32(p + 200, true) + dv.getUint32(p + 204, true) * 4294967296;
      // Exact in doubles up to 2^53; beyond that it is far above any limit anyway.
      total = IMG_PREFIX + attr + sizeofDataType(dt) * mx * my * mz * ch;
      break;
    }
    case MessageId.WAVEFORM: {
      if (avail < WAV_PREFIX) return -WAV_PREFIX;
      const ns = dv.getUint16(p + 2 + 28, true);
      const ch = dv.getUint16(p + 2 + 30, true);
      total = WAV_PREFIX + 4 * ns * ch;
      break;
    }
    case MessageId.NDARRAY: {
      if (avail < NDARRAY_PREFIX) return -NDARRAY_PREFIX;
      const dt = dv.getUint16(p + 2, true);
      const ndim = dv.getUint16(p + 6, true);
      if (!isDataType(dt)) {
        throw new MrdProtocolError(`${typeName(id)} at stream offset ${at}: data_type ${dt} is not one of the ISMRMRD data types 1..8`, {
          reason: 'invalid-field', messageId: id, offset: at,
        });
      }
      if (ndim < 1 || ndim > NDARRAY_MAXDIM) {
        throw new MrdProtocolError(`${typeName(id)} at stream offset ${at}: ndim ${ndim} is not in 1..${NDARRAY_MAXDIM}`, {
          reason: 'invalid-field', messageId: id, offset: at,
        });
      }
      const prefix = NDARRAY_PREFIX + 8 * ndim;
      if (avail < prefix) return -prefix;
      let n = sizeofDataType(dt);
      for (let i = 0; i < ndim; i++) {
        n *= dv.getUint32(p + 8 + 8 * i, true) + dv.getUint32(p + 12 + 8 * i, true) * 4294967296;
      }
      total = prefix + n;
      break;
    }
    default:
      throw MrdProtocolError.unsupported(id, at);
  }
  if (total > max) {
    throw new MrdProtocolError(
      `${typeName(id)} at stream offset ${at}: message of ${total} bytes exceeds the maximum message size of ${max} bytes`,
      { reason: 'message-too-large', messageId: id, offset: at },
    );
  }
  return total;
}

export class MrdStreamDecoder {
  readonly maxMessageSize: number;
  readonly copyPayloads: boolean;
  readonly stats: MrdStreamDecoderStats = {
    messages: 0, bytes: 0, viewedPayloads: 0, copiedPayloads: 0, assembledMessages: 0, largestAllocation: 0,
  };

  /** Stream offset of the first byte not yet part of a returned message. */
  private consumed = 0;
  private prefix = new Uint8Array(PREFIX_CAPACITY);
  private prefixView = new DataView(this.prefix.buffer);
  private prefixFill = 0;
  private prefixNeed = 0;
  private body: Uint8Array | null = null;
  private bodyView: DataView | null = null;
  private bodyPad = 0;
  private bodyFill = 0;
  private bodyTotal = 0;
  private failed: MrdProtocolError | null = null;
  /** Discard mode (`discardDataMessages`): called per skipped data message; null when off. */
  private onDiscard: ((id: number) => void) | null = null;
  /** Bytes of the data message being skipped still to come, bytes seen of it, its size and id. */
  private skipLeft = 0;
  private skipHave = 0;
  private skipTotal = 0;
  private skipId = 0;
  private pool: Uint8Array | null = null;
  private poolUsed = 0;
  private arena: AssemblyArena | null = null;
  /** The arena mark of the body being assembled (-1: not from the arena). */
  private bodyMark = -1;
  /** Arena marks of returned messages assembled in the arena, for `release`. */
  private readonly marks = new WeakMap<MrdMessage, number>();
  private readonly poolSize: number;
  private readonly poolMaxCopy: number;
  /** Whether a message built by the last `push` may reference that chunk's memory (see `lastChunkReferenced`). */
  private chunkReferenced = false;

  constructor(opts: MrdStreamDecoderOptions = {}) {
    this.maxMessageSize = opts.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.copyPayloads = opts.copyPayloads ?? false;
    // The slab never exceeds the message limit either.
    this.poolSize = Math.min(POOL_SIZE, this.maxMessageSize);
    this.poolMaxCopy = Math.min(POOL_MAX_COPY, this.poolSize >> 3);
  }

  /** Bytes received that belong to a message not yet complete. */
  get bufferedBytes(): number {
    if (this.skipLeft > 0) return this.skipHave;
    return this.body ? this.bodyFill : this.prefixFill;
  }

  /**
   * Discard mode, for a consumer that only drains the stream (an MRD server session with config
   * `null`): from now on acquisitions, images, waveforms and NDArrays are framed and checked as
   * usual (size limits, protocol errors) but not built: no payload is copied or allocated, and
   * `onDiscard(id)` is called for each instead of returning it. Other messages (texts, CLOSE)
   * are returned as usual. `null` turns it off (for the messages that start after this call).
   */
  discardDataMessages(onDiscard: ((id: number) => void) | null): void {
    this.onDiscard = onDiscard;
  }

  /**
   * Assembles messages that span chunks in blocks of `arena` (falling back to fresh buffers
   * when it has no room) from the next message on; null: fresh buffers again. The consumer must
   * `release` each message once done with it, in stream order; a block is reused only after
   * that, so the messages' payloads stay valid until then and no longer.
   */
  useArena(arena: AssemblyArena | null): void {
    this.arena = arena;
  }

  /**
   * The consumer is done with `message` and every message returned before it: their arena
   * blocks may be reused. Messages not assembled in the arena are ignored.
   */
  release(message: MrdMessage): void {
    const mark = this.marks.get(message);
    if (mark === undefined) return;
    this.marks.delete(message);
    this.arena?.release(mark);
  }

  private static isDataId(id: number): boolean {
    return id === MessageId.ACQUISITION || id === MessageId.IMAGE || id === MessageId.WAVEFORM || id === MessageId.NDARRAY;
  }

  /** Counts a data message of `total` bytes as consumed and skipped. */
  private skipped(id: number, total: number): void {
    this.consumed += total;
    this.stats.messages++;
    this.stats.bytes += total;
    this.onDiscard?.(id);
  }

  /** Starts skipping a data message of `total` bytes of which `have` have arrived. */
  private startSkip(id: number, have: number, total: number): void {
    this.skipId = id;
    this.skipTotal = total;
    this.skipHave = have;
    this.skipLeft = total - have;
  }

  /** Stream offset of the next message boundary (bytes consumed into returned messages). */
  get offset(): number {
    return this.consumed;
  }

  /** The id of the incomplete message, when at least its 2 id bytes have arrived. */
  peekMessageId(): number | undefined {
    if (this.skipLeft > 0) return this.skipId;
    if (this.body) return this.body[this.bodyPad]! | (this.body[this.bodyPad + 1]! << 8);
    if (this.prefixFill >= 2) return this.prefix[0]! | (this.prefix[1]! << 8);
    return undefined;
  }

  /**
   * Feeds bytes; returns the messages completed by them (appended to `out` if given). Throws
   * MrdProtocolError on a protocol violation.
   */
  push(chunk: Uint8Array, out: MrdMessage[] = []): MrdMessage[] {
    if (this.failed) throw this.failed;
    try {
      this.chunkReferenced = false;
      this.pushInner(chunk, out);
    } catch (e) {
      this.chunkReferenced = true;
      if (e instanceof MrdProtocolError) this.failed = e;
      throw e;
    }
    return out;
  }

  /**
   * Whether the messages returned by the last `push` may reference the pushed chunk's memory
   * (a message that lay inside it was built from it). When false, neither the decoder nor any
   * message keeps anything of that chunk (bytes of messages spanning chunks, and prefixes, are
   * copied; discarded data messages keep nothing): its owner may reuse or free its memory at
   * once. True after a push that threw.
   */
  get lastChunkReferenced(): boolean {
    return this.chunkReferenced;
  }

  /**
   * Declares the end of the stream: throws a 'truncated' MrdProtocolError when it ends inside a
   * message.
   */
  end(): void {
    if (this.failed) throw this.failed;
    const buffered = this.bufferedBytes;
    if (buffered > 0) {
      const id = this.peekMessageId();
      const expected = this.skipLeft > 0 ? ` of ${this.skipTotal}` : this.body ? ` of ${this.bodyTotal}` : '';
      this.failed = new MrdProtocolError(
        `stream ended inside ${id !== undefined ? 'message ' + typeName(id) : 'a message id'} at stream offset ${this.consumed} (${buffered}${expected} bytes received)`,
        { reason: 'truncated', messageId: id, offset: this.consumed },
      );
      throw this.failed;
    }
  }

  private alloc(n: number): Uint8Array {
    if (n > this.stats.largestAllocation) this.stats.largestAllocation = n;
    // Unzeroed: every byte but the alignment padding is written before the message is parsed.
    const b = Buffer.allocUnsafeSlow(n);
    return new Uint8Array(b.buffer, b.byteOffset, n);
  }

  private pushInner(chunk: Uint8Array, out: MrdMessage[]): void {
    const n = chunk.length;
    let p = 0;
    const max = this.maxMessageSize;

    // 1. Complete a message begun in earlier chunks.
    while ((this.prefixFill > 0 || this.body || this.skipLeft > 0) && p < n) {
      if (this.skipLeft > 0) {
        const take = Math.min(this.skipLeft, n - p);
        p += take;
        this.skipLeft -= take;
        this.skipHave += take;
        if (this.skipLeft === 0) this.skipped(this.skipId, this.skipTotal);
        continue;
      }
      if (!this.body) {
        const take = Math.min(this.prefixNeed - this.prefixFill, n - p);
        this.prefix.set(chunk.subarray(p, p + take), this.prefixFill);
        this.prefixFill += take;
        p += take;
        if (this.prefixFill < this.prefixNeed) return;
        const len = frameLength(this.prefix, this.prefixView, 0, this.prefixFill, this.consumed, max);
        if (len < 0) {
          this.prefixNeed = -len;
          continue;
        }
        const pid = this.prefix[0]! | (this.prefix[1]! << 8);
        if (this.onDiscard && MrdStreamDecoder.isDataId(pid)) {
          // The prefix (never longer than the message) is all that was kept of it.
          const have = this.prefixFill;
          this.prefixFill = 0;
          this.prefixNeed = 0;
          if (have === len) this.skipped(pid, len);
          else this.startSkip(pid, have, len);
          continue;
        }
        this.startBody(this.prefix, this.prefixView, 0, this.prefixFill, len);
        this.prefixFill = 0;
        this.prefixNeed = 0;
      } else {
        const take = Math.min(this.bodyTotal - this.bodyFill, n - p);
        this.body.set(chunk.subarray(p, p + take), this.bodyPad + this.bodyFill);
        this.bodyFill += take;
        p += take;
      }
      if (this.body && this.bodyFill === this.bodyTotal) {
        const body = this.body;
        this.body = null;
        // The assembled buffer is the decoder's own copy: payloads are views into it.
        this.stats.assembledMessages++;
        const msg = this.parse(body, this.bodyView!, this.bodyPad, this.bodyTotal, false);
        if (this.bodyMark >= 0) this.marks.set(msg, this.bodyMark);
        out.push(msg);
        this.bodyView = null;
      }
    }
    if (p >= n) return;

    // 2. Whole messages inside this chunk: payloads as views.
    const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (p < n) {
      const avail = n - p;
      const len = frameLength(chunk, dv, p, avail, this.consumed, max);
      if (len > 0 && this.onDiscard) {
        const id = chunk[p]! | (chunk[p + 1]! << 8);
        if (MrdStreamDecoder.isDataId(id)) {
          if (len <= avail) {
            p += len;
            this.skipped(id, len);
            continue;
          }
          this.startSkip(id, avail, len);
          return;
        }
      }
      if (len > 0 && len <= avail) {
        this.chunkReferenced = true;
        out.push(this.parse(chunk, dv, p, len, this.copyPayloads));
        p += len;
        continue;
      }
      // 3. The rest starts a message that continues in later chunks.
      if (len < 0) {
        this.prefix.set(chunk.subarray(p, n), 0);
        this.prefixFill = avail;
        this.prefixNeed = -len;
      } else {
        this.startBody(chunk, dv, p, avail, len);
      }
      return;
    }
  }

  /** Allocates the assembly buffer for a message of `total` bytes and copies its first `have` bytes. */
  private startBody(src: Uint8Array, srcView: DataView, p: number, have: number, total: number): void {
    const id = src[p]! | (src[p + 1]! << 8);
    // Pad so the first payload lands 8-byte aligned (the id and header go before it).
    let start = 0;
    if (id === MessageId.ACQUISITION) start = ACQ_PREFIX;
    else if (id === MessageId.WAVEFORM) start = WAV_PREFIX;
    else if (id === MessageId.IMAGE) start = IMG_PREFIX + srcView.getUint32(p + 200, true);
    const pad = (8 - (start % 8)) % 8;
    const block = this.arena?.alloc(pad + total) ?? null;
    this.bodyMark = block ? block.mark : -1;
    this.body = block ? block.bytes : this.alloc(pad + total);
    this.bodyView = new DataView(this.body.buffer, this.body.byteOffset, this.body.byteLength);
    this.bodyPad = pad;
    this.body.set(src.subarray(p, p + have), pad);
    this.bodyFill = have;
    this.bodyTotal = total;
  }

  private payload<T extends Float32Array | Uint32Array | ImagePixels>(
    C: { new (b: ArrayBuffer, o: number, n: number): T; new (n: number): T; BYTES_PER_ELEMENT: number },
    u8: Uint8Array, pos: number, count: number, copy: boolean,
  ): T {
    const byteOffset = u8.byteOffset + pos;
    if (!copy && byteOffset % C.BYTES_PER_ELEMENT === 0) {
      this.stats.viewedPayloads++;
      return new C(u8.buffer as ArrayBuffer, byteOffset, count);
    }
    this.stats.copiedPayloads++;
    const nbytes = count * C.BYTES_PER_ELEMENT;
    let buf: ArrayBuffer;
    let off: number;
    if (nbytes <= this.poolMaxCopy) {
      // Small copies share a pool slab (as Node's Buffer pool does), 8-byte aligned.
      if (!this.pool || this.poolUsed + nbytes > this.poolSize) {
        this.pool = this.alloc(this.poolSize);
        this.poolUsed = 0;
      }
      buf = this.pool.buffer as ArrayBuffer;
      off = this.pool.byteOffset + this.poolUsed;
      this.poolUsed = (this.poolUsed + nbytes + 7) & ~7;
    } else {
      const mem = this.alloc(nbytes);
      buf = mem.buffer as ArrayBuffer;
      off = mem.byteOffset;
    }
    new Uint8Array(buf, off, nbytes).set(u8.subarray(pos, pos + nbytes));
    return new C(buf, off, count);
  }

  /** Builds the message from its `total` bytes at `p` of `u8` (complete, sizes validated). */
  private parse(u8: Uint8Array, dv: DataView, p: number, total: number, copy: boolean): MrdMessage {
    const at = this.consumed;
    this.consumed += total;
    this.stats.messages++;
    this.stats.bytes += total;
    const id = u8[p]! | (u8[p + 1]! << 8);
    switch (id) {
      case MessageId.ACQUISITION: {
        const head = readAcquisitionHeader(dv, p + 2);
        const nt = head.number_of_samples * head.trajectory_dimensions;
        const nd = 2 * head.number_of_samples * head.active_channels;
        const traj = this.payload(Float32Array, u8, p + ACQ_PREFIX, nt, copy);
        const data = this.payload(Float32Array, u8, p + ACQ_PREFIX + 4 * nt, nd, copy);
        return { type: 'acquisition', acquisition: { head, traj, data } };
      }
      case MessageId.IMAGE: {
        const head = readImageHeader(dv, p + 2);
        const attrLen = total - IMG_PREFIX - sizeofDataType(head.data_type) * head.channels * head.matrix_size[0]! * head.matrix_size[1]! * head.matrix_size[2]!;
        const attribute = attrLen > 0 ? decodeCString(u8.subarray(p + IMG_PREFIX, p + IMG_PREFIX + attrLen)) : '';
        const C = pixelArrayConstructor(head.data_type);
        const count = head.channels * head.matrix_size[0]! * head.matrix_size[1]! * head.matrix_size[2]! * elementsPerPixel(head.data_type);
        const data = this.payload(C as never, u8, p + IMG_PREFIX + attrLen, count, copy) as ImagePixels;
        return { type: 'image', image: { head, attribute, data } };
      }
      case MessageId.WAVEFORM: {
        const head = readWaveformHeader(dv, p + 2);
        const data = this.payload(Uint32Array, u8, p + WAV_PREFIX, head.number_of_samples * head.channels, copy);
        return { type: 'waveform', waveform: { head, data } };
      }
      case MessageId.CLOSE:
        return { type: 'close' };
      case MessageId.CONFIG_FILE: {
        const payload = u8.subarray(p + 2, p + total);
        const name = decodeCString(payload);
        return isDefaultConfigFilePayload(name, payload) ? { type: 'config_file', name } : { type: 'config_file', name, raw: payload.slice() };
      }
      case MessageId.CONFIG_TEXT:
      case MessageId.HEADER:
      case MessageId.TEXT: {
        const payload = u8.subarray(p + TEXT_PREFIX, p + total);
        const text = decodeCString(payload);
        const raw = isDefaultTextPayload(text, payload) ? undefined : payload.slice();
        if (id === MessageId.HEADER) return raw ? { type: 'header', xml: text, raw } : { type: 'header', xml: text };
        const type = id === MessageId.TEXT ? 'text' : 'config_text';
        return raw ? { type, text, raw } : { type, text };
      }
      case MessageId.NDARRAY: {
        const bytes = copy ? u8.slice(p + 2, p + total) : u8.subarray(p + 2, p + total);
        return { type: 'ndarray', bytes };
      }
      default:
        // frameLength has rejected every other id.
        throw MrdProtocolError.unsupported(id, at);
    }
  }
}

/** Decodes a complete stream held in memory (throws 'truncated' if it ends inside a message). */
export function decodeStream(bytes: Uint8Array, opts: MrdStreamDecoderOptions = {}): MrdMessage[] {
  const d = new MrdStreamDecoder(opts);
  const out = d.push(bytes);
  d.end();
  return out;
}

/**
 * Decodes a stream of chunks (a file read stream, a socket) into messages as they complete;
 * throws 'truncated' if the source ends inside a message.
 */
export async function* decodeMessages(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: MrdStreamDecoderOptions = {}): AsyncGenerator<MrdMessage, void, undefined> {
  const d = new MrdStreamDecoder(opts);
  const out: MrdMessage[] = [];
  for await (const chunk of source) {
    d.push(chunk, out);
    for (let i = 0; i < out.length; i++) yield out[i]!;
    out.length = 0;
  }
  d.end();
}
