// Debug dumps of intermediate arrays as .npy files (the reference's debugFolder).
export { DebugDumper, DEFAULT_DEBUG_FOLDER } from './debug-dump.js';
export { encodeNpy, npyDtypeOf, type NpyDtype } from './npy.js';
