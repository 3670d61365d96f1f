// The recon-module API: what a module (built-in, spiral, or a user module loaded by mrd-server
// from --modules-dir) imports. The contract (ReconModule), and the reference's mrdhelper: user
// parameters, JSON config lookup, IceMiniHead, ROI, image header copies, debug dumps, k-space
// assembly, the jet colormap, progress lines. The format types and codecs themselves come from
// @mrd-tools/core/<concept>, the numerics from @mrd-tools/recon-kernels/<concept>.
export type { ModuleConfig, ReconModule, ReconModuleProcess } from './module/types.js';
export { getJsonConfigParam, JsonConfigError, type JsonConfigType } from './config/json-config.js';
export {
  extractMiniHeadParam, extractMiniHeadBoolParam, extractMiniHeadLongParam, extractMiniHeadDoubleParam,
  extractMiniHeadStringParam, getIceMiniHead, IceMiniHeadError, type MiniHeadParamType,
} from './ice-mini-head/ice-mini-head.js';
export { dataTypeOf, imageHeaderFromArray, updateImageHeaderFromRaw } from './image-header/image-header.js';
export { standardImageMeta } from './image-header/standard-image-meta.js';
export { DebugDumper, DEFAULT_DEBUG_FOLDER } from './debug-dump/debug-dump.js';
export { encodeNpy, npyDtypeOf, type NpyDtype } from './debug-dump/npy.js';
export { assembleKspace, type AssembledKspace } from './kspace/kspace-buffer.js';
export { applyJetColormap, jetLookupTable } from './colormap/jet-colormap.js';
export { ProgressReport, formatDuration, isProgressUpdate, type ProgressReportOptions } from './progress/progress-report.js';
// mrdhelper's lookups that live in the format layer, here too so a module finds them in one place
export {
  getUserParameter, getUserParameterLong, getUserParameterDouble, getUserParameterString, getUserParameterBase64,
  getUserParameterBase64Bytes, UserParameterError,
} from '@mrd-tools/core/xml-header';
export { createRoi, parseRoi, createText, parseText, type Roi, type RoiOptions } from '@mrd-tools/core/meta';
