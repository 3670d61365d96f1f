// Coil combination: root sum of squares, Inati adaptive coil maps.
export {
  combineWithMaps, combineWithMapsComplex, inatiCoilMaps, type InatiOptions, rootSumOfSquares,
  smoothCoilImages, smoothCoilImagesShifted, tukeyWindow,
} from './coil-combine.js';
