/**
 * The bytes every MRD v2 binary stream starts with: the 5 magic bytes "yardl", the binary format
 * version 1 as a fixed little-endian uint32, then the protocol schema as a string (varint byte
 * length + UTF-8). Upstream readers accept only their own schema text, so for MRD 2.2.1 the whole
 * preamble is one constant (25164 bytes) and a stream either starts with it or is not one we read.
 */
import { MRD_SCHEMA } from '../model/schema.js';
import { YARDL_MAGIC } from './stream-kind.js';

export * from './stream-kind.js';
export const BINARY_FORMAT_VERSION = 1;

function buildPreamble(schema: string): Uint8Array {
  const s = new TextEncoder().encode(schema);
  const len: number[] = [];
  let n = s.length;
  while (n >= 0x80) {
    len.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  len.push(n);
  const out = new Uint8Array(9 + len.length + s.length);
  out.set(YARDL_MAGIC, 0);
  new DataView(out.buffer).setUint32(5, BINARY_FORMAT_VERSION, true);
  out.set(len, 9);
  out.set(s, 9 + len.length);
  return out;
}

/** Magic, version and MRD 2.2.1 schema: the first 25164 bytes of every stream upstream writes. */
export const MRD_PREAMBLE = buildPreamble(MRD_SCHEMA);
