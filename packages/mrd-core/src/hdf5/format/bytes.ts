/**
 * Little-endian byte building and parsing for HDF5 file-format structures.
 *
 * Addresses and lengths are 8 bytes throughout (the "size of offsets/lengths" every MRD file
 * uses). They are held as JS numbers (exact up to 2^53 bytes); the HDF5 "undefined address"
 * (all bits set) is `UNDEF_ADDR` (-1).
 */

export const UNDEF_ADDR = -1;

export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.length));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
    return this;
  }
  /** 8-byte unsigned value or address; `UNDEF_ADDR` writes all ones. */
  u64(v: number | bigint): this {
    this.ensure(8);
    if (v === UNDEF_ADDR || v === -1n) {
      this.view.setUint32(this.length, 0xffffffff, true);
      this.view.setUint32(this.length + 4, 0xffffffff, true);
    } else {
      this.view.setBigUint64(this.length, BigInt(v), true);
    }
    this.length += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }
  /** Pads with zeros up to a multiple of `align` bytes. */
  align(align: number): this {
    const r = this.length % align;
    if (r) this.zeros(align - r);
    return this;
  }
  /** Overwrites a u16/u32 at an earlier position. */
  patchU16(pos: number, v: number): void {
    this.view.setUint16(pos, v, true);
  }
  patchU32(pos: number, v: number): void {
    this.view.setUint32(pos, v >>> 0, true);
  }
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Sequential little-endian reader over a byte array, for parsing existing files. */
export class ByteReader {
  readonly view: DataView;
  pos: number;

  constructor(readonly bytes: Uint8Array, pos = 0, readonly what = 'HDF5 structure') {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }
  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new Error(`${this.what}: truncated (need ${n} bytes at ${this.pos} of ${this.bytes.length})`);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  /** An 8-byte address or length; all-ones gives UNDEF_ADDR. */
  u64(): number {
    this.need(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    if (lo === 0xffffffff && hi === 0xffffffff) return UNDEF_ADDR;
    if (hi >= 0x200000) throw new Error(`${this.what}: 64-bit value beyond 2^53 at ${this.pos - 8}`);
    return hi * 0x100000000 + lo;
  }
  bytesN(n: number): Uint8Array {
    this.need(n);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  /** A NUL-terminated string (the NUL is consumed). */
  cstring(): string {
    let end = this.pos;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    if (end >= this.bytes.length) throw new Error(`${this.what}: unterminated name at ${this.pos}`);
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
}

export function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
