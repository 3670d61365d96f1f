#!/usr/bin/env node
// FFT library choice: 2-D inverse FFT over the last two axes of a complex64 16 x 256 x 512 array
// (the simplefft case), every candidate against numpy in the same run, plus non-power-of-two
// sizes (16 x 250 x 500, 16 x 97 x 300) that some candidates cannot do.
//
// - ours: mrd-core's FFT engine (PFFFT wasm SIMD, Bluestein for other sizes): the centred
//   transform the recons use (fftshift/ifft2/ifftshift) and the general fftn path;
// - candidates loaded, when installed, from .bench-data/fft-candidates (not project
//   dependencies): `fft.js` (radix-4, powers of two only), `kissfft-wasm`, `ndarray-fft`.
//   Install them with:
//     npm install --prefix .bench-data/fft-candidates fft.js@4 kissfft-wasm@1 ndarray-fft@1 ndarray@1
// - numpy: np.fft.ifft2 and the centred shift/ifft2/shift, complex64 input.
// Best and median of RUNS warm runs. Usage: node scripts/bench/fft.bench.mjs
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data');
mkdirSync(join(dataDir, 'build'), { recursive: true });
const RUNS = 7;
const SHAPES = [[16, 256, 512], [16, 250, 500], [16, 97, 300]];

const coreRequire = createRequire(join(root, 'packages/recon-kernels/package.json'));
const bundle = join(dataDir, 'build', 'fft-recon.mjs');
await build({
  entryPoints: [join(root, 'packages/recon-kernels/src/centred-fft/centred-fft.ts')],
  outfile: bundle, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  stdin: undefined,
  plugins: [{ name: 'pffft-external', setup(b) { b.onResolve({ filter: /^@echogarden\/pffft-wasm/ }, (args) => ({ path: pathToFileURL(coreRequire.resolve(args.path)).href, external: true })); } }],
});
const fftBundle = join(dataDir, 'build', 'fft-engine.mjs');
await build({
  entryPoints: [join(root, 'packages/recon-kernels/src/fft/index.ts')],
  outfile: fftBundle, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
  plugins: [{ name: 'pffft-external', setup(b) { b.onResolve({ filter: /^@echogarden\/pffft-wasm/ }, (args) => ({ path: pathToFileURL(coreRequire.resolve(args.path)).href, external: true })); } }],
});
const { centredIfft2 } = await import(pathToFileURL(bundle).href);
const { getFftEngine } = await import(pathToFileURL(fftBundle).href);
const engine = await getFftEngine();

function timeIt(fn) {
  fn();
  fn();
  const t = [];
  for (let r = 0; r < RUNS; r++) { const t0 = performance.now(); fn(); t.push(performance.now() - t0); }
  t.sort((a, b) => a - b);
  return { best: t[0], median: t[t.length >> 1] };
}
const fmt = (r) => (r ? `best ${r.best.toFixed(1).padStart(7)} ms, median ${r.median.toFixed(1).padStart(7)} ms` : 'n/a');

function randomData(n) {
  const a = new Float32Array(2 * n);
  let s = 1;
  for (let i = 0; i < a.length; i++) { s = (s * 1103515245 + 12345) % 2147483648; a[i] = s / 2147483648 - 0.5; }
  return a;
}

// ---- candidates (optional)
const candDir = join(dataDir, 'fft-candidates');
const candRequire = existsSync(join(candDir, 'package.json')) ? createRequire(join(candDir, 'package.json')) : null;
function tryLoad(name) {
  if (!candRequire) return null;
  try { return candRequire(name); } catch { return null; }
}
const FFTJS = tryLoad('fft.js');
let kiss = null;
if (candRequire) {
  try {
    // kissfft-wasm's Emscripten loader fetch()es its .wasm by file path, which fails on Node 20
    // while a global fetch exists; hide fetch while it loads (a packaging defect noted in the choice).
    const f = globalThis.fetch;
    globalThis.fetch = undefined;
    kiss = candRequire('kissfft-wasm');
    await candRequire('kissfft-wasm/lib/wasm.js').waitLoading();
    globalThis.fetch = f;
  } catch { kiss = null; }
}
const ndarray = tryLoad('ndarray');
const ndfft = tryLoad('ndarray-fft');

