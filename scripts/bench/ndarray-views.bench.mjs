#!/usr/bin/env node
// ndarray-ops on the module API's views against the typed-array loops of the recon hot paths, on
// a 32-coil 256 x 512 k-space (one phase): the Hanning window of the README tutorial (outer
// product, one broadcast multiply) against the loop it replaced, and the reference-layout copy
// of k-space (contiguous(kspaceArray(k)), the raw.npy debug dump) against a hand-written loop.
// Why the hot kernels (k-space assembly, centred FFTs, normalisation) stay typed-array code while
// modules and tutorials use the views: docs/numerics.md has the figures.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, '.bench-data', 'build', 'ndarray-views.mjs');
mkdirSync(dirname(out), { recursive: true });
await build({
  stdin: { contents: "export * from './src/ndarray/views.ts'; export { default as ops } from 'ndarray-ops';", resolveDir: join(root, 'packages/recon-api'), loader: 'ts' },
  outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
});
const { kspaceArray, hanning, outer, broadcastTo, contiguous, ops } = await import(pathToFileURL(out).href);

const C = 32, NY = 256, NX = 512, P = 1, RUNS = 7;
const data = new Float32Array(2 * C * NY * NX * P);
for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.001);
const k = { channels: C, ny: NY, nx: NX, phases: P, data, centreHeaders: [] };

function median(fn) {
  fn();
  const t = [];
  for (let r = 0; r < RUNS; r++) { const t0 = performance.now(); fn(); t.push(performance.now() - t0); }
  return t.sort((a, b) => a - b)[RUNS >> 1];
}

const windowViews = median(() => {
  const d = kspaceArray(k);
  const filt = outer(hanning(NY), hanning(NX));
  ops.sqrteq(filt);
  ops.muleq(d, broadcastTo(filt, d.shape, [1, 2]));
});
const windowLoop = median(() => {
  const hy = hanning(NY).data, hx = hanning(NX).data;
  for (let plane = 0; plane < P * C; plane++) for (let y = 0; y < NY; y++) for (let x = 0; x < NX; x++) {
    const w = Math.sqrt(hy[y] * hx[x]);
    const i = 2 * ((plane * NY + y) * NX + x);
    data[i] *= w;
    data[i + 1] *= w;
  }
});
const copyViews = median(() => contiguous(kspaceArray(k)));
const copyLoop = median(() => {
  const o = new Float32Array(data.length);
  for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) for (let i = 0; i < NY * NX; i++) {
    const s = 2 * ((p * C + c) * NY * NX + i), d = 2 * ((c * NY * NX + i) * P + p);
    o[d] = data[s];
    o[d + 1] = data[s + 1];
  }
});
const mb = data.byteLength / 1e6;
console.log(`k-space ${C} x ${NY} x ${NX} complex64 (${mb.toFixed(0)} MB), median of ${RUNS}:`);
console.log(`  Hanning window: ndarray-ops views ${windowViews.toFixed(1)} ms, typed-array loop ${windowLoop.toFixed(1)} ms (views/loop ${(windowViews / windowLoop).toFixed(2)}x)`);
console.log(`  reference-layout copy: contiguous(view) ${copyViews.toFixed(1)} ms, typed-array loop ${copyLoop.toFixed(1)} ms (views/loop ${(copyViews / copyLoop).toFixed(2)}x)`);
