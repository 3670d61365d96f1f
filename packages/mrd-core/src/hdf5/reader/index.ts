export { MrdFile, type ReadOptions, type MrdArray, type ArrayElementType, type ArrayData } from './mrd-file.js';
export { MrdFileError } from './errors.js';
