/**
 * MrdFile: reads MRD (ISMRMRD) HDF5 files written by ismrmrd-python/h5py, the ISMRMRD C/C++
 * library, MATLAB and this project, with h5wasm as the one HDF5 implementation (every layout,
 * 64-bit positioned reads, files over 4 GB). The bulk paths read a batch of rows per H5Dread into
 * the wasm heap in the dataset's own compound layout and decode headers by member name
 * (record-layout.ts); strings are read raw and decoded as UTF-8. Memory stays bounded (batches of
 * about 1 MB; `reuseBuffer` re-fills one). docs/hdf5-writer.md has why, and the figures.
 *
 * Errors name the file and the HDF5 object at fault: `phantom.h5: /dataset/data: missing`.
 * Counting methods return 0 for an absent dataset; iterating one throws.
 */
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Acquisition, Image, ImagePixels, Waveform } from '../../messages/types.js';
import type { AcquisitionHeader, ImageHeader, WaveformHeader } from '../../headers/types.js';
import { FixedParts } from './fixed-parts.js';
import { AcquisitionWireReader } from './acquisition-wire.js';
import { MrdFileError, hdf5Reason } from './errors.js';
import { H5T, h5lib, h5module, hasVlenMember, readRows, type H5File, type H5Group, type H5Module, type Metadata } from './h5wasm-runtime.js';
import {
  LayoutError,
  acquisitionHeaderDecoder,
  compoundMembers,
  imageHeaderDecoder,
  waveformHeaderDecoder,
  type RecordDecoder,
} from './record-layout.js';

/** Options of the batched iterators. */
export interface ReadOptions {
  /** Records per H5Dread; default adapts to about 1 MB of payload per batch. */
  batchSize?: number;
  /** First record (default 0). */
  start?: number;
  /** One past the last record (default: all). */
  end?: number;
  /**
   * Acquisitions only. Default false: every batch's payloads live in their own new memory and
   * stay valid as long as they are referenced. true: payloads are views into one buffer that
   * the next batch overwrites, like the ISMRMRD C++ library re-filling one Acquisition; valid
   * only until the iterator moves to the next batch (keep one with `clone`). For streaming
   * consumers (send, sum, convert and forget): it saves allocating and page-faulting fresh
   * memory for every batch.
   */
  reuseBuffer?: boolean;
  /**
   * Acquisitions only, for consumers that copy each batch right away (e.g. encode it to wire
   * bytes): payloads are views straight into the HDF5 runtime's memory, with no copy at all,
   * valid only until the iterator moves to the next batch (the runtime frees them then) and
   * as long as nothing else calls into this file meanwhile. Takes precedence over `reuseBuffer`.
   */
  heapViews?: boolean;
}

/** Element types of plain arrays (`readArray`). Complex types come interleaved re/im. */
export type ArrayElementType =
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'float32' | 'float64' | 'complex64' | 'complex128';

export type ArrayData =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array | Float32Array | Float64Array;

/** A plain n-dimensional dataset (C order). For complex types `data` holds 2 values per element. */
export interface MrdArray {
  shape: number[];
  type: ArrayElementType;
  data: ArrayData;
}

const TEXT_NAMES = new Set(['xml', 'config_file', 'config', 'configAdditional']);
const TARGET_BATCH_BYTES = 1024 * 1024;
const MAX_BATCH = 4096;
const utf8 = new TextDecoder('utf-8');

/** Image data types (`ImageHeader.data_type`), as ISMRMRD. */
const DT = { USHORT: 1, SHORT: 2, UINT: 3, INT: 4, FLOAT: 5, DOUBLE: 6, CXFLOAT: 7, CXDOUBLE: 8 } as const;
const DT_NAMES = ['?', 'USHORT', 'SHORT', 'UINT', 'INT', 'FLOAT', 'DOUBLE', 'CXFLOAT', 'CXDOUBLE'];

function allocPixels(dataType: number, n: number): ImagePixels {
  switch (dataType) {
    case DT.USHORT: return new Uint16Array(n);
    case DT.SHORT: return new Int16Array(n);
    case DT.UINT: return new Uint32Array(n);
    case DT.INT: return new Int32Array(n);
    case DT.FLOAT: return new Float32Array(n);
    case DT.DOUBLE: return new Float64Array(n);
    case DT.CXFLOAT: return new Float32Array(2 * n);
    case DT.CXDOUBLE: return new Float64Array(2 * n);
  }
  throw new Error(`unknown data_type ${dataType}`);
}

function isComplexType(dataType: number): boolean {
  return dataType === DT.CXFLOAT || dataType === DT.CXDOUBLE;
}

/** Element type of a numeric or {real, imag} dataset type, or a reason why it is not one. */
function elementType(md: Metadata): ArrayElementType | string {
  if (md.type === H5T.INTEGER) {
    const bits = md.size * 8;
    if (![8, 16, 32, 64].includes(bits)) return `${md.size}-byte integers`;
    return `${md.signed ? 'int' : 'uint'}${bits}` as ArrayElementType;
  }
  if (md.type === H5T.FLOAT) {
    if (md.size === 4) return 'float32';
    if (md.size === 8) return 'float64';
    return `${md.size}-byte floats`;
  }
  if (md.type === H5T.COMPOUND && md.compound_type) {
    const ms = md.compound_type.members;
    // {real, imag} as the ISMRMRD libraries write complex data; {r, i} as h5py stores numpy complex
    const named = (ms[0]?.name === 'real' && ms[1]?.name === 'imag') || (ms[0]?.name === 'r' && ms[1]?.name === 'i');
    if (ms.length === 2 && named && ms[0]!.type === H5T.FLOAT &&
        ms[1]!.type === H5T.FLOAT && ms[0]!.size === ms[1]!.size && ms[0]!.offset === 0 && ms[1]!.offset === ms[0]!.size &&
        md.size === 2 * ms[0]!.size && (ms[0]!.size === 4 || ms[0]!.size === 8)) {
      return ms[0]!.size === 4 ? 'complex64' : 'complex128';
    }
    return `a compound that is not {real, imag} (or h5py's {r, i}) of floats (members ${ms.map((m) => m.name).join(', ')})`;
  }
  return `HDF5 class ${md.type}`;
}

