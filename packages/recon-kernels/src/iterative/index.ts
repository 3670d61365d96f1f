// Iterative reconstruction, generic part: the linear-operator contract and the TV-regularised ADMM
// solver (BART pics equivalent). The MRI models it inverts (SENSE) are in ../mri.
export { applyNormal, DenseOperator, type LinearOperator } from './linear-operator.js';
export {
  finiteDifference, finiteDifferenceAdjoint, solveTvAdmm, solveTvAdmmAsync, tvAdmmNominalSteps,
  type TvAdmmOptions, tvAdmmSteps, type TvTerm,
} from './tv-admm.js';
