// Simulated MR objects and receivers of the phantom generators: the Shepp-Logan phantom, birdcage
// coils, Gaussian noise, and the Cartesian phantom data set.
export {
  linspaceGrid, pixelGrid, type PhantomGrid, MODIFIED_SHEPP_LOGAN_ELLIPSES, type PhantomEllipse, SHEPP_LOGAN_ELLIPSES,
  sheppLoganPhantom,
} from './shepp-logan.js';
export { type BirdcageOptions, birdcageSensitivities } from './birdcage.js';
export { GaussianNoise, randomSeed } from './gaussian-noise.js';
export {
  CartesianPhantomDataset, cartesianPhantomHeader, cartesianPhantomKspace, type CartesianPhantomOptions,
  PHANTOM_NOISE_READOUTS, type PhantomLine, phantomLineOrder, resolveCartesianPhantomOptions,
  type PhantomSimulation, type ResolvedCartesianPhantomOptions, roundHalfEven,
} from './cartesian-dataset.js';
export {
  type MrdV2PhantomLine, MrdV2PhantomDataset, mrdV2PhantomHeader, mrdV2PhantomLines, type MrdV2PhantomOptions,
  resolveMrdV2PhantomOptions, type ResolvedMrdV2PhantomOptions,
} from './mrd-v2-dataset.js';
