/**
 * The four file formats mrd-convert reads and writes, their names on the command line, and how a
 * file's format is found: the --from/--to option, else the extension, else (inputs) the first
 * bytes.
 */
import { detectMrdStream } from '@mrd-tools/core/mrd-v2';

export type Format = 'h5' | 'ismrmrd' | 'mrd' | 'ndjson';

export const FORMATS: Record<Format, string> = {
  h5: 'MRD v1 HDF5 (ISMRMRD file)',
  ismrmrd: 'MRD v1 stream (ISMRMRD messages, as sent to a server)',
  mrd: 'MRD v2 binary stream (yardl compact binary)',
  ndjson: 'MRD v2 NDJSON stream',
};

/** Names accepted by --from/--to. */
const FORMAT_NAMES: Record<string, Format> = {
  h5: 'h5', hdf5: 'h5', ismrmrd: 'ismrmrd', bin: 'ismrmrd', v1: 'ismrmrd', mrd: 'mrd', v2: 'mrd', ndjson: 'ndjson',
};

const EXTENSIONS: Record<string, Format> = {
  '.h5': 'h5', '.hdf5': 'h5', '.mrd': 'mrd', '.ndjson': 'ndjson', '.ismrmrd': 'ismrmrd', '.bin': 'ismrmrd',
};

export function formatOfName(name: string): Format | undefined {
  return FORMAT_NAMES[name.toLowerCase()];
}

/** The format an extension says (case-insensitive), or undefined. */
export function formatOfPath(path: string): Format | undefined {
  const m = /\.[^./\\]+$/.exec(path);
  return m ? EXTENSIONS[m[0].toLowerCase()] : undefined;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function hasHdf5Signature(head: Uint8Array): boolean {
  // At 0, or at 512, 1024, 2048 ... (a user block), as HDF5 looks for it.
  for (let at = 0; at + 8 <= head.length; at = at === 0 ? 512 : at * 2) {
    if (HDF5_SIGNATURE.every((b, i) => head[at + i] === b)) return true;
  }
  return false;
}

/** The format of a file from its first bytes (give at least 8, up to a few KB), or undefined. */
export function sniffFormat(head: Uint8Array): Format | undefined {
  if (hasHdf5Signature(head)) return 'h5';
  const kind = detectMrdStream(head);
  if (kind === 'mrd-v2') return 'mrd';
  if (kind === 'mrd-v2-ndjson') return 'ndjson';
  if (kind === 'mrd-v1' && head.length >= 2) {
    const id = head[0]! | (head[1]! << 8);
    if ((id >= 1 && id <= 5) || id === 1008 || id === 1022 || id === 1026 || id === 1030) return 'ismrmrd';
  }
  return undefined;
}
