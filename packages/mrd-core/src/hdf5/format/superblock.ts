/**
 * Superblock versions 0 and 1 (HDF5 File Format Specification, section II.A), with 8-byte
 * offsets and lengths. Version 0 is what HDF5 1.8/1.10 (the ISMRMRD C library, h5py) write by
 * default and what every HDF5 reader opens; it carries the root group's symbol table entry,
 * which makes the whole file state switch with one small in-place write at a fixed offset.
 */
import { ByteReader, ByteWriter, UNDEF_ADDR } from './bytes.js';
import { lookup3 } from './checksum.js';

export const HDF5_SIGNATURE = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Group B-tree K values and chunk B-tree K of our files (the HDF5 defaults). */
const GROUP_LEAF_K = 4;
const GROUP_INTERNAL_K = 16;
const CHUNK_BTREE_K = 32;

export interface RootEntry {
  objectHeaderAddr: number;
  /** Cached symbol table of the root group (cache type 1), or undefined for none. */
  stab?: { btreeAddr: number; heapAddr: number };
}

export interface Superblock {
  /** Absolute file position of the superblock (= base address for every other address). */
  position: number;
  version: 0 | 1 | 2 | 3;
  groupLeafK: number;
  groupInternalK: number;
  chunkK: number;
  eofAddr: number;
  root: RootEntry;
  /** The original encoded bytes (re-used when committing so unknown fields are kept). */
  raw: Uint8Array;
}

function rootEntryOffset(version: 0 | 1): number {
  return version === 0 ? 56 : 60;
}

export function superblockSize(version: 0 | 1 | 2 | 3): number {
  return version >= 2 ? 48 : rootEntryOffset(version as 0 | 1) + 40;
}

/** A fresh version 0 superblock. */
export function newSuperblock(): Superblock {
  const w = new ByteWriter(96);
  w.bytes(HDF5_SIGNATURE).u8(0).u8(0).u8(0).u8(0).u8(0).u8(8).u8(8).u8(0);
  w.u16(GROUP_LEAF_K).u16(GROUP_INTERNAL_K).u32(0);
  w.u64(0).u64(UNDEF_ADDR).u64(0).u64(UNDEF_ADDR);
  w.zeros(40);
  return { position: 0, version: 0, groupLeafK: GROUP_LEAF_K, groupInternalK: GROUP_INTERNAL_K, chunkK: CHUNK_BTREE_K, eofAddr: 0, root: { objectHeaderAddr: UNDEF_ADDR }, raw: w.toBytes() };
}

/** The superblock bytes with `eofAddr` and `root` filled in (other fields as read). */
export function encodeSuperblock(sb: Superblock): Uint8Array {
  if (sb.version >= 2) {
    // versions 2/3: EOF at 28, root object header at 36, lookup3 checksum of bytes 0-43 at 44
    const out = sb.raw.slice(0, 48);
    out.set(new ByteWriter(16).u64(sb.eofAddr).u64(sb.root.objectHeaderAddr).toBytes(), 28);
    new DataView(out.buffer).setUint32(44, lookup3(out.subarray(0, 44)), true);
    return out;
  }
  const out = sb.raw.slice(0, superblockSize(sb.version));
  const w = new ByteWriter(48);
  w.u64(sb.eofAddr);
  const eofPos = sb.version === 0 ? 40 : 44;
  out.set(w.toBytes(), eofPos);
  const e = new ByteWriter(40);
  e.u64(0).u64(sb.root.objectHeaderAddr);
  if (sb.root.stab) e.u32(1).u32(0).u64(sb.root.stab.btreeAddr).u64(sb.root.stab.heapAddr);
  else e.u32(0).u32(0).zeros(16);
  out.set(e.toBytes(), rootEntryOffset(sb.version as 0 | 1));
  return out;
}

/** Parses the superblock found at `position` (0, 512, 1024, ... as the specification allows). */
export function decodeSuperblock(bytes: Uint8Array, position: number, path: string): Superblock {
  const what = `${path}: superblock`;
  const r = new ByteReader(bytes, 0, what);
  for (let i = 0; i < 8; i++) if (r.u8() !== HDF5_SIGNATURE[i]) throw new Error(`${path}: not an HDF5 file (no signature)`);
  const version = r.u8();
  if (version === 2 || version === 3) return decodeSuperblockV2(bytes, position, path, version);
  if (version !== 0 && version !== 1) throw new Error(`${path}: superblock version ${version} is not supported for appending; versions 0 to 3 are`);
  r.u8();
  r.u8();
  r.u8();
  r.u8();
  const sizeOfOffsets = r.u8();
  const sizeOfLengths = r.u8();
  if (sizeOfOffsets !== 8 || sizeOfLengths !== 8) throw new Error(`${what}: ${sizeOfOffsets}-byte offsets / ${sizeOfLengths}-byte lengths are not supported (8 are)`);
  r.u8();
  const groupLeafK = r.u16();
  const groupInternalK = r.u16();
  r.u32();
  let chunkK = CHUNK_BTREE_K;
  if (version === 1) {
    chunkK = r.u16();
    r.u16();
  }
  const base = r.u64();
  if (base !== position) throw new Error(`${what}: base address ${base} differs from the superblock position ${position}; not supported`);
  r.u64();
  const eofAddr = r.u64();
  const driver = r.u64();
  if (driver !== UNDEF_ADDR) throw new Error(`${what}: files with a driver information block (family/multi drivers) are not supported`);
  r.u64(); // link name offset
  const objectHeaderAddr = r.u64();
  const cacheType = r.u32();
  r.u32();
  const root: RootEntry = { objectHeaderAddr };
  if (cacheType === 1) root.stab = { btreeAddr: r.u64(), heapAddr: r.u64() };
  return { position, version: version as 0 | 1, groupLeafK, groupInternalK, chunkK, eofAddr, root, raw: bytes.slice(0, superblockSize(version as 0 | 1)) };
}

/** Superblock versions 2 and 3 (files written with libver='latest' or 'v108'+). */
function decodeSuperblockV2(bytes: Uint8Array, position: number, path: string, version: 2 | 3): Superblock {
  const what = `${path}: superblock`;
  const r = new ByteReader(bytes, 9, what);
  const sizeOfOffsets = r.u8();
  const sizeOfLengths = r.u8();
  if (sizeOfOffsets !== 8 || sizeOfLengths !== 8) throw new Error(`${what}: ${sizeOfOffsets}-byte offsets / ${sizeOfLengths}-byte lengths are not supported (8 are)`);
  const flags = r.u8();
  if (flags & 0x05) throw new Error(`${path}: the file is marked as open for writing by an HDF5 program (still open, or it crashed: h5clear -s clears the mark)`);
  const base = r.u64();
  if (base !== position) throw new Error(`${what}: base address ${base} differs from the superblock position ${position}; not supported`);
  r.u64(); // superblock extension
  const eofAddr = r.u64();
  const objectHeaderAddr = r.u64();
  const stored = r.u32();
  if (lookup3(bytes.subarray(0, 44)) !== stored) throw new Error(`${what}: checksum mismatch`);
  return { position, version, groupLeafK: GROUP_LEAF_K, groupInternalK: GROUP_INTERNAL_K, chunkK: CHUNK_BTREE_K, eofAddr, root: { objectHeaderAddr }, raw: bytes.slice(0, 48) };
}
