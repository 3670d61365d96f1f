#!/usr/bin/env node
// Temporal-TV (TFD) solve of rtspiral_bart_tvrecon: 256 x 256, 8 coils, 200 frames of golden-angle
// spiral arms, native ADMM (@mrd-tools/core/iterative, single thread) against BART `pics` with the
// reference's options (-m -w <scale> -e -S -R T:1024:1024:<lambda> -i <iter>, CPU: -g dropped) on the
// same trajectory, data, coil maps, scale and iteration budget, in the same run. Prints both times,
// the ratio, and the NRMSE between the two results. Then the coil maps as the reference makes them:
// the native nlinv (@mrd-tools/core/nlinv, BART 0.8's -t set-up) against `bart nlinv -a 32 -b 16 -S
// -i14 -t` on all arms, times and the map agreement in the object.
// Usage: node scripts/bench/tvrecon.bench.mjs   (TV_BENCH_ITER, TV_BENCH_FRAMES override the size;
// TV_BENCH_NO_EIGEN=1 drops BART's -e, whose eigenvalue estimate ADMM never uses; TV_BENCH_NLINV=0
// skips the nlinv part, TV_BENCH_PICS=0 the TV solves)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';
import { bartDims, bartTfdArrays, goldenAngleSpirals, movingDiscs, smoothCoilMaps } from './tfd-case.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const N = 256, COILS = 8, FRAMES = Number(process.env.TV_BENCH_FRAMES ?? 200), APF = 8, NS = 1024;
const ITER = Number(process.env.TV_BENCH_ITER ?? 5), LAMBDA = 0.0002 * FRAMES;

const bundle = await bundleSources(join(root, '.bench-data', 'build', 'tvrecon.mjs'), {
  contents: "export { solveTvAdmm } from './packages/recon-kernels/src/iterative/index.ts'; export { SENSE_NUFFT_DEFAULTS, SenseNufftOperator, estimateDataScale } from './packages/recon-kernels/src/mri/sense/index.ts'; export { Bart } from './packages/spiral-recon/src/bart/index.ts'; export { getFftEngine } from './packages/recon-kernels/src/fft/index.ts'; export { nlinvNonCartesian } from './packages/recon-kernels/src/mri/nlinv/index.ts'; export { normalisedMagnitudes, nrmseInside } from './packages/recon-kernels/src/testing/synthetic-coil-object.ts';",
});
const { SENSE_NUFFT_DEFAULTS, SenseNufftOperator, solveTvAdmm, estimateDataScale, Bart, getFftEngine, nlinvNonCartesian, normalisedMagnitudes, nrmseInside } = await import(bundle);

const coords = Array.from({ length: FRAMES }, (_, f) => goldenAngleSpirals(N, f * APF, APF, NS));
const maps = smoothCoilMaps(N, COILS);
const fft = await getFftEngine();
let t0 = performance.now();
const op = new SenseNufftOperator(fft, coords, maps, COILS, N, N);
const tPlan = performance.now() - t0;
// a moving disc phantom -> data
const truth = movingDiscs(FRAMES, N);
const y = new Float32Array(2 * op.outputLength);
op.forward(truth, y);
// BART's scale rule on the coil-combined adjoint
const adj = new Float32Array(2 * op.inputLength);
op.adjoint(y, adj);
const mag = new Float32Array(op.inputLength);
for (let i = 0; i < mag.length; i++) mag[i] = Math.hypot(adj[2 * i], adj[2 * i + 1]);
const scale = estimateDataScale(mag);
const ys = y.map((v) => v / scale);
const PICS = process.env.TV_BENCH_PICS !== '0';
let x, tNative;
if (PICS) {
  console.log(`TFD solve ${N}x${N}, ${COILS} coils, ${FRAMES} frames x ${APF} arms x ${NS} samples, -i ${ITER} (BART's CG-step budget), lambda ${LAMBDA}`);
  t0 = performance.now();
  x = solveTvAdmm(op, ys, { shape: [FRAMES, N, N], tv: [{ axis: 0, lambda: LAMBDA, joint: [0] }], iterations: ITER });
  tNative = performance.now() - t0;
  for (let i = 0; i < x.length; i++) x[i] *= scale;
  console.log(`native: ${(tNative / 1000).toFixed(2)} s solve (+ ${(tPlan / 1000).toFixed(2)} s NUFFT plans), single thread, NUFFT oversampling ${SENSE_NUFFT_DEFAULTS.oversampling}, width ${SENSE_NUFFT_DEFAULTS.width}`);
}

