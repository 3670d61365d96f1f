/**
 * The bytes every MRD v2 binary stream starts with: the 5 magic bytes "yardl", the binary format
 * version 1 as a fixed little-endian uint32, then the protocol schema as a string (varint byte
 * length + UTF-8). Upstream readers accept only their own schema text, so for MRD 2.2.1 the whole
 * preamble is one constant (25164 bytes) and a stream either starts with it or is not one we read.
 */
import { MRD_SCHEMA } from '../model/schema.js';

export const YARDL_MAGIC = new Uint8Array([0x79, 0x61, 0x72, 0x64, 0x6c]);
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

/**
 * Whether `head` (the first bytes of a stream, any length) starts an MRD v2 binary stream: true
 * when it begins with the magic bytes "yardl", false when it cannot, undefined when it is shorter
 * than the magic and matches so far. (An MRD v1 stream starts with a message id: 1..5 or 1008 ...,
 * never "ya".)
 */
export function isMrdV2Binary(head: Uint8Array): boolean | undefined {
  const n = Math.min(head.length, YARDL_MAGIC.length);
  for (let i = 0; i < n; i++) if (head[i] !== YARDL_MAGIC[i]) return false;
  return n === YARDL_MAGIC.length ? true : undefined;
}

const NDJSON_PREFIX = new TextEncoder().encode('{"yardl":');

/** Whether `head` starts a yardl NDJSON stream (`{"yardl":` as upstream writes it); undefined while too short to say. */
export function isMrdV2Ndjson(head: Uint8Array): boolean | undefined {
  const n = Math.min(head.length, NDJSON_PREFIX.length);
  for (let i = 0; i < n; i++) if (head[i] !== NDJSON_PREFIX[i]) return false;
  return n === NDJSON_PREFIX.length ? true : undefined;
}

export type MrdStreamKind = 'mrd-v1' | 'mrd-v2' | 'mrd-v2-ndjson';

/**
 * Which MRD stream `head` (its first bytes) starts: v2 binary by its magic, v2 NDJSON by its first
 * characters, else v1 (whose first two bytes are a message id); undefined while fewer bytes than
 * needed to tell have arrived (at most 9).
 */
export function detectMrdStream(head: Uint8Array): MrdStreamKind | undefined {
  const b = isMrdV2Binary(head);
  if (b) return 'mrd-v2';
  const j = isMrdV2Ndjson(head);
  if (j) return 'mrd-v2-ndjson';
  if (b === false && j === false) return 'mrd-v1';
  return undefined;
}
