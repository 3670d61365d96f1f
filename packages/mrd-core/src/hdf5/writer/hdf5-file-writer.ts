/**
 * A streaming, crash-consistent writer for the subset of HDF5 that MRD files use (superblock 0,
 * v1 object headers, symbol-table groups, chunked datasets with v1 B-tree indexes, global heap
 * vlen data: what HDF5 1.8/1.10, h5py and the ISMRMRD C library write), written from the HDF5 File
 * Format Specification because h5wasm cannot create compound types with array or vlen members.
 * Metadata is copy-on-write and a checkpoint commits with one superblock write, so a killed
 * writer leaves the last checkpoint; appending never modifies the original objects.
 * docs/hdf5-writer.md has the format choices, the crash-consistency argument, costs and limits.
 */
import { existsSync } from 'node:fs';
import { open, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createTemporaryFile, OutputFileError, publishFile } from '../../file-output/index.js';
import { align8, ByteReader, ByteWriter, UNDEF_ADDR } from '../format/bytes.js';
import { ChunkIndexSpine, rightBound, type ChunkKey } from '../format/chunk-index.js';
import { decodeDatatype, datatypeSize, describeDatatype, encodeDatatype, sameDatatype, type Datatype } from '../format/datatype.js';
import { GlobalHeapCollectionBuilder } from '../format/global-heap.js';
import {
  decodeDataspace,
  decodeLayout,
  decodeStab,
  encodeChunkedLayout,
  encodeContiguousLayout,
  encodeDataspace,
  encodeFillValue,
  encodeObjectHeaderV1,
  encodeStab,
  MSG_DATASPACE,
  MSG_DATATYPE,
  MSG_FILL,
  MSG_FILTERS,
  MSG_FLAG_CONSTANT,
  MSG_FLAG_SHARED,
  MSG_LAYOUT,
  MSG_LINK,
  MSG_LINK_INFO,
  MSG_STAB,
  readObjectHeader,
  decodeLink,
  decodeLinkInfo,
  encodeHardLink,
  type HeaderMessage,
} from '../format/object-header.js';
import { decodeSuperblock, encodeSuperblock, newSuperblock, superblockSize, type Superblock } from '../format/superblock.js';
import {
  compareNames,
  encodeBtreeNode,
  encodeLocalHeap,
  encodeSnod,
  readSymbolTable,
  type SymbolEntry,
} from '../format/symbol-table.js';

export interface Hdf5WriterOptions {
  /** fdatasync around each commit (survives power loss, slower). Default false. */
  durable?: boolean;
  /**
   * Longest time between the start of two checkpoints while there are unsaved changes, in ms.
   * Default 500, so that data handed over is on disk within a second even counting the
   * checkpoint's own duration.
   */
  checkpointIntervalMs?: number;
  /**
   * All or nothing, for tools that write a whole file in one go: no checkpoint before `close()`.
   * A new file appears at its path only when `close()` succeeds (it is built under a temporary
   * name until then, and `abandon()` or a failed `close()` removes it); an existing file being
   * appended to keeps its last commit until `close()`, and `abandon()` or a failed `close()` cuts
   * it back to its original length, so it is byte for byte what it was. Default false: timed
   * crash-consistent checkpoints, for streams whose data must survive a kill.
   */
  atomic?: boolean;
}

/** An error caused by the caller's input: the writer stays usable after it. */
export function usageError(message: string): Error {
  const e = new Error(message);
  (e as { user?: boolean }).user = true;
  return e;
}

/** Target size of a global heap collection. */
const HEAP_COLLECTION_BYTES = 1 << 20;
/** Pending writes are drained once they exceed this many bytes. */
const PENDING_WRITE_LIMIT = 8 << 20;

interface Region {
  addr: number;
  size: number;
}

/** File space: data always at the end of file; metadata may reuse space freed by a committed checkpoint. */
class SpaceAllocator {
  private free: Region[] = [];
  private released: Region[] = [];
  constructor(public eof: number) {}

  atEnd(size: number): number {
    const a = this.eof;
    this.eof += align8(size);
    return a;
  }

  meta(size: number): number {
    const need = align8(size);
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i];
      if (r.size >= need) {
        const a = r.addr;
        if (r.size === need) this.free.splice(i, 1);
        else this.free[i] = { addr: r.addr + need, size: r.size - need };
        return a;
      }
    }
    return this.atEnd(need);
  }

  /** Space no longer referenced once the current checkpoint commits. */
  release(r: Region): void {
    this.released.push({ addr: r.addr, size: align8(r.size) });
  }

  /** The current checkpoint is committed: released space may be reused. */
  committed(): void {
    this.free.push(...this.released);
    this.released = [];
    this.free.sort((a, b) => a.addr - b.addr);
    const merged: Region[] = [];
    for (const r of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.addr + last.size === r.addr) last.size += r.size;
      else merged.push({ ...r });
    }
    this.free = merged;
  }
}

/** A link to an object this writer leaves untouched. */
interface ExistingLink {
  kind: 'existing';
  entry: SymbolEntry;
  /** In a link-message group: the original link message (kept verbatim while unchanged). */
  linkMsg?: HeaderMessage;
}

type Child = ExistingLink | GroupNode | DatasetNode;

class GroupNode {
  readonly kind = 'group';
  children = new Map<string, Child>();
  addr = UNDEF_ADDR;
  stab?: { btreeAddr: number; heapAddr: number };
  dirty = true;
  regions: Region[] = [];
  /** 'links': an existing new-style group (compact link messages), rewritten as such. */
  style: 'stab' | 'links' = 'stab';
  /** Why members cannot be added to this existing group, if they cannot. */
  noNewMembers?: string;
  /** Why this existing group cannot be rewritten at all, if it cannot. */
  noRewrite?: string;
  /** Original link messages of a 'links' group, by name. */
  linkMsgs = new Map<string, HeaderMessage>();
  constructor(
    readonly path: string,
    /** Messages of an existing group's object header (symbol table / link messages are replaced). */
    readonly origin?: { messages: HeaderMessage[]; refCount: number },
  ) {}
}

