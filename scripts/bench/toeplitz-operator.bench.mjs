#!/usr/bin/env node
// The Toeplitz normal operator alone (recon-kernels mri/sense/toeplitz.ts, the bulk of the TFD
// TV-ADMM solve): N applications, single thread, with the spectrum in the 'pruned' layout (the
// operator's where it pays: each line of the 2x grid transformed as its even and odd bins, two
// lines of half the length with twiddle passes) against the unpruned 'internal-compact' one (the 2x lines, their
// spectra in PFFFT's internal order, K one float per bin) on the same trajectory, maps and image,
// interleaved rounds in the same run. Prints the median CPU time per application of each, the ratio,
// the NRMSE between the two results (float32 rounding; exit code 1 above 1e-5), the operator's
// layout at that size and the load.
// Usage: node scripts/bench/toeplitz-operator.bench.mjs   (TOEP_BENCH_N: image sizes, default
// "96,128,192" (2n = 192, 256, 384); TOEP_BENCH_COILS default 8; TOEP_BENCH_APPS default 20;
// TOEP_BENCH_ROUNDS default 7)
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';
import { goldenAngleSpirals, smoothCoilMaps } from './tfd-case.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SIZES = (process.env.TOEP_BENCH_N ?? '96,128,192').split(',').map(Number);
const COILS = Number(process.env.TOEP_BENCH_COILS ?? 8), APPS = Number(process.env.TOEP_BENCH_APPS ?? 20), ROUNDS = Number(process.env.TOEP_BENCH_ROUNDS ?? 7);

const bundle = await bundleSources(join(root, '.bench-data', 'build', 'toeplitz-operator.mjs'), {
  contents: "export { SENSE_NUFFT_DEFAULTS } from './packages/recon-kernels/src/mri/sense/index.ts'; export { toeplitzSpectrum, toeplitzNormalFrames, toeplitzLayout } from './packages/recon-kernels/src/mri/sense/toeplitz.ts'; export { getFftEngine } from './packages/recon-kernels/src/fft/index.ts';",
});
const { SENSE_NUFFT_DEFAULTS, toeplitzSpectrum, toeplitzNormalFrames, toeplitzLayout, getFftEngine } = await import(bundle);
const fft = await getFftEngine();
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];

console.log(`Toeplitz normal operator, ${COILS} coils, ${APPS} applications a round, ${ROUNDS} rounds, single thread; load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
for (const n of SIZES) {
  const coord = goldenAngleSpirals(n, 0, 8, 4 * n);
  const maps = smoothCoilMaps(n, COILS);
  const x = new Float32Array(2 * n * n);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(0.37 * i) * Math.cos(0.011 * i);
  const layout = toeplitzLayout(fft, n, n);
  if (layout === 'ordered') { console.log(`${n}: no internal-order columns; skipped`); continue; }
  const unpruned = [toeplitzSpectrum(fft, coord, n, n, SENSE_NUFFT_DEFAULTS, 'internal-compact')];
  const pruned = [toeplitzSpectrum(fft, coord, n, n, SENSE_NUFFT_DEFAULTS, 'pruned')];
  const scratch = { acc: new Float64Array(2 * n * n) };
  const a = new Float32Array(x.length), b = new Float32Array(x.length);
  // CPU time of this (single) thread, less sensitive than wall time to the other work on the machine
  const run = (k, out) => { const t0 = process.cpuUsage(); for (let i = 0; i < APPS; i++) toeplitzNormalFrames(fft, k, maps, COILS, n, n, x, out, 0, 1, scratch); const d = process.cpuUsage(t0); return (d.user + d.system) / 1000 / APPS; };
  run(unpruned, a); run(pruned, b); // warm-up
  const told = [], tnew = [];
  for (let r = 0; r < ROUNDS; r++) { told.push(run(unpruned, a)); tnew.push(run(pruned, b)); }
  let e = 0, q = 0;
  for (let i = 0; i < a.length; i++) { e += (b[i] - a[i]) ** 2; q += a[i] ** 2; }
  const err = Math.sqrt(e / q);
  const mo = median(told), mn = median(tnew);
  console.log(`${n} x ${n} (2n = ${2 * n}): unpruned ${mo.toFixed(2)} ms, pruned ${mn.toFixed(2)} ms CPU per application; ratio pruned / unpruned ${(mn / mo).toFixed(3)}; NRMSE ${err.toExponential(2)}; the operator's layout '${layout}'`);
  if (!(err < 1e-5)) process.exitCode = 1;
}
console.log(`load after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
