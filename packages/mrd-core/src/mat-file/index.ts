// MATLAB v5 MAT files: reader, writer, value helpers.
export {
  type MatCell, type MatChar, type MatFile, MatFileError, type MatNumeric, type MatNumericClass,
  type MatNumericData, type MatStruct, type MatValue,
} from './types.js';
export {
  matDouble, matField, matNumber, matReal, matScalar, matString, matStruct,
} from './access.js';
export { parseMatFile, MI, MX } from './read.js';
export { encodeMatFile, type MatWriteOptions } from './write.js';
import { readFileSync } from 'node:fs';
import { parseMatFile } from './read.js';
import type { MatFile } from './types.js';

/** Reads and parses a MAT file from disk. */
export function readMatFile(path: string): MatFile {
  return parseMatFile(readFileSync(path), path);
}