abstract class DatasetNode {
  readonly kind = 'dataset';
  addr = UNDEF_ADDR;
  dirty = true;
  regions: Region[] = [];
  constructor(
    readonly file: Hdf5FileWriter,
    readonly path: string,
  ) {}
  /** Writes buffered data (called at checkpoints, before the metadata). */
  abstract flushPartial(): Promise<void>;
  /** The object header messages; may write temporary metadata through `file.writeTemp`. */
  abstract messages(): HeaderMessage[];
  refCount = 1;
}

/** A one-element dataset holding a variable-length string, as the C library writes `xml`. */
class VlenStringDataset extends DatasetNode {
  private dataAddr = UNDEF_ADDR;
  constructor(file: Hdf5FileWriter, path: string, text: string, private readonly cset: 'ascii' | 'utf8') {
    super(file, path);
    const elem = new Uint8Array(16);
    const bytes = new TextEncoder().encode(text);
    file.heap.ref(elem, 0, bytes, bytes.length);
    file.heap.close();
    this.dataAddr = file.space.atEnd(16);
    file.queueWrite(this.dataAddr, elem);
  }
  async flushPartial(): Promise<void> {}
  messages(): HeaderMessage[] {
    return [
      { type: MSG_DATASPACE, flags: 0, body: encodeDataspace([1], [1]) },
      { type: MSG_DATATYPE, flags: MSG_FLAG_CONSTANT, body: encodeDatatype({ kind: 'vlen-string', cset: this.cset }).toBytes() },
      { type: MSG_FILL, flags: MSG_FLAG_CONSTANT, body: encodeFillValue('late') },
      { type: MSG_LAYOUT, flags: 0, body: encodeContiguousLayout(this.dataAddr, 16) },
    ];
  }
}

/** Encodes one record into `buf` at `offset` (the record's bytes are zero on entry). */
export type RecordEncoder<T> = (item: T, buf: Uint8Array, view: DataView, offset: number, heap: VlenHeap) => void;

/**
 * A chunked dataset growing along its first dimension: `recordShape` is the shape of one record
 * (the other dimensions), the chunk covers `chunkDims` (dataset rank).
 */
export class ChunkedDataset extends DatasetNode {
  readonly elemSize: number;
  readonly recordBytes: number;
  readonly chunkBytes: number;
  readonly chunkRows: number;
  /** Chunk offsets (record dimensions only) tiling one block. */
  private readonly tiles: number[][];
  private block: Uint8Array;
  private blockView: DataView;
  private blockStart = -1;
  private blockFill = 0;
  private blockFlushed = 0;
  private blockAddrs: number[] = [];
  count: number;

  constructor(
    file: Hdf5FileWriter,
    path: string,
    readonly type: Datatype,
    readonly recordShape: number[],
    readonly chunkDims: number[],
    readonly spine: ChunkIndexSpine,
    initialCount: number,
    /** For an existing dataset: its object header messages (dataspace and layout get replaced). */
    private readonly existing?: HeaderMessage[],
  ) {
    super(file, path);
    this.elemSize = datatypeSize(type);
    this.recordBytes = recordShape.reduce((a, b) => a * b, 1) * this.elemSize;
    this.chunkBytes = chunkDims.reduce((a, b) => a * b, 1) * this.elemSize;
    if (this.chunkBytes > 0xffffffff) throw new Error(`${path}: chunk of ${this.chunkBytes} bytes exceeds the 4 GiB chunk limit`);
    this.chunkRows = chunkDims[0];
    this.tiles = tileOffsets(recordShape, chunkDims.slice(1));
    this.block = new Uint8Array(this.chunkRows * this.recordBytes);
    this.blockView = new DataView(this.block.buffer);
    this.count = initialCount;
    if (existing) this.dirty = false;
  }

  private get singleTile(): boolean {
    return this.tiles.length === 1 && this.recordShape.every((d, i) => d === this.chunkDims[i + 1]);
  }

  private resumeChecked = false;

  /** Reopens the partly filled last chunk row of an existing dataset (copy-on-write). */
  private async resumePartialBlock(): Promise<void> {
    this.resumeChecked = true;
    if (!this.existing) return;
    const rem = this.count % this.chunkRows;
    const start = this.count - rem;
    // chunks of the partly filled last row are copied (never modified in place); chunks beyond
    // the extent (left by a shrink) are dropped from the index
    const refs = this.spine.popTrailing(start, this.path).filter((r) => r.first.offsets[0] === start);
    if (rem === 0) return;
    this.block.fill(0);
    for (const ref of refs) {
      if (ref.first.filterMask !== 0 || ref.first.nbytes !== this.chunkBytes) throw new Error(`${this.path}: filtered or odd-sized chunk at ${ref.addr}; appending is not supported`);
      const data = await this.file.readAt(ref.addr, this.chunkBytes);
      this.scatterTile(ref.first.offsets.slice(1, -1), data, rem);
    }
    this.openBlock(start);
    this.blockFill = rem;
  }

  private openBlock(start: number): void {
    this.blockStart = start;
    this.blockFill = 0;
    this.blockFlushed = 0;
    this.blockAddrs = [];
    for (const t of this.tiles) {
      const addr = this.file.space.atEnd(this.chunkBytes);
      this.blockAddrs.push(addr);
      const first: ChunkKey = { nbytes: this.chunkBytes, filterMask: 0, offsets: [start, ...t, 0] };
      this.spine.add({ first, last: rightBound(first, [...this.chunkDims, this.elemSize]), addr }, (bytes, permanent) => this.file.writeNode(bytes, permanent, this));
    }
  }

  /** Appends records; the encoder fills each record's bytes. */
  async append<T>(items: readonly T[], encode: RecordEncoder<T>): Promise<void> {
    const heap = this.file.heap;
    if (!this.resumeChecked) await this.resumePartialBlock();
    for (let i = 0; i < items.length; i++) {
      if (this.blockStart >= 0 && this.blockFill === this.chunkRows) await this.flushBlock();
      if (this.blockStart < 0) {
        this.block.fill(0);
        this.openBlock(this.count);
      }
      encode(items[i], this.block, this.blockView, this.blockFill * this.recordBytes, heap);
      this.blockFill++;
      this.count++;
      this.dirty = true;
      if (this.file.pendingBytes > PENDING_WRITE_LIMIT) await this.file.drain();
    }
    this.file.changed();
  }

