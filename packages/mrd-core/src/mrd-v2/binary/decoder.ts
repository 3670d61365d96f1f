/**
 * Incremental decoder of the MRD v2 binary stream (yardl compact binary, protocol `Mrd`): push
 * chunks of any size (1 byte to many MB), get the header, the stream items and the end back as
 * they complete.
 *
 * The stream: the preamble (magic, version 1, MRD 2.2.1's schema: checked byte for byte, as
 * upstream readers do), the optional Header, then blocks of `varint n` + n StreamItems ended by a
 * block of 0. Nothing may follow.
 *
 * The encoding has no length prefixes, so a value's size is known only by parsing it. Each unit
 * (the header, a block count, an item) is parsed from the bytes at hand; when they end first, the
 * parse stops with the position it needs, the unit's bytes are copied into a buffer of its own and
 * the parse is tried again once that position has arrived (copying only the unit's bytes, at most
 * once more on growth). Units that lie inside one pushed chunk are parsed in place. A new attempt
 * resumes each vector, map and array where the last one stopped (BinaryReader.resume), so a unit
 * arriving in many small pieces costs linear time.
 *
 * - Bulk float arrays (acquisition data and trajectories, float and complex image data, waveform-
 *   free arrays) are typed-array VIEWS into the pushed chunk when their offset there is aligned for
 *   the element type, else copied (varints before them put them at any offset, so about 3 in 4
 *   float32 arrays of a chunk are copied; small copies share 64 KiB slabs). A unit assembled from
 *   several chunks is laid out so its largest array is 8-byte aligned (a view into the assembly).
 *   Integer arrays (uint16/int16/uint32/int32 images, waveform samples) are varints per element in
 *   the encoding, so they are always decoded into new typed arrays. The decoder never modifies
 *   pushed chunks; callers must not reuse a chunk's memory while items from it are alive (or pass
 *   `copyArrays: true`).
 * - Guards: every length (string, vector, map, array dimensions) is checked against
 *   `maxItemSize` before anything is allocated, and no unit may exceed it; a hostile length is a
 *   protocol error, never an allocation. Buffers allocated: one unit assembly (<= maxItemSize + 8
 *   bytes of alignment), array copies (<= maxItemSize), 64 KiB slabs (<= maxItemSize).
 * - Errors are MrdProtocolError (the same class as v1's) naming the stream offset, the unit
 *   (header or StreamItem #n and its case) and the field path. After an error the decoder is
 *   unusable.
 */
import { MrdProtocolError } from '../../stream/errors.js';
import { BinaryReader, DecodeFault, NEED_MORE } from '../codec/binary-reader.js';
import { OptionalHeader, StreamItem } from '../model/codecs.js';
import type { Header, StreamItem as StreamItemValue } from '../model/types.js';
import { MRD_PREAMBLE, YARDL_MAGIC } from './preamble.js';

/** Default maximum size of one unit (the header or one stream item): 512 MiB, as v1's message limit. */
export const DEFAULT_MAX_ITEM_SIZE = 512 * 1024 * 1024;

export type MrdV2Event =
  | { type: 'header'; header: Header | undefined }
  | { type: 'item'; item: StreamItemValue }
  | { type: 'end' };

export interface MrdV2DecoderOptions {
  /** Largest header or stream item accepted, in bytes; larger is a protocol error. Default 512 MiB. */
  maxItemSize?: number;
  /** Always copy bulk arrays (items never reference pushed chunks). Default false. */
  copyArrays?: boolean;
}

export interface MrdV2DecoderStats {
  items: number;
  bytes: number;
  /** Bulk arrays returned as views (into a pushed chunk or an assembled unit). */
  viewedArrays: number;
  /** Bulk arrays copied (unaligned, or copyArrays). */
  copiedArrays: number;
  /** Units that spanned chunks and were assembled in a buffer of their own. */
  assembledUnits: number;
  /** Largest single buffer the decoder allocated, in bytes. */
  largestAllocation: number;
}

type Stage = 'preamble' | 'header' | 'block' | 'item' | 'done';

/** Bytes a block count (a varint) may take. */
const BLOCK_LIMIT = 10;
/** Bytes an assembly takes beyond what the last parse needed (see pushInner). */
const SLACK = 16 * 1024;

