// The spiral phantom (a real-time golden-angle spiral acquisition of a moving Shepp-Logan
// phantom, its sequence metafile, ECG and pilot-tone waveforms), for the spiral recons' tests.
export { writeSpiralPhantom, type SpiralPhantomOptions, type SpiralPhantomResult } from './dataset.js';
export { motionAt, renderPhantom } from './simulate.js';
