// @mrd-tools/spiral-recon: the spiral recon modules of mrd-server, as `process` functions of the
// reference's config names simplenufft1arm, rtspiral_bart_tvrecon and spiral_xdgrasp_recon.
export { process as simplenufft1arm } from './simplenufft1arm.js';
export { process as rtspiralBartTvrecon } from './rtspiral-bart-tvrecon/index.js';
export { process as spiralXdgraspRecon } from './spiral-xdgrasp-recon/index.js';
