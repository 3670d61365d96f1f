/**
 * Reading the yardl compact binary encoding from a byte range that may end before the value does.
 *
 * A read past the bytes at hand throws the NEED_MORE sentinel (not an Error: no stack, cheap),
 * carrying the absolute position the read needs; the stream decoder keeps the bytes and parses
 * the unit again once that many have arrived. A read that would go past `hardEnd` (the unit's
 * start plus the maximum unit size) throws a DecodeFault instead: the unit is too large, whatever
 * comes next. Every length read from the stream is checked against that limit before anything is
 * allocated (`checkCount`), so a hostile length is a fault, never an allocation.
 *
 * Varints (LEB128, 7 bits per byte, least significant first) are read into numbers up to 32 bits
 * and into bigints for 64 bits; longer than 10 bytes, or above the type's range, is a fault.
 * Bulk float arrays are typed-array views into the bytes when their offset is aligned for the
 * element type (`views` on), else copied (see `copyBulk`).
 */

/** A fault in the stream: what, where (absolute stream offset) and in which field. */
export class DecodeFault {
  /** Field names from the unit's root to the field at fault, filled while the fault propagates. */
  readonly path: string[] = [];
  constructor(
    readonly reason: 'invalid-field' | 'message-too-large' | 'unsupported-message',
    readonly detail: string,
    readonly offset: number,
  ) {}
}

/** Thrown (one shared object) when the bytes at hand end before the value. */
export const NEED_MORE = {
  /** Absolute stream position up to which bytes are needed (exclusive). */
  need: 0,
  /** Absolute position of a bulk array whose read ran short (-1 when none): the assembly aligns it. */
  alignAt: -1,
};
export type NeedMore = typeof NEED_MORE;

export interface BulkStats {
  viewed: number;
  copied: number;
  largestAllocation: number;
}

const POOL_SIZE = 64 * 1024;
const POOL_MAX_COPY = 8 * 1024;

export class BinaryReader {
  u8: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(new ArrayBuffer(0));
  /** Position in `u8`. */
  pos = 0;
  /** End of the bytes at hand in `u8`. */
  end = 0;
  /** Position in `u8` past which the unit would exceed its maximum size. */
  hardEnd = 0;
  /** Absolute stream offset of `u8[0]`. */
  base = 0;
  /** Largest count/byte size a single length may announce (the unit size limit). */
  limit = 0;
  /** Bulk arrays as views when aligned (false: always copies). */
  views = true;
  readonly stats: BulkStats = { viewed: 0, copied: 0, largestAllocation: 0 };
  /**
   * Where the containers (vectors, maps, arrays) of a unit whose bytes ran short had got to, by
   * the absolute offset of the container: the elements decoded so far, the next element's index
   * and offset. A new attempt on the same unit (more bytes have arrived) resumes each container
   * there instead of decoding its elements again, so a unit that arrives in many small pieces
   * costs linear time, not quadratic. The decoder clears it when a unit completes or fails. An
   * entry names its container (`owner`): an empty array and the container after it share an offset.
   */
  readonly resume = new Map<number, { owner: object; value: unknown; i: number; at: number }>();
  /**
   * Whether containers record where they got to (see `resume`): only while parsing the decoder's
   * own assembly buffer, so nothing kept between pushes refers to a caller's chunk.
   */
  resumable = false;
  private pool: Uint8Array | null = null;
  private poolUsed = 0;
  private poolSize = POOL_SIZE;
  private poolMaxCopy = POOL_MAX_COPY;

  /** Points the reader at `u8[start, end)`; the unit starting at `start` may use up to `limit` bytes. */
  reset(u8: Uint8Array, start: number, end: number, base: number, limit: number): void {
    if (u8 !== this.u8) {
      this.u8 = u8;
      this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    }
    this.pos = start;
    this.end = end;
    this.base = base;
    this.limit = limit;
    this.hardEnd = start + limit;
    this.poolSize = Math.min(POOL_SIZE, limit);
    this.poolMaxCopy = Math.min(POOL_MAX_COPY, this.poolSize >> 3);
  }

