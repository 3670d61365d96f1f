/**
 * The chunk index of chunked datasets: a version 1 B-tree of type 1 (HDF5 File Format
 * Specification III.A.1, "raw data chunk" nodes), with K = 32 (64 children per node), as HDF5
 * 1.6-1.10 write with default format bounds and as the ISMRMRD C library and h5py produce.
 *
 * Key: chunk size in bytes (u32), filter mask (u32), then the chunk's logical offset in each
 * dataset dimension plus a trailing 0 for the datatype "dimension" (u64 each). A node holding n
 * children holds n + 1 keys; the last key of a node is the right bound of its last chunk
 * (offset + chunk dimensions in every dimension, size 0), the convention of the HDF5 library.
 *
 * Appending only ever happens at the right edge, so the writer keeps the tree as a "right spine":
 * per level the not-yet-full rightmost node; a node that fills (64 children) is written once,
 * permanently, and becomes a child of the level above. At a checkpoint the spine's nodes are
 * written to fresh space (the previous copies stay valid until the superblock switches), so the
 * cost of a checkpoint is one node per level whatever the dataset size. Sibling pointers are left
 * undefined: HDF5 lookups, iteration (1.10+) and insertion never need them.
 */
import { ByteReader, ByteWriter, UNDEF_ADDR } from './bytes.js';
import { btreeNodeSize, encodeBtreeNode, readBtreeNode } from './symbol-table.js';
import type { ReadAt } from './object-header.js';

export interface ChunkKey {
  nbytes: number;
  filterMask: number;
  /** ndims values: one per dataset dimension plus the trailing datatype dimension. */
  offsets: number[];
}

export interface ChunkRef {
  first: ChunkKey;
  /** Right bound key of the last chunk under this reference. */
  last: ChunkKey;
  addr: number;
}

function chunkKeySize(ndims: number): number {
  return 8 + 8 * ndims;
}

export function encodeChunkKey(k: ChunkKey): Uint8Array {
  const w = new ByteWriter(chunkKeySize(k.offsets.length));
  w.u32(k.nbytes).u32(k.filterMask);
  for (const o of k.offsets) w.u64(o);
  return w.toBytes();
}

