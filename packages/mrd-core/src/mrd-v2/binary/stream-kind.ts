/**
 * Which MRD stream a file or connection carries, by its first bytes: apart from preamble.ts (the
 * schema) for tools that only need to tell (`@mrd-tools/core/mrd-v2/stream-kind`).
 */
export const YARDL_MAGIC = new Uint8Array([0x79, 0x61, 0x72, 0x64, 0x6c]);

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
