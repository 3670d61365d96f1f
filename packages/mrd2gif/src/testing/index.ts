// Test helpers of mrd2gif (never in the shipped bundle): a GIF decoder for checking its output.
export { decodeGif, type DecodedGif } from './decode-gif.js';
