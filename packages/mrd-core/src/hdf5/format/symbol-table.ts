/**
 * "Old-style" (symbol table) groups: local heap for link names (section III.D), symbol table
 * nodes "SNOD" (III.C), symbol table entries (III.B... "Symbol Table Entry") and the version 1
 * B-tree of type 0 that indexes the nodes (III.A.1). This is how HDF5 1.8/1.10 store groups with
 * default format bounds (all the MRD reference files) and what every HDF5 reader understands.
 */
import { ByteReader, ByteWriter, UNDEF_ADDR } from './bytes.js';
import type { ReadAt } from './object-header.js';

export interface SymbolEntry {
  name: string;
  objectHeaderAddr: number;
  /** Cache type as read (2: a soft link, whose value lives in the local heap). */
  cacheType?: number;
  /** For a child group: its cached symbol table addresses (cache type 1). */
  stab?: { btreeAddr: number; heapAddr: number };
}

const enc = new TextEncoder();

/** Byte-wise (strcmp) order of names, as the HDF5 library sorts symbol table nodes. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export interface LocalHeapImage {
  /** Heap header followed by its data segment. */
  bytes: Uint8Array;
  /** Offset of each name inside the data segment. */
  offsets: Map<string, number>;
}

const LOCAL_HEAP_HEADER_SIZE = 32;

/**
 * A local heap holding `names` (offset 0 is the empty string, as the library writes), placed at
 * file address `addr` with its data segment right after the 32-byte header. A trailing free block
 * is kept so that HDF5 can add a few names in place later.
 */
export function encodeLocalHeap(names: string[], addr: number): LocalHeapImage {
  const data = new ByteWriter(256);
  data.zeros(8);
  const offsets = new Map<string, number>();
  for (const n of names) {
    offsets.set(n, data.length);
    data.bytes(enc.encode(n)).u8(0).align(8);
  }
  const freeAt = data.length;
  const freeSize = 64;
  data.u64(1).u64(freeSize).zeros(freeSize - 16);
  const w = new ByteWriter(LOCAL_HEAP_HEADER_SIZE + data.length);
  w.bytes(Uint8Array.from([0x48, 0x45, 0x41, 0x50])).u8(0).zeros(3);
  w.u64(data.length).u64(freeAt).u64(addr + LOCAL_HEAP_HEADER_SIZE);
  w.bytes(data.toBytes());
  return { bytes: w.toBytes(), offsets };
}

/** Size in bytes of a symbol table node holding up to 2 * leafK entries. */
function snodSize(leafK: number): number {
  return 8 + 2 * leafK * 40;
}

function encodeSymbolEntry(w: ByteWriter, nameOffset: number, e: SymbolEntry): void {
  w.u64(nameOffset).u64(e.objectHeaderAddr);
  if (e.stab) w.u32(1).u32(0).u64(e.stab.btreeAddr).u64(e.stab.heapAddr);
  else w.u32(0).u32(0).zeros(16);
}

export function encodeSnod(entries: SymbolEntry[], offsets: Map<string, number>, leafK: number): Uint8Array {
  const w = new ByteWriter(snodSize(leafK));
  w.bytes(Uint8Array.from([0x53, 0x4e, 0x4f, 0x44])).u8(1).u8(0).u16(entries.length);
  for (const e of entries) encodeSymbolEntry(w, offsets.get(e.name)!, e);
  w.zeros(snodSize(leafK) - w.length);
  return w.toBytes();
}

/** Size of a v1 B-tree node with 2K children and keys of `keySize` bytes. */
export function btreeNodeSize(k: number, keySize: number): number {
  return 24 + (2 * k + 1) * keySize + 2 * k * 8;
}

