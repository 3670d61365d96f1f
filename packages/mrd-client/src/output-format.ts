/**
 * Which generation of MRD a session reads and writes (issue 17): an input told by its first
 * bytes, an output by `--output-format` or its name. Kept apart from v2-session.ts, which the CLI
 * loads only for MRD v2 sessions and outputs.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { detectMrdStream } from '@mrd-tools/core/mrd-v2/stream-kind';

export const OUTPUT_FORMATS = ['hdf5', 'mrd2', 'ndjson'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * Whether `filename` is an MRD v2 file, by its first bytes (the yardl magic, or `{"yardl":`), not
 * its name: MRD v1 HDF5 files are sometimes named .mrd too.
 */
export function isMrdV2Input(filename: string): boolean {
  try {
    const fd = openSync(filename, 'r');
    try {
      const head = new Uint8Array(9);
      const n = readSync(fd, head, 0, 9, 0);
      const kind = detectMrdStream(head.subarray(0, n));
      return kind === 'mrd-v2' || kind === 'mrd-v2-ndjson';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/**
 * The format of the default output (no -o): the input's generation (a v1 HDF5 input named .mrd
 * keeps its HDF5 output, as before); a v2 input's is NDJSON when its name ends in .ndjson.
 */
export function defaultOutputFormat(filename: string): OutputFormat {
  if (!isMrdV2Input(filename)) return 'hdf5';
  return extname(filename).toLowerCase() === '.ndjson' ? 'ndjson' : 'mrd2';
}

/** The output format: `--output-format`, else the output name's extension (.mrd, .ndjson), else HDF5. */
export function outputFormatFor(outfile: string, flag?: string): OutputFormat {
  if (flag) return flag as OutputFormat;
  const ext = extname(outfile).toLowerCase();
  return ext === '.mrd' ? 'mrd2' : ext === '.ndjson' ? 'ndjson' : 'hdf5';
}
