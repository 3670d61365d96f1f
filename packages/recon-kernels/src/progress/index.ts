// Long computations written as step-wise generators, run at once or cooperatively.
export { runSteps, runStepsCooperatively, type Steps } from './stepwise.js';
