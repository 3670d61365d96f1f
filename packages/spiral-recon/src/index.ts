// @mrd-tools/spiral-recon: real-time spiral reconstruction (config, metafiles, the simplenufft1arm module).
export * from './config.js';
export * from './metafile.js';
