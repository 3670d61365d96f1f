// MATLAB v5 MAT files: reader, writer, value helpers.
export * from './types.js';
export { parseMatFile, MI, MX } from './read.js';
export { encodeMatFile, type MatWriteOptions } from './write.js';
export * from './access.js';
import { readFileSync } from 'node:fs';
import { parseMatFile } from './read.js';
import type { MatFile } from './types.js';

/** Reads and parses a MAT file from disk. */
export function readMatFile(path: string): MatFile {
  return parseMatFile(readFileSync(path), path);
}