  /** Absolute stream offset of the read position. */
  get offset(): number {
    return this.base + this.pos;
  }

  fault(reason: DecodeFault['reason'], detail: string, at = this.pos): DecodeFault {
    return new DecodeFault(reason, detail, this.base + at);
  }

  /** Throws NEED_MORE (or a too-large fault) unless `n` bytes are at hand. */
  ensure(n: number, bulk = false): void {
    const want = this.pos + n;
    if (want <= this.end) return;
    if (want > this.hardEnd) {
      throw this.fault('message-too-large', `needs ${want - (this.hardEnd - this.limit)} bytes, more than the maximum item size of ${this.limit} bytes`);
    }
    NEED_MORE.need = this.base + want;
    NEED_MORE.alignAt = bulk ? this.base + this.pos : -1;
    throw NEED_MORE;
  }

  /** Checks that `count` items of at least `minBytes` bytes each (and `allocBytes` to hold) fit the limit. */
  checkCount(count: number, minBytes: number, what: string, allocBytes = 0): void {
    if (count * minBytes > this.limit || count * allocBytes > this.limit) {
      throw this.fault('message-too-large', `${what} of ${count} elements exceeds the maximum item size of ${this.limit} bytes`);
    }
  }

  byte(): number {
    if (this.pos >= this.end) this.ensure(1);
    return this.u8[this.pos++]!;
  }

  bool(): boolean {
    const at = this.pos;
    const b = this.byte();
    if (b > 1) throw this.fault('invalid-field', `boolean byte ${b} is neither 0 nor 1`, at);
    return b === 1;
  }

