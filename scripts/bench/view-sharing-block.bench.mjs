#!/usr/bin/env node
// The real-time view sharing's block step on one thread (simplenufft1arm's sizes: 256 x 256, 8
// coils, arms of 3484 samples on a spiral-like trajectory, oversampling 1.25): one arm gridded
// into the block's grid, and the block image (imageFromGrid: transforms, crop, apodization, added
// into the running sum), with the grid in the natural layout (the peer) and in the FFT's internal
// order (NufftOptions.internalOrderGrid, what the module uses), alternating in one process;
// min / p10 / p50 of RUNS of each (min and p10 are the least load-sensitive on a shared machine).
// Usage: node scripts/bench/view-sharing-block.bench.mjs
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundle = await bundleSources(join(root, '.bench-data', 'build', 'view-sharing-block.mjs'), {
  contents: "export { getFftEngine } from './packages/recon-kernels/src/fft/index.ts'; export { Nufft } from './packages/recon-kernels/src/nufft/index.ts';",
});
const { getFftEngine, Nufft } = await import(bundle);
const RUNS = 200, N = 256, S = 3484, ARMS = 17, NC = 8;
const fft = await getFftEngine();
// 17 interleaved spiral-like arms (16 turns, denser in the centre), grid units
const coord = new Float64Array(2 * S * ARMS);
for (let a = 0; a < ARMS; a++) {
  for (let k = 0; k < S; k++) {
    const r = (k / S) * (N / 2), t = 32 * Math.PI * Math.sqrt(k / S) + (2 * Math.PI * a) / ARMS;
    coord[2 * (a * S + k)] = r * Math.sin(t);
    coord[2 * (a * S + k) + 1] = r * Math.cos(t);
  }
}
const plans = { natural: Nufft.withEngine(fft, coord, [N, N]), internal: Nufft.withEngine(fft, coord, [N, N], { internalOrderGrid: true }) };
if (!plans.internal.gridInternalOrder) throw new Error('this FFT engine has no internal order for rows of the oversampled grid');
const arm = Float32Array.from({ length: 2 * NC * S }, (_, i) => Math.sin(i * 0.37));
const shared = (n) => new Float32Array(new SharedArrayBuffer(4 * n));
const state = Object.fromEntries(Object.keys(plans).map((k) => [k, { grid: shared(NC * 2 * plans[k].gridSize), block: shared(2 * NC * N * N), sum: shared(2 * NC * N * N), grids: [], images: [] }]));
for (const k of Object.keys(plans)) for (let a = 0; a < ARMS; a++) plans[k].gridAdd(arm, NC, state[k].grid, a * S, S, 1);
for (let r = 0; r < RUNS; r++) {
  for (const k of r % 2 === 0 ? ['natural', 'internal'] : ['internal', 'natural']) {
    const p = plans[k], s = state[k];
    let t = performance.now();
    p.gridAdd(arm, NC, s.grid, (r % ARMS) * S, S, 1);
    s.grids.push(performance.now() - t);
    t = performance.now();
    p.imageFromGrid(s.grid, NC, s.block, s.sum);
    s.images.push(performance.now() - t);
  }
}
const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(p * (s.length - 1))]; };
const stats = (a) => [Math.min(...a), q(a, 0.1), q(a, 0.5)];
const f = (v) => v.map((x) => x.toFixed(3)).join(' / ');
console.log(`(1-min load average ${loadavg()[0].toFixed(1)}: wall-clock figures of one thread; min / p10 / p50 of ${RUNS} runs each, alternating)`);
for (const [label, key] of [['one arm gridded (8 coils)', 'grids'], ['block image + sum (8 coils)', 'images']]) {
  const nat = stats(state.natural[key]), int = stats(state.internal[key]);
  console.log(`  ${label.padEnd(30)} natural grid ${f(nat)} ms; internal-order grid ${f(int)} ms; ratio (natural / internal) at min ${(nat[0] / int[0]).toFixed(2)}, p10 ${(nat[1] / int[1]).toFixed(2)}`);
}
