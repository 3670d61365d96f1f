// @mrd-tools/spiral-recon: real-time spiral reconstruction (config, metafiles, the simplenufft1arm module).
export * from './config.js';
export * from './metafile.js';
export * from './percentile.js';
export * as simplenufft1arm from './simplenufft1arm.js';
export { SimpleNufft1ArmError, girfCorrectedCoordinates, type SimpleNufft1ArmOptions } from './simplenufft1arm.js';