/** Encodes a v1 B-tree node: keys has children.length + 1 raw keys. */
export function encodeBtreeNode(type: 0 | 1, level: number, keys: Uint8Array[], children: number[], k: number, keySize: number): Uint8Array {
  if (keys.length !== children.length + 1) throw new Error('B-tree node: keys must number children + 1');
  if (children.length > 2 * k) throw new Error(`B-tree node: ${children.length} children exceed 2K = ${2 * k}`);
  const size = btreeNodeSize(k, keySize);
  const w = new ByteWriter(size);
  w.bytes(Uint8Array.from([0x54, 0x52, 0x45, 0x45])).u8(type).u8(level).u16(children.length);
  w.u64(UNDEF_ADDR).u64(UNDEF_ADDR);
  for (let i = 0; i < children.length; i++) w.bytes(keys[i]).u64(children[i]);
  w.bytes(keys[children.length]);
  w.zeros(size - w.length);
  return w.toBytes();
}

export interface DecodedBtreeNode {
  level: number;
  /**
   * The raw keys: views into the node's bytes as `read` gave them (not copies: a copy per key
   * was most of the time of walking a chunk index of 15 000 chunks, and its garbage).
   */
  keys: Uint8Array[];
  children: number[];
}

export async function readBtreeNode(read: ReadAt, addr: number, type: 0 | 1, keySize: number, what: string): Promise<DecodedBtreeNode> {
  const head = await read(addr, 24);
  const r = new ByteReader(head, 0, what);
  const sig = r.bytesN(4);
  if (sig[0] !== 0x54 || sig[1] !== 0x52 || sig[2] !== 0x45 || sig[3] !== 0x45) throw new Error(`${what}: no B-tree node at address ${addr}`);
  const t = r.u8();
  if (t !== type) throw new Error(`${what}: B-tree node type ${t} at ${addr}, expected ${type}`);
  const level = r.u8();
  const n = r.u16();
  const body = await read(addr + 24, n * (keySize + 8) + keySize);
  const keys: Uint8Array[] = [];
  const children: number[] = [];
  const br = new ByteReader(body, 0, what);
  for (let i = 0; i < n; i++) {
    keys.push(br.bytesN(keySize));
    children.push(br.u64());
  }
  keys.push(br.bytesN(keySize));
  return { level, keys, children };
}

/** Reads the link names and targets of a symbol table group (its B-tree and local heap). */
export async function readSymbolTable(read: ReadAt, btreeAddr: number, heapAddr: number, what: string): Promise<SymbolEntry[]> {
  const hh = new ByteReader(await read(heapAddr, LOCAL_HEAP_HEADER_SIZE), 0, what);
  const sig = hh.bytesN(4);
  if (String.fromCharCode(...sig) !== 'HEAP') throw new Error(`${what}: no local heap at address ${heapAddr}`);
  hh.skip(4);
  const dataSize = hh.u64();
  hh.u64();
  const dataAddr = hh.u64();
  const heap = await read(dataAddr, dataSize);
  const nameAt = (off: number): string => {
    let end = off;
    while (end < heap.length && heap[end] !== 0) end++;
    return new TextDecoder().decode(heap.subarray(off, end));
  };
  const out: SymbolEntry[] = [];
  const walk = async (addr: number): Promise<void> => {
    const node = await readBtreeNode(read, addr, 0, 8, what);
    for (const child of node.children) {
      if (node.level > 0) {
        await walk(child);
        continue;
      }
      const sh = new ByteReader(await read(child, 8), 0, what);
      if (String.fromCharCode(...sh.bytesN(4)) !== 'SNOD') throw new Error(`${what}: no symbol table node at address ${child}`);
      sh.skip(2);
      const count = sh.u16();
      const er = new ByteReader(await read(child + 8, count * 40), 0, what);
      for (let i = 0; i < count; i++) {
        const nameOff = er.u64();
        const objectHeaderAddr = er.u64();
        const cache = er.u32();
        er.u32();
        const b = er.u64();
        const h = er.u64();
        out.push({ name: nameAt(nameOff), objectHeaderAddr, cacheType: cache, stab: cache === 1 ? { btreeAddr: b, heapAddr: h } : undefined });
      }
    }
  };
  if (btreeAddr !== UNDEF_ADDR) await walk(btreeAddr);
  return out;
}
