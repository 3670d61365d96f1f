// Progress of long work: the terminal progress bar of the CLIs, rate-limited progress lines with
// elapsed time and an estimate (ProgressReport), and step-wise computations that let the event
// loop run between steps (so progress messages go out during a long solve).
export * from './text-progress-bar.js';
export * from './progress-report.js';
export * from './stepwise.js';
