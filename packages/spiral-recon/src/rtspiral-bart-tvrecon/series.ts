/**
 * The iterative spiral recons' shared numerics, for both backends: frames (or bins) of arms turned
 * into the NUFFT SENSE problem, the reference's data-scale estimate, the TV solve natively
 * (@mrd-tools/core/iterative) or through the `bart` executable with the reference's commands
 * (nlinv maps upsampled and normalised, nufft -a for the scale, pics), and the reference's int16
 * image layout.
 *
 * Array conventions: images are [row a][column b] complex with a along trajectory coordinate 0
 * (kx) as SigPy; BART gets the trajectory components swapped (BART dim 0 = our b) so that BART's
 * column-major images have our memory layout.
 */
import type { FftEngine } from '@mrd-tools/recon-kernels/fft';
import { ParallelSenseNufftOperator, SENSE_NUFFT_DEFAULTS, SenseNufftOperator, estimateDataScale, solveTvAdmmOnWorker } from '@mrd-tools/recon-kernels/mri/sense';
import { centredFft2PlanesParallel, reconPool } from '@mrd-tools/recon-kernels/pool';
import { coilMapsFromArmsAsync, type ArmSamples } from '@mrd-tools/recon-kernels/mri/coil-maps';
import { solveTvAdmmAsync, type TvTerm } from '@mrd-tools/recon-kernels/iterative';
import type { Bart } from '../bart/runner.js';
import type { CflArray } from '../bart/cfl.js';
import { nlinvNonCartesianAsync } from '@mrd-tools/recon-kernels/mri/nlinv';
import { logger } from '@mrd-tools/core/logging';

export type Backend = 'native' | 'bart';

export interface SpiralArms {
  /** trajectory of each unique angle, [angle][sample][2] SigPy coordinates in grid units */
  uniqueCoord: Float64Array;
  samples: number;
  /** density weights [sample] (coil maps only; the iterative model has none, as the reference) */
  w: ArrayLike<number>;
  ncoils: number;
  msize: number;
}

/**
 * Progress of a native computation: steps done of the steps in all (Newton steps of nlinv, CG
 * steps of the TV solve). The native computations let the event loop run while they work, so
 * what this callback queues (log lines, text messages to the client) goes out meanwhile.
 */
export type StepCallback = (done: number, total: number) => void;

/** A group of arms reconstructed as one image (a frame, or a respiratory x cardiac bin). */
export type ArmGroup = readonly ArmSamples[];

/** Trajectory of a group: its arms' coordinates one after the other. */
export function groupCoords(s: SpiralArms, group: ArmGroup): Float64Array {
  const S = s.samples;
  const out = new Float64Array(2 * S * group.length);
  group.forEach((a, k) => out.set(s.uniqueCoord.subarray(2 * S * a.angle, 2 * S * (a.angle + 1)), 2 * S * k));
  return out;
}

/** Data of groups in SenseNufftOperator order: [group][coil][arm][sample]. */
function groupData(s: SpiralArms, groups: readonly ArmGroup[], scale = 1): Float32Array {
  const S = s.samples, nc = s.ncoils;
  let total = 0;
  for (const g of groups) total += g.length * S * nc;
  const out = new Float32Array(2 * total);
  let off = 0;
  for (const g of groups) {
    const n = g.length * S;
    g.forEach((a, k) => {
      for (let c = 0; c < nc; c++) {
        const src = a.data.subarray(2 * c * S, 2 * (c + 1) * S), dst = 2 * (off + c * n + k * S);
        for (let i = 0; i < 2 * S; i++) out[dst + i] = src[i] / scale;
      }
    });
    off += n * nc;
  }
  return out;
}

/**
 * Native coil maps from all arms, unit RSS: 'nlinv' (default; the reference's BART nlinv pipeline
 * natively, see nlinvCoilMaps) or the low-resolution 'sobolev' / adaptive 'inati' maps of
 * @mrd-tools/recon-kernels/mri/coil-maps. `threads` > 1 runs the per-coil work (gridding, FFTs)
 * on the numerics' worker pool, split over coils (the same maps, bit for bit).
 */
