/**
 * The worker of the numerics' pool (./pool.ts): runs one task (./tasks.ts) with this thread's
 * own FFT engine, on the shared arrays the task carries. Bundled as `recon-worker.js` beside
 * each tool's cli.js (scripts/build.mjs), and as packages/recon-kernels/dist/recon-worker.js
 * for runs from the sources.
 */
import { getFftEngine } from '../fft/engine.js';
import { Nufft } from '../nufft/nufft.js';
import { SenseNufftOperator } from '../mri/sense/sense-nufft.js';
import type { PoolTask } from './tasks.js';

/** Operators rebuilt from shared parts, by id (a few: one solve uses one). */
const operators = new Map<string, SenseNufftOperator>();
const KEEP = 4;

export default async function run(task: PoolTask): Promise<void> {
  const fft = await getFftEngine();
  switch (task.kind) {
    case 'nufft-adjoint': {
      const plan = Nufft.fromTables(fft, task.tables);
      const { npts, ny, nx } = plan;
      const n = task.c1 - task.c0;
      plan.adjoint(task.data.subarray(2 * task.c0 * npts, 2 * task.c1 * npts), n, task.out.subarray(2 * task.c0 * ny * nx, 2 * task.c1 * ny * nx));
      return;
    }
    case 'nufft-forward': {
      const plan = Nufft.fromTables(fft, task.tables);
      const { npts, ny, nx } = plan;
      const n = task.c1 - task.c0;
      plan.forward(task.image.subarray(2 * task.c0 * ny * nx, 2 * task.c1 * ny * nx), n, task.out.subarray(2 * task.c0 * npts, 2 * task.c1 * npts));
      return;
    }
    case 'sense-forward':
    case 'sense-adjoint':
    case 'sense-normal': {
      let op = operators.get(task.id);
      if (op === undefined) {
        op = SenseNufftOperator.fromShared(fft, task.shared);
        if (operators.size >= KEEP) operators.delete(operators.keys().next().value as string);
        operators.set(task.id, op);
      }
      if (task.kind === 'sense-forward') op.forwardFrames(task.input, task.out, task.f0, task.f1);
      else if (task.kind === 'sense-adjoint') op.adjointFrames(task.input, task.out, task.f0, task.f1);
      else op.normalFrames(task.input, task.out, task.f0, task.f1);
      return;
    }
    default:
      throw new Error(`recon worker: unknown task ${(task as { kind: string }).kind}`);
  }
}