export class MrdV2StreamDecoder {
  readonly maxItemSize: number;
  private readonly reader = new BinaryReader();
  private stage: Stage = 'preamble';
  private preambleMatched = 0;
  /** Stream offset of the next unit's first byte. */
  private consumed = 0;
  /** Items left in the current block. */
  private itemsLeft = 0;
  private itemIndex = 0;
  /** Assembly of a unit spanning chunks: bytes [pad, pad + asmLen) of asm hold the unit's first asmLen bytes. */
  private asm: Uint8Array | null = null;
  private asmPad = 0;
  private asmLen = 0;
  /** Unit bytes needed before parsing again. */
  private asmNeed = 0;
  /** Size of the bulk array the assembly's alignment was chosen for. */
  private asmAlignedBytes = 0;
  private failed: MrdProtocolError | null = null;
  private asmAssembled = 0;
  private asmLargest = 0;
  private itemCount = 0;

  constructor(opts: MrdV2DecoderOptions = {}) {
    this.maxItemSize = opts.maxItemSize ?? DEFAULT_MAX_ITEM_SIZE;
    this.reader.views = !(opts.copyArrays ?? false);
  }

  get stats(): MrdV2DecoderStats {
    const s = this.reader.stats;
    return {
      items: this.itemCount, bytes: this.consumed, viewedArrays: s.viewed, copiedArrays: s.copied,
      assembledUnits: this.asmAssembled, largestAllocation: Math.max(s.largestAllocation, this.asmLargest),
    };
  }

  /** Stream offset of the next unit boundary (bytes consumed into returned events). */
  get offset(): number {
    return this.consumed;
  }

  /** Whether the end-of-stream marker has been read. */
  get finished(): boolean {
    return this.stage === 'done';
  }

  /** Bytes received that belong to a unit not yet complete. */
  get bufferedBytes(): number {
    return this.stage === 'preamble' ? this.preambleMatched : this.asm ? this.asmLen : 0;
  }

  /** Feeds bytes; returns the events they complete (appended to `out` if given). Throws MrdProtocolError. */
  push(chunk: Uint8Array, out: MrdV2Event[] = []): MrdV2Event[] {
    if (this.failed) throw this.failed;
    try {
      this.pushInner(chunk, out);
    } catch (e) {
      throw (this.failed = this.toProtocolError(e));
    }
    return out;
  }

