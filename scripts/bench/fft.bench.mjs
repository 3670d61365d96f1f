#!/usr/bin/env node
// FFT benchmarks, every case against numpy (pocketfft) in the same run.
//
// 1. Recon sizes: every FFT length from 8 to 1024 that the recons meet
//    (packages/recon-kernels/src/fft/recon-sizes.ts), forward complex64, 1-D batched
//    (ceil(2^18 / n) lines along the last axis) and 2-D (max(1, round(2^18 / n^2)) n x n planes,
//    axes (1, 2)): ours (`engine.fftn`, copies into and out of the wasm heap included) against
//    numpy.fft.fft / fftn with `out=` (no allocation in the timed call). numpy runs in one python3
//    process kept open for the whole run; ours and numpy's runs are interleaved (ROUNDS rounds of
//    REPS timed calls each, the order alternating) and the medians compared, so that a loaded
//    machine slows both alike. Prints per size the path taken (PFFFT SIMD, mixed-radix SIMD,
//    Bluestein), both medians, the ratio, and the largest ratio.
//    numpy allocates temporaries of the array's size in many of these calls (fftn, and fft of
//    short lines), which glibc maps and unmaps every time; where page faults are dear (this
//    sandbox: ~1000-2000 faults, 10-90 ms a call) that, not the FFT, would be numpy's time. So
//    numpy runs with MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ raised (it reuses its
//    memory): the yardstick is numpy's FFT at its best. `--numpy-plain-malloc` measures it as
//    shipped.
// 2. Library choice: 2-D inverse FFT over the last two axes of a complex64 16 x 256 x 512 array
//    (the simplefft case), every candidate against numpy, plus non-power-of-two sizes
//    (16 x 250 x 500, 16 x 97 x 300) that some candidates cannot do.
//    - ours: the centred transform the recons use (fftshift/ifft2/ifftshift) and the general fftn;
//    - candidates loaded, when installed, from .bench-data/fft-candidates (not project
//      dependencies): `fft.js` (radix-4, powers of two only), `kissfft-wasm`, `ndarray-fft`.
//      Install them with:
//        npm install --prefix .bench-data/fft-candidates fft.js@4 kissfft-wasm@1 ndarray-fft@1 ndarray@1
//    - numpy: np.fft.ifft2 and the centred shift/ifft2/shift, complex64 input.
//    Best and median of RUNS warm runs.
// Usage: node scripts/bench/fft.bench.mjs [--sizes-only | --library-only] [--sizes 250,500,...]
//        [--numpy-plain-malloc]
import { existsSync, mkdirSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data');
mkdirSync(join(dataDir, 'build'), { recursive: true });
const RUNS = 7;
const SHAPES = [[16, 256, 512], [16, 250, 500], [16, 97, 300]];
const args = process.argv.slice(2);
const sizesOnly = args.includes('--sizes-only');
const libraryOnly = args.includes('--library-only');
const sizesArg = args.indexOf('--sizes') >= 0 ? args[args.indexOf('--sizes') + 1] : null;
const numpyPlainMalloc = args.includes('--numpy-plain-malloc');

const bundle = await bundleSources(join(dataDir, 'build', 'fft-recon.mjs'), { entry: join(root, 'packages/recon-kernels/src/centred-fft/centred-fft.ts') });
const fftBundle = await bundleSources(join(dataDir, 'build', 'fft-engine.mjs'), {
  contents: [
    "export * from './packages/recon-kernels/src/fft/index.ts';",
    "export { RECON_FFT_SIZES } from './packages/recon-kernels/src/fft/recon-sizes.ts';",
  ],
});
const { centredIfft2 } = await import(bundle);
const { getFftEngine, RECON_FFT_SIZES } = await import(fftBundle);
const engine = await getFftEngine();

function randomData(n) {
  const a = new Float32Array(2 * n);
  let s = 1;
  for (let i = 0; i < a.length; i++) { s = (s * 1103515245 + 12345) % 2147483648; a[i] = s / 2147483648 - 0.5; }
  return a;
}

// ---- 1. recon sizes against numpy, interleaved
const TOTAL = 1 << 18;
const ROUNDS = 5;
const REPS = 5;

/** numpy in one python3 process: each request line {shape, axes, reps} answers the list of times (ms). */
const NUMPY_SERVER = String.raw`
import sys, time, json, numpy as np
cache = {}
for line in sys.stdin:
    req = json.loads(line)
    key = (tuple(req['shape']), tuple(req['axes']))
    if key not in cache:
        rng = np.random.default_rng(1)
        shape = req['shape']
        a = (rng.random(shape) - 0.5 + 1j * (rng.random(shape) - 0.5)).astype(np.complex64)
        cache.clear()
        cache[key] = (a, np.empty_like(a))
    a, o = cache[key]
    axes = req['axes']
    if len(axes) == 1:
        f = lambda: np.fft.fft(a, axis=axes[0], out=o)
    else:
        f = lambda: np.fft.fftn(a, axes=axes, out=o)
    t = []
    for i in range(req['reps']):
        t0 = time.perf_counter(); f(); t.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({'times': t, 'version': np.__version__}), flush=True)
`;

function startNumpy() {
  const env = numpyPlainMalloc ? process.env : { ...process.env, MALLOC_MMAP_THRESHOLD_: '33554432', MALLOC_TRIM_THRESHOLD_: '4294967295' };
  const child = spawn('python3', ['-c', NUMPY_SERVER], { stdio: ['pipe', 'pipe', 'pipe'], env });
  const waiting = [];
  let failure = null;
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const fail = (why) => { failure = why; while (waiting.length) waiting.shift().reject(new Error(why)); };
  child.on('error', (e) => fail(e.message));
  child.on('exit', (code) => fail(`python3 exited (${code}): ${stderr.trim().split('\n').pop() ?? ''}`));
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  return {
    run(shape, axes, reps) {
      if (failure) return Promise.reject(new Error(failure));
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(JSON.stringify({ shape, axes, reps }) + '\n');
      });
    },
    close() { child.removeAllListeners('exit'); child.stdin.end(); },
  };
}

