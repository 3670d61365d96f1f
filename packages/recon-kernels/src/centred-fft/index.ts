// Centred FFTs with numpy's shift conventions (fftshift/ifftshift, centred n-D transforms, the
// fused centred 2-D inverse FFT + root sum of squares of the reference recons).
export {
  centredFftn, centredIfft2, centredIfft2RootSumOfSquares, centredIfft2RootSumOfSquaresAt, fftshift,
  fftshiftSource, ifftshift, ifftshiftSource, type KspaceRows,
} from './centred-fft.js';
