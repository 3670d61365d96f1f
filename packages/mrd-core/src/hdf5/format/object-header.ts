/**
 * Version 1 object headers and the header messages an MRD file needs (HDF5 File Format
 * Specification, "Data Object Headers" and "Header Message" sections IV.A.1.a / IV.A.2):
 * dataspace (0x0001, version 1), fill value (0x0005, version 2), data layout (0x0008, version 3:
 * contiguous or chunked with a v1 B-tree index), symbol table (0x0011) and continuation (0x0010).
 *
 * Version 1 headers are what HDF5 1.8/1.10 writes with default format bounds and what every
 * HDF5 release since 1.0 reads.
 */
import { ByteReader, ByteWriter, UNDEF_ADDR } from './bytes.js';

export const MSG_NIL = 0x0000;
export const MSG_DATASPACE = 0x0001;
export const MSG_DATATYPE = 0x0003;
export const MSG_FILL_OLD = 0x0004;
export const MSG_FILL = 0x0005;
export const MSG_LINK = 0x0006;
export const MSG_LAYOUT = 0x0008;
export const MSG_FILTERS = 0x000b;
export const MSG_CONTINUATION = 0x0010;
export const MSG_STAB = 0x0011;
export const MSG_LINK_INFO = 0x0002;

/** Message flag bit 0: the message is constant (datatype, fill value). */
export const MSG_FLAG_CONSTANT = 0x01;
/** Message flag bit 1: the message is shared (stored elsewhere). */
export const MSG_FLAG_SHARED = 0x02;

export interface HeaderMessage {
  type: number;
  flags: number;
  body: Uint8Array;
}

/** Encodes a version 1 object header holding `messages` in one chunk. */
export function encodeObjectHeaderV1(messages: HeaderMessage[], refCount = 1): Uint8Array {
  const w = new ByteWriter(512);
  let size = 0;
  for (const m of messages) size += 8 + Math.ceil(m.body.length / 8) * 8;
  w.u8(1).u8(0).u16(messages.length).u32(refCount).u32(size).u32(0);
  for (const m of messages) {
    const padded = Math.ceil(m.body.length / 8) * 8;
    if (padded > 0xffff) throw new Error(`object header message of type ${m.type} is too large (${padded} bytes)`);
    w.u16(m.type).u16(padded).u8(m.flags).zeros(3).bytes(m.body).align(8);
  }
  return w.toBytes();
}

export interface DecodedObjectHeader {
  refCount: number;
  messages: HeaderMessage[];
}

export type ReadAt = (addr: number, length: number) => Promise<Uint8Array>;

/**
 * Reads an object header of version 1 or 2 (the messages are the same either way; a rewritten
 * header is always encoded as version 1), following continuation messages.
 */
export async function readObjectHeader(read: ReadAt, addr: number, what: string): Promise<DecodedObjectHeader> {
  const sig = await read(addr, 4);
  if (sig[0] === 0x4f && sig[1] === 0x48 && sig[2] === 0x44 && sig[3] === 0x52) return readObjectHeaderV2(read, addr, what);
  return readObjectHeaderV1(read, addr, what);
}