const results = {};
for (const [C, NY, NX] of SHAPES) {
  const key = `${C}x${NY}x${NX}`;
  const src = randomData(C * NY * NX);
  const r = (results[key] = {});
  const work = new Float32Array(src.length);
  r['ours: centred ifft2 (fftshift/ifft2/ifftshift)'] = timeIt(() => { work.set(src); centredIfft2(engine, work, C, NY, NX); });
  r['ours: fftn axes (1,2), plain ifft2'] = timeIt(() => { work.set(src); engine.fftn(work, [C, NY, NX], [1, 2], true); });
  if (FFTJS) {
    const pow2 = (n) => (n & (n - 1)) === 0;
    if (pow2(NX) && pow2(NY)) {
      const fx = new FFTJS(NX), fy = new FFTJS(NY);
      const a = new Float64Array(2 * NX), b = new Float64Array(2 * NX), ca = new Float64Array(2 * NY), cb = new Float64Array(2 * NY);
      r['fft.js 4 (radix-4, pure JS)'] = timeIt(() => {
        for (let c = 0; c < C; c++) {
          const base = c * NY * NX * 2;
          for (let y = 0; y < NY; y++) { const o = base + y * NX * 2; for (let i = 0; i < 2 * NX; i++) a[i] = src[o + i]; fx.inverseTransform(b, a); for (let i = 0; i < 2 * NX; i++) work[o + i] = b[i] / NX; }
          for (let x = 0; x < NX; x++) {
            for (let y = 0; y < NY; y++) { const o = base + (y * NX + x) * 2; ca[2 * y] = work[o]; ca[2 * y + 1] = work[o + 1]; }
            fy.inverseTransform(cb, ca);
            for (let y = 0; y < NY; y++) { const o = base + (y * NX + x) * 2; work[o] = cb[2 * y] / NY; work[o + 1] = cb[2 * y + 1] / NY; }
          }
        }
      });
    } else r['fft.js 4 (radix-4, pure JS)'] = 'unsupported size';
  }
  if (kiss) r['kissfft-wasm 1 (per coil ifft2d)'] = timeIt(() => { for (let c = 0; c < C; c++) kiss.ifft2d(src.subarray(c * NY * NX * 2, (c + 1) * NY * NX * 2), NY, NX); });
  if (ndarray && ndfft && C * NY * NX <= 16 * 256 * 512) {
    const re = new Float64Array(NY * NX), im = new Float64Array(NY * NX);
    r['ndarray-fft 1 (pure JS, float64, per coil)'] = timeIt(() => {
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < NY * NX; i++) { re[i] = src[2 * (c * NY * NX + i)]; im[i] = src[2 * (c * NY * NX + i) + 1]; }
        ndfft(-1, ndarray(re, [NY, NX]), ndarray(im, [NY, NX]));
      }
    });
  }
}

const NUMPY = String.raw`
import sys, time, json, numpy as np
runs = int(sys.argv[1]); shapes = json.loads(sys.argv[2]); out = {}
for C, NY, NX in shapes:
    rng = np.random.default_rng(1)
    a = (rng.random((C, NY, NX)) - 0.5 + 1j * (rng.random((C, NY, NX)) - 0.5)).astype(np.complex64)
    res = {}
    for name, f in [('numpy: ifft2', lambda: np.fft.ifft2(a, axes=(1, 2))),
                    ('numpy: fftshift/ifft2/ifftshift', lambda: np.fft.ifftshift(np.fft.ifft2(np.fft.fftshift(a, axes=(1, 2)), axes=(1, 2)), axes=(1, 2)))]:
        f(); f(); t = []
        for i in range(runs):
            t0 = time.perf_counter(); f(); t.append((time.perf_counter() - t0) * 1000)
        t.sort(); res[name] = [t[0], t[len(t) // 2]]
    out['%dx%dx%d' % (C, NY, NX)] = res
print(json.dumps({'version': np.__version__, 'results': out}))
`;
const py = spawnSync('python3', ['-c', NUMPY, String(RUNS), JSON.stringify(SHAPES)], { encoding: 'utf8' });
let numpy = null;
if (py.error || py.status !== 0) console.log(`numpy not available (${py.error ? py.error.message : py.stderr.trim().split('\n').pop()}): ours and candidates only`);
else numpy = JSON.parse(py.stdout);
if (!candRequire) console.log('FFT candidates not installed in .bench-data/fft-candidates (see the header of this file): ours only');

for (const [key, r] of Object.entries(results)) {
  console.log(`\n2-D inverse FFT, complex64 ${key}`);
  const ref = numpy?.results[key]?.['numpy: fftshift/ifft2/ifftshift'];
  if (numpy) for (const [name, [best, median]] of Object.entries(numpy.results[key])) console.log(`  ${(name + ` ${numpy.version}`).padEnd(48)} best ${best.toFixed(1).padStart(7)} ms, median ${median.toFixed(1).padStart(7)} ms`);
  for (const [name, v] of Object.entries(r)) {
    const ratio = ref && typeof v === 'object' ? `   ${(v.best / ref[0]).toFixed(2)}x numpy's centred ifft2 (best)` : '';
    console.log(`  ${name.padEnd(48)} ${typeof v === 'string' ? v : fmt(v)}${ratio}`);
  }
}