let bart;
try {
  bart = await Bart.locate();
} catch (e) {
  console.log(`BART: not available (${e.message.split(';')[0]}); ours only`);
  process.exit(0);
}
const { traj, ksp } = bartTfdArrays(coords, y, op.frameOffset, { ns: NS, apf: APF, coils: COILS });
const dims = (lead) => bartDims(lead, FRAMES);
const threads = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
if (PICS) {
  t0 = performance.now();
  const EIGEN = process.env.TV_BENCH_NO_EIGEN ? '' : '-e ';
  const [ref] = await bart.run(`pics -g -m -w ${scale} ${EIGEN}-S -R T:1024:1024:${LAMBDA} -i ${ITER} -t`, [
    { dims: dims([3, NS, APF]), data: traj }, { dims: dims([1, NS, APF, COILS]), data: ksp }, { dims: [N, N, 1, COILS], data: maps },
  ], 1);
  const tBart = performance.now() - t0;
  let e = 0, s = 0;
  for (let i = 0; i < x.length; i++) { e += (x[i] - ref.data[i]) ** 2; s += ref.data[i] ** 2; }
  console.log(`BART ${bart.version.text} pics${EIGEN ? ' (with the reference\'s -e: a power-iteration eigenvalue estimate ADMM does not use)' : ' without -e'}: ${(tBart / 1000).toFixed(2)} s wall (incl. .cfl I/O; OpenMP on ${threads} cores)`);
  console.log(`ratio native / BART: ${(tNative / tBart).toFixed(2)} (solve only; ${((tNative + tPlan) / tBart).toFixed(2)} with plans)`);
  console.log(`native vs BART image NRMSE: ${(100 * Math.sqrt(e / s)).toFixed(2)} %`);
}

if (process.env.TV_BENCH_NLINV === '0') process.exit(0);
// coil maps as the reference: nlinv on all arms (golden angle: no repeated arm, PSF weights 1)
const NLINV_ITER = 14;
const total = FRAMES * APF * NS;
const coordAll = new Float64Array(2 * total), dataAll = new Float32Array(2 * COILS * total);
for (let f = 0; f < FRAMES; f++) {
  coordAll.set(coords[f], 2 * f * APF * NS);
  for (let k = 0; k < COILS; k++) {
    dataAll.set(y.subarray(2 * (op.frameOffset[f] + k * APF * NS), 2 * (op.frameOffset[f] + (k + 1) * APF * NS)), 2 * (k * total + f * APF * NS));
  }
}
console.log(`nlinv coil maps: ${FRAMES * APF} arms x ${NS} samples, ${COILS} coils, -a 32 -b 16 -i${NLINV_ITER}, 2x-FOV grid as BART's -t`);
t0 = performance.now();
const nat = nlinvNonCartesian(fft, coordAll, dataAll, new Float32Array(total).fill(1), COILS, { iterations: NLINV_ITER, a: 32, b: 16 });
const tNlinv = performance.now() - t0;
console.log(`native nlinv: ${(tNlinv / 1000).toFixed(2)} s (grid ${nat.shape.join('x')}), single thread`);
t0 = performance.now();
const [, sens] = await bart.run(`nlinv -a 32 -b 16 -S -i${NLINV_ITER} -t`, [
  { dims: dims([3, NS, APF]).map((d, i) => (i === 10 ? 1 : i === 2 ? APF * FRAMES : d)), data: traj },
  { dims: dims([1, NS, APF, COILS]).map((d, i) => (i === 10 ? 1 : i === 2 ? APF * FRAMES : d)), data: (() => {
    // BART k-space [1][NS][arms][coil]: regroup the per-frame [coil] blocks
    const out = new Float32Array(ksp.length);
    for (let f = 0; f < FRAMES; f++) for (let k = 0; k < COILS; k++) for (let a = 0; a < APF; a++) {
      out.set(ksp.subarray(2 * NS * (a + APF * (k + COILS * f)), 2 * NS * (a + APF * (k + COILS * f) + 1)), 2 * NS * (f * APF + a + FRAMES * APF * k));
    }
    return out;
  })() },
], 2);
const tBartNlinv = performance.now() - t0;
const [g0, g1] = nat.shape, gpix = g0 * g1;
// the object: the phantom's disc of radius 90 (the 2x-FOV grid keeps the pixel size)
const inside = Uint8Array.from({ length: gpix }, (_, i) => ((Math.floor(i / g1) - g0 / 2) ** 2 + ((i % g1) - g1 / 2) ** 2 <= 90 ** 2 ? 1 : 0));
const eMaps = nrmseInside(normalisedMagnitudes(nat.sens, COILS, gpix), normalisedMagnitudes(sens.data, COILS, gpix), inside, COILS);
console.log(`BART ${bart.version.text} nlinv: ${(tBartNlinv / 1000).toFixed(2)} s wall (incl. .cfl I/O; OpenMP on ${threads} cores), sens ${sens.dims.slice(0, 4).join('x')}`);
console.log(`ratio native / BART nlinv: ${(tNlinv / tBartNlinv).toFixed(2)}`);
console.log(`native vs BART |maps| NRMSE in the object: ${(100 * eMaps).toFixed(2)} %`);