/** Version 2 object header ("OHDR", checksummed chunks, "OCHK" continuation blocks). */
async function readObjectHeaderV2(read: ReadAt, addr: number, what: string): Promise<DecodedObjectHeader> {
  const head = await read(addr, 6 + 16 + 4 + 8);
  const r = new ByteReader(head, 4, what);
  const version = r.u8();
  if (version !== 2) throw new Error(`${what}: object header version ${version} at ${addr} is not supported`);
  const flags = r.u8();
  if (flags & 0x20) r.skip(16);
  if (flags & 0x10) r.skip(4);
  const sizeBytes = 1 << (flags & 3);
  let size = 0;
  for (let i = 0; i < sizeBytes; i++) size += r.u8() * 2 ** (8 * i);
  const orderTracked = (flags & 0x04) !== 0;
  const messages: HeaderMessage[] = [];
  const chunks: Array<[number, number]> = [[addr + r.pos, size]];
  let first = true;
  while (chunks.length) {
    const [caddr, clen] = chunks.shift()!;
    const bytes = await read(caddr, clen);
    const cr = new ByteReader(bytes, 0, what);
    if (!first) {
      if (String.fromCharCode(...cr.bytesN(4)) !== 'OCHK') throw new Error(`${what}: no continuation block at ${caddr}`);
    }
    const end = first ? bytes.length : bytes.length - 4;
    first = false;
    const hdr = orderTracked ? 6 : 4;
    while (cr.pos + hdr <= end) {
      const type = cr.u8();
      const msize = cr.u16();
      const mflags = cr.u8();
      if (orderTracked) cr.u16();
      const body = cr.bytesN(msize);
      if (type === MSG_CONTINUATION) {
        const br = new ByteReader(body, 0, what);
        chunks.push([br.u64(), br.u64()]);
      } else if (type !== MSG_NIL) messages.push({ type, flags: mflags, body: body.slice() });
    }
  }
  return { refCount: 1, messages };
}

/** Reads a version 1 object header, following continuation messages. */
export async function readObjectHeaderV1(read: ReadAt, addr: number, what: string): Promise<DecodedObjectHeader> {
  const prefix = await read(addr, 16);
  const r = new ByteReader(prefix, 0, what);
  const version = r.u8();
  if (version !== 1) throw new Error(`${what}: not an object header (version byte ${version}) at address ${addr}`);
  r.u8();
  const nmsgs = r.u16();
  const refCount = r.u32();
  const size = r.u32();
  const messages: HeaderMessage[] = [];
  const chunks: Array<[number, number]> = [[addr + 16, size]];
  while (chunks.length) {
    const [caddr, clen] = chunks.shift()!;
    const bytes = await read(caddr, clen);
    const cr = new ByteReader(bytes, 0, what);
    while (cr.pos + 8 <= bytes.length) {
      const type = cr.u16();
      const msize = cr.u16();
      const flags = cr.u8();
      cr.skip(3);
      const body = cr.bytesN(msize);
      if (type === MSG_CONTINUATION) {
        const br = new ByteReader(body, 0, what);
        chunks.push([br.u64(), br.u64()]);
      } else if (type !== MSG_NIL) {
        messages.push({ type, flags, body: body.slice() });
      }
    }
  }
  if (messages.length > nmsgs) throw new Error(`${what}: object header holds more messages than it declares`);
  return { refCount, messages };
}

/** Dataspace message, version 1. `maxDims` entries of Infinity mean unlimited. */
export function encodeDataspace(dims: number[], maxDims?: number[]): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(1).u8(dims.length).u8(maxDims ? 1 : 0).u8(0).u32(0);
  for (const d of dims) w.u64(d);
  if (maxDims) for (const d of maxDims) w.u64(d === Infinity ? UNDEF_ADDR : d);
  return w.toBytes();
}

export interface Dataspace {
  dims: number[];
  maxDims: number[];
}

export function decodeDataspace(body: Uint8Array, what: string): Dataspace {
  const r = new ByteReader(body, 0, what);
  const version = r.u8();
  const rank = r.u8();
  const flags = r.u8();
  if (version === 1) r.skip(5);
  else if (version === 2) r.u8();
  else throw new Error(`${what}: dataspace message version ${version} is not supported`);
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(r.u64());
  const maxDims: number[] = [];
  if (flags & 1) for (let i = 0; i < rank; i++) {
    const m = r.u64();
    maxDims.push(m === UNDEF_ADDR ? Infinity : m);
  }
  else maxDims.push(...dims);
  return { dims, maxDims };
}

/** Fill value message, version 2: default fill value, written on allocation. */
export function encodeFillValue(allocTime: 'early' | 'late' | 'incremental'): Uint8Array {
  const at = allocTime === 'early' ? 1 : allocTime === 'late' ? 2 : 3;
  return new ByteWriter(8).u8(2).u8(at).u8(0).u8(1).u32(0).toBytes();
}

