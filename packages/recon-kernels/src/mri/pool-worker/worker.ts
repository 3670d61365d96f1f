/**
 * The worker script of the numerics' pool (../../pool): runs one task with this thread's own FFT
 * engine, on the shared arrays the task carries -- the NUFFT's, the centred FFTs', the SENSE
 * operator's (and whole TV-ADMM solves of it), the coil maps' (Sobolev and Inati) and nlinv's tasks, the real-time view-sharing window's steps and frame combination, the TV-ADMM and nlinv CG steps' vector work.
 * It sits on the MRI layer because it serves the tasks of every layer. Bundled as
 * `recon-worker.js` beside each tool's cli.js (scripts/build.mjs), and as
 * packages/recon-kernels/dist/recon-worker.js for runs from the sources.
 */
import { getFftEngine } from '../../fft/engine.js';
import {
  runCentredFftTask, runCentredPointPowersTask, runCentredPowerTask, runCentredRssTask, runNufftTask, type CentredFftTask, type CentredPointPowersTask, type CentredPowerTask,
  type CentredRssTask, type NufftTask,
} from '../../pool/tasks.js';
import { runSensePlanTask, runSenseTask, runSenseTvSolveTask, type SensePlanTask, type SenseTask, type SenseTvSolveTask } from '../sense/parallel-sense.js';
import { runSobolevTask, type SobolevTask } from '../coil-maps/parallel-coil-maps.js';
import { runNlinvStepTask, type NlinvStepTask } from '../nlinv/coil-steps.js';
import { runInatiMapsTask, type InatiMapsTask } from '../coil-combine/parallel-inati.js';
import { runViewSharingTask, type ViewSharingStepTask } from '../../view-sharing/view-sharing-window.js';
import { runMagnitudeCombineWorkerTask, type MagnitudeCombineTask } from '../coil-combine/parallel-magnitude.js';
import { runAdmmVectorTask, type AdmmVectorTask } from '../../iterative/admm-vectors.js';
import { runNlinvVectorTask, type NlinvVectorTask } from '../nlinv/cg-vectors.js';

export default async function run(
  task: NufftTask | CentredPowerTask | CentredRssTask | CentredPointPowersTask | CentredFftTask | SenseTask | SensePlanTask | SenseTvSolveTask | SobolevTask | NlinvStepTask | InatiMapsTask | ViewSharingStepTask | MagnitudeCombineTask | AdmmVectorTask | NlinvVectorTask,
): Promise<unknown> {
  switch (task.kind) {
    case 'centred-power':
      return runCentredPowerTask(task);
    case 'centred-fft2':
      return runCentredFftTask(task);
    case 'centred-rss':
      return runCentredRssTask(task);
    case 'centred-point-powers':
      return runCentredPointPowersTask(task);
    case 'sobolev-lowpass':
      runSobolevTask(await getFftEngine(), task);
      return;
    case 'nlinv-step':
      runNlinvStepTask(await getFftEngine(), task);
      return;
    case 'nufft-adjoint':
    case 'nufft-forward':
      return runNufftTask(task);
    case 'sense-forward':
    case 'sense-adjoint':
    case 'sense-normal':
      runSenseTask(await getFftEngine(), task);
      return;
    case 'sense-plans':
      return runSensePlanTask(await getFftEngine(), task);
    case 'sense-tv-solve':
      runSenseTvSolveTask(await getFftEngine(), task);
      return;
    case 'inati-maps':
      runInatiMapsTask(await getFftEngine(), task);
      return;
    case 'nlinv-vector':
      runNlinvVectorTask(task);
      return;
    case 'admm-vector':
      runAdmmVectorTask(task);
      return;
    case 'magnitude-combine':
      await runMagnitudeCombineWorkerTask(task);
      return;
    case 'view-sharing-step':
      await runViewSharingTask(await getFftEngine(), task);
      return;
    default:
      throw new Error(`recon worker: unknown task ${(task as { kind: string }).kind}`);
  }
}