  private async writeRows(from: number, to: number): Promise<void> {
    if (to <= from) return;
    if (this.singleTile) {
      await this.file.writeAt(this.blockAddrs[0] + from * this.recordBytes, this.block.subarray(from * this.recordBytes, to * this.recordBytes));
      return;
    }
    for (let t = 0; t < this.tiles.length; t++) {
      await this.file.writeAt(this.blockAddrs[t], this.gatherTile(this.tiles[t], to));
    }
  }

  private async flushBlock(): Promise<void> {
    this.file.heap.close();
    await this.file.drain();
    await this.writeRows(this.blockFlushed, this.blockFill);
    this.blockStart = -1;
  }

  async flushPartial(): Promise<void> {
    if (this.blockStart < 0) return;
    await this.writeRows(this.blockFlushed, this.blockFill);
    this.blockFlushed = this.blockFill;
  }

  messages(): HeaderMessage[] {
    const root = this.spine.writeSpine((bytes, permanent) => this.file.writeNode(bytes, permanent, this));
    const dims = [this.count, ...this.recordShape];
    const layout = encodeChunkedLayout(root, [...this.chunkDims, this.elemSize]);
    if (this.existing) {
      return this.existing.map((m) => {
        if (m.type === MSG_DATASPACE) {
          const old = decodeDataspace(m.body, this.path);
          return { ...m, body: encodeDataspace(dims, old.maxDims) };
        }
        if (m.type === MSG_LAYOUT) return { ...m, body: layout };
        return m;
      });
    }
    return [
      { type: MSG_DATASPACE, flags: 0, body: encodeDataspace(dims, [Infinity, ...this.recordShape]) },
      { type: MSG_DATATYPE, flags: MSG_FLAG_CONSTANT, body: encodeDatatype(this.type).toBytes() },
      { type: MSG_FILL, flags: MSG_FLAG_CONSTANT, body: encodeFillValue('incremental') },
      { type: MSG_LAYOUT, flags: 0, body: layout },
    ];
  }

  /** Copies rows [0, rows) of one tile out of the block into a chunk image. */
  private gatherTile(tile: number[], rows: number): Uint8Array {
    const out = new Uint8Array(this.chunkBytes);
    this.copyTile(tile, rows, out, false);
    return out;
  }

  private scatterTile(tile: number[], chunk: Uint8Array, rows: number): void {
    this.copyTile(tile, rows, chunk, true);
  }

  /** Moves the elements of one chunk tile between the block buffer and a chunk image. */
  private copyTile(tile: number[], rows: number, chunk: Uint8Array, toBlock: boolean): void {
    const shape = this.recordShape;
    const cd = this.chunkDims.slice(1);
    const es = this.elemSize;
    const nd = shape.length;
    // strides (in elements) of the record and of the chunk (without the row dimension)
    const rs = new Array<number>(nd).fill(1);
    const cs = new Array<number>(nd).fill(1);
    for (let d = nd - 2; d >= 0; d--) {
      rs[d] = rs[d + 1] * shape[d + 1];
      cs[d] = cs[d + 1] * cd[d + 1];
    }
    const recElems = nd ? rs[0] * shape[0] : 1;
    const chunkRowElems = nd ? cs[0] * cd[0] : 1;
    const innerLen = nd ? Math.min(cd[nd - 1], shape[nd - 1] - tile[nd - 1]) : 1;
    for (let r = 0; r < rows; r++) {
      const walk = (d: number, recOff: number, chOff: number): void => {
        if (d === nd - 1 || nd === 0) {
          const src = (r * recElems + recOff + (nd ? tile[nd - 1] : 0)) * es;
          const dst = (r * chunkRowElems + chOff) * es;
          const n = innerLen * es;
          if (toBlock) this.block.set(chunk.subarray(dst, dst + n), src);
          else chunk.set(this.block.subarray(src, src + n), dst);
          return;
        }
        const lim = Math.min(cd[d], shape[d] - tile[d]);
        for (let i = 0; i < lim; i++) walk(d + 1, recOff + (tile[d] + i) * rs[d], chOff + i * cs[d]);
      };
      walk(0, 0, 0);
    }
  }
}

function tileOffsets(shape: number[], chunk: number[]): number[][] {
  let out: number[][] = [[]];
  for (let d = 0; d < shape.length; d++) {
    const next: number[][] = [];
    for (const prefix of out) for (let o = 0; o < Math.max(shape[d], 1); o += chunk[d]) next.push([...prefix, o]);
    out = next;
  }
  return out;
}

/**
 * Variable-length data: objects go into the current global heap collection; record fields that
 * reference them get the collection address patched in when the collection is closed (its place
 * in the file is decided then, at its final size).
 */
class VlenHeap {
  private builder = new GlobalHeapCollectionBuilder(HEAP_COLLECTION_BYTES);
  private patches: Array<{ buf: Uint8Array; pos: number }> = [];
  /** Standard-size collection buffers whose write has completed, for reuse. */
  private spare: Uint8Array[] = [];

  constructor(private readonly file: Hdf5FileWriter) {}

  /** Stores `data` and writes a vlen reference (length `count`, heap id) at buf[pos..pos+16). */
  ref(buf: Uint8Array, pos: number, data: Uint8Array, count: number): void {
    if (!this.builder.fits(data.length)) {
      this.close();
      if (!this.builder.fits(data.length)) this.builder = new GlobalHeapCollectionBuilder(32 + GlobalHeapCollectionBuilder.footprint(data.length));
    }
    const idx = this.builder.add(data);
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    v.setUint32(pos, count >>> 0, true);
    v.setUint32(pos + 12, idx, true);
    this.patches.push({ buf, pos: pos + 4 });
  }

