/**
 * Which MRD v2 encoding a file holds, told by its first bytes, and the group name a v2 stream is
 * shown as. Kept apart from mrd-v2-file.ts so that tools which only need this check (mrd-info)
 * do not load, and do not carry in their bundle, the whole v2-through-v1 file reader.
 */
import { open } from 'node:fs/promises';
import { detectMrdStream, type MrdStreamKind } from '../mrd-v2/binary/stream-kind.js';

/** The group a v2 stream is shown as (mrd-convert's default HDF5 group). */
export const MRD_V2_GROUP = 'dataset';

/** Which MRD v2 encoding a file holds by its first bytes, or undefined when it is not an MRD v2 stream. */
export async function mrdV2FileKind(path: string): Promise<Exclude<MrdStreamKind, 'mrd-v1'> | undefined> {
  const fh = await open(path, 'r');
  try {
    const head = new Uint8Array(16);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const kind = detectMrdStream(head.subarray(0, bytesRead));
    return kind === 'mrd-v2' || kind === 'mrd-v2-ndjson' ? kind : undefined;
  } finally {
    await fh.close();
  }
}
