/**
 * The built-in numeric modules by config name. `null`, `savedataonly` and `savedata` are the
 * server's own (they drain or save the session) and are not listed here.
 */
import type { ReconModule } from '@mrd-tools/core';
import * as invertcontrast from './invertcontrast.js';
import * as simplefft from './simplefft.js';
import * as analyzeflow from './analyzeflow.js';
import * as filter from './filter.js';
// the real-time spiral recon lives in its own package; imported by path so the server bundle inlines it
import * as simplenufft1arm from '../../../spiral-recon/src/simplenufft1arm.js';
import * as rtspiralBartTvrecon from '../../../spiral-recon/src/rtspiral-bart-tvrecon/index.js';
import * as spiralXdgraspRecon from '../../../spiral-recon/src/spiral-xdgrasp-recon/index.js';

export const BUILT_IN_MODULES: Readonly<Record<string, ReconModule>> = {
  invertcontrast: { process: invertcontrast.process },
  simplefft: { process: simplefft.process },
  analyzeflow: { process: analyzeflow.process },
  filter: { process: filter.process },
  simplenufft1arm: { process: (connection, config, header) => simplenufft1arm.process(connection, config, header) },
  rtspiral_bart_tvrecon: { process: (connection, config, header) => rtspiralBartTvrecon.process(connection, config, header) },
  spiral_xdgrasp_recon: { process: (connection, config, header) => spiralXdgraspRecon.process(connection, config, header) },
};

/** The built-in module of that config name, or undefined. */
export function builtInModule(name: string): ReconModule | undefined {
  return Object.prototype.hasOwnProperty.call(BUILT_IN_MODULES, name) ? BUILT_IN_MODULES[name] : undefined;
}