  get pending(): boolean {
    return this.builder.count > 0;
  }

  /** Writes out the current collection (if it holds anything) and patches the references to it. */
  close(): void {
    if (!this.builder.count) return;
    const bytes = this.builder.finish();
    const addr = this.file.space.atEnd(bytes.length);
    for (const p of this.patches) {
      const v = new DataView(p.buf.buffer, p.buf.byteOffset, p.buf.byteLength);
      v.setUint32(p.pos, addr % 0x100000000, true);
      v.setUint32(p.pos + 4, Math.floor(addr / 0x100000000), true);
    }
    this.patches = [];
    const done = this.builder.buf;
    this.file.queueWrite(addr, bytes, done.length === HEAP_COLLECTION_BYTES ? () => void (this.spare.length < 4 && this.spare.push(done)) : undefined);
    this.builder = new GlobalHeapCollectionBuilder(HEAP_COLLECTION_BYTES, this.spare.pop());
  }
}

/** The part of a FileHandle the writer uses, on a growing buffer (Hdf5FileWriter.inMemory). */
class MemoryFile {
  private bytes = new Uint8Array(1 << 16);
  private size = 0;

  async write(b: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
    this.grow(position + length);
    this.bytes.set(b.subarray(offset, offset + length), position);
    return { bytesWritten: length };
  }

  async read(b: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    const n = Math.max(0, Math.min(length, this.size - position));
    b.set(this.bytes.subarray(position, position + n), offset);
    return { bytesRead: n };
  }

  async truncate(length: number): Promise<void> {
    this.grow(length);
    this.bytes.fill(0, length);
    this.size = length;
  }

  async datasync(): Promise<void> {}

  async close(): Promise<void> {}

  private grow(end: number): void {
    if (end > this.bytes.length) {
      const more = new Uint8Array(Math.max(end, 2 * this.bytes.length));
      more.set(this.bytes.subarray(0, this.size));
      this.bytes = more;
    }
    if (end > this.size) this.size = end;
  }
}

/** Files (device:inode) this process has open for writing: a second writer would corrupt them. */
const openForWriting = new Set<string>();

function claim(key: string, path: string): void {
  if (openForWriting.has(key)) throw usageError(`${path}: already open for writing in this process (one writer per file)`);
  openForWriting.add(key);
}

export class Hdf5FileWriter {
  private fileKey = '';

