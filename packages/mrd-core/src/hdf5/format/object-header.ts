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

/** Reads a version 1 object header, following continuation messages. */
export async function readObjectHeaderV1(read: ReadAt, addr: number, what: string): Promise<DecodedObjectHeader> {
  const prefix = await read(addr, 16);
  const r = new ByteReader(prefix, 0, what);
  const version = r.u8();
  if (version !== 1) {
    if (prefix[0] === 0x4f && prefix[1] === 0x48 && prefix[2] === 0x44 && prefix[3] === 0x52) {
      throw new Error(`${what}: version 2 object header (file written with newer HDF5 format bounds) is not supported for appending`);
    }
    throw new Error(`${what}: not an object header (version byte ${version}) at address ${addr}`);
  }
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
