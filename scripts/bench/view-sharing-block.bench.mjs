#!/usr/bin/env node
// The real-time view sharing's block step on one thread (simplenufft1arm's sizes: 256 x 256, 8
// coils, arms of 3484 samples on a spiral-like trajectory, oversampling 1.25): one arm gridded
// into the block's grid, and the block image (imageFromGrid: transforms, crop, apodization, added
// into the running sum), with the grid in the natural layout (the peer) and in the FFT's internal
// order (NufftOptions.internalOrderGrid, what the module uses), alternating in one process;
// min / p10 / p50 of RUNS of each (min and p10 are the least load-sensitive on a shared machine).
// Also the arm gridded by the wasm kernel on its shared memory (nufft/grid-kernel.ts, what the
// module uses since branch rt-frame4), all 8 coils at once and a coil at a time (the frame path's
// split step), against the JS gridding; and the frame's split step before and now.
// Usage: node scripts/bench/view-sharing-block.bench.mjs
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bundle = await bundleSources(join(root, '.bench-data', 'build', 'view-sharing-block.mjs'), {
  contents: "export { getFftEngine } from './packages/recon-kernels/src/fft/index.ts'; export { Nufft } from './packages/recon-kernels/src/nufft/index.ts'; export { SharedGrid } from './packages/recon-kernels/src/nufft/grid-kernel.ts';",
});
const { getFftEngine, Nufft, SharedGrid } = await import(bundle);
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
const kernel = SharedGrid.create(plans.natural, NC, S), kernelInternal = SharedGrid.create(plans.internal, NC, S);
if (kernel === null || kernelInternal === null) throw new Error('no wasm gridding kernel here (shared WebAssembly memory and SIMD needed)');
kernel.data.set(arm);
kernelInternal.data.set(arm);
const wasmGrids = { all: [], perCoil: [], allInternal: [] };
// the frame path's split step, a coil at a time (the last arm gridded, then the coil's block image added to the sum;
// now: the apodization and the sum by the kernel too, in its memory's image slots):
// before (JS gridding on the internal-order grid) and now (the wasm kernel on the internal-order grid), and the kernel on the natural grid
const stepGrid = { before: shared(NC * 2 * plans.internal.gridSize), now: kernelInternal.grid, natural: kernel.grid };
for (let a = 0; a < ARMS; a++) plans.internal.gridAdd(arm, NC, stepGrid.before, a * S, S, 1);
for (let a = 0; a < ARMS; a++) { kernel.gridAdd(plans.natural, 0, NC, a * S); kernelInternal.gridAdd(plans.internal, 0, NC, a * S); }
const stepOut = { block: shared(2 * NC * N * N), sum: shared(2 * NC * N * N) };
const steps = { before: [], now: [], natural: [] };
const frameStep = (k, r) => {
  const p = k === 'natural' ? plans.natural : plans.internal, g = stepGrid[k];
  const gp = 2 * p.gridSize, ip = 2 * N * N;
  for (let c = 0; c < NC; c++) {
    if (k === 'before') p.gridAdd(arm.subarray(2 * c * S, 2 * (c + 1) * S), 1, g.subarray(c * gp, (c + 1) * gp), (r % ARMS) * S, S, 1);
    else (k === 'now' ? kernelInternal : kernel).gridAdd(p, c, c + 1, (r % ARMS) * S);
    if (k === 'before') p.imageFromGrid(g.subarray(c * gp, (c + 1) * gp), 1, stepOut.block.subarray(c * ip, (c + 1) * ip), stepOut.sum.subarray(c * ip, (c + 1) * ip));
    else {
      // now: the block image and the sum in the kernel's image slots, apodized and summed there
      const kk = k === 'now' ? kernelInternal : kernel;
      p.imageFromGrid(g.subarray(c * gp, (c + 1) * gp), 1, kk.images[2].subarray(c * ip, (c + 1) * ip), kk.images[0].subarray(c * ip, (c + 1) * ip), kk);
    }
  }
};
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
  for (const k of r % 2 === 0 ? ['all', 'perCoil', 'allInternal'] : ['allInternal', 'perCoil', 'all']) {
    const t = performance.now();
    if (k === 'all') kernel.gridAdd(plans.natural, 0, NC, (r % ARMS) * S);
    else if (k === 'allInternal') kernelInternal.gridAdd(plans.internal, 0, NC, (r % ARMS) * S);
    else for (let c = 0; c < NC; c++) kernel.gridAdd(plans.natural, c, c + 1, (r % ARMS) * S);
    wasmGrids[k].push(performance.now() - t);
  }
  for (const k of r % 2 === 0 ? ['before', 'now', 'natural'] : ['natural', 'now', 'before']) {
    const t = performance.now();
    frameStep(k, r);
    steps[k].push(performance.now() - t);
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
const js = stats(state.natural.grids);
{
  const b = stats(steps.before), n = stats(steps.now), nat = stats(steps.natural);
  console.log(`  the frame's split step, 8 coils one at a time (last arm + block image + sum): before (JS gridding) ${f(b)} ms; now (wasm kernel) ${f(n)} ms (internal-order grid both); ratio (before / now) at min ${(b[0] / n[0]).toFixed(2)}, p10 ${(b[1] / n[1]).toFixed(2)}, p50 ${(b[2] / n[2]).toFixed(2)}; the kernel on the natural grid ${f(nat)} ms`);
}
for (const [label, key] of [['one arm, wasm kernel, 8 coils at once', 'all'], ['one arm, wasm kernel, a coil at a time', 'perCoil'], ['one arm, wasm kernel, 8 coils at once, internal-order grid', 'allInternal']]) {
  const w = stats(wasmGrids[key]);
  console.log(`  ${label.padEnd(30)} ${f(w)} ms; ratio (JS natural grid / wasm) at min ${(js[0] / w[0]).toFixed(2)}, p10 ${(js[1] / w[1]).toFixed(2)}`);
}
