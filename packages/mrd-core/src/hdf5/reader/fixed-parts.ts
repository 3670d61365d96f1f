/**
 * Reads the fixed-size part of the records of a dataset straight from the file, without HDF5:
 * for the acquisition and waveform datasets that is the header plus the vlen descriptors, so
 * headers come without their payloads (an H5Dread of the records would also fetch every vlen
 * payload from the global heap, i.e. the whole 2 GB of a 2 GB file, to show its headers).
 *
 * Only the layouts that the ISMRMRD C library, h5py (default format bounds) and mrd-core's
 * writer produce are handled, with the decoders of ../format: superblock 0-3, object headers
 * v1/v2, symbol-table or compact-link groups, data layout message v3 (contiguous, or chunked
 * with a version 1 B-tree), no filters, little-endian members. `FixedParts.open` returns null
 * for anything else (dense link storage, newer chunk indexes, compression, shared datatypes):
 * the caller then reads through HDF5 (h5wasm) as before, so this is an optimisation, never a
 * second source of truth.
 */
import { closeSync, openSync, readSync, readv, readvSync } from 'node:fs';
import { ByteReader, UNDEF_ADDR } from '../format/bytes.js';
import { rank1ChunkIndex } from '../format/chunk-index.js';
import { decodeDatatype, type Datatype } from '../format/datatype.js';
import {
  decodeDataspace,
  decodeLayout,
  decodeLink,
  decodeLinkInfo,
  decodeStab,
  MSG_DATASPACE,
  MSG_DATATYPE,
  MSG_FILTERS,
  MSG_FLAG_SHARED,
  MSG_LAYOUT,
  MSG_LINK,
  MSG_LINK_INFO,
  MSG_STAB,
  readObjectHeader,
  type ReadAt,
} from '../format/object-header.js';
import { readSymbolTable } from '../format/symbol-table.js';
import { decodeSuperblock, type Superblock } from '../format/superblock.js';
import { H5T, type Metadata } from './h5wasm-runtime.js';
import type { DirectRing } from './direct-ring.js';

/** `raw(pos, n)`: exactly `n` bytes at absolute file offset `pos` of `fd` (throws at end of file). */
export function positionedReader(fd: number, path: string): (pos: number, n: number) => Uint8Array {
  return (pos, n) => {
    const b = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      const k = readSync(fd, b, done, n - done, pos + done);
      if (k === 0) throw new Error(`${path}: end of file at ${pos + done}`);
      done += k;
    }
    return b;
  };
}

/**
 * The superblock, searched where HDF5 looks for it (offset 0, 512, 1024, 2048, ...: after a
 * user block), or null when there is none; throws for superblocks the decoder does not handle.
 */
export function findSuperblock(raw: (pos: number, n: number) => Uint8Array, path: string): Superblock | null {
  let pos = 0;
  for (let tries = 0; tries < 12; tries++) {
    const b = raw(pos, 8);
    if (b[0] === 0x89 && b[1] === 0x48 && b[2] === 0x44 && b[3] === 0x46) return decodeSuperblock(raw(pos, 100), pos, path);
    pos = pos === 0 ? 512 : pos * 2;
  }
  return null;
}

/** A run of consecutive rows stored contiguously at `addr` (file offset of its first row). */
interface Extent {
  row: number;
  rows: number;
  addr: number;
}

export class FixedParts {
  private constructor(
    private readonly fd: number,
    private readonly base: number,
    /** Bytes of one record in the file. */
    readonly recordSize: number,
    /** Number of records. */
    readonly rows: number,
    /** The file datatype of a record. */
    readonly type: Datatype & { kind: 'compound' },
    /** Sorted by row. */
    private readonly extents: Extent[],
  ) {}

  /** Reads it holds are copied from it (direct-ring.ts; `AcquisitionWireReader.readDirect`). */
  ring: DirectRing | null = null;

