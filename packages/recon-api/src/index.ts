// The recon-module API in one import, for module writers (a user module, a copy of a built-in):
// the contract (ReconModule) and the reference's mrdhelper: user parameters, JSON config lookup,
// IceMiniHead, ROI, image header copies, debug dumps, k-space assembly, ndarray views, the jet
// colormap, progress lines. Each concept is also its own subpath (./module, ./config, ...), which
// the packages use so that each loads only what it needs. The format types and codecs come from
// @mrd-tools/core/<concept>, the numerics from @mrd-tools/recon-kernels/<concept>.
export {
  isStreamFailure, logModuleConfig, MissingHeaderError, moduleHeader, requireEncodedHeader, sendModuleError,
  type ModuleConfig, type ReconModule, type ReconModuleProcess,
} from './module/index.js';
export { getJsonConfigParam, JsonConfigError, type JsonConfigType } from './config/json-config.js';
export { MAX_NUMERICS_THREADS, numericsThreads, setNumericsThreads, THREADS_ENV } from './threads/numerics-threads.js';
export {
  extractMiniHeadParam, extractMiniHeadBoolParam, extractMiniHeadLongParam, extractMiniHeadDoubleParam,
  extractMiniHeadStringParam, getIceMiniHead, IceMiniHeadError, type MiniHeadParamType,
} from './ice-mini-head/ice-mini-head.js';
export { dataTypeOf, imageHeaderFromArray, standardImageMeta, updateImageHeaderFromRaw } from './image-header/index.js';
export { DebugDumper, DEFAULT_DEBUG_FOLDER, encodeNpy, npyDtypeOf, type NpyDtype } from './debug-dump/index.js';
export { KspaceAssembler, assembleKspace, type AssembledKspace } from './kspace/kspace-buffer.js';
export { applyJetColormap, jetLookupTable } from './colormap/jet-colormap.js';
export { broadcastTo, contiguous, hanning, imageArray, kspaceArray, outer, stack } from './ndarray/views.js';
export { ProgressReport, formatDuration, isProgressUpdate, type ProgressReportOptions } from './progress/progress-report.js';
// mrdhelper's lookups that live in the format layer, here too so a module finds them in one place
export {
  getUserParameter, getUserParameterLong, getUserParameterDouble, getUserParameterString, getUserParameterBase64,
  getUserParameterBase64Bytes, UserParameterError,
} from '@mrd-tools/core/xml-header';
export { createRoi, parseRoi, createText, parseText, type Roi, type RoiOptions } from '@mrd-tools/core/meta';
