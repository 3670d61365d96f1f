/**
 * The built-in numeric modules by config name. `null`, `savedataonly` and `savedata` are the
 * server's own (they drain or save the session) and are not listed here.
 */
import type { ReconModule } from '@mrd-tools/recon-api/module';
import * as invertcontrast from './invertcontrast.js';
import * as simplefft from './simplefft.js';
import * as analyzeflow from './analyzeflow.js';
import * as filter from './filter.js';
// the spiral recons live in their own package (inlined into the server bundle by scripts/build.mjs)
import { simplenufft1arm, rtspiralBartTvrecon, spiralXdgraspRecon } from '@mrd-tools/spiral-recon';

export const BUILT_IN_MODULES: Readonly<Record<string, ReconModule>> = {
  invertcontrast: { process: invertcontrast.process },
  simplefft: { process: simplefft.process },
  analyzeflow: { process: analyzeflow.process },
  filter: { process: filter.process },
  simplenufft1arm: { process: (connection, config, header) => simplenufft1arm(connection, config, header) },
  rtspiral_bart_tvrecon: { process: (connection, config, header) => rtspiralBartTvrecon(connection, config, header) },
  spiral_xdgrasp_recon: { process: (connection, config, header) => spiralXdgraspRecon(connection, config, header) },
};

/** The built-in module of that config name, or undefined. */
export function builtInModule(name: string): ReconModule | undefined {
  return Object.prototype.hasOwnProperty.call(BUILT_IN_MODULES, name) ? BUILT_IN_MODULES[name] : undefined;
}

/** The numerics of simplefft for one group of readouts (the interop suite compares them with the reference's). */
export { reconstructSimpleFft, reconstructSimpleFftParallel } from './simplefft.js';
