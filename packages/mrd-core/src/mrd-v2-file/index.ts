// An MRD v2 file read through the v1 HDF5 reader's interface (mrd2gif, mrd-view). Re-exports only.
export { MrdV2File, mrdV2FileKind, openMrdFile, MRD_V2_GROUP, MRD_V2_FILE_MAX_BYTES, type MrdFileReader } from './mrd-v2-file.js';