const ELEMENT_BYTES: Record<ArrayElementType, number> = {
  int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, int64: 8, uint64: 8,
  float32: 4, float64: 8, complex64: 8, complex128: 16,
};

/** A typed array of `n` values of the element type viewed over `bytes` (copied, aligned). */
function typedCopy(type: ArrayElementType, heap: Uint8Array, ptr: number, elements: number): ArrayData {
  const copy = (C: { new (n: number): ArrayData; BYTES_PER_ELEMENT: number }, values: number): ArrayData => {
    const out = new C(values);
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(heap.subarray(ptr, ptr + out.byteLength));
    return out;
  };
  switch (type) {
    case 'int8': return copy(Int8Array, elements);
    case 'uint8': return copy(Uint8Array, elements);
    case 'int16': return copy(Int16Array, elements);
    case 'uint16': return copy(Uint16Array, elements);
    case 'int32': return copy(Int32Array, elements);
    case 'uint32': return copy(Uint32Array, elements);
    case 'int64': return copy(BigInt64Array, elements);
    case 'uint64': return copy(BigUint64Array, elements);
    case 'float32': return copy(Float32Array, elements);
    case 'float64': return copy(Float64Array, elements);
    case 'complex64': return copy(Float32Array, 2 * elements);
    case 'complex128': return copy(Float64Array, 2 * elements);
  }
}

const DATA_TYPE_OF: Partial<Record<ArrayElementType, number>> = {
  uint16: DT.USHORT, int16: DT.SHORT, uint32: DT.UINT, int32: DT.INT,
  float32: DT.FLOAT, float64: DT.DOUBLE, complex64: DT.CXFLOAT, complex128: DT.CXDOUBLE,
};