/** Little-endian uint32 of `b` at `at` (bounds checked by the caller). */
function u32At(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

/**
 * A chunk key from its raw bytes, as ByteReader would read them (u32 size, u32 filter mask, a u64
 * offset per dimension; all-ones is UNDEF_ADDR), without a reader and a DataView per key: a chunk
 * index holds one key per chunk (15 000 for a 2 GB acquisition dataset of one row per chunk).
 */
export function decodeChunkKey(raw: Uint8Array, ndims: number, what: string): ChunkKey {
  const size = chunkKeySize(ndims);
  if (raw.length < size) throw new Error(`${what}: truncated (need ${size} bytes at 0 of ${raw.length})`);
  const nbytes = u32At(raw, 0);
  const filterMask = u32At(raw, 4);
  const offsets: number[] = [];
  for (let i = 0, at = 8; i < ndims; i++, at += 8) {
    const lo = u32At(raw, at);
    const hi = u32At(raw, at + 4);
    if (lo === 0xffffffff && hi === 0xffffffff) offsets.push(UNDEF_ADDR);
    else if (hi >= 0x200000) throw new Error(`${what}: 64-bit value beyond 2^53 at ${at}`);
    else offsets.push(hi * 0x100000000 + lo);
  }
  return { nbytes, filterMask, offsets };
}

/** Right bound key of a chunk: offset + chunk dimensions in every dimension. */
export function rightBound(first: ChunkKey, chunkDims: number[]): ChunkKey {
  return { nbytes: 0, filterMask: 0, offsets: first.offsets.map((o, i) => o + chunkDims[i]) };
}

export type NodeSink = (bytes: Uint8Array, permanent: boolean) => number;

export class ChunkIndexSpine {
  /** levels[0]: chunks of the rightmost leaf; levels[L > 0]: finished children of the rightmost node at level L. */
  private levels: ChunkRef[][] = [[]];
  private readonly twoK: number;
  readonly keySize: number;

  constructor(
    readonly ndims: number,
    readonly k: number,
  ) {
    this.twoK = 2 * k;
    this.keySize = chunkKeySize(ndims);
  }

  get nodeSize(): number {
    return btreeNodeSize(this.k, this.keySize);
  }

  /** Loads the right edge of an existing tree; nodes left of it are kept by reference. */
  static async load(read: ReadAt, rootAddr: number, ndims: number, k: number, what: string): Promise<ChunkIndexSpine> {
    const spine = new ChunkIndexSpine(ndims, k);
    if (rootAddr === UNDEF_ADDR) return spine;
    const keySize = chunkKeySize(ndims);
    let addr = rootAddr;
    const loaded: ChunkRef[][] = [];
    let rootLevel = -1;
    for (;;) {
      const node = await readBtreeNode(read, addr, 1, keySize, what);
      if (rootLevel < 0) rootLevel = node.level;
      const keys = node.keys.map((raw) => decodeChunkKey(raw, ndims, what));
      const refs: ChunkRef[] = node.children.map((c, i) => ({ first: keys[i], last: keys[i + 1], addr: c }));
      if (node.level === 0) {
        loaded[0] = refs;
        break;
      }
      if (!refs.length) throw new Error(`${what}: empty internal B-tree node at ${addr}`);
      loaded[node.level] = refs.slice(0, -1);
      addr = refs[refs.length - 1].addr;
    }
    spine.levels = [];
    for (let l = 0; l <= rootLevel; l++) spine.levels.push(loaded[l] ?? []);
    return spine;
  }

  get isEmpty(): boolean {
    return this.levels.every((l) => l.length === 0);
  }

  /** Chunks of the rightmost leaf (for replacing the chunks of a partly filled last block). */
  get leafChunks(): readonly ChunkRef[] {
    return this.levels[0];
  }

  /**
   * Removes and returns the trailing leaf chunks whose first offset is at or beyond `offset0`
   * (the partly filled last row, and any chunk left beyond the extent after a shrink).
   */
  popTrailing(offset0: number, what: string): ChunkRef[] {
    const leaf = this.levels[0];
    const out: ChunkRef[] = [];
    while (leaf.length && leaf[leaf.length - 1].first.offsets[0] >= offset0) out.unshift(leaf.pop()!);
    if (!leaf.length && this.levels.length > 1 && this.levels[1].length) {
      // The block may continue in the previous (already full) leaf: not supported (never produced
      // by HDF5 for MRD datasets, whose chunks tile one record per row block).
      const prev = this.levels[1][this.levels[1].length - 1];
      if (prev.last.offsets[0] > offset0) throw new Error(`${what}: the chunks from row ${offset0} on span B-tree nodes; appending is not supported`);
    }
    return out;
  }

  /** Adds a chunk at the right edge. `sink` writes full nodes permanently and returns their address. */
  add(ref: ChunkRef, sink: NodeSink): void {
    if (this.levels[0].length === this.twoK) this.finish(0, sink);
    this.levels[0].push(ref);
  }

  private encode(level: number, refs: ChunkRef[]): Uint8Array {
    const keys = refs.map((r) => encodeChunkKey(r.first));
    keys.push(encodeChunkKey(refs[refs.length - 1].last));
    return encodeBtreeNode(1, level, keys, refs.map((r) => r.addr), this.k, this.keySize);
  }

  private finish(level: number, sink: NodeSink): void {
    const refs = this.levels[level];
    const addr = sink(this.encode(level, refs), true);
    const ref: ChunkRef = { first: refs[0].first, last: refs[refs.length - 1].last, addr };
    this.levels[level] = [];
    if (level + 1 === this.levels.length) this.levels.push([]);
    this.levels[level + 1].push(ref);
    if (this.levels[level + 1].length === this.twoK) this.finish(level + 1, sink);
  }

  /**
   * Writes the spine's nodes (temporary copies) bottom-up and returns the root address, or
   * UNDEF_ADDR for an empty index.
   */
  writeSpine(sink: NodeSink): number {
    let child: ChunkRef | null = null;
    let root = UNDEF_ADDR;
    for (let level = 0; level < this.levels.length; level++) {
      const refs: ChunkRef[] = child ? [...this.levels[level], child] : [...this.levels[level]];
      if (!refs.length) {
        child = null;
        continue;
      }
      const upperHasMore = this.levels.slice(level + 1).some((l) => l.length > 0);
      if (!upperHasMore && refs.length === 1 && level > 0) {
        // A chain of single-child nodes at the top collapses onto its child.
        root = refs[0].addr;
        break;
      }
      const addr = sink(this.encode(level, refs), false);
      child = { first: refs[0].first, last: refs[refs.length - 1].last, addr };
      root = addr;
    }
    return root;
  }
}

/** B-tree levels followed at most (a cycle in a damaged file ends there). */
const MAX_BTREE_DEPTH = 64;

/**
 * The chunks of a records dataset (rank 1, so chunk keys of 2 dimensions) from its version 1
 * B-tree at `addr` (relative to the superblock at `base`): each chunk's first row and address
 * (relative, as stored). The same answer as `readBtreeNode` and `decodeChunkKey` over every node,
 * decoded in place from one synchronous read of each node: the C library stores a chunk per
 * record, so a 250 MB input's index has thousands of entries, and the walk is on mrd-client's
 * way to its first byte (hdf5/reader/fixed-parts.ts). Throws for a filtered chunk or a malformed
 * node.
 */
export function rank1ChunkIndex(raw: (pos: number, n: number) => Uint8Array, base: number, addr: number, what: string): { row: number; addr: number }[] {
  const KEY = 8 + 8 * 2;
  const out: { row: number; addr: number }[] = [];
  const visit = (node: number, depth: number): void => {
    if (depth > MAX_BTREE_DEPTH) throw new Error(`${what}: chunk index deeper than ${MAX_BTREE_DEPTH} levels`);
    const head = raw(base + node, 24);
    if (head[0] !== 0x54 || head[1] !== 0x52 || head[2] !== 0x45 || head[3] !== 0x45) throw new Error(`${what}: no B-tree node at address ${node}`);
    if (head[4] !== 1) throw new Error(`${what}: B-tree node type ${head[4]} at ${node}, expected 1`);
    const level = head[5]!;
    const n = head[6]! | (head[7]! << 8);
    // entries: key (chunk size u32, filter mask u32, row and column offsets u64), child address u64
    const r = new ByteReader(raw(base + node + 24, n * (KEY + 8) + KEY), 0, `${what}: chunk index`);
    for (let i = 0; i < n; i++) {
      if (level > 0) {
        r.skip(KEY);
        visit(r.u64(), depth + 1);
        continue;
      }
      r.skip(4);
      if (r.u32() !== 0) throw new Error('filtered chunk');
      const row = r.u64();
      r.skip(8);
      out.push({ row, addr: r.u64() });
    }
  };
  visit(addr, 0);
  return out;
}
