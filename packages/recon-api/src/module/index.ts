// The module contract and what every module does with its arguments and failures.
export type { ModuleConfig, ReconModule, ReconModuleProcess } from './types.js';
export {
  isStreamFailure, logModuleConfig, MissingHeaderError, moduleHeader, requireEncodedHeader, sendModuleError,
} from './arguments.js';