export function encodeContiguousLayout(addr: number, size: number): Uint8Array {
  return new ByteWriter(24).u8(3).u8(1).u64(addr).u64(size).toBytes();
}

/** Chunked layout with a v1 B-tree index; `chunkDims` includes the trailing element size. */
export function encodeChunkedLayout(btreeAddr: number, chunkDims: number[]): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(3).u8(2).u8(chunkDims.length).u64(btreeAddr);
  for (const d of chunkDims) w.u32(d);
  return w.toBytes();
}

export type Layout =
  | { kind: 'contiguous'; addr: number; size: number }
  | { kind: 'chunked'; btreeAddr: number; chunkDims: number[] }
  | { kind: 'compact' };

export function decodeLayout(body: Uint8Array, what: string): Layout {
  const r = new ByteReader(body, 0, what);
  const version = r.u8();
  if (version !== 3) throw new Error(`${what}: data layout message version ${version} is not supported for appending (only version 3, as HDF5 1.6-1.10 write by default)`);
  const cls = r.u8();
  if (cls === 0) return { kind: 'compact' };
  if (cls === 1) return { kind: 'contiguous', addr: r.u64(), size: r.u64() };
  if (cls === 2) {
    const nd = r.u8();
    const btreeAddr = r.u64();
    const chunkDims: number[] = [];
    for (let i = 0; i < nd; i++) chunkDims.push(r.u32());
    return { kind: 'chunked', btreeAddr, chunkDims };
  }
  throw new Error(`${what}: data layout class ${cls} is not supported`);
}

export function encodeStab(btreeAddr: number, heapAddr: number): Uint8Array {
  return new ByteWriter(16).u64(btreeAddr).u64(heapAddr).toBytes();
}

export function decodeStab(body: Uint8Array, what: string): { btreeAddr: number; heapAddr: number } {
  const r = new ByteReader(body, 0, what);
  return { btreeAddr: r.u64(), heapAddr: r.u64() };
}

export interface LinkInfo {
  /** Links stored densely (fractal heap + v2 B-tree name index) rather than as link messages. */
  dense: boolean;
  creationOrderTracked: boolean;
}

export function decodeLinkInfo(body: Uint8Array, what: string): LinkInfo {
  const r = new ByteReader(body, 0, what);
  r.u8();
  const flags = r.u8();
  if (flags & 1) r.skip(8);
  const fheap = r.u64();
  return { dense: fheap !== UNDEF_ADDR, creationOrderTracked: (flags & 1) !== 0 };
}

export interface Link {
  name: string;
  /** Object header address of a hard link; undefined for soft and external links. */
  hardAddr?: number;
}

export function decodeLink(body: Uint8Array, what: string): Link {
  const r = new ByteReader(body, 0, what);
  const version = r.u8();
  if (version !== 1) throw new Error(`${what}: link message version ${version}`);
  const flags = r.u8();
  let type = 0;
  if (flags & 0x08) type = r.u8();
  if (flags & 0x04) r.skip(8);
  if (flags & 0x10) r.u8();
  const nb = 1 << (flags & 3);
  let len = 0;
  for (let i = 0; i < nb; i++) len += r.u8() * 2 ** (8 * i);
  const name = new TextDecoder().decode(r.bytesN(len));
  return type === 0 ? { name, hardAddr: r.u64() } : { name };
}

/** A hard link message (version 1), name length in 1 or 2 bytes, UTF-8 flagged when needed. */
export function encodeHardLink(name: string, addr: number): Uint8Array {
  const nb = new TextEncoder().encode(name);
  const ascii = nb.every((b) => b < 0x80);
  const w = new ByteWriter(16 + nb.length);
  const sizeBits = nb.length < 256 ? 0 : 1;
  w.u8(1).u8(sizeBits | (ascii ? 0 : 0x10));
  if (!ascii) w.u8(1);
  if (sizeBits === 0) w.u8(nb.length);
  else w.u16(nb.length);
  w.bytes(nb).u64(addr);
  return w.toBytes();
}