export async function nativeCoilMaps(
  fft: FftEngine, s: SpiralArms, arms: readonly ArmSamples[], method: NativeCoilMapMethod = 'nlinv', nlinvIterations = 13, progress?: StepCallback, threads = 1,
): Promise<Float32Array> {
  if (method === 'nlinv') return nlinvCoilMaps(fft, s, arms, nlinvIterations, undefined, progress, threads);
  return coilMapsFromArmsAsync(fft, reconPool(threads), arms, s.uniqueCoord, s.samples, s.w, s.ncoils, s.msize, { method });
}

/** Native coil-map methods: 'nlinv' (BART 0.8 nlinv equivalent, default), 'sobolev' (low-resolution), 'inati'. */
export type NativeCoilMapMethod = 'nlinv' | 'sobolev' | 'inati';

/**
 * Native nlinv maps as the reference's BART pipeline makes them: nlinv (-a 32 -b 16, `iterations`
 * Newton steps) on all arms (repeated angles summed, their count as the PSF weight), the 2x-FOV
 * sensitivities to k-space, resized to 2 msize, back, the centre msize kept, unit RSS per pixel.
 */
export async function nlinvCoilMaps(
  fft: FftEngine, s: SpiralArms, arms: readonly ArmSamples[], iterations: number, psfScale?: number, progress?: StepCallback, threads = 1,
): Promise<Float32Array> {
  const pool = reconPool(threads);
  const S = s.samples, nc = s.ncoils, m = s.msize;
  const nUnique = s.uniqueCoord.length / (2 * S);
  const data = new Float32Array(2 * nc * nUnique * S), count = new Float32Array(nUnique * S);
  for (const a of arms) {
    for (let p = 0; p < S; p++) count[a.angle * S + p] += 1;
    for (let c = 0; c < nc; c++) for (let p = 0; p < S; p++) {
      const d = 2 * (c * nUnique * S + a.angle * S + p);
      data[d] += a.data[2 * (c * S + p)];
      data[d + 1] += a.data[2 * (c * S + p) + 1];
    }
  }
  const res = await nlinvNonCartesianAsync(fft, s.uniqueCoord, data, count, nc, { iterations, a: 32, b: 16, psfScale, onProgress: progress, pool });
  const [g0, g1] = res.shape;
  // k-space of the sensitivities, resized (centre crop or zero pad) to 2m x 2m
  const ks = res.sens;
  await centredFft2PlanesParallel(fft, pool, ks, nc, g0, g1, true, 'ortho');
  const up = resizeCentre({ dims: [g1, g0, nc], data: ks }, 2 * m, 2 * m);
  await centredFft2PlanesParallel(fft, pool, up.data, nc, 2 * m, 2 * m, false, 'ortho');
  const maps = resizeCentre(up, m, m).data;
  const npix = m * m;
  for (let i = 0; i < npix; i++) {
    let q = 0;
    for (let c = 0; c < nc; c++) q += maps[2 * (c * npix + i)] ** 2 + maps[2 * (c * npix + i) + 1] ** 2;
    const k = q > 0 ? 1 / Math.sqrt(q) : 0;
    for (let c = 0; c < nc; c++) { maps[2 * (c * npix + i)] *= k; maps[2 * (c * npix + i) + 1] *= k; }
  }
  return maps;
}

/** Coil-combined adjoint magnitudes of the groups -> the reference's scale rule (estimate_scale_bart). */
export function nativeDataScale(fft: FftEngine, s: SpiralArms, groups: readonly ArmGroup[], maps: Float32Array): number {
  const op = new SenseNufftOperator(fft, groups.map((g) => groupCoords(s, g)), maps, s.ncoils, s.msize, s.msize);
  try {
    const img = new Float32Array(2 * op.inputLength);
    op.adjoint(groupData(s, groups), img);
    const mag = new Float32Array(op.inputLength);
    for (let i = 0; i < mag.length; i++) mag[i] = Math.hypot(img[2 * i], img[2 * i + 1]);
    return estimateDataScale(mag);
  } finally {
    op.dispose();
  }
}

/**
 * Native TV solve of the groups with image shape `shape` (product of leading dims = groups.length):
 * data divided by `scale`, result multiplied back (BART pics -w scale -S). scale 0: no scaling.
 * `threads` > 1 runs the SENSE operator on the numerics' worker pool, split over the groups
 * (the same result, bit for bit); 1 runs it on this thread. `toeplitz`: the CG steps' A^H A by
 * the Toeplitz embedding (@mrd-tools/recon-kernels/mri/sense, docs/numerics.md) instead of a
 * NUFFT pair per step. `oneWorker` (with threads > 1): the whole solve on one thread of the pool
 * (the single-thread bits), for solves that run side by side (the TFD chunks).
 */
