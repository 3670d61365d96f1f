/**
 * The NUFFT's and the centred FFTs' tasks on the numerics' worker pool, and the shape of every task: each names a kernel and carries
 * typed arrays on SharedArrayBuffers (read and written in place, never copied) and the range of
 * coils or frames it does (or claims one at a time, beside other threads). A worker computes exactly what the single-thread code computes for
 * that range, with the same code, so results do not depend on the number of threads.
 */
import { getFftEngine } from '../fft/engine.js';
import {
  centredFftn, centredIfft2PowerPlanes, centredIfft2PowersAtPoints, centredIfft2RootSumOfSquaresCropped, type CentredFftScale, type CropWindow,
} from '../centred-fft/centred-fft.js';
import { Nufft, type NufftTables } from '../nufft/nufft.js';
import { takeClaimedWork } from './shared-memory.js';

/** NUFFT adjoint (type 1) of coils [c0, c1): data [coil][npts] -> out [coil][ny][nx]. */
export interface NufftAdjointTask {
  kind: 'nufft-adjoint';
  tables: NufftTables;
  data: Float32Array;
  out: Float32Array;
  c0: number;
  c1: number;
  /**
   * when set, coils c0 + i of [c0, c1) are taken one at a time from these claims (shared with
   * other threads) instead of all: [0] and [1] as newWorkClaims, [NUFFT_CLAIMS_STARTED] counts
   * the tasks that began to claim
   */
  claims?: Int32Array;
}

/** NUFFT forward (type 2) of coils [c0, c1): image [coil][ny][nx] -> out [coil][npts]. */
export interface NufftForwardTask {
  kind: 'nufft-forward';
  tables: NufftTables;
  image: Float32Array;
  out: Float32Array;
  c0: number;
  c1: number;
  /** as NufftAdjointTask.claims */
  claims?: Int32Array;
}

export type NufftTask = NufftAdjointTask | NufftForwardTask;

/** The cell of a NUFFT task's claims counting the tasks that began to claim coils (after [0] next and [1] finished). */
export const NUFFT_CLAIMS_STARTED = 2;

/** The centred 2-D inverse FFT's power planes of coils [c0, c1) (simplefft's root sum of squares over coils). */
export interface CentredPowerTask {
  kind: 'centred-power';
  kspace: Float32Array;
  power: Float64Array;
  ny: number;
  nx: number;
  c0: number;
  c1: number;
  /** the coil of power's first plane */
  p0: number;
  /** only this window of the centred image is needed (its pixels' powers are written, the others not) */
  window?: CropWindow;
}

/** Runs a centred-FFT task with this thread's engine (in a worker). */
export async function runCentredPowerTask(task: CentredPowerTask): Promise<void> {
  centredIfft2PowerPlanes(await getFftEngine(), task.kspace, task.c0, task.c1, task.ny, task.nx, task.power, task.p0, task.window);
}

/**
 * The whole centred 2-D inverse FFT + root sum of squares of one [coils][ny][nx] k-space into
 * `out` (a pool of one thread): [ny][nx], or the `window` [y1 - y0][x1 - x0] when given.
 */
export interface CentredRssTask {
  kind: 'centred-rss';
  kspace: Float32Array;
  out: Float32Array;
  coils: number;
  ny: number;
  nx: number;
  scale: number;
  window?: CropWindow;
}

/** The float64 sums of this worker's root-sum-of-squares tasks, kept from task to task. */
let rssAccumulator = new Float64Array(0);

/** Runs a root-sum-of-squares task with this thread's engine (in a worker): the one-thread function itself. */
export async function runCentredRssTask(task: CentredRssTask): Promise<void> {
  const n = task.ny * task.nx;
  if (rssAccumulator.length < n) rssAccumulator = new Float64Array(n);
  const window = task.window ?? { y0: 0, y1: task.ny, x0: 0, x1: task.nx };
  centredIfft2RootSumOfSquaresCropped(await getFftEngine(), task.kspace, task.coils, task.ny, task.nx, task.scale, window, task.out, rssAccumulator);
}

/**
 * The centred 2-D inverse FFT's power at a few pixels, computed directly in float64, for coils
 * [c0, c1) (invertcontrast's exact maximum): `points` [y0, x0, y1, x1, ...], `out` [coil - p0][point].
 */
export interface CentredPointPowersTask {
  kind: 'centred-point-powers';
  kspace: Float32Array;
  out: Float64Array;
  points: Int32Array;
  ny: number;
  nx: number;
  c0: number;
  c1: number;
  p0: number;
}

/** Runs a point-powers task (in a worker). */
export function runCentredPointPowersTask(task: CentredPointPowersTask): void {
  const pts: [number, number][] = [];
  for (let i = 0; i + 1 < task.points.length; i += 2) pts.push([task.points[i], task.points[i + 1]]);
  centredIfft2PowersAtPoints(task.kspace, task.c0, task.c1, task.ny, task.nx, pts, task.out, task.p0);
}

/** The centred 2-D FFT (centredFftn over axes 1, 2) of planes [c0, c1) of `data` [plane][n0][n1], in place. */
export interface CentredFftTask {
  kind: 'centred-fft2';
  data: Float32Array;
  n0: number;
  n1: number;
  inverse: boolean;
  scale: CentredFftScale;
  c0: number;
  c1: number;
}

/** Runs a centred 2-D FFT task with this thread's engine (in a worker). */
export async function runCentredFftTask(task: CentredFftTask): Promise<void> {
  const plane = 2 * task.n0 * task.n1;
  centredFftn(await getFftEngine(), task.data.subarray(task.c0 * plane, task.c1 * plane), [task.c1 - task.c0, task.n0, task.n1], [1, 2], task.inverse, task.scale);
}

/** A task: `kind` names the kernel (the NUFFT's here, the MRI layer's in ../mri). */
export interface PoolTaskBase {
  kind: string;
}

/** Runs a NUFFT task with this thread's engine (in a worker): its coils, or the ones it claims. */
export async function runNufftTask(task: NufftTask): Promise<void> {
  const fft = await getFftEngine();
  const plan = Nufft.fromTables(fft, task.tables);
  const { npts, ny, nx } = plan;
  const coils = (c0: number, c1: number): void => {
    if (task.kind === 'nufft-adjoint') {
      plan.adjoint(task.data.subarray(2 * c0 * npts, 2 * c1 * npts), c1 - c0, task.out.subarray(2 * c0 * ny * nx, 2 * c1 * ny * nx));
    } else {
      plan.forward(task.image.subarray(2 * c0 * ny * nx, 2 * c1 * ny * nx), c1 - c0, task.out.subarray(2 * c0 * npts, 2 * c1 * npts));
    }
  };
  if (task.claims === undefined) coils(task.c0, task.c1);
  else {
    Atomics.add(task.claims, NUFFT_CLAIMS_STARTED, 1);
    takeClaimedWork(task.claims, task.c1 - task.c0, (i) => coils(task.c0 + i, task.c0 + i + 1));
  }
}
