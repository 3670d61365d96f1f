// The centred FFT (numpy's shift conventions, the centred n-D transform with 'ortho' scaling, and
// the fused centred 2-D inverse FFT + root sum of squares of the reference recons).
export {
  centredFftn, type CentredFftScale, centredIfft2, centredIfft2RootSumOfSquares, centredIfft2RootSumOfSquaresCropped, type CropWindow,
  centredIfft2RootSumOfSquaresAt, centredIfft2RootSumOfSquaresAtPoints, centredIfft2PowerPlanes, centredIfft2PowersAtPoints, rootSumOfSquaresOfPowers, fftshift, ifftshift, type KspaceRows,
  addPowerPlanes, rootSumOfSquaresFromSums,
} from './centred-fft.js';