  /** Declares the end of the input: throws a 'truncated' MrdProtocolError unless the stream was complete. */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.stage === 'done') return;
    const at = this.consumed;
    let what: string;
    if (this.stage === 'preamble') {
      what = this.preambleMatched === 0 ? 'the stream is empty' : `the stream ended inside its preamble (magic, version, schema) after ${this.preambleMatched} of ${MRD_PREAMBLE.length} bytes`;
    } else if (this.asm) {
      what = `the stream ended inside ${this.unitName()} (${this.asmLen} bytes received, at least ${this.asmNeed} needed)`;
    } else {
      what = `the stream ended before its end marker (a block of 0 items) after ${this.itemCount} items`;
    }
    this.failed = new MrdProtocolError(`MRD v2 stream offset ${at}: ${what}`, { reason: 'truncated', offset: at, messageName: this.unitName() });
    throw this.failed;
  }

  private unitName(): string {
    switch (this.stage) {
      case 'preamble': return 'preamble';
      case 'header': return 'header';
      case 'block': return 'block count';
      case 'item': return `StreamItem #${this.itemIndex}`;
      default: return 'end';
    }
  }

  private toProtocolError(e: unknown): MrdProtocolError {
    if (e instanceof MrdProtocolError) return e;
    if (e instanceof DecodeFault) {
      const path = e.path.length ? ` ${e.path.join('.').replace(/\.\[/g, '[')}` : '';
      return new MrdProtocolError(`MRD v2 stream offset ${e.offset}: ${this.unitName()}${path}: ${e.detail}`, {
        reason: e.reason, offset: e.offset, messageName: e.path.length && this.stage === 'item' ? `StreamItem.${e.path[0]}` : this.unitName(),
      });
    }
    if (e === NEED_MORE) return new MrdProtocolError('MRD v2 decoder: internal error (unhandled need-more)', { reason: 'invalid-field' });
    throw e;
  }

  private matchPreamble(chunk: Uint8Array): number {
    const want = MRD_PREAMBLE.length - this.preambleMatched;
    const n = Math.min(want, chunk.length);
    for (let i = 0; i < n; i++) {
      const at = this.preambleMatched + i;
      if (chunk[i] !== MRD_PREAMBLE[at]) {
        let what: string;
        if (at < YARDL_MAGIC.length) what = 'not an MRD v2 stream: it does not start with the magic bytes "yardl"';
        else if (at < 9) what = 'unsupported yardl binary format version (this reader knows version 1)';
        else what = `the protocol schema of the stream is not the one of MRD 2.2.1 (first difference at byte ${at}); upstream readers refuse such a stream too`;
        throw new MrdProtocolError(`MRD v2 stream offset ${at}: ${what}`, { reason: 'invalid-field', offset: at, messageName: 'preamble' });
      }
    }
    this.preambleMatched += n;
    if (this.preambleMatched === MRD_PREAMBLE.length) {
      this.stage = 'header';
      this.consumed = MRD_PREAMBLE.length;
    }
    return n;
  }

  private pushInner(chunk: Uint8Array, out: MrdV2Event[]): void {
    const n = chunk.length;
    let p = 0;
    if (this.stage === 'preamble') {
      p = this.matchPreamble(chunk);
      if (this.stage === 'preamble') return;
    }
    // 1. Complete a unit begun in earlier chunks. Beyond what the parse needs, up to SLACK more
    // bytes are taken, so the small fields after a large array do not cost a parse each; what the
    // unit did not use of them goes back to this chunk (they are all from this push: an attempt
    // that falls short needs more than the assembly holds, so earlier bytes are all the unit's).
    while (this.asm && p < n) {
      const room = this.asm.length - this.asmPad - this.asmLen;
      const take = Math.min(Math.max(this.asmNeed - this.asmLen, SLACK), n - p, room);
      this.asm.set(chunk.subarray(p, p + take), this.asmPad + this.asmLen);
      this.asmLen += take;
      p += take;
      if (this.asmLen < this.asmNeed) return;
      const u8 = this.asm.subarray(this.asmPad, this.asmPad + this.asmLen);
      const r = this.startUnit(u8, 0, this.asmLen, this.consumed);
      r.resumable = true;
      if (this.parseUnit(r, out)) {
        p -= this.asmLen - r.pos;
        this.asm = null;
        this.asmAssembled++;
      } else {
        this.growAssembly();
      }
    }
    if (p >= n) return;
    // 2. Units inside this chunk, parsed in place.
    while (p < n) {
      if (this.stage === 'done') {
        throw new MrdProtocolError(`MRD v2 stream offset ${this.consumed}: ${n - p} bytes follow the end of the stream`, {
          reason: 'invalid-field', offset: this.consumed, messageName: 'end',
        });
      }
      const r = this.startUnit(chunk, p, n, this.consumed - p);
      if (this.parseUnit(r, out)) {
        p = r.pos;
        continue;
      }
      // 3. The rest of the chunk starts a unit that continues in later chunks.
      this.startAssembly(chunk, p, n);
      return;
    }
  }

  private unitLimit(): number {
    return this.stage === 'block' ? BLOCK_LIMIT : this.maxItemSize;
  }

  private startUnit(u8: Uint8Array, start: number, end: number, base: number): BinaryReader {
    const r = this.reader;
    r.reset(u8, start, end, base, this.unitLimit());
    r.resumable = false;
    return r;
  }

  /** Parses one unit at the reader's position; false when its bytes end first (NEED_MORE). */
  private parseUnit(r: BinaryReader, out: MrdV2Event[]): boolean {
    const start = r.pos;
    const { viewed, copied } = r.stats;
    try {
      switch (this.stage) {
        case 'header': {
          const header = OptionalHeader.read(r);
          out.push({ type: 'header', header });
          this.stage = 'block';
          break;
        }
        case 'block': {
          const count = r.size();
          if (count === 0) {
            this.stage = 'done';
            out.push({ type: 'end' });
          } else {
            this.itemsLeft = count;
            this.stage = 'item';
          }
          break;
        }
        case 'item': {
          const item = StreamItem.read(r);
          out.push({ type: 'item', item });
          this.itemCount++;
          this.itemIndex++;
          if (--this.itemsLeft === 0) this.stage = 'block';
          break;
        }
        default:
          throw new Error(`MRD v2 decoder: no unit to parse in stage ${this.stage}`);
      }
    } catch (e) {
      if (e === NEED_MORE) {
        // Arrays of a failed attempt are dropped: count only the ones returned.
        r.stats.viewed = viewed;
        r.stats.copied = copied;
        return false;
      }
      r.resume.clear();
      throw e;
    }
    r.resume.clear();
    this.consumed += r.pos - start;
    return true;
  }

  /** Copies `chunk[p, n)`, the start of a unit that needs more bytes, into an assembly buffer. */
  private startAssembly(chunk: Uint8Array, p: number, n: number): void {
    this.asm = null;
    this.asmLen = 0;
    this.asmAlignedBytes = 0;
    this.allocateAssembly(NEED_MORE.need - this.consumed, NEED_MORE.alignAt);
    this.asm!.set(chunk.subarray(p, n), this.asmPad);
    this.asmLen = n - p;
  }

  /** After a parse of the assembly ran short: make room for what it needs now. */
  private growAssembly(): void {
    this.allocateAssembly(NEED_MORE.need - this.consumed, NEED_MORE.alignAt);
  }

  /**
   * Ensures the assembly can hold `need` unit bytes, aligning the bulk array at unit offset
   * `alignAt - consumed` (when given) to 8 bytes if it is larger than the one aligned so far.
   */
  private allocateAssembly(need: number, alignAt: number): void {
    this.asmNeed = need;
    const limit = this.unitLimit();
    let pad = this.asmPad;
    let realign = false;
    if (alignAt >= 0) {
      const rel = alignAt - this.consumed;
      const bulkBytes = need - rel;
      if (bulkBytes > this.asmAlignedBytes) {
        const want = (8 - (rel % 8)) % 8;
        this.asmAlignedBytes = bulkBytes;
        if (want !== pad || !this.asm) {
          pad = want;
          realign = true;
        }
      }
    }
    const cap = this.asm ? this.asm.length - this.asmPad : 0;
    const want = Math.min(need + SLACK, limit);
    if (this.asm && !realign && cap >= want) return;
    // Grow geometrically (a unit fed a byte at a time is not copied once per byte), within the limit.
    const newCap = Math.min(Math.max(want, 2 * cap, 256), limit);
    const size = pad + newCap;
    const b = Buffer.allocUnsafeSlow(size);
    const buf = new Uint8Array(b.buffer, b.byteOffset, size);
    if (size > this.asmLargest) this.asmLargest = size;
    if (this.asm && this.asmLen > 0) buf.set(this.asm.subarray(this.asmPad, this.asmPad + this.asmLen), pad);
    this.asm = buf;
    this.asmPad = pad;
  }
}