  /**
   * Opens the record dataset at `datasetPath` of the HDF5 file `path` for fixed-part reads, or
   * returns null when its storage is not one this reader handles.
   */
  static async open(path: string, datasetPath: string): Promise<FixedParts | null> {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return null;
    }
    try {
      const r = await FixedParts.locate(fd, path, datasetPath);
      if (!r) closeSync(fd);
      return r;
    } catch {
      closeSync(fd);
      return null;
    }
  }

  private static async locate(fd: number, path: string, datasetPath: string): Promise<FixedParts | null> {
    const raw = positionedReader(fd, path);
    const sb = findSuperblock(raw, path);
    if (!sb) return null;
    const base = sb.position;
    const read: ReadAt = async (addr, n) => raw(base + addr, n);
    const what = `${path}:${datasetPath}`;

    // walk the path from the root group
    let addr = sb.root.objectHeaderAddr;
    for (const name of datasetPath.split('/').filter(Boolean)) {
      const oh = await readObjectHeader(read, addr, what);
      const stab = oh.messages.find((m) => m.type === MSG_STAB);
      let next: number | undefined;
      if (stab) {
        const s = decodeStab(stab.body, what);
        next = (await readSymbolTable(read, s.btreeAddr, s.heapAddr, what)).find((e) => e.name === name)?.objectHeaderAddr;
      } else {
        const li = oh.messages.find((m) => m.type === MSG_LINK_INFO);
        if (li && decodeLinkInfo(li.body, what).dense) return null;
        for (const m of oh.messages) {
          if (m.type !== MSG_LINK) continue;
          const link = decodeLink(m.body, what);
          if (link.name === name) next = link.hardAddr;
        }
      }
      if (next === undefined || next === UNDEF_ADDR) return null;
      addr = next;
    }

    const oh = await readObjectHeader(read, addr, what);
    const get = (t: number) => oh.messages.find((m) => m.type === t);
    const dtm = get(MSG_DATATYPE);
    const dsm = get(MSG_DATASPACE);
    const lm = get(MSG_LAYOUT);
    if (!dtm || !dsm || !lm || dtm.flags & MSG_FLAG_SHARED) return null;
    const filters = get(MSG_FILTERS);
    if (filters && filters.body[1] > 0) return null;
    const type = decodeDatatype(new ByteReader(dtm.body, 0, what));
    if (type.kind !== 'compound') return null;
    const space = decodeDataspace(dsm.body, what);
    if (space.dims.length !== 1) return null;
    const rows = space.dims[0]!;
    const layout = decodeLayout(lm.body, what);
    const extents: Extent[] = [];
    if (layout.kind === 'contiguous') {
      if (rows > 0 && layout.addr === UNDEF_ADDR) return null;
      if (rows > 0) extents.push({ row: 0, rows, addr: base + layout.addr });
    } else if (layout.kind === 'chunked') {
      if (layout.chunkDims.length !== 2 || layout.chunkDims[1] !== type.size) return null;
      const chunkRows = layout.chunkDims[0]!;
      if (layout.btreeAddr !== UNDEF_ADDR) {
        for (const c of rank1ChunkIndex(raw, base, layout.btreeAddr, what)) extents.push({ row: c.row, rows: Math.max(0, Math.min(chunkRows, rows - c.row)), addr: base + c.addr });
      }
      extents.sort((a, b) => a.row - b.row);
      // every row must be stored (no unallocated chunks: those read as fill values in HDF5)
      let expect = 0;
      for (const e of extents) {
        if (e.row !== expect) return null;
        expect += e.rows;
      }
      if (expect < rows) return null;
    } else {
      return null;
    }
    return new FixedParts(fd, base, type.size, rows, type, extents);
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Reads `n` bytes at file address `addr` (relative to the superblock, as HDF5 stores addresses) into `out` at `at`. */
  readInto(addr: number, out: Uint8Array, at: number, n: number): void {
    if (this.ring?.copy(this.base + addr, out, at, n)) return;
    let done = 0;
    while (done < n) {
      const k = readSync(this.fd, out, at + done, n - done, this.base + addr + done);
      if (k === 0) throw new Error(`end of file at address ${addr + done}`);
      done += k;
    }
  }

  /**
   * As `readUpTo` of `n` bytes into `out` at `at`, then on into `then` (its whole length) with
   * the same call (readv); returns the bytes read in all, fewer only at the end of the file.
   */
  readUpToThen(addr: number, out: Uint8Array, at: number, n: number, then: Uint8Array): number {
    const total = n + then.byteLength;
    if (this.ring?.copy(this.base + addr, out, at, n) && this.ring.copy(this.base + addr + n, then, 0, then.byteLength)) return total;
    let done = readvSync(this.fd, [out.subarray(at, at + n), then], this.base + addr);
    // (a short read of a regular file: only at its end, or interrupted; go on one part at a time)
    while (done < total) {
      const k = done < n ? readSync(this.fd, out, at + done, n - done, this.base + addr + done) : readSync(this.fd, then, done - n, total - done, this.base + addr + done);
      if (k === 0) break;
      done += k;
    }
    return done;
  }

  /**
   * Reads the file from address `addr` on into `parts`, one after the other, with one positioned
   * `readv` on libuv's thread pool (the calling thread is free meanwhile); resolves to the bytes
   * read in all, fewer only at the end of the file.
   */
  async readvAsync(addr: number, parts: Uint8Array[]): Promise<number> {
    const total = parts.reduce((a, p) => a + p.byteLength, 0);
    let pos = this.base + addr;
    if (await this.ring?.wait(pos, total)) if (parts.every((p) => this.ring!.copy(pos, p, 0, p.byteLength) && (pos += p.byteLength))) return total;
    let done = 0;
    while (done < total) {
      // (a short read: go on from where it stopped, with what is left of the parts)
      let skip = done;
      const rest: Uint8Array[] = [];
      for (const p of parts) {
        if (skip >= p.byteLength) skip -= p.byteLength;
        else {
          rest.push(skip > 0 ? p.subarray(skip) : p);
          skip = 0;
        }
      }
      const k = await new Promise<number>((resolve, reject) => readv(this.fd, rest, this.base + addr + done, (err, n) => (err ? reject(err) : resolve(n))));
      if (k === 0) break;
      done += k;
    }
    return done;
  }

  /**
   * Where `row`'s fixed part is: its address as `readInto` takes it (relative to the
   * superblock), and how many rows from it on, at most `max`, are stored back to back (its
   * extent's and adjacent extents', as `readRowsInto` reads them with one call).
   */
  rowSpan(row: number, max: number): { addr: number; rows: number } {
    let lo = 0;
    let hi = this.extents.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.extents[mid]!.row <= row) lo = mid;
      else hi = mid - 1;
    }
    const e = this.extents[lo]!;
    const from = row - e.row;
    let rows = e.rows - from;
    let tail = e.addr + e.rows * this.recordSize;
    for (let j = lo + 1; rows < max && j < this.extents.length && this.extents[j]!.addr === tail; j++) {
      rows += this.extents[j]!.rows;
      tail = this.extents[j]!.addr + this.extents[j]!.rows * this.recordSize;
    }
    return { addr: e.addr + from * this.recordSize - this.base, rows: Math.min(rows, max) };
  }

  /** The file offset of `row`'s fixed part. */
  fileOffset(row: number): number {
    return this.base + this.rowSpan(row, 1).addr;
  }

  /** As `readInto`, but stops at the end of the file; returns the bytes read. */
  readUpTo(addr: number, out: Uint8Array, at: number, n: number): number {
    if (this.ring?.copy(this.base + addr, out, at, n)) return n;
    let done = 0;
    while (done < n) {
      const k = readSync(this.fd, out, at + done, n - done, this.base + addr + done);
      if (k === 0) break;
      done += k;
    }
    return done;
  }

  /** File offset of a compound member of the record (top level), or undefined. */
  memberOffset(name: string): number | undefined {
    return this.type.members.find((m) => m.name === name)?.offset;
  }

  /**
   * Whether the member `name` is laid out in the file as h5wasm lays it out in memory (the
   * `memory` metadata): same size and the same member names and offsets at every depth, and
   * little-endian numbers. Only then can the memory-layout decoders read the file bytes.
   */
  sameLayout(name: string, memory: Metadata): boolean {
    const m = this.type.members.find((x) => x.name === name);
    return !!m && sameLayout(m.type, memory);
  }

  /** Whether the whole record is laid out in the file as in h5wasm's `memory` metadata (see `sameLayout`). */
  sameRecordLayout(memory: Metadata): boolean {
    return sameLayout(this.type, memory);
  }

  /** The fixed parts of rows [start, start + count), `recordSize` bytes each, back to back. */
  read(start: number, count: number): Uint8Array {
    return this.readRowsInto(start, count, new Uint8Array(count * this.recordSize));
  }

  /** As `read`, into the start of `out` (reused by the caller); returns `out`. */
  readRowsInto(start: number, count: number, out: Uint8Array): Uint8Array {
    if (out.byteLength < count * this.recordSize) throw new RangeError('readRowsInto: buffer too small');
    if (count === 0) return out;
    // first extent holding `start` (binary search)
    let lo = 0;
    let hi = this.extents.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.extents[mid]!.row <= start) lo = mid;
      else hi = mid - 1;
    }
    let row = start;
    const end = start + count;
    // Adjacent extents (chunks written back to back) are read with one call.
    for (let i = lo; row < end && i < this.extents.length; ) {
      const e = this.extents[i]!;
      const from = row - e.row;
      let n = Math.min(e.rows - from, end - row);
      let addr = e.addr + from * this.recordSize;
      let j = i + 1;
      if (from + n === e.rows) {
        let tail = e.addr + e.rows * this.recordSize;
        while (row + n < end && j < this.extents.length && this.extents[j]!.addr === tail) {
          const x = this.extents[j]!;
          const take = Math.min(x.rows, end - row - n);
          n += take;
          tail = x.addr + x.rows * this.recordSize;
          j++;
          if (take < x.rows) break;
        }
      }
      const bytes = n * this.recordSize;
      const at = (row - start) * this.recordSize;
      let done = this.ring?.copy(addr, out, at, bytes) ? bytes : 0;
      while (done < bytes) {
        const k = readSync(this.fd, out, at + done, bytes - done, addr + done);
        if (k === 0) throw new Error(`end of file reading rows ${row}..${row + n}`);
        done += k;
      }
      addr += bytes;
      row += n;
      i = j;
    }
    return out;
  }
}

function sameLayout(file: Datatype, mem: Metadata): boolean {
  switch (file.kind) {
    case 'int':
      return mem.type === H5T.INTEGER && mem.size === file.size && mem.littleEndian !== false && mem.signed === file.signed;
    case 'float':
      return mem.type === H5T.FLOAT && mem.size === file.size && mem.littleEndian !== false;
    case 'array': {
      if (mem.type !== H5T.ARRAY || !mem.array_type) return false;
      const count = file.dims.reduce((a, b) => a * b, 1);
      const memCount = (mem.array_type.shape ?? []).reduce((a, b) => a * b, 1);
      return count === memCount && sameLayout(file.base, mem.array_type);
    }
    case 'compound': {
      const ms = mem.compound_type?.members;
      if (mem.type !== H5T.COMPOUND || !ms || ms.length !== file.members.length || mem.size !== file.size) return false;
      return file.members.every((f, i) => ms[i]!.name === f.name && ms[i]!.offset === f.offset && sameLayout(f.type, ms[i]!));
    }
    default:
      return false;
  }
}
