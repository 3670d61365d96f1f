/**
 * The worker script of the numerics' pool (../../pool): runs one task with this thread's own FFT
 * engine, on the shared arrays the task carries -- the NUFFT's, the centred FFT's, the SENSE
 * operator's and the Inati coil maps' tasks.
 * It sits on the MRI layer because it serves the tasks of every layer. Bundled as
 * `recon-worker.js` beside each tool's cli.js (scripts/build.mjs), and as
 * packages/recon-kernels/dist/recon-worker.js for runs from the sources.
 */
import { getFftEngine } from '../../fft/engine.js';
import { runCentredPowerTask, runNufftTask, type CentredPowerTask, type NufftTask } from '../../pool/tasks.js';
import { runSenseTask, type SenseTask } from '../sense/parallel-sense.js';
import { runInatiMapsTask, type InatiMapsTask } from '../coil-combine/parallel-inati.js';

export default async function run(task: NufftTask | CentredPowerTask | SenseTask | InatiMapsTask): Promise<void> {
  switch (task.kind) {
    case 'centred-power':
      return runCentredPowerTask(task);
    case 'nufft-adjoint':
    case 'nufft-forward':
      return runNufftTask(task);
    case 'sense-forward':
    case 'sense-adjoint':
    case 'sense-normal':
      runSenseTask(await getFftEngine(), task);
      return;
    case 'inati-maps':
      runInatiMapsTask(await getFftEngine(), task);
      return;
    default:
      throw new Error(`recon worker: unknown task ${(task as { kind: string }).kind}`);
  }
}
