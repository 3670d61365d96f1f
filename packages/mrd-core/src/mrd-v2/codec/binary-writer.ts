/**
 * Writing the yardl compact binary encoding into a list of chunks.
 *
 * Small values go into a growing buffer; a bulk float array of 64 KiB or more is not copied but
 * handed on as a view of the caller's typed array (its bytes are the encoding on a little-endian
 * machine), so a large acquisition costs one header buffer and no data copy. Consequently the
 * chunks of `take()` may share memory with the values written: the caller must not modify those
 * arrays until the chunks are consumed. Buffers are never reused after `take()`, so chunks stay
 * valid however long a sink keeps them.
 */

const MIN_BUFFER = 64 * 1024;
/** Bulk arrays of at least this many bytes are passed on as views, not copied. */
export const BULK_VIEW_BYTES = 64 * 1024;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('the MRD v2 codec needs a little-endian machine (as upstream\'s Python and C++)');
}

export class BinaryWriter {
  private buf: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(this.buf.buffer);
  /** Write position in `buf`. */
  private pos = 0;
  /** Start of the bytes in `buf` not yet sealed into a chunk. */
  private start = 0;
  private chunks: Uint8Array[] = [];
  private chunkBytes = 0;

  /** Bytes written since the last take(). */
  get length(): number {
    return this.chunkBytes + this.pos - this.start;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.seal();
    const size = Math.max(MIN_BUFFER, n);
    const b = Buffer.allocUnsafe(size);
    this.buf = new Uint8Array(b.buffer, b.byteOffset, size);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, size);
    this.pos = 0;
    this.start = 0;
  }

  private seal(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.chunkBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }

  /** The chunks written so far (in order); the writer starts afresh. */
  take(): Uint8Array[] {
    this.seal();
    const out = this.chunks;
    this.chunks = [];
    this.chunkBytes = 0;
    // The rest of the current buffer may be used on: chunks already taken never overlap it.
    return out;
  }

  /** Everything written so far as one contiguous buffer (a copy unless it is one chunk). */
  takeContiguous(): Uint8Array {
    const chunks = this.take();
    return chunks.length === 1 ? chunks[0]! : concatChunks(chunks);
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  bool(v: boolean): void {
    this.byte(v ? 1 : 0);
  }

  /** Unsigned varint of a non-negative integer number (up to 2^53 - 1). */
  u(v: number): void {
    this.reserve(10);
    const buf = this.buf;
    let p = this.pos;
    if (v < 0x80) {
      buf[p] = v;
      this.pos = p + 1;
      return;
    }
    while (v >= 0x80) {
      buf[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[p++] = v;
    this.pos = p;
  }

  /** Zig-zag varint of a 32-bit signed integer. */
  i32(v: number): void {
    this.u(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Unsigned varint of a 64-bit value. */
  u64(v: bigint): void {
    if (v <= 0x1fffffffffffffn) {
      this.u(Number(v));
      return;
    }
    this.reserve(10);
    const buf = this.buf;
    let p = this.pos;
    while (v >= 0x80n) {
      buf[p++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    buf[p++] = Number(v);
    this.pos = p;
  }

  /** Zig-zag varint of a 64-bit signed value. */
  i64(v: bigint): void {
    this.u64(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }

  f32(v: number): void {
    this.reserve(4);
    this.dv.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.reserve(8);
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  raw(bytes: Uint8Array): void {
    if (bytes.length >= BULK_VIEW_BYTES) {
      this.seal();
      this.chunks.push(bytes);
      this.chunkBytes += bytes.length;
      return;
    }
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** The bytes of a typed array (little-endian), viewed when large. */
  bulk(a: ArrayBufferView): void {
    this.raw(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
}

/** The chunks copied one after the other into one new buffer. */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