  /** Unsigned varint of at most 32 bits. */
  u32(): number {
    const u8 = this.u8;
    let p = this.pos;
    if (p < this.end) {
      const b = u8[p]!;
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
    }
    const start = p;
    let v = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (p >= this.end) {
        this.pos = p;
        this.ensure(1);
      }
      const b = u8[p++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) break;
      mul *= 128;
      if (i === 4) {
        this.pos = start;
        throw this.fault('invalid-field', 'varint longer than 5 bytes for a 32-bit value', start);
      }
    }
    if (v > 0xffffffff) throw this.fault('invalid-field', `value ${v} does not fit 32 bits`, start);
    this.pos = p;
    return v;
  }

  /** Unsigned varint of at most 16 bits. */
  u16(): number {
    const at = this.pos;
    const v = this.u32();
    if (v > 0xffff) throw this.fault('invalid-field', `value ${v} does not fit 16 bits`, at);
    return v;
  }

  /** Zig-zag varint of at most 32 bits. */
  i32(): number {
    const v = this.u32();
    return (v >>> 1) ^ -(v & 1);
  }

  i16(): number {
    const at = this.pos;
    const v = this.i32();
    if (v < -32768 || v > 32767) throw this.fault('invalid-field', `value ${v} does not fit 16 bits`, at);
    return v;
  }

  /** Unsigned varint of at most 64 bits, split in bits 0..27 and 28..63. */
  private u64Parts(): { lo: number; hi: number } {
    // lo: bits 0..27 (4 bytes), hi: bits 28..63.
    const u8 = this.u8;
    const start = this.pos;
    let p = start;
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (p >= this.end) {
        this.pos = p;
        this.ensure(1);
      }
      const b = u8[p++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else hi += (b & 0x7f) * 2 ** (7 * (i - 4));
      if (b < 0x80) break;
      if (i === 9) {
        this.pos = start;
        throw this.fault('invalid-field', 'varint longer than 10 bytes', start);
      }
    }
    if (hi >= 2 ** 36) throw this.fault('invalid-field', 'varint value does not fit 64 bits', start);
    this.pos = p;
    return { lo: lo >>> 0, hi };
  }

  /** A varint of up to 7 bytes (49 bits) as a number, or -1 when it is longer (without consuming it). */
  private shortVarint(): number {
    const u8 = this.u8;
    let p = this.pos;
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      if (p >= this.end) {
        this.pos = p;
        this.ensure(1);
      }
      const b = u8[p++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = p;
        return v;
      }
      mul *= 128;
    }
    return -1;
  }

  u64(): bigint {
    const p = this.pos;
    if (p < this.end && this.u8[p]! < 0x80) {
      this.pos = p + 1;
      return BigInt(this.u8[p]!);
    }
    const start = p;
    const v = this.shortVarint();
    if (v >= 0) return BigInt(v);
    this.pos = start;
    const { lo, hi } = this.u64Parts();
    if (hi < 2 ** 25) return BigInt(hi * 268435456 + lo);
    return (BigInt(hi) << 28n) | BigInt(lo);
  }

  i64(): bigint {
    const u = this.u64();
    return (u >> 1n) ^ -(u & 1n);
  }

  /** Unsigned varint used as a count or a dimension: a number, at most 2^53 - 1. */
  size(): number {
    const p = this.pos;
    if (p < this.end && this.u8[p]! < 0x80) {
      this.pos = p + 1;
      return this.u8[p]!;
    }
    const at = this.pos;
    const v = this.shortVarint();
    if (v >= 0) return v;
    this.pos = at;
    const { lo, hi } = this.u64Parts();
    if (hi >= 2 ** 25) throw this.fault('message-too-large', 'length of 2^53 or more', at);
    return hi * 268435456 + lo;
  }

  f32(): number {
    if (this.pos + 4 > this.end) this.ensure(4);
    const v = this.dv.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    if (this.pos + 8 > this.end) this.ensure(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** `n` raw bytes as a view (valid while the unit's bytes are). */
  bytes(n: number): Uint8Array {
    if (this.pos + n > this.end) this.ensure(n);
    const out = this.u8.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Records an allocation of `n` bytes made for the stream (for the stats). */
  noteAllocation(n: number): void {
    if (n > this.stats.largestAllocation) this.stats.largestAllocation = n;
  }

  private allocate(n: number): Uint8Array {
    this.noteAllocation(n);
    const b = Buffer.allocUnsafeSlow(n);
    return new Uint8Array(b.buffer, b.byteOffset, n);
  }

  /**
   * `count` elements of `C` (4- or 8-byte floats) from the stream: a view when the bytes are
   * aligned for C (and views are on), else a copy (small copies share a 64 KiB slab, as Node's
   * Buffer pool does).
   */
  bulk<T extends Float32Array | Float64Array>(C: { new (b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number }, count: number): T {
    if (count === 0) return new C(new ArrayBuffer(0), 0, 0);
    const nbytes = count * C.BYTES_PER_ELEMENT;
    if (this.pos + nbytes > this.end) this.ensure(nbytes, true);
    const u8 = this.u8;
    const byteOffset = u8.byteOffset + this.pos;
    let out: T;
    if (this.views && byteOffset % C.BYTES_PER_ELEMENT === 0) {
      this.stats.viewed++;
      out = new C(u8.buffer as ArrayBuffer, byteOffset, count);
    } else {
      this.stats.copied++;
      let buf: ArrayBuffer;
      let off: number;
      if (nbytes <= this.poolMaxCopy) {
        if (!this.pool || this.poolUsed + nbytes > this.poolSize) {
          this.pool = this.allocate(this.poolSize);
          this.poolUsed = 0;
        }
        buf = this.pool.buffer as ArrayBuffer;
        off = this.pool.byteOffset + this.poolUsed;
        this.poolUsed = (this.poolUsed + nbytes + 7) & ~7;
      } else {
        const mem = this.allocate(nbytes);
        buf = mem.buffer as ArrayBuffer;
        off = mem.byteOffset;
      }
      new Uint8Array(buf, off, nbytes).set(u8.subarray(this.pos, this.pos + nbytes));
      out = new C(buf, off, count);
    }
    this.pos += nbytes;
    return out;
  }
}