export async function nativeSolve(
  fft: FftEngine, s: SpiralArms, groups: readonly ArmGroup[], maps: Float32Array, shape: readonly number[], tv: readonly TvTerm[], iterations: number, scale: number,
  progress?: StepCallback, threads = 1, toeplitz = false, oneWorker = false,
): Promise<Float32Array> {
  const pool = reconPool(threads);
  const coords = groups.map((g) => groupCoords(s, g));
  const nufft = { ...SENSE_NUFFT_DEFAULTS, sharedHeapBlocks: pool !== null, toeplitz };
  // split over the groups: the plans made on the pool too
  const op = pool && !oneWorker
    ? await ParallelSenseNufftOperator.create(pool, fft, coords, maps, s.ncoils, s.msize, s.msize, nufft)
    : new SenseNufftOperator(fft, coords, maps, s.ncoils, s.msize, s.msize, nufft);
  const local = op instanceof ParallelSenseNufftOperator ? op.local : op;
  try {
    const k = scale > 0 ? scale : 1;
    const options = { shape: [...shape, s.msize, s.msize], tv, iterations };
    const x = pool && oneWorker
      ? await solveTvAdmmOnWorker(pool, local, groupData(s, groups, k), options, progress)
      : await solveTvAdmmAsync(op, groupData(s, groups, k), { ...options, onProgress: progress, pool });
    if (k !== 1) for (let i = 0; i < x.length; i++) x[i] *= k;
    return x;
  } finally {
    op.dispose();
  }
}

/** BART trajectory [3][S][arms per group] x groups at dimension `groupDims` (components swapped, see header). */
function bartTrajectory(s: SpiralArms, groups: readonly ArmGroup[], groupDims: Record<number, number>): CflArray {
  const S = s.samples, apg = groups[0]?.length ?? 0;
  const data = new Float32Array(2 * 3 * S * apg * groups.length);
  groups.forEach((g, gi) => {
    if (g.length !== apg) throw new Error(`BART needs groups of equal size (${g.length} vs ${apg} arms)`);
    g.forEach((a, k) => {
      for (let p = 0; p < S; p++) {
        const c = 2 * (S * a.angle + p);
        const o = 2 * 3 * (p + S * (k + apg * gi));
        data[o] = s.uniqueCoord[c + 1];
        data[o + 2] = s.uniqueCoord[c];
      }
    });
  });
  return { dims: bartDims([3, S, apg], groups.length, groupDims), data };
}

/** BART k-space [1][S][arms][coil] x groups. */
function bartKspace(s: SpiralArms, groups: readonly ArmGroup[], groupDims: Record<number, number>): CflArray {
  const S = s.samples, apg = groups[0]?.length ?? 0, nc = s.ncoils;
  const data = new Float32Array(2 * S * apg * nc * groups.length);
  groups.forEach((g, gi) => g.forEach((a, k) => {
    for (let c = 0; c < nc; c++) {
      const o = 2 * (S * (k + apg * (c + nc * gi)));
      data.set(a.data.subarray(2 * c * S, 2 * (c + 1) * S), o);
    }
  }));
  return { dims: bartDims([1, S, apg, nc], groups.length, groupDims), data };
}

function bartDims(lead: number[], groups: number, groupDims: Record<number, number>): number[] {
  const dims = new Array<number>(16).fill(1);
  lead.forEach((d, i) => { dims[i] = d; });
  let prod = 1;
  for (const [dim, n] of Object.entries(groupDims)) { dims[Number(dim)] = n; prod *= n; }
  if (prod !== groups) throw new Error(`BART group dimensions ${JSON.stringify(groupDims)} hold ${prod}, not ${groups} groups`);
  return dims;
}

