// Coil maps of the iterative spiral recons from all arms (Sobolev-weighted or Inati).
export { type ArmSamples, type CoilMapOptions, coilMapsFromArms, sobolevLowpass } from './coil-maps.js';