const median = (t) => { const s = [...t].sort((a, b) => a - b); return s[s.length >> 1]; };
const pathOf = (n) => engine.transformPath(n);

async function reconSizes() {
  const sizes = sizesArg ? sizesArg.split(',').map(Number) : RECON_FFT_SIZES;
  const numpy = startNumpy();
  let version = '?';
  const load0 = loadavg()[0];
  const rows = [];
  try {
    for (const n of sizes) {
      const row = { n, path: pathOf(n) };
      for (const kind of ['1d', '2d']) {
        const shape = kind === '1d' ? [Math.ceil(TOTAL / n), n] : [Math.max(1, Math.round(TOTAL / (n * n))), n, n];
        const axes = kind === '1d' ? [1] : [1, 2];
        const total = shape.reduce((a, b) => a * b, 1);
        const src = randomData(total);
        const work = new Float32Array(src.length);
        const ours = [];
        const oursRun = (reps, keep) => {
          for (let i = 0; i < reps; i++) {
            work.set(src);
            const t0 = performance.now();
            engine.fftn(work, shape, axes, false);
            const t = performance.now() - t0;
            if (keep) ours.push(t);
          }
        };
        const theirs = [];
        oursRun(3, false);
        await numpy.run(shape, axes, 3);
        for (let r = 0; r < ROUNDS; r++) {
          if (r % 2 === 0) oursRun(REPS, true);
          const res = await numpy.run(shape, axes, REPS);
          version = res.version;
          theirs.push(...res.times);
          if (r % 2 === 1) oursRun(REPS, true);
        }
        row[kind] = { shape, ours: median(ours), numpy: median(theirs) };
      }
      rows.push(row);
    }
  } finally {
    numpy.close();
  }
  console.log(`\nFFT at the recon sizes (forward, complex64; medians of ${ROUNDS} x ${REPS} runs, ours and numpy ${version} interleaved${numpyPlainMalloc ? '' : ', numpy with memory reuse'})`);
  console.log('1-D: ceil(2^18/n) lines along the last axis; 2-D: max(1, round(2^18/n^2)) planes n x n, axes (1, 2)');
  console.log(`${'n'.padStart(5)}  ${'path'.padEnd(16)} ${'1-D ours'.padStart(9)} ${'numpy'.padStart(8)} ${'ratio'.padStart(6)}   ${'2-D ours'.padStart(9)} ${'numpy'.padStart(8)} ${'ratio'.padStart(6)}`);
  const worst = { '1d': { ratio: 0, n: 0 }, '2d': { ratio: 0, n: 0 } };
  for (const row of rows) {
    const cells = ['1d', '2d'].map((k) => {
      const { ours, numpy } = row[k];
      const ratio = ours / numpy;
      if (ratio > worst[k].ratio) worst[k] = { ratio, n: row.n };
      return `${ours.toFixed(3).padStart(9)} ${numpy.toFixed(3).padStart(8)} ${ratio.toFixed(2).padStart(6)}`;
    });
    console.log(`${String(row.n).padStart(5)}  ${row.path.padEnd(16)} ${cells[0]}   ${cells[1]}`);
  }
  console.log(`max ratio (ours / numpy): 1-D ${worst['1d'].ratio.toFixed(2)} at n = ${worst['1d'].n}, 2-D ${worst['2d'].ratio.toFixed(2)} at n = ${worst['2d'].n} (times in ms)`);
  console.log(`load average (1 min): ${load0.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end`);
}

// ---- 2. library choice
async function libraryChoice() {
  function timeIt(fn) {
    fn();
    fn();
    const t = [];
    for (let r = 0; r < RUNS; r++) { const t0 = performance.now(); fn(); t.push(performance.now() - t0); }
    t.sort((a, b) => a - b);
    return { best: t[0], median: t[t.length >> 1] };
  }
  const fmt = (r) => (r ? `best ${r.best.toFixed(1).padStart(7)} ms, median ${r.median.toFixed(1).padStart(7)} ms` : 'n/a');

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
}

if (!libraryOnly) await reconSizes();
if (!sizesOnly) await libraryChoice();
