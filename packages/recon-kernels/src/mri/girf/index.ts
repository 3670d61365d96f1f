// GIRF (gradient impulse response) trajectory correction.
export {
  applyGirf, type GirfResult, type GirfTable, gradientRotationMatrix, hannWindow, type Matrix3,
  pcsToDcsMatrix, pythonRound,
} from './girf.js';
