#!/usr/bin/env node
// The Toeplitz normal operator alone (recon-kernels mri/sense/toeplitz.ts, the bulk of the TFD
// TV-ADMM solve): N applications, single thread, with K compact in PFFFT's internal order (one
// float per bin, read once for the re and im quads; the column spectra left in that order: what
// the operator uses) against the ordered K (the column transforms reordered, multiplied in natural
// order: the path of lengths without an internal order) on the same trajectory, maps and image,
// interleaved rounds in the same run. Checks the two give the same bits, prints the median time
// per application of each, the ratio and the load.
// Usage: node scripts/bench/toeplitz-operator.bench.mjs   (TOEP_BENCH_N: image sizes, default
// "96,128,192" (2n = 192, 256, 384); TOEP_BENCH_COILS default 8; TOEP_BENCH_APPS default 20)
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';
import { goldenAngleSpirals, smoothCoilMaps } from './tfd-case.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SIZES = (process.env.TOEP_BENCH_N ?? '96,128,192').split(',').map(Number);
const COILS = Number(process.env.TOEP_BENCH_COILS ?? 8), APPS = Number(process.env.TOEP_BENCH_APPS ?? 20), ROUNDS = 5;

const bundle = await bundleSources(join(root, '.bench-data', 'build', 'toeplitz-operator.mjs'), {
  contents: "export { SENSE_NUFFT_DEFAULTS } from './packages/recon-kernels/src/mri/sense/index.ts'; export { toeplitzSpectrum, toeplitzNormalFrames } from './packages/recon-kernels/src/mri/sense/toeplitz.ts'; export { getFftEngine } from './packages/recon-kernels/src/fft/index.ts';",
});
const { SENSE_NUFFT_DEFAULTS, toeplitzSpectrum, toeplitzNormalFrames, getFftEngine } = await import(bundle);
const fft = await getFftEngine();
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];

console.log(`Toeplitz normal operator, ${COILS} coils, ${APPS} applications a round, ${ROUNDS} rounds, single thread; load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
for (const n of SIZES) {
  const coord = goldenAngleSpirals(n, 0, 8, 4 * n);
  const maps = smoothCoilMaps(n, COILS);
  const x = new Float32Array(2 * n * n);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(0.37 * i) * Math.cos(0.011 * i);
  const ordered = [toeplitzSpectrum(fft, coord, n, n, SENSE_NUFFT_DEFAULTS, false)];
  const compact = [toeplitzSpectrum(fft, coord, n, n, SENSE_NUFFT_DEFAULTS)];
  if (compact[0].layout !== 'internal-compact') { console.log(`${n}: no internal-order columns at 2n = ${2 * n}; skipped`); continue; }
  const scratch = { acc: new Float64Array(2 * n * n) };
  const a = new Float32Array(x.length), b = new Float32Array(x.length);
  const run = (k, out) => { const t0 = performance.now(); for (let i = 0; i < APPS; i++) toeplitzNormalFrames(fft, k, maps, COILS, n, n, x, out, 0, 1, scratch); return (performance.now() - t0) / APPS; };
  run(ordered, a); run(compact, b); // warm-up
  const told = [], tnew = [];
  for (let r = 0; r < ROUNDS; r++) { told.push(run(ordered, a)); tnew.push(run(compact, b)); }
  const same = a.every((v, i) => Object.is(v, b[i]));
  const mo = median(told), mn = median(tnew);
  console.log(`${n} x ${n} (2n = ${2 * n}): ordered K ${mo.toFixed(2)} ms, compact K ${mn.toFixed(2)} ms per application; ratio compact / ordered ${(mn / mo).toFixed(3)}; same bits: ${same}`);
  if (!same) process.exitCode = 1;
}
console.log(`load after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