/** Whether the first bytes at one of HDF5's superblock positions (0, 512, 1024, ...) are the signature. */
function hasHdf5Signature(path: string, size: number): boolean {
  const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      if (readSync(fd, buf, 0, 8, at) === 8 && sig.every((b, i) => buf[i] === b)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

function batchStart(opts: ReadOptions | undefined, total: number, what: string): { start: number; end: number } {
  const start = opts?.start ?? 0;
  const end = Math.min(opts?.end ?? total, total);
  if (!Number.isInteger(start) || start < 0) throw new RangeError(`${what}: start must be a non-negative integer, got ${start}`);
  if (!Number.isInteger(end) || end < 0) throw new RangeError(`${what}: end must be a non-negative integer, got ${end}`);
  if (opts?.batchSize !== undefined && (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)) {
    throw new RangeError(`${what}: batchSize must be a positive integer, got ${opts.batchSize}`);
  }
  return { start, end };
}

/** Batch size chooser: fixed if asked, else adapted to about TARGET_BATCH_BYTES per batch. */
class BatchSizer {
  private n: number;
  /**
   * `bytesPerRecord`, when known up front (images), sets the first batch; otherwise the first
   * batch is one record (records of unknown size could be huge, and the wasm heap is 32-bit).
   */
  constructor(private readonly fixed: number | undefined, bytesPerRecord?: number) {
    this.n = fixed ?? (bytesPerRecord ? BatchSizer.fit(bytesPerRecord) : 1);
  }
  private static fit(bytesPerRecord: number): number {
    return Math.max(1, Math.min(MAX_BATCH, Math.floor(TARGET_BATCH_BYTES / Math.max(1, bytesPerRecord))));
  }
  get size(): number {
    return this.n;
  }
  observe(records: number, bytes: number): void {
    if (this.fixed !== undefined || records === 0) return;
    this.n = BatchSizer.fit(bytes / records);
  }
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

interface VlenLayout {
  off: number;
  /** Element bytes of the vlen base type. */
  elem: number;
}

/** Options of the header-only readers: a range of rows and the rows per yielded batch. */
export interface HeaderReadOptions {
  /** First record (default 0). */
  start?: number;
  /** One past the last record (default: all). */
  end?: number;
  /** Headers per yielded batch (default 4096). */
  batchSize?: number;
}

export class MrdFile {
  private closed = false;
  /** Fixed-part readers of record datasets (null: read through HDF5), by dataset path. */
  private readonly fixed = new Map<string, Promise<FixedParts | null>>();

  private constructor(
    /** The path as the caller gave it (used in messages). */
    readonly path: string,
    private readonly m: H5Module,
    private readonly h5: H5File,
    /** The absolute path (for the header-only reads). */
    private readonly abs: string = path,
  ) {}

  /** Opens an MRD HDF5 file for reading. Rejects with a clear error if absent or not HDF5. */
  static async open(path: string): Promise<MrdFile> {
    const abs = resolve(path);
    let st;
    try {
      st = statSync(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new MrdFileError(path, undefined, code === 'ENOENT' ? 'no such file' : `cannot read: ${(err as Error).message}`, { cause: err });
    }
    if (st.isDirectory()) throw new MrdFileError(path, undefined, 'is a directory, not an HDF5 file');
    let isHdf5: boolean;
    try {
      isHdf5 = hasHdf5Signature(abs, st.size);
    } catch (err) {
      throw new MrdFileError(path, undefined, `cannot read: ${(err as Error).message}`, { cause: err });
    }
    if (!isHdf5) {
      throw new MrdFileError(path, undefined, st.size === 0 ? 'empty file, not an HDF5 file' : 'not an HDF5 file (no HDF5 signature)');
    }
    const m = await h5module();
    let h5: H5File;
    try {
      h5 = new (h5lib().File)(abs, 'r');
    } catch (err) {
      throw new MrdFileError(path, undefined, `cannot open as HDF5: ${hdf5Reason(err)}`, { cause: err });
    }
    if (h5.file_id < 0n) throw new MrdFileError(path, undefined, 'cannot open as HDF5');
    return new MrdFile(path, m, h5, abs);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.h5.close();
    for (const f of this.fixed.values()) void f.then((r) => r?.close(), () => undefined);
    this.fixed.clear();
  }

  // ---------------------------------------------------------------- structure

  /** Names of the top-level groups (MRD groups have arbitrary names; `dataset` is the default). */
  groups(): string[] {
    this.assertOpen();
    return this.h5.keys().filter((k) => this.kind('/' + k) === 'group');
  }

  /** Whether an object exists at `path` (e.g. `/dataset/waveforms`). */
  has(path: string): boolean {
    return this.kind(normalize(path)) !== undefined;
  }

  /** Names of the members of the group at `path` ('/' for the root). */
  list(path: string): string[] {
    const p = normalize(path);
    if (this.kind(p) !== 'group') throw this.err(p, this.kind(p) === undefined ? 'missing' : 'not a group');
    return (this.h5.get(p) as H5Group).keys();
  }

  /**
   * What the object at `path` is, without reading its data: a group, or a dataset with its
   * shape and element type (`compound`, `string`, `vlen` or a numeric type as `readArray`
   * names it); undefined when absent.
   */
  describe(path: string): { kind: 'group' } | { kind: 'dataset'; shape: number[]; type: string } | { kind: 'other' } | undefined {
    const p = normalize(path);
    const k = this.kind(p);
    if (k !== 'dataset') return k === undefined ? undefined : { kind: k };
    const md = this.metadata(p);
    const t = elementType(md);
    const type = t in ELEMENT_BYTES ? t : md.type === H5T.COMPOUND ? 'compound' : md.type === H5T.STRING ? 'string' : md.type === H5T.VLEN ? 'vlen' : `class ${md.type}`;
    return { kind: 'dataset', shape: [...(md.shape ?? [])], type };
  }

  /** `/<group>/<child>` as an object path. */
  private objPath(group: string, child?: string): string {
    const g = normalize(group);
    return child === undefined ? g : `${g === '/' ? '' : g}/${child}`;
  }

  private kind(p: string): 'group' | 'dataset' | 'other' | undefined {
    this.assertOpen();
    let e;
    try {
      e = this.h5.get(p);
    } catch {
      return undefined;
    }
    if (!e) return undefined;
    const H5 = h5lib();
    if (e instanceof H5.Group) return 'group';
    if (e instanceof H5.Dataset) return 'dataset';
    return 'other';
  }

  private requireGroup(group: string): string {
    const g = this.objPath(group);
    const k = this.kind(g);
    if (k === 'group') return g;
    if (k === undefined) {
      const have = this.h5.keys();
      throw this.err(g, `missing (groups in file: ${have.length ? have.join(', ') : 'none'})`);
    }
    throw this.err(g, 'not a group');
  }

  private metadata(p: string): Metadata {
    try {
      return this.m.get_dataset_metadata(this.h5.file_id, p);
    } catch (err) {
      throw this.err(p, `unreadable dataset metadata: ${hdf5Reason(err)}`);
    }
  }

  /** Metadata of a dataset that must exist. */
  private requireDataset(p: string): Metadata {
    const k = this.kind(p);
    if (k === undefined) throw this.err(p, 'missing');
    if (k !== 'dataset') throw this.err(p, 'not a dataset');
    return this.metadata(p);
  }

  private rows(md: Metadata, p: string): number {
    const shape = md.shape;
    if (!shape || shape.length === 0) throw this.err(p, 'is a scalar, expected a 1-D (or N-D) dataset of records');
    return shape[0]!;
  }

  private err(objectPath: string | undefined, problem: string, cause?: unknown): MrdFileError {
    return new MrdFileError(this.path, objectPath, problem, cause === undefined ? undefined : { cause });
  }

  private assertOpen(): void {
    if (this.closed) throw new MrdFileError(this.path, undefined, 'file is closed');
  }

  /** Runs a raw H5Dread, mapping HDF5 failures to errors naming the dataset. */
  private read(p: string, md: Metadata, start: number, count: number, rowBytes: number) {
    this.assertOpen();
    try {
      return readRows(this.m, this.h5.file_id, p, md.shape ?? [], start, count, rowBytes, hasVlenMember(md));
    } catch (err) {
      throw this.err(`${p}[${start}:${start + count}]`, `read failed: ${hdf5Reason(err)}`, err);
    }
  }

  // ---------------------------------------------------------------- text

  /** The XML header text of a group, or undefined if the group has no `xml`. */
  readHeader(group: string): string | undefined {
    return this.readText(group, 'xml');
  }

  /**
   * A text dataset of a group (`xml`, `config_file`, `config`, `configAdditional`, or any other
   * string dataset): scalar or shape (1,), variable or fixed length; undefined if absent.
   */
  readText(group: string, name: string): string | undefined {
    const g = this.requireGroup(group);
    const p = this.objPath(g, name);
    const k = this.kind(p);
    if (k === undefined) return undefined;
    if (k !== 'dataset') throw this.err(p, 'not a dataset');
    const strings = this.readStrings(p, this.metadata(p));
    if (strings.length === 0) {
      if (TEXT_NAMES.has(name)) return '';
      throw this.err(p, 'empty string dataset');
    }
    return strings[0];
  }

  /** All strings of a string dataset (any rank), decoded as UTF-8. */
  readStrings(path: string, md?: Metadata): string[] {
    const p = normalize(path);
    md ??= this.requireDataset(p);
    if (md.type !== H5T.STRING) throw this.err(p, `not a string dataset (HDF5 class ${md.type})`);
    const shape = md.shape ?? [];
    const n = shape.reduce((a, b) => a * b, 1);
    if (n === 0) return [];
    const rows = shape.length === 0 ? 1 : shape[0]!;
    const perRow = shape.length === 0 ? 1 : n / rows;
    const { ptr, release } = this.read(p, md, 0, rows, perRow * md.size);
    try {
      const heap = this.m.HEAPU8;
      const out: string[] = [];
      if (md.vlen) {
        const dv = new DataView(heap.buffer);
        for (let i = 0; i < n; i++) {
          const sp = dv.getUint32(ptr + 4 * i, true);
          if (sp === 0) {
            out.push('');
            continue;
          }
          const endAt = heap.indexOf(0, sp);
          out.push(utf8.decode(heap.subarray(sp, endAt < 0 ? heap.length : endAt)));
        }
      } else {
        for (let i = 0; i < n; i++) {
          const s = heap.subarray(ptr + i * md.size, ptr + (i + 1) * md.size);
          const z = s.indexOf(0);
          out.push(utf8.decode(z < 0 ? s : s.subarray(0, z)));
        }
      }
      return out;
    } finally {
      release();
    }
  }

  // ---------------------------------------------------------------- acquisitions

  /** Number of acquisitions in `/<group>/data` (0 when the group has none). */
  acquisitionCount(group: string): number {
    const p = this.objPath(this.requireGroup(group), 'data');
    if (this.kind(p) === undefined) return 0;
    return this.rows(this.requireDataset(p), p);
  }

  /** The acquisitions of a group, read in batches. */
  async *acquisitions(group: string, opts?: ReadOptions): AsyncGenerator<Acquisition, void, undefined> {
    for await (const batch of this.acquisitionBatches(group, opts)) yield* batch;
  }

  /** The acquisitions of a group, one array per H5Dread batch. */
  async *acquisitionBatches(group: string, opts?: ReadOptions): AsyncGenerator<Acquisition[], void, undefined> {
    const p = this.objPath(this.requireGroup(group), 'data');
    const md = this.requireDataset(p);
    const total = this.rows(md, p);
    const decoder = this.headDecoder(p, md, 'acquisition', acquisitionHeaderDecoder);
    const data = this.vlenMember(p, md, 'data', 'float32', true)!;
    const traj = this.vlenMember(p, md, 'traj', 'float32', false);
    const { start, end } = batchStart(opts, total, p);
    const sizer = new BatchSizer(opts?.batchSize);
    const stride = md.size;
    let reusable: Float32Array | undefined;
    for (let at = start; at < end; ) {
      const n = Math.min(sizer.size, end - at);
      const { ptr, release } = this.read(p, md, at, n, stride);
      let batch: Acquisition[];
      let bytes = 0;
      const views = opts?.heapViews === true;
      try {
        const heap = this.m.HEAPU8;
        const dv = new DataView(heap.buffer);
        let floats = 0;
        for (let k = 0; k < n; k++) {
          const rec = ptr + k * stride;
          floats += dv.getUint32(rec + data.off, true);
          if (traj) floats += dv.getUint32(rec + traj.off, true);
        }
        let pool: Float32Array;
        if (views) {
          // Only unaligned payloads (not seen from libhdf5's allocator) are copied, into `pool`.
          pool = new Float32Array(0);
          let unaligned = 0;
          for (let k = 0; k < n; k++) {
            const rec = ptr + k * stride;
            if (dv.getUint32(rec + data.off + 4, true) & 3) unaligned += dv.getUint32(rec + data.off, true);
            if (traj && dv.getUint32(rec + traj.off + 4, true) & 3) unaligned += dv.getUint32(rec + traj.off, true);
          }
          if (unaligned) pool = new Float32Array(unaligned);
        } else if (opts?.reuseBuffer) {
          if (!reusable || reusable.length < floats) reusable = new Float32Array(Math.max(floats, 2 * (reusable?.length ?? 0)));
          pool = reusable.subarray(0, floats);
        } else {
          pool = new Float32Array(floats);
        }
        const heapF32 = new Float32Array(heap.buffer);
        batch = new Array<Acquisition>(n);
        let o = 0;
        for (let k = 0; k < n; k++) {
          const rec = ptr + k * stride;
          const h = decoder.decode(dv, rec);
          const take = (v: VlenLayout | undefined): Float32Array => {
            if (!v) return pool.subarray(o, o);
            const len = dv.getUint32(rec + v.off, true);
            const src = dv.getUint32(rec + v.off + 4, true);
            if (views && (src & 3) === 0) return len > 0 ? heapF32.subarray(src >>> 2, (src >>> 2) + len) : pool.subarray(0, 0);
            const out = pool.subarray(o, o + len);
            if (len > 0) {
              if ((src & 3) === 0) out.set(heapF32.subarray(src >>> 2, (src >>> 2) + len));
              else new Uint8Array(out.buffer, out.byteOffset, len * 4).set(heap.subarray(src, src + len * 4));
            }
            o += len;
            return out;
          };
          const t = take(traj);
          const d = take(data);
          const idx = at + k;
          if (d.length !== 2 * h.active_channels * h.number_of_samples) {
            throw this.err(`${p}[${idx}]`, `data has ${d.length} floats, header says ${h.active_channels} channels x ${h.number_of_samples} samples (x2 for complex)`);
          }
          if (t.length !== h.trajectory_dimensions * h.number_of_samples) {
            throw this.err(`${p}[${idx}]`, `traj has ${t.length} floats, header says ${h.trajectory_dimensions} dimensions x ${h.number_of_samples} samples`);
          }
          batch[k] = { head: h, traj: t, data: d };
        }
        bytes = floats * 4 + n * stride;
        if (views) {
          // The views die with `release()`: hand the batch out before it (the finally below
          // also runs when the consumer stops early).
          sizer.observe(n, bytes);
          at += n;
          yield batch;
        }
      } finally {
        release();
      }
      if (!views) {
        sizer.observe(n, bytes);
        at += n;
        yield batch;
      }
      await yieldToEventLoop();
    }
  }

  /**
   * The headers of the acquisitions of a group (rows [start, end), default all), in batches,
   * without their data and trajectories: the fixed part of each record is read straight from
   * the file where its storage allows (see fixed-parts.ts), so a 2 GB file's headers cost a few
   * MB of reads; otherwise the records are read through HDF5 and only the headers kept.
   */
  async *acquisitionHeaderBatches(group: string, opts?: HeaderReadOptions): AsyncGenerator<AcquisitionHeader[], void, undefined> {
    const p = this.objPath(this.requireGroup(group), 'data');
    const md = this.requireDataset(p);
    yield* this.headerBatches(p, md, this.headDecoder(p, md, 'acquisition', acquisitionHeaderDecoder), opts);
  }

  /**
   * As `acquisitionHeaderBatches`, decoding only the named header fields (`idx` is the whole
   * EncodingCounters): for scans of many headers that need a few fields, several times faster.
   */
  async *acquisitionHeaderFieldBatches<K extends keyof AcquisitionHeader>(group: string, fields: readonly K[], opts?: HeaderReadOptions): AsyncGenerator<Pick<AcquisitionHeader, K>[], void, undefined> {
    const p = this.objPath(this.requireGroup(group), 'data');
    const md = this.requireDataset(p);
    yield* this.headerBatches(p, md, this.headDecoder(p, md, 'acquisition', (head) => acquisitionHeaderDecoder(head, fields as readonly string[])), opts);
  }

  /** The headers of the waveforms of a group, in batches, without their data (as `acquisitionHeaderBatches`). */
  async *waveformHeaderBatches(group: string, opts?: HeaderReadOptions): AsyncGenerator<WaveformHeader[], void, undefined> {
    const p = this.objPath(this.requireGroup(group), 'waveforms');
    const md = this.requireDataset(p);
    yield* this.headerBatches(p, md, this.headDecoder(p, md, 'waveform', waveformHeaderDecoder), opts);
  }

  /** One acquisition by index. */
  async acquisition(group: string, index: number): Promise<Acquisition> {
    const total = this.acquisitionCount(group);
    if (!Number.isInteger(index) || index < 0 || index >= total) throw this.err(this.objPath(group, 'data'), `no acquisition ${index} (it holds ${total})`);
    for await (const a of this.acquisitions(group, { start: index, end: index + 1, batchSize: 1 })) return a;
    throw this.err(this.objPath(group, 'data'), `no acquisition ${index}`);
  }

  /**
   * The acquisitions of a group as MRD wire bytes read straight from the file (see
   * acquisition-wire.ts), or null when the dataset's storage or layout is not one that reader
   * handles (then encode `acquisitionBatches`: the bytes are the same).
   */
  async acquisitionWireReader(group: string): Promise<AcquisitionWireReader | null> {
    const p = this.objPath(this.requireGroup(group), 'data');
    const md = this.requireDataset(p);
    const total = this.rows(md, p);
    const decoder = this.headDecoder(p, md, 'acquisition', acquisitionHeaderDecoder);
    this.vlenMember(p, md, 'data', 'float32', true);
    this.vlenMember(p, md, 'traj', 'float32', false);
    const fp = await this.fixedParts(p);
    if (!fp || fp.rows !== total) return null;
    const head = compoundMembers(md).get('head')!;
    return AcquisitionWireReader.create(fp, decoder, fp.sameLayout('head', head), `${this.path}: ${p}`);
  }

  private fixedParts(p: string): Promise<FixedParts | null> {
    let f = this.fixed.get(p);
    if (!f) {
      f = FixedParts.open(this.abs, p);
      this.fixed.set(p, f);
    }
    return f;
  }

  private async *headerBatches<T>(p: string, md: Metadata, decoder: RecordDecoder<T>, opts?: HeaderReadOptions): AsyncGenerator<T[], void, undefined> {
    const total = this.rows(md, p);
    const { start, end } = batchStart(opts, total, p);
    const per = opts?.batchSize ?? 4096;
    const head = compoundMembers(md).get('head')!;
    const fp = await this.fixedParts(p);
    const off = fp?.memberOffset('head');
    if (fp && off !== undefined && fp.rows === total && fp.sameLayout('head', head)) {
      for (let at = start; at < end; ) {
        this.assertOpen();
        const n = Math.min(per, end - at);
        let bytes: Uint8Array;
        try {
          bytes = fp.read(at, n);
        } catch (err) {
          throw this.err(`${p}[${at}:${at + n}]`, `read failed: ${(err as Error).message}`, err);
        }
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const out = new Array<T>(n);
        for (let k = 0; k < n; k++) out[k] = decoder.decode(dv, k * fp.recordSize + off);
        at += n;
        yield out;
        await yieldToEventLoop();
      }
      return;
    }
    // Through HDF5: whole records (payloads included) in about 1 MB batches, headers kept.
    const vlens = [...compoundMembers(md).values()].filter((m) => m.type === H5T.VLEN).map((m) => m.offset);
    const sizer = new BatchSizer(undefined);
    let pending: T[] = [];
    for (let at = start; at < end; ) {
      const n = Math.min(sizer.size, end - at);
      const { ptr, release } = this.read(p, md, at, n, md.size);
      let bytes = n * md.size;
      try {
        const dv = new DataView(this.m.HEAPU8.buffer);
        for (let k = 0; k < n; k++) {
          const rec = ptr + k * md.size;
          pending.push(decoder.decode(dv, rec));
          for (const v of vlens) bytes += 4 * dv.getUint32(rec + v, true);
        }
      } finally {
        release();
      }
      sizer.observe(n, bytes);
      at += n;
      if (pending.length >= per || at >= end) {
        yield pending;
        pending = [];
      }
      await yieldToEventLoop();
    }
  }

  /** The decoder of the `head` member of a record dataset (acquisitions, waveforms). */
  private headDecoder<T>(p: string, md: Metadata, what: 'acquisition' | 'waveform', compile: (head: Metadata) => RecordDecoder<T>): RecordDecoder<T> {
    const head = compoundMembers(md).get('head');
    if (!head) throw this.err(p, `not an MRD ${what} dataset: no compound member 'head'`);
    try {
      return compile(head);
    } catch (err) {
      if (err instanceof LayoutError) throw this.err(p, `malformed ${what} header type: ${err.message}`);
      throw err;
    }
  }

  /** Checks a vlen member of a record compound and returns its offset. */
  private vlenMember(p: string, md: Metadata, name: string, base: 'float32' | 'uint32', required: boolean): VlenLayout | undefined {
    const m = compoundMembers(md).get(name);
    if (!m) {
      if (required) throw this.err(p, `not an MRD record dataset: no compound member '${name}'`);
      return undefined;
    }
    if (m.type !== H5T.VLEN || !m.vlen_type) throw this.err(p, `member '${name}' is not variable-length (HDF5 class ${m.type})`);
    const et = elementType(m.vlen_type);
    if (et !== base) throw this.err(p, `member '${name}' holds ${et}, expected ${base}`);
    return { off: m.offset, elem: 4 };
  }

  // ---------------------------------------------------------------- waveforms

  /** Number of waveforms in `/<group>/waveforms` (0 when the group has none). */
  waveformCount(group: string): number {
    const p = this.objPath(this.requireGroup(group), 'waveforms');
    if (this.kind(p) === undefined) return 0;
    return this.rows(this.requireDataset(p), p);
  }

  /** One waveform by index. */
  async waveform(group: string, index: number): Promise<Waveform> {
    const total = this.waveformCount(group);
    if (!Number.isInteger(index) || index < 0 || index >= total) throw this.err(this.objPath(group, 'waveforms'), `no waveform ${index} (it holds ${total})`);
    for await (const w of this.waveforms(group, { start: index, end: index + 1, batchSize: 1 })) return w;
    throw this.err(this.objPath(group, 'waveforms'), `no waveform ${index}`);
  }

  /** The waveforms of a group, read in batches. */
  async *waveforms(group: string, opts?: ReadOptions): AsyncGenerator<Waveform, void, undefined> {
    const p = this.objPath(this.requireGroup(group), 'waveforms');
    const md = this.requireDataset(p);
    const total = this.rows(md, p);
    const decoder = this.headDecoder(p, md, 'waveform', waveformHeaderDecoder);
    const data = this.vlenMember(p, md, 'data', 'uint32', true)!;
    const { start, end } = batchStart(opts, total, p);
    const sizer = new BatchSizer(opts?.batchSize);
    const stride = md.size;
    for (let at = start; at < end; ) {
      const n = Math.min(sizer.size, end - at);
      const { ptr, release } = this.read(p, md, at, n, stride);
      const batch: Waveform[] = [];
      let bytes = 0;
      try {
        const heap = this.m.HEAPU8;
        const dv = new DataView(heap.buffer);
        for (let k = 0; k < n; k++) {
          const rec = ptr + k * stride;
          const h = decoder.decode(dv, rec);
          const len = dv.getUint32(rec + data.off, true);
          const src = dv.getUint32(rec + data.off + 4, true);
          const d = new Uint32Array(len);
          if (len > 0) new Uint8Array(d.buffer).set(heap.subarray(src, src + len * 4));
          if (len !== h.channels * h.number_of_samples) {
            throw this.err(`${p}[${at + k}]`, `data has ${len} values, header says ${h.channels} channels x ${h.number_of_samples} samples`);
          }
          bytes += len * 4 + stride;
          batch.push({ head: h, data: d });
        }
      } finally {
        release();
      }
      sizer.observe(n, bytes);
      at += n;
      yield* batch;
      await yieldToEventLoop();
    }
  }

  // ---------------------------------------------------------------- images

  /**
   * Names of the image series of a group: subgroups named `image_*` or `images_*` that hold
   * `header` and `data`, in the file's link order, which is what h5py's `keys()` (and so the
   * reference tools) iterate: by name, byte-wise (`image_10` before `image_2`), or by creation
   * order in groups that track it.
   */
  imageSeries(group: string): string[] {
    const g = this.requireGroup(group);
    const names = (this.h5.get(g) as H5Group).keys().filter((k) => {
      if (!/^images?_/.test(k)) return false;
      const s = this.objPath(g, k);
      return this.kind(s) === 'group' && this.kind(`${s}/header`) === 'dataset' && this.kind(`${s}/data`) === 'dataset';
    });
    return names;
  }

  /** Number of images in a series (0 when the series is absent). */
  imageCount(group: string, series: string): number {
    const s = this.objPath(this.requireGroup(group), series);
    const p = `${s}/header`;
    if (this.kind(p) === undefined) return 0;
    return this.rows(this.requireDataset(p), p);
  }

  /**
   * The headers of the images of a series (rows [start, end), default all), read from its
   * `header` dataset alone: no pixels, no attributes (straight from the file where its storage
   * allows, as the acquisition headers; through HDF5 otherwise).
   */
  async imageHeaders(group: string, series: string, opts?: { start?: number; end?: number }): Promise<ImageHeader[]> {
    return this.imageHeaderRows(group, series, undefined, opts);
  }

  /** As `imageHeaders`, decoding only the named fields (a series' counters for navigation, say). */
  async imageHeaderFields<K extends keyof ImageHeader>(group: string, series: string, fields: readonly K[], opts?: { start?: number; end?: number }): Promise<Pick<ImageHeader, K>[]> {
    return this.imageHeaderRows(group, series, fields as readonly string[], opts);
  }

  private async imageHeaderRows(group: string, series: string, fields: readonly string[] | undefined, opts?: { start?: number; end?: number }): Promise<ImageHeader[]> {
    const s = this.objPath(this.requireGroup(group), series);
    const hp = `${s}/header`;
    const hmd = this.requireDataset(hp);
    let decoder: RecordDecoder<ImageHeader>;
    try {
      decoder = imageHeaderDecoder(hmd, fields);
    } catch (err) {
      if (err instanceof LayoutError) throw this.err(hp, `malformed image header type: ${err.message}`);
      throw err;
    }
    const total = this.rows(hmd, hp);
    const { start, end } = batchStart(opts, total, hp);
    const out: ImageHeader[] = [];
    const fp = await this.fixedParts(hp);
    this.assertOpen();
    const fast = fp !== null && fp.rows === total && fp.sameRecordLayout(hmd);
    // in batches, yielding to the event loop between them (a long series takes a while to decode)
    for (let at = start; at < end; ) {
      this.assertOpen();
      const n = Math.min(4096, end - at);
      if (fast) {
        let bytes: Uint8Array;
        try {
          bytes = fp.read(at, n);
        } catch (err) {
          throw this.err(`${hp}[${at}:${at + n}]`, `read failed: ${(err as Error).message}`, err);
        }
        const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        for (let k = 0; k < n; k++) out.push(decoder.decode(dv, k * fp.recordSize));
      } else {
        const { ptr, release } = this.read(hp, hmd, at, n, hmd.size);
        try {
          const dv = new DataView(this.m.HEAPU8.buffer);
          for (let k = 0; k < n; k++) out.push(decoder.decode(dv, ptr + k * hmd.size));
        } finally {
          release();
        }
      }
      at += n;
      if (at < end) await yieldToEventLoop();
    }
    return out;
  }

  /** One image of a series by index. */
  async image(group: string, series: string, index: number): Promise<Image> {
    const total = this.imageCount(group, series);
    if (!Number.isInteger(index) || index < 0 || index >= total) throw this.err(this.objPath(group, series), `no image ${index} (the series holds ${total})`);
    for await (const img of this.images(group, series, { start: index, end: index + 1, batchSize: 1 })) return img;
    throw this.err(this.objPath(group, series), `no image ${index}`);
  }

  /**
   * The images of a series, read in batches. `data` is typed by `head.data_type` (complex
   * interleaved); if the stored type differs from the header's, values are converted as
   * ismrmrd-python does when it fills the header's array type.
   */
  async *images(group: string, series: string, opts?: ReadOptions): AsyncGenerator<Image, void, undefined> {
    const s = this.objPath(this.requireGroup(group), series);
    if (this.kind(s) !== 'group') throw this.err(s, this.kind(s) === undefined ? 'missing' : 'not a group');
    const hp = `${s}/header`;
    const dp = `${s}/data`;
    const ap = `${s}/attributes`;
    const hmd = this.requireDataset(hp);
    const dmd = this.requireDataset(dp);
    const amd = this.kind(ap) === 'dataset' ? this.metadata(ap) : undefined;
    if (amd && amd.type !== H5T.STRING) throw this.err(ap, `not a string dataset (HDF5 class ${amd.type})`);
    let decoder: RecordDecoder<ImageHeader>;
    try {
      decoder = imageHeaderDecoder(hmd);
    } catch (err) {
      if (err instanceof LayoutError) throw this.err(hp, `malformed image header type: ${err.message}`);
      throw err;
    }
    const total = this.rows(hmd, hp);
    const dshape = dmd.shape ?? [];
    if (dshape.length < 2) throw this.err(dp, `has shape (${dshape.join(', ')}), expected (images, channels, z, y, x)`);
    if (dshape[0]! < total) throw this.err(dp, `holds ${dshape[0]} images, header holds ${total}`);
    if (amd && (amd.shape?.[0] ?? 1) < total) throw this.err(ap, `holds ${amd.shape?.[0] ?? 1} strings, header holds ${total}`);
    const stored = elementType(dmd);
    if (!(stored in ELEMENT_BYTES)) throw this.err(dp, `unsupported pixel type: ${stored}`);
    const storedType = stored as ArrayElementType;
    const perImage = dshape.slice(1).reduce((a, b) => a * b, 1);
    const imageBytes = perImage * dmd.size;
    const { start, end } = batchStart(opts, total, s);
    const sizer = new BatchSizer(opts?.batchSize, imageBytes + hmd.size);
    for (let at = start; at < end; ) {
      const n = Math.min(sizer.size, end - at);
      const heads: ImageHeader[] = [];
      {
        const { ptr, release } = this.read(hp, hmd, at, n, hmd.size);
        try {
          const dv = new DataView(this.m.HEAPU8.buffer);
          for (let k = 0; k < n; k++) heads.push(decoder.decode(dv, ptr + k * hmd.size));
        } finally {
          release();
        }
      }
      let attrs: string[] = [];
      if (amd) {
        const { ptr, release } = this.read(ap, amd, at, n, amd.size);
        try {
          const heap = this.m.HEAPU8;
          const dv = new DataView(heap.buffer);
          for (let k = 0; k < n; k++) {
            if (amd.vlen) {
              const sp = dv.getUint32(ptr + 4 * k, true);
              const e = sp === 0 ? sp : heap.indexOf(0, sp);
              attrs.push(sp === 0 ? '' : utf8.decode(heap.subarray(sp, e < 0 ? heap.length : e)));
            } else {
              const b = heap.subarray(ptr + k * amd.size, ptr + (k + 1) * amd.size);
              const z = b.indexOf(0);
              attrs.push(utf8.decode(z < 0 ? b : b.subarray(0, z)));
            }
          }
        } finally {
          release();
        }
      } else {
        attrs = new Array<string>(n).fill('');
      }
      const batch: Image[] = [];
      {
        const { ptr, release } = this.read(dp, dmd, at, n, imageBytes);
        try {
          const heap = this.m.HEAPU8;
          for (let k = 0; k < n; k++) {
            const h = heads[k]!;
            const idx = at + k;
            const expect = h.channels * h.matrix_size[0]! * h.matrix_size[1]! * h.matrix_size[2]!;
            if (expect !== perImage) {
              throw this.err(`${dp}[${idx}]`, `holds ${perImage} pixels per image (shape ${dshape.slice(1).join('x')}), header[${idx}] says ${h.channels} channels x ${h.matrix_size.join('x')}`);
            }
            const raw = typedCopy(storedType, heap, ptr + k * imageBytes, perImage);
            batch.push({ head: h, attribute: attrs[k]!, data: this.pixelsFor(h, storedType, raw, `${dp}[${idx}]`) });
          }
        } finally {
          release();
        }
      }
      sizer.observe(n, n * (imageBytes + hmd.size));
      at += n;
      yield* batch;
      await yieldToEventLoop();
    }
  }

  /** The stored pixels as the header's data_type asks (converted if the dataset type differs). */
  private pixelsFor(h: ImageHeader, stored: ArrayElementType, raw: ArrayData, where: string): ImagePixels {
    const want = h.data_type;
    if (DATA_TYPE_OF[stored] === want) return raw as ImagePixels;
    if (want < 1 || want > 8) throw this.err(where, `header data_type ${want} is not an ISMRMRD data type`);
    if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) {
      throw this.err(where, `stored as ${stored}, cannot convert to ${DT_NAMES[want]}`);
    }
    const storedComplex = stored === 'complex64' || stored === 'complex128';
    const n = storedComplex ? raw.length / 2 : raw.length;
    const out = allocPixels(want, n);
    if (isComplexType(want) === storedComplex) {
      out.set(raw as ArrayLike<number>);
    } else if (storedComplex) {
      for (let i = 0; i < n; i++) out[i] = (raw as ArrayLike<number>)[2 * i]!;
    } else {
      for (let i = 0; i < n; i++) out[2 * i] = (raw as ArrayLike<number>)[i]!;
    }
    return out;
  }

  // ---------------------------------------------------------------- plain arrays

  /**
   * A plain numeric or complex ({real, imag}) dataset, e.g. the C++ generator's `phantom`,
   * `csm` and `coil_images`. `start`/`end` select rows of the first dimension.
   */
  readArray(path: string, opts?: { start?: number; end?: number }): MrdArray {
    const p = normalize(path);
    const md = this.requireDataset(p);
    const type = elementType(md);
    if (!(type in ELEMENT_BYTES)) throw this.err(p, `not a numeric or complex dataset: ${type}`);
    const et = type as ArrayElementType;
    const shape = [...(md.shape ?? [])];
    if (shape.length === 0) {
      const { ptr, release } = this.read(p, md, 0, 1, md.size);
      try {
        return { shape, type: et, data: typedCopy(et, this.m.HEAPU8, ptr, 1) };
      } finally {
        release();
      }
    }
    const { start, end } = batchStart(opts, shape[0]!, p);
    const rows = Math.max(0, end - start);
    const perRow = shape.slice(1).reduce((a, b) => a * b, 1);
    shape[0] = rows;
    if (rows === 0 || perRow === 0) return { shape, type: et, data: typedCopy(et, this.m.HEAPU8, 0, 0) };
    const { ptr, release } = this.read(p, md, start, rows, perRow * md.size);
    try {
      return { shape, type: et, data: typedCopy(et, this.m.HEAPU8, ptr, rows * perRow) };
    } finally {
      release();
    }
  }
}

/** `dataset` → `/dataset`; `/a/b/` → `/a/b`. */
function normalize(path: string): string {
  const p = ('/' + path).replace(/\/+/g, '/');
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}