  readonly heap: VlenHeap;
  private pending: Array<{ addr: number; bytes: Uint8Array; written?: () => void }> = [];
  pendingBytes = 0;
  private root: GroupNode;
  private datasets = new Set<DatasetNode>();
  private unsaved = false;
  private lastCheckpoint = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private physicalEnd: number;
  private closed = false;
  private failure: Error | null = null;
  readonly interval: number;
  /** Atomic new file: the temporary file it is built in, published at close. */
  private publishing: { tmp: string; overwrite: boolean } | undefined;
  /** Atomic append: the file's length when opened (restored when the append fails). */
  private originalSize: number | undefined;
  /** Set once the superblock write of the final commit has started (nothing may be undone after it). */
  private committing = false;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    private readonly sb: Superblock,
    readonly space: SpaceAllocator,
    root: GroupNode,
    physicalSize: number,
    private readonly opts: Hdf5WriterOptions,
  ) {
    this.heap = new VlenHeap(this);
    this.root = root;
    this.physicalEnd = physicalSize;
    this.interval = opts.checkpointIntervalMs ?? 500;
  }

  /** Whether this writer commits only at close (see Hdf5WriterOptions.atomic). */
  get atomic(): boolean {
    return this.opts.atomic ?? false;
  }

  /**
   * Creates a new file (fails if it exists unless `overwrite`). The file only appears at `path`
   * once it is a valid HDF5 file: it is built under a temporary name beside it (with whatever
   * `prepare` adds, e.g. the MRD group), committed, then published atomically: link(2) when it
   * must not replace anything (fails if the path exists, whoever created it meanwhile), rename(2)
   * when overwriting (../../file-output). Published here, after its first commit, or with
   * `atomic` only at `close()`. A kill at any moment leaves either no file / the old file, or a
   * valid one.
   */
  static async create(path: string, opts: Hdf5WriterOptions & { overwrite?: boolean } = {}, prepare?: (w: Hdf5FileWriter) => Promise<void>): Promise<Hdf5FileWriter> {
    const exists = () => new OutputFileError(path, 'file exists (pass overwrite: true to replace it)', 'EEXIST');
    if (!opts.overwrite && existsSync(path)) throw exists();
    const old = await stat(path).catch(() => null);
    if (old && openForWriting.has(`${old.dev}:${old.ino}`)) throw usageError(`${path}: open for writing in this process; not replacing it`);
    const { tmp, fh } = await createTemporaryFile(path, 'wx+');
    let key = '';
    try {
      const st = await fh.stat();
      key = `${st.dev}:${st.ino}`;
      claim(key, path);
      const w = new Hdf5FileWriter(fh, path, newSuperblock(), new SpaceAllocator(superblockSize(0)), new GroupNode('/'), 0, opts);
      w.fileKey = key;
      if (prepare) await prepare(w);
      w.unsaved = true;
      if (opts.atomic) {
        w.publishing = { tmp, overwrite: opts.overwrite ?? false };
        return w;
      }
      await w.checkpointNow();
      try {
        await publishFile(tmp, path, opts.overwrite ?? false);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
        throw e;
      }
      if (opts.durable) {
        const d = await open(dirname(path), 'r');
        await d.sync().finally(() => d.close());
      }
      return w;
    } catch (e) {
      if (key) openForWriting.delete(key);
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  /**
   * A writer of a new file held in memory and never stored anywhere (the same code as `create`,
   * on a MemoryFile instead of a file): for `MrdWriter.rehearse`, which runs the writer's code once
   * so that a process's first real output does not wait for it to be compiled.
   */
  static async inMemory(prepare?: (w: Hdf5FileWriter) => Promise<void>): Promise<Hdf5FileWriter> {
    const w = new Hdf5FileWriter(new MemoryFile() as unknown as FileHandle, '(memory)', newSuperblock(), new SpaceAllocator(superblockSize(0)), new GroupNode('/'), 0, {});
    if (prepare) await prepare(w);
    w.unsaved = true;
    await w.checkpointNow();
    return w;
  }

  /** Opens an existing HDF5 file for appending. */
  static async open(path: string, opts: Hdf5WriterOptions = {}): Promise<Hdf5FileWriter> {
    const st = await stat(path).catch(() => null);
    if (!st) throw new Error(`${path}: no such file`);
    const key = `${st.dev}:${st.ino}`;
    claim(key, path);
    let fh: FileHandle;
    try {
      fh = await open(path, 'r+');
    } catch (e) {
      openForWriting.delete(key);
      throw e;
    }
    try {
      let pos = 0;
      let sbBytes: Uint8Array | null = null;
      while (pos + 8 <= st.size) {
        const b = Buffer.alloc(100);
        await fh.read(b, 0, 100, pos);
        if (b[0] === 0x89 && b.toString('latin1', 1, 4) === 'HDF' && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) {
          sbBytes = new Uint8Array(b);
          break;
        }
        pos = pos === 0 ? 512 : pos * 2;
      }
      if (!sbBytes) throw new Error(`${path}: not an HDF5 file (no superblock signature)`);
      const sb = decodeSuperblock(sbBytes, pos, path);
      const end = Math.max(sb.eofAddr, st.size - pos);
      const space = new SpaceAllocator(align8(end));
      const w = new Hdf5FileWriter(fh, path, sb, space, new GroupNode('/'), st.size, opts);
      w.fileKey = key;
      if (opts.atomic) w.originalSize = st.size;
      w.root = await w.loadGroup('/', sb.root.objectHeaderAddr);
      return w;
    } catch (e) {
      openForWriting.delete(key);
      await fh.close();
      throw e;
    }
  }

  // ---- low-level I/O -------------------------------------------------------------------

  async readAt(addr: number, length: number): Promise<Uint8Array> {
    const b = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(b, done, length - done, this.sb.position + addr + done);
      if (bytesRead === 0) throw new Error(`${this.path}: unexpected end of file reading ${length} bytes at address ${addr}`);
      done += bytesRead;
    }
    return b;
  }

  async writeAt(addr: number, bytes: Uint8Array): Promise<void> {
    const pos = this.sb.position + addr;
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, done, bytes.length - done, pos + done);
      done += bytesWritten;
    }
    if (pos + bytes.length > this.physicalEnd) this.physicalEnd = pos + bytes.length;
  }

  queueWrite(addr: number, bytes: Uint8Array, written?: () => void): void {
    this.pending.push({ addr, bytes, written });
    this.pendingBytes += bytes.length;
  }

  /** Issues every queued write (small adjacent ones merged, the rest in parallel) and waits. */
  async drain(): Promise<void> {
    const p = this.pending;
    if (!p.length) return;
    this.pending = [];
    this.pendingBytes = 0;
    p.sort((a, b) => a.addr - b.addr);
    const jobs: Array<Promise<void>> = [];
    let i = 0;
    while (i < p.length) {
      let j = i + 1;
      if (p[i].bytes.length < 65536) {
        let end = p[i].addr + p[i].bytes.length;
        while (j < p.length && p[j].addr === align8(end) && p[j].bytes.length < 65536 && p[j].addr + p[j].bytes.length - p[i].addr < 1 << 20) {
          end = p[j].addr + p[j].bytes.length;
          j++;
        }
      }
      if (j === i + 1) {
        const one = p[i];
        jobs.push(this.writeAt(one.addr, one.bytes).then(() => one.written?.()));
      } else {
        const first = p[i].addr;
        const last = p[j - 1];
        const buf = new Uint8Array(last.addr + last.bytes.length - first);
        for (let k = i; k < j; k++) buf.set(p[k].bytes, p[k].addr - first);
        jobs.push(this.writeAt(first, buf));
      }
      i = j;
      if (jobs.length === 4) {
        await Promise.all(jobs.splice(0));
      }
    }
    await Promise.all(jobs);
  }

  /** Writes a B-tree node: permanent (a full node) or temporary (part of the current spine). */
  writeNode(bytes: Uint8Array, permanent: boolean, owner: DatasetNode): number {
    if (permanent) {
      const addr = this.space.atEnd(bytes.length);
      this.queueWrite(addr, bytes);
      return addr;
    }
    return this.writeTemp(bytes, owner);
  }

  /** Writes metadata that the next rewrite of `owner` releases. */
  writeTemp(bytes: Uint8Array, owner: { regions: Region[] }): number {
    const addr = this.space.meta(bytes.length);
    owner.regions.push({ addr, size: bytes.length });
    this.queueWrite(addr, bytes);
    return addr;
  }

  // ---- serialisation of operations -----------------------------------------------------

  /** Runs `fn` after every earlier operation (the writer's calls never interleave). */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(() => {
      if (this.failure) throw new Error(`${this.path}: writer unusable after an earlier failure: ${this.failure.message}`);
      if (this.closed) throw new Error(`${this.path}: writer is closed`);
      return fn();
    });
    this.queue = next.catch(() => undefined);
    return next.catch((e: Error) => {
      // an I/O failure leaves in-memory state unknown: refuse further work, the file keeps its last commit
      if (!(e.message.includes('writer is closed') || e.message.includes('writer unusable') || (e as { user?: boolean }).user)) this.failure = e;
      throw e;
    });
  }

  /** Marks unsaved changes: checkpoint now if the interval has passed, else arm the idle timer. */
  changed(): void {
    this.unsaved = true;
    if (this.atomic) return; // committed at close only
    if (!this.timer && !this.closed) {
      const wait = Math.max(0, this.interval - (Date.now() - this.lastCheckpoint));
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.run(() => this.checkpointNow()).catch(() => undefined);
      }, wait);
      this.timer.unref();
    }
  }

  /** Checkpoint if the interval has elapsed (called after each operation). */
  async maybeCheckpoint(): Promise<void> {
    if (this.atomic) return;
    if (this.unsaved && Date.now() - this.lastCheckpoint >= this.interval) await this.checkpointNow();
  }

  /** Makes the file state on disk equal to everything appended so far. */
  async checkpointNow(): Promise<void> {
    if (!this.unsaved) return;
    const started = Date.now();
    this.heap.close();
    await this.drain();
    for (const d of this.datasets) await d.flushPartial();
    const rootEntry = this.serializeGroup(this.root);
    await this.drain();
    this.sb.root = { objectHeaderAddr: rootEntry.objectHeaderAddr, stab: rootEntry.stab };
    this.sb.eofAddr = this.space.eof;
    const end = this.sb.position + this.space.eof;
    if (this.physicalEnd < end) {
      await this.fh.truncate(end);
      this.physicalEnd = end;
    }
    if (this.opts.durable) await this.fh.datasync();
    const sbBytes = encodeSuperblock(this.sb);
    if (this.atomic) this.committing = true;
    await this.fh.write(sbBytes, 0, sbBytes.length, this.sb.position);
    if (this.opts.durable) await this.fh.datasync();
    this.space.committed();
    this.unsaved = false;
    this.lastCheckpoint = started;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  /**
   * Final checkpoint and close, after every queued operation. After an earlier I/O failure the
   * handle is still closed (the file keeps its last commit) and the failure is reported. An
   * atomic writer publishes its new file here, or on failure undoes everything (see `atomic`).
   */
  close(): Promise<void> {
    const next = this.queue.then(async () => {
      if (this.closed) return;
      let committed = false;
      try {
        if (this.failure) throw new Error(`${this.path}: closed without a final checkpoint after an earlier failure: ${this.failure.message}`);
        await this.checkpointNow();
        committed = true;
      } finally {
        this.closed = true;
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        openForWriting.delete(this.fileKey);
        try {
          await this.fh.close();
        } finally {
          if (!committed) await this.undoUncommitted();
        }
      }
      if (this.publishing) {
        const { tmp, overwrite } = this.publishing;
        this.publishing = undefined;
        try {
          await publishFile(tmp, this.path, overwrite);
        } catch (e) {
          await unlink(tmp).catch(() => undefined);
          throw e;
        }
        if (this.opts.durable) {
          const d = await open(dirname(this.path), 'r');
          await d.sync().finally(() => d.close());
        }
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Closes the file handle without a final checkpoint: the file keeps its last commit; an atomic
   * writer's new file is removed and an atomic append is cut back to the original length.
   */
  async abandon(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    openForWriting.delete(this.fileKey);
    try {
      await this.fh.close();
    } finally {
      await this.undoUncommitted();
    }
  }

  /** Atomic mode, nothing committed: remove the unpublished file, or restore the appended file's length. */
  private async undoUncommitted(): Promise<void> {
    if (this.publishing) {
      const { tmp } = this.publishing;
      this.publishing = undefined;
      await unlink(tmp).catch(() => undefined);
    } else if (this.originalSize !== undefined && !this.committing) {
      await truncate(this.path, this.originalSize).catch(() => undefined);
    }
  }

  // ---- structure -----------------------------------------------------------------------

  private async loadGroup(path: string, addr: number): Promise<GroupNode> {
    const read = (a: number, n: number) => this.readAt(a, n);
    const what = `${this.path}:${path}`;
    const oh = await readObjectHeader(read, addr, what);
    const stabMsg = oh.messages.find((m) => m.type === MSG_STAB);
    const g = new GroupNode(path, { messages: oh.messages, refCount: oh.refCount });
    g.addr = addr;
    g.dirty = false;
    if (stabMsg) {
      const stab = decodeStab(stabMsg.body, what);
      g.stab = stab;
      for (const e of await readSymbolTable(read, stab.btreeAddr, stab.heapAddr, what)) {
        if (e.cacheType === 2) g.noRewrite = `${what}: group holds a soft link ('${e.name}'); changing anything below it is not supported`;
        g.children.set(e.name, { kind: 'existing', entry: e });
      }
      return g;
    }
    const li = oh.messages.find((m) => m.type === MSG_LINK_INFO);
    if (!li) throw new Error(`${what}: not a group`);
    const info = decodeLinkInfo(li.body, what);
    if (info.dense) throw new Error(`${what}: group stores its links densely (fractal heap); adding to it is not supported`);
    g.style = 'links';
    if (info.creationOrderTracked) g.noNewMembers = `${what}: group tracks link creation order; adding members to it is not supported`;
    for (const m of oh.messages) {
      if (m.type !== MSG_LINK) continue;
      const link = decodeLink(m.body, what);
      g.linkMsgs.set(link.name, m);
      g.children.set(link.name, { kind: 'existing', entry: { name: link.name, objectHeaderAddr: link.hardAddr ?? UNDEF_ADDR }, linkMsg: m });
    }
    return g;
  }

  /** Adds a member to a group (new or existing). */
  private addMember(g: GroupNode, name: string, c: Child): void {
    if (!g.children.has(name) && g.noNewMembers) throw usageError(g.noNewMembers);
    g.children.set(name, c);
    g.dirty = true;
  }

  private async resolveGroup(path: string, create: boolean): Promise<GroupNode | null> {
    const parts = path.split('/').filter(Boolean);
    let g = this.root;
    let cur = '';
    const check = (grp: GroupNode) => {
      if (create && grp.noRewrite) throw usageError(grp.noRewrite);
    };
    check(g);
    for (const name of parts) {
      cur += '/' + name;
      let c = g.children.get(name);
      if (!c) {
        if (!create) return null;
        c = new GroupNode(cur);
        this.addMember(g, name, c);
        this.changed();
      } else if (c.kind === 'existing') {
        if (c.entry.objectHeaderAddr === UNDEF_ADDR) throw new Error(`${this.path}:${cur} is a soft or external link; not followed`);
        c = await this.loadGroup(cur, c.entry.objectHeaderAddr);
        g.children.set(name, c);
      } else if (c.kind === 'dataset') {
        throw new Error(`${this.path}:${cur} is a dataset, not a group`);
      }
      g = c as GroupNode;
      check(g);
    }
    return g;
  }

  async hasChild(path: string): Promise<boolean> {
    const parts = path.split('/').filter(Boolean);
    const last = parts.pop()!;
    const g = await this.resolveGroup(parts.join('/'), false);
    return !!g && g.children.has(last);
  }

  async group(path: string): Promise<void> {
    await this.resolveGroup(path, true);
  }

  private split(path: string): [string, string] {
    const i = path.lastIndexOf('/');
    return [path.slice(0, i), path.slice(i + 1)];
  }

  /** Writes (or replaces) a one-element variable-length string dataset. */
  async writeString(path: string, text: string, cset: 'ascii' | 'utf8' = 'ascii'): Promise<void> {
    const [parent, name] = this.split(path);
    const g = (await this.resolveGroup(parent, true))!;
    const old = g.children.get(name);
    if (old && old.kind === 'group') throw usageError(`${this.path}:${path} is a group`);
    if (old && old instanceof ChunkedDataset) throw usageError(`${this.path}:${path} is a record dataset; not replacing it with a string`);
    if (old && old.kind === 'dataset') {
      this.datasets.delete(old);
      for (const r of old.regions) this.space.release(r);
      old.regions = [];
    }
    const d = new VlenStringDataset(this, path, text, cset);
    this.addMember(g, name, d);
    this.datasets.add(d);
    this.changed();
  }

  /**
   * The chunked dataset at `path`: created (empty) if absent, else opened for appending after
   * checking that its datatype and record shape match.
   */
  async chunkedDataset(path: string, types: Datatype | Datatype[], recordShape: number[], chunkRows: number): Promise<ChunkedDataset> {
    const accepted = Array.isArray(types) ? types : [types];
    const type = accepted[0];
    const [parent, name] = this.split(path);
    const g = (await this.resolveGroup(parent, true))!;
    const c = g.children.get(name);
    if (c && c.kind === 'dataset') {
      if (!(c instanceof ChunkedDataset)) throw usageError(`${this.path}:${path} is not a chunked dataset`);
      if (!accepted.some((t) => sameDatatype(c.type, t))) throw usageError(`${this.path}:${path}: datatype ${describeDatatype(c.type)} differs from the one to append (${describeDatatype(type)})`);
      if (c.recordShape.length !== recordShape.length || c.recordShape.some((d, i) => d !== recordShape[i])) {
        throw usageError(`${this.path}:${path}: records of shape (${c.recordShape.join(', ')}) cannot take one of shape (${recordShape.join(', ')})`);
      }
      return c;
    }
    if (c && c.kind === 'group') throw new Error(`${this.path}:${path} is a group, not a dataset`);
    let ds: ChunkedDataset;
    if (c && c.kind === 'existing') {
      try {
        ds = await this.loadChunkedDataset(path, c.entry.objectHeaderAddr, accepted, recordShape);
      } catch (e) {
        // loading only reads: the writer's state is unchanged, so it stays usable
        throw usageError((e as Error).message);
      }
    } else {
      if (g.noNewMembers) throw usageError(g.noNewMembers);
      const chunkDims = [Math.max(1, chunkRows), ...recordShape];
      ds = new ChunkedDataset(this, path, type, recordShape, chunkDims, new ChunkIndexSpine(chunkDims.length + 1, this.sb.chunkK), 0);
      g.dirty = true;
      this.changed();
    }
    g.children.set(name, ds);
    this.datasets.add(ds);
    return ds;
  }

  private async loadChunkedDataset(path: string, addr: number, accepted: Datatype[], recordShape: number[]): Promise<ChunkedDataset> {
    const what = `${this.path}:${path}`;
    const read = (a: number, n: number) => this.readAt(a, n);
    const oh = await readObjectHeader(read, addr, what);
    const get = (t: number) => oh.messages.find((m) => m.type === t);
    const dtm = get(MSG_DATATYPE);
    const dsm = get(MSG_DATASPACE);
    const lm = get(MSG_LAYOUT);
    if (!dtm || !dsm || !lm) throw new Error(`${what}: not a dataset`);
    const layout = decodeLayout(lm.body, what);
    if (dtm.flags & MSG_FLAG_SHARED) throw new Error(`${what}: shared (committed) datatype; appending is not supported`);
    const existingType = decodeDatatype(new ByteReader(dtm.body, 0, what));
    const type = accepted.find((t) => sameDatatype(existingType, t));
    if (!type) throw usageError(`${what}: existing datatype ${describeDatatype(existingType)} differs from the one to append (${describeDatatype(accepted[0])})`);
    const space = decodeDataspace(dsm.body, what);
    if (space.dims.length !== recordShape.length + 1 || recordShape.some((d, i) => d !== space.dims[i + 1])) {
      throw usageError(`${what}: existing shape (${space.dims.join(', ')}) does not take records of shape (${recordShape.join(', ')})`);
    }
    if (space.maxDims[0] !== Infinity) throw new Error(`${what}: first dimension is not extensible (max ${space.maxDims[0]})`);
    if (layout.kind !== 'chunked') throw new Error(`${what}: not chunked; cannot append`);
    const filters = get(MSG_FILTERS);
    if (filters) {
      const nf = filters.body[1];
      if (nf > 0) throw new Error(`${what}: dataset uses filters (compression); appending is not supported`);
    }
    const chunkDims = layout.chunkDims.slice(0, -1);
    if (layout.chunkDims[layout.chunkDims.length - 1] !== datatypeSize(type)) throw new Error(`${what}: chunk element size differs from the datatype size`);
    const spine = await ChunkIndexSpine.load(read, layout.btreeAddr, layout.chunkDims.length, this.sb.chunkK, what);
    const ds = new ChunkedDataset(this, path, type, recordShape, chunkDims, spine, space.dims[0], oh.messages);
    ds.refCount = oh.refCount;
    ds.addr = addr;
    return ds;
  }

  /** Current number of records of an existing or new dataset (0 when absent). */
  async datasetLength(path: string): Promise<number | null> {
    const [parent, name] = this.split(path);
    const g = await this.resolveGroup(parent, false);
    if (!g) return null;
    const c = g.children.get(name);
    if (!c) return null;
    if (c instanceof ChunkedDataset) return c.count;
    if (c.kind === 'existing') {
      const oh = await readObjectHeader((a, n) => this.readAt(a, n), c.entry.objectHeaderAddr, `${this.path}:${path}`);
      const dsm = oh.messages.find((m) => m.type === MSG_DATASPACE);
      return dsm ? decodeDataspace(dsm.body, path).dims[0] ?? 1 : null;
    }
    return null;
  }

  private serializeDataset(d: DatasetNode): SymbolEntry {
    if (!d.dirty) return { name: '', objectHeaderAddr: d.addr };
    for (const r of d.regions) this.space.release(r);
    d.regions = [];
    const oh = encodeObjectHeaderV1(d.messages(), d.refCount);
    d.addr = this.writeTemp(oh, d);
    d.dirty = false;
    return { name: '', objectHeaderAddr: d.addr };
  }

  /** Rewrites an existing new-style group: its messages, with one link message per member. */
  private serializeLinkGroup(g: GroupNode, entries: SymbolEntry[]): SymbolEntry {
    const byName = new Map(entries.map((e) => [e.name, e]));
    const links: HeaderMessage[] = [];
    const done = new Set<string>();
    const linkFor = (name: string): HeaderMessage => {
      const e = byName.get(name)!;
      const orig = g.linkMsgs.get(name);
      const c = g.children.get(name)!;
      if (orig && c.kind === 'existing') return orig;
      if (orig) {
        // same link (creation order, character set kept), new object header address at its end
        const body = orig.body.slice();
        new DataView(body.buffer).setBigUint64(body.length - 8, BigInt(e.objectHeaderAddr), true);
        return { ...orig, body };
      }
      return { type: MSG_LINK, flags: 0, body: encodeHardLink(name, e.objectHeaderAddr) };
    };
    for (const name of g.linkMsgs.keys()) {
      if (!g.children.has(name)) continue;
      links.push(linkFor(name));
      done.add(name);
    }
    for (const name of g.children.keys()) if (!done.has(name)) links.push(linkFor(name));
    const messages = [...g.origin!.messages.filter((m) => m.type !== MSG_LINK), ...links];
    g.addr = this.writeTemp(encodeObjectHeaderV1(messages, g.origin!.refCount), g);
    g.stab = undefined;
    g.dirty = false;
    return { name: '', objectHeaderAddr: g.addr };
  }

  private serializeGroup(g: GroupNode): SymbolEntry {
    const names = [...g.children.keys()].sort(compareNames);
    const entries: SymbolEntry[] = [];
    for (const name of names) {
      const c = g.children.get(name)!;
      let e: SymbolEntry;
      if (c.kind === 'existing') e = c.entry;
      else if (c.kind === 'group') {
        const before = c.addr;
        e = { ...this.serializeGroup(c), name };
        if (e.objectHeaderAddr !== before) g.dirty = true;
      } else {
        const before = c.addr;
        e = { ...this.serializeDataset(c), name };
        if (e.objectHeaderAddr !== before) g.dirty = true;
      }
      entries.push({ ...e, name });
    }
    if (!g.dirty) return { name: '', objectHeaderAddr: g.addr, stab: g.stab };
    for (const r of g.regions) this.space.release(r);
    g.regions = [];
    if (g.style === 'links') return this.serializeLinkGroup(g, entries);
    const leafK = this.sb.groupLeafK;
    const internalK = this.sb.groupInternalK;
    // local heap
    const heapSize = encodeLocalHeap(names, 0).bytes.length;
    const heapAddr = this.space.meta(heapSize);
    const heap = encodeLocalHeap(names, heapAddr);
    g.regions.push({ addr: heapAddr, size: heap.bytes.length });
    this.queueWrite(heapAddr, heap.bytes);
    // symbol table nodes
    const per = 2 * leafK;
    let refs: Array<{ first: string; last: string; addr: number }> = [];
    for (let i = 0; i < entries.length; i += per) {
      const part = entries.slice(i, i + per);
      const addr = this.writeTemp(encodeSnod(part, heap.offsets, leafK), g);
      refs.push({ first: part[0].name, last: part[part.length - 1].name, addr });
    }
    // B-tree over the nodes
    const keyOf = (name: string | null) => new ByteWriter(8).u64(name === null ? 0 : heap.offsets.get(name)!).toBytes();
    let btreeAddr: number;
    if (!refs.length) {
      btreeAddr = this.writeTemp(encodeBtreeNode(0, 0, [keyOf(null)], [], internalK, 8), g);
    } else {
      let level = 0;
      for (;;) {
        const next: typeof refs = [];
        for (let i = 0; i < refs.length; i += 2 * internalK) {
          const part = refs.slice(i, i + 2 * internalK);
          const prev = i > 0 ? refs[i - 1].last : null;
          const keys = [keyOf(prev), ...part.map((r) => keyOf(r.last))];
          const addr = this.writeTemp(encodeBtreeNode(0, level, keys, part.map((r) => r.addr), internalK, 8), g);
          next.push({ first: part[0].first, last: part[part.length - 1].last, addr });
        }
        refs = next;
        if (refs.length === 1) break;
        level++;
      }
      btreeAddr = refs[0].addr;
    }
    const stabBody = encodeStab(btreeAddr, heapAddr);
    const messages: HeaderMessage[] = g.origin
      ? g.origin.messages.map((m) => (m.type === MSG_STAB ? { ...m, body: stabBody } : m))
      : [{ type: MSG_STAB, flags: 0, body: stabBody }];
    g.addr = this.writeTemp(encodeObjectHeaderV1(messages, g.origin?.refCount ?? 1), g);
    g.stab = { btreeAddr, heapAddr };
    g.dirty = false;
    return { name: '', objectHeaderAddr: g.addr, stab: g.stab };
  }
}

