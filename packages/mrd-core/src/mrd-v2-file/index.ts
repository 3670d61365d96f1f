// An MRD v2 file read through the v1 HDF5 reader's interface (mrd2gif, mrd-view). Re-exports only.
export { MrdV2File, openMrdFile, MRD_V2_FILE_MAX_BYTES, type MrdFileReader } from './mrd-v2-file.js';
export { mrdV2FileKind, MRD_V2_GROUP } from './file-kind.js';
