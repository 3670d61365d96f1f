// The terminal progress bar of the command-line tools.
export { TextProgressBar } from './text-progress-bar.js';
