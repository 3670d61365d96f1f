export { MrdFile, type ReadOptions, type HeaderReadOptions, type MrdArray, type ArrayElementType, type ArrayData } from './mrd-file.js';
export { MrdFileError } from './errors.js';
export type { AcquisitionWireReader } from './acquisition-wire.js';
export { h5runtimeLoaded } from './h5wasm-runtime.js';
