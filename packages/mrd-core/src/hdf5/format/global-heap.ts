/**
 * Global heap collections (HDF5 File Format Specification III.E), where variable-length data
 * (vlen sequences and vlen strings) lives. A collection: "GCOL", version 1, 3 reserved bytes,
 * collection size (8), then objects: heap object index (u16), reference count (u16), 4 reserved
 * bytes, object size (8), the data padded to 8 bytes; the remaining space is described by object
 * 0 (free space), whose size counts its own 16-byte header. Collections are at least 4096 bytes
 * (the library's minimum) and hold at most 65535 objects.
 *
 * The writer fills one collection in memory and writes it whole when it is closed, so a
 * collection on disk is never modified afterwards.
 */
import { align8 } from './bytes.js';

const GCOL_HEADER = 16;
const GCOL_OBJECT_HEADER = 16;
const GCOL_MIN_SIZE = 4096;
const GCOL_MAX_OBJECTS = 65535;

export class GlobalHeapCollectionBuilder {
  buf: Uint8Array;
  private view: DataView;
  used = GCOL_HEADER;
  count = 0;

  /** `reuse`: a buffer of exactly `capacity` bytes from an earlier, already written collection. */
  constructor(capacity: number, reuse?: Uint8Array) {
    this.buf = reuse && reuse.length === Math.max(capacity, GCOL_MIN_SIZE) ? reuse : new Uint8Array(Math.max(capacity, GCOL_MIN_SIZE));
    this.view = new DataView(this.buf.buffer);
  }

  /** Bytes an object of `size` data bytes takes in a collection. */
  static footprint(size: number): number {
    return GCOL_OBJECT_HEADER + align8(size);
  }

  fits(size: number): boolean {
    return this.count < GCOL_MAX_OBJECTS && this.used + GlobalHeapCollectionBuilder.footprint(size) <= this.buf.length;
  }

  /** Appends an object; returns its heap index (1-based). */
  add(data: Uint8Array): number {
    const idx = ++this.count;
    const p = this.used;
    this.view.setUint16(p, idx, true);
    this.view.setUint16(p + 2, 0, true);
    this.view.setUint32(p + 4, 0, true);
    this.view.setUint32(p + 8, data.length >>> 0, true);
    this.view.setUint32(p + 12, Math.floor(data.length / 0x100000000), true);
    this.buf.set(data, p + GCOL_OBJECT_HEADER);
    const end = p + GlobalHeapCollectionBuilder.footprint(data.length);
    this.buf.fill(0, p + GCOL_OBJECT_HEADER + data.length, end);
    this.used = end;
    return idx;
  }

  /** The encoded collection (at least 4096 bytes), with the free-space object at the end. */
  finish(): Uint8Array {
    const size = Math.max(GCOL_MIN_SIZE, this.used);
    // capacity is at least GCOL_MIN_SIZE and `used` never exceeds it, so the buffer holds `size`
    const out = this.buf.subarray(0, size);
    out.set([0x47, 0x43, 0x4f, 0x4c, 1, 0, 0, 0], 0);
    const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
    v.setUint32(8, size >>> 0, true);
    v.setUint32(12, Math.floor(size / 0x100000000), true);
    const free = size - this.used;
    out.fill(0, this.used, size);
    if (free >= GCOL_OBJECT_HEADER) {
      v.setUint32(this.used + 8, free >>> 0, true);
      v.setUint32(this.used + 12, Math.floor(free / 0x100000000), true);
    }
    return out;
  }

  reset(): void {
    this.used = GCOL_HEADER;
    this.count = 0;
  }
}