/** Centred crop/zero-pad of the first two dims of a [n0][n1][rest] column-major array. */
function resizeCentre(a: CflArray, m0: number, m1: number): CflArray {
  const [n0, n1] = [a.dims[0], a.dims[1] ?? 1];
  if (n0 === m0 && n1 === m1) return a;
  const rest = a.data.length / (2 * n0 * n1);
  const out = new Float32Array(2 * m0 * m1 * rest);
  const o0 = Math.floor(n0 / 2) - Math.floor(m0 / 2), o1 = Math.floor(n1 / 2) - Math.floor(m1 / 2);
  for (let r = 0; r < rest; r++) for (let j = 0; j < m1; j++) for (let i = 0; i < m0; i++) {
    const si = i + o0, sj = j + o1;
    if (si < 0 || sj < 0 || si >= n0 || sj >= n1) continue;
    const s = 2 * (si + n0 * (sj + n1 * r)), d = 2 * (i + m0 * (j + m1 * r));
    out[d] = a.data[s];
    out[d + 1] = a.data[s + 1];
  }
  return { dims: [m0, m1, ...a.dims.slice(2)], data: out };
}

/**
 * The reference's BART coil maps: `nlinv -a 32 -b 16 -S -d4 -i<iter> -x 32:32:1 -t` on all arms
 * (`-x` dropped before BART 0.9, which then returns 2x-FOV maps), to k-space, resized to 2 msize,
 * back, centre msize kept, `normalize 8`. Returns [coil][a][b] complex.
 */
export async function bartCoilMaps(bart: Bart, s: SpiralArms, arms: readonly ArmSamples[], nlinvIterations: number): Promise<Float32Array> {
  const m = s.msize;
  const traj = bartTrajectory(s, [arms], {});
  const ksp = bartKspace(s, [arms], {});
  const [, sens] = await bart.run(`nlinv -a 32 -b 16 -S -d4 -i${nlinvIterations} -x 32:32:1 -t`, [traj, ksp], 2);
  const [sensK] = await bart.run('fft -i 3', [sens], 1);
  const [up] = await bart.run('fft 3', [resizeCentre(sensK, 2 * m, 2 * m)], 1);
  const [norm] = await bart.run('normalize 8', [resizeCentre(up, m, m)], 1);
  logger.debug(`BART coil maps ${norm.dims.join('x')}`);
  return norm.data;
}

/** The reference's scale with BART: `nufft -g -x m:m:1 -a` of the groups, combined with conj(maps), estimate_scale_bart's rule. */
export async function bartDataScale(bart: Bart, s: SpiralArms, groups: readonly ArmGroup[], maps: Float32Array): Promise<number> {
  const m = s.msize, nc = s.ncoils, npix = m * m;
  const [adjRaw] = await bart.run(`nufft -g -x ${m}:${m}:1 -a`, [bartTrajectory(s, groups, { 10: groups.length }), bartKspace(s, groups, { 10: groups.length })], 1);
  const adj = resizeCentre(adjRaw, m, m);
  const mag = new Float32Array(npix * groups.length);
  for (let g = 0; g < groups.length; g++) for (let i = 0; i < npix; i++) {
    let re = 0, im = 0;
    for (let c = 0; c < nc; c++) {
      const k = 2 * (i + npix * (c + nc * g)), q = 2 * (c * npix + i);
      re += adj.data[k] * maps[q] + adj.data[k + 1] * maps[q + 1];
      im += adj.data[k + 1] * maps[q] - adj.data[k] * maps[q + 1];
    }
    mag[g * npix + i] = Math.hypot(re, im);
  }
  return estimateDataScale(mag);
}

/** `bart pics <options> -t traj ksp sens` on the groups laid out at `groupDims`; returns [group][a][b] complex. */
export async function bartPics(bart: Bart, options: string, s: SpiralArms, groups: readonly ArmGroup[], maps: Float32Array, groupDims: Record<number, number>): Promise<Float32Array> {
  const sens: CflArray = { dims: [s.msize, s.msize, 1, s.ncoils], data: maps };
  const [img] = await bart.run(`pics ${options} -t`, [bartTrajectory(s, groups, groupDims), bartKspace(s, groups, groupDims), sens], 1);
  return img.data;
}

/** |image| flipped and transposed as the reference's process_group: out[b][a] = |img[m-1-a][b]|. */
export function referenceOrientation(img: Float32Array, offset: number, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) {
    const k = offset + 2 * ((m - 1 - a) * m + b);
    out[b * m + a] = Math.hypot(img[k], img[k + 1]);
  }
  return out;
}
