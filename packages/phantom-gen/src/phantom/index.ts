// Simulated MR objects and receivers of the phantom generators: the Shepp-Logan phantom, birdcage
// coils, Gaussian noise, and the Cartesian phantom data set.
export {
  linspaceGrid, MODIFIED_SHEPP_LOGAN_ELLIPSES, type PhantomEllipse, SHEPP_LOGAN_ELLIPSES,
  sheppLoganPhantom,
} from './shepp-logan.js';
export { type BirdcageOptions, birdcageSensitivities } from './birdcage.js';
export { GaussianNoise, randomSeed } from './gaussian-noise.js';
export {
  CartesianPhantomDataset, type CartesianPhantomOptions,
  type PhantomLine, phantomLineOrder, resolveCartesianPhantomOptions,
  type ResolvedCartesianPhantomOptions, roundHalfEven,
} from './cartesian-dataset.js';