/** Decodes a complete stream held in memory (throws 'truncated' if it ends early). */
export function decodeMrdV2(bytes: Uint8Array, opts: MrdV2DecoderOptions = {}): { header: Header | undefined; items: StreamItemValue[] } {
  const d = new MrdV2StreamDecoder(opts);
  const events = d.push(bytes);
  d.end();
  return collectMrdV2Events(events);
}

/** The header and the items of a decoded stream's events (binary or NDJSON). */
export function collectMrdV2Events(events: Iterable<MrdV2Event>): { header: Header | undefined; items: StreamItemValue[] } {
  let header: Header | undefined;
  const items: StreamItemValue[] = [];
  for (const e of events) {
    if (e.type === 'header') header = e.header;
    else if (e.type === 'item') items.push(e.item);
  }
  return { header, items };
}

/** Decodes a stream of chunks (a file read stream, a socket) into events as they complete. */
export async function* decodeMrdV2Events(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: MrdV2DecoderOptions = {}): AsyncGenerator<MrdV2Event, void, undefined> {
  const d = new MrdV2StreamDecoder(opts);
  const out: MrdV2Event[] = [];
  for await (const chunk of source) {
    d.push(chunk, out);
    for (let i = 0; i < out.length; i++) yield out[i]!;
    out.length = 0;
  }
  d.end();
}
