#!/usr/bin/env node
// The numerics on every core: each case with the worker pool (--threads N, default the available
// cores) against --threads 1 (today's single-thread path, no pool) in the same run, the ratio, the
// absolute times, and whether the two results are the same bits (they must be). Cases:
// 1. NUFFT adjoint, 405 spiral arms x 512 samples x 8 coils -> 256 x 256 (SigPy defaults), split
//    over coils; median of REPS calls each (plans made once; data already in shared memory).
// 2. TFD (rtspiral_bart_tvrecon's temporal-TV solve): 256 x 256, 8 coils, FRAMES frames of 8
//    spiral arms x 1024 samples, TV along frames, -i ITER (BART's CG-step budget), the SENSE
//    operator split over frames. FRAMES defaults to 20 here (200 frames take minutes per run on a
//    shared 2-core machine; THREADS_BENCH_FRAMES=200 runs the issue's size).
//    Then the same with A^H A by the Toeplitz embedding (what the TFD recon runs since issue 18).
// 3. XD-GRASP (spiral_xdgrasp_recon's solve): 256 x 256, 8 coils, 4 respiratory x 3 cardiac bins
//    of 16 arms, separate TVs along both bin axes, split over bins.
// When `bart` is installed, BART `pics` (OpenMP on N threads) solves case 2 on the same data with
// the reference's options, and our --threads N time is printed against it.
// Usage: node scripts/bench/threads.bench.mjs [--threads N]   (THREADS_BENCH_FRAMES, THREADS_BENCH_ITER,
//        THREADS_BENCH_REPS override the sizes; THREADS_BENCH_BART=0 skips BART). Prints the load average: figures on a shared
//        machine are provisional.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, '.bench-data', 'build');
mkdirSync(out, { recursive: true });
const args = process.argv.slice(2);
const THREADS = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : availableParallelism();
if (!Number.isInteger(THREADS) || THREADS < 2) {
  console.error(`threads.bench: --threads must be a whole number >= 2 (the pool against 1), got ${THREADS}`);
  process.exit(2);
}
const N = 256, COILS = 8;
const FRAMES = Number(process.env.THREADS_BENCH_FRAMES ?? 20), ITER = Number(process.env.THREADS_BENCH_ITER ?? 5);
const REPS = Number(process.env.THREADS_BENCH_REPS ?? 5);

// the kernels and their pool worker, bundled beside each other (the pool finds ./recon-worker.js)
const kernelsRequire = createRequire(join(root, 'packages/recon-kernels/package.json'));
// (resolved as ESM imports: piscina's "import" entry, not its CommonJS main)
const esmPath = () => pathToFileURL(join(dirname(kernelsRequire.resolve('piscina')), 'esm-wrapper.mjs')).href;
const externals = { name: 'externals', setup(b) { b.onResolve({ filter: /^(@echogarden\/pffft-wasm|piscina)/ }, (a) => ({ path: a.path === 'piscina' ? esmPath('piscina') : pathToFileURL(kernelsRequire.resolve(a.path)).href, external: true })); } };
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', plugins: [externals] };
await build({ ...common, entryPoints: [join(root, 'packages/recon-kernels/src/mri/pool-worker/worker.ts')], outfile: join(out, 'recon-worker.js') });
const bundle = join(out, 'threads-bench.mjs');
await build({
  ...common,
  stdin: {
    contents: [
      "export { getFftEngine } from './packages/recon-kernels/src/fft/index.ts';",
      "export { Nufft } from './packages/recon-kernels/src/nufft/index.ts';",
      "export { solveTvAdmmAsync } from './packages/recon-kernels/src/iterative/index.ts';",
      "export { ParallelSenseNufftOperator, SENSE_NUFFT_DEFAULTS, SenseNufftOperator, estimateDataScale } from './packages/recon-kernels/src/mri/sense/index.ts';",
      "export { closeReconPools, nufftAdjointParallel, reconPool, sharedFloat32 } from './packages/recon-kernels/src/pool/index.ts';",
      "export { Bart } from './packages/spiral-recon/src/bart/index.ts';",
    ].join('\n'),
    resolveDir: root, loader: 'ts',
  },
  outfile: bundle,
});
const K = await import(pathToFileURL(bundle).href);
const fft = await K.getFftEngine();
const pool = K.reconPool(THREADS);

const ga = Math.PI * (3 - Math.sqrt(5));
/** golden-angle variable-density spiral arms k0.. k0+arms-1 of ns samples (grid units) */
function spiral(k0, arms, ns) {
  const c = new Float64Array(2 * arms * ns);
  for (let a = 0; a < arms; a++) {
    const phi0 = (k0 + a) * ga;
    for (let i = 0; i < ns; i++) {
      const t = i / (ns - 1), r = (N / 2) * t ** 1.3, phi = phi0 + 2 * Math.PI * 12 * t;
      c[2 * (a * ns + i)] = r * Math.cos(phi);
      c[2 * (a * ns + i) + 1] = r * Math.sin(phi);
    }
  }
  return c;
}
function random(n, seed) {
  const a = K.sharedFloat32(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; }
  return a;
}
const npix = N * N, maps = new Float32Array(2 * COILS * npix);
for (let i = 0; i < npix; i++) {
  const y = Math.floor(i / N) / N - 0.5, x = (i % N) / N - 0.5;
  let s = 0;
  for (let c = 0; c < COILS; c++) {
    const ang = (2 * Math.PI * c) / COILS, d2 = (y - 0.5 * Math.cos(ang)) ** 2 + (x - 0.5 * Math.sin(ang)) ** 2;
    const m = Math.exp(-d2 * 2), ph = c * 0.7 + 2 * x;
    maps[2 * (c * npix + i)] = m * Math.cos(ph); maps[2 * (c * npix + i) + 1] = m * Math.sin(ph);
    s += m * m;
  }
  s = Math.sqrt(s);
  for (let c = 0; c < COILS; c++) { maps[2 * (c * npix + i)] /= s; maps[2 * (c * npix + i) + 1] /= s; }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const rows = [];
function report(name, t1, tN, identical, extra = '') {
  const ratio = t1 / tN;
  rows.push({ name, ratio });
  console.log(`${name}: --threads 1 ${(t1 / 1000).toFixed(3)} s, --threads ${THREADS} ${(tN / 1000).toFixed(3)} s, speed-up ${ratio.toFixed(2)}x, results ${identical ? 'identical' : 'DIFFER'}${extra}`);
}

console.log(`threads.bench: ${THREADS} threads against 1; ${availableParallelism()} cores; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')} (figures provisional on a shared machine)`);

// What the machine gives right now: the same pure-compute loop on 1 worker thread, then split
// over THREADS worker threads (no pool, no numerics). On a busy machine (or with the kernel's
// autogroup scheduling sharing one CPU slice among all of a process's threads) this ceiling is
// far below THREADS, and the cases below cannot beat it.
{
  const { Worker } = await import('node:worker_threads');
  const code = "const { parentPort } = require('node:worker_threads'); parentPort.on('message', (n) => { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); parentPort.postMessage(s); });";
  const ws = Array.from({ length: THREADS }, () => new Worker(code, { eval: true }));
  const run = (w, n) => new Promise((r) => { w.once('message', r); w.postMessage(n); });
  const W = 2e8;
  await Promise.all(ws.map((w) => run(w, 1e6)));
  let t = performance.now(); await run(ws[0], W); const t1 = performance.now() - t;
  t = performance.now(); await Promise.all(ws.map((w) => run(w, W / THREADS))); const tN = performance.now() - t;
  console.log(`machine probe (pure compute split over ${THREADS} worker threads, no numerics): speed-up ${(t1 / tN).toFixed(2)}x -- the ceiling for the ratios below right now`);
  await Promise.all(ws.map((w) => w.terminate()));
}

// ---- 1. NUFFT adjoint over coils
{
  const ARMS = 405, NS = 512;
  const plan = K.Nufft.withEngine(fft, spiral(0, ARMS, NS), [N, N]);
  const data = random(2 * COILS * plan.npts, 1);
  const ref = plan.adjoint(data, COILS);
  const got = await K.nufftAdjointParallel(pool, plan, data, COILS); // warm-up (workers load their engine)
  const t1 = [], tN = [];
  const outN = K.sharedFloat32(ref.length), out1 = new Float32Array(ref.length);
  for (let r = 0; r < REPS; r++) {
    let t0 = performance.now(); plan.adjoint(data, COILS, out1); t1.push(performance.now() - t0);
    t0 = performance.now(); await K.nufftAdjointParallel(pool, plan, data, COILS, outN); tN.push(performance.now() - t0);
  }
  report(`NUFFT adjoint ${ARMS}x${NS}x${COILS} -> ${N}x${N} (median of ${REPS})`, median(t1), median(tN), same(ref, got) && same(ref, outN));
  plan.dispose();
}

// ---- 2./3. TV solves through the SENSE operator
async function solveCase(name, coords, shape, tv, toeplitz = false) {
  const local1 = new K.SenseNufftOperator(fft, coords, maps, COILS, N, N, { ...K.SENSE_NUFFT_DEFAULTS, toeplitz });
  // a moving disc phantom -> data
  const groups = coords.length, truth = new Float32Array(2 * groups * npix);
  for (let f = 0; f < groups; f++) for (let i = 0; i < npix; i++) {
    const y = Math.floor(i / N) - N / 2, x = (i % N) - N / 2, cy = 20 * Math.sin((2 * Math.PI * f) / 50);
    truth[2 * (f * npix + i)] = (x * x + y * y < 90 * 90 ? 0.5 : 0) + ((x - 30) ** 2 + (y - cy) ** 2 < 25 * 25 ? 0.5 : 0);
  }
  const y = new Float32Array(2 * local1.outputLength);
  local1.forward(truth, y);
  const adj = new Float32Array(2 * local1.inputLength);
  local1.adjoint(y, adj);
  const mag = new Float32Array(local1.inputLength);
  for (let i = 0; i < mag.length; i++) mag[i] = Math.hypot(adj[2 * i], adj[2 * i + 1]);
  const scale = K.estimateDataScale(mag);
  const ys = y.map((v) => v / scale);
  const options = { shape: [...shape, N, N], tv, iterations: ITER };
  let t0 = performance.now();
  const x1 = await K.solveTvAdmmAsync(local1, ys, options);
  const t1 = performance.now() - t0;
  local1.dispose();
  t0 = performance.now();
  const op = new K.ParallelSenseNufftOperator(pool, new K.SenseNufftOperator(fft, coords, maps, COILS, N, N, { ...K.SENSE_NUFFT_DEFAULTS, sharedHeapBlocks: true, toeplitz }));
  // the CG steps' vector work on the pool too, as the recons' nativeSolve runs it
  const xN = await K.solveTvAdmmAsync(op, ys, { ...options, pool });
  const tN = performance.now() - t0;
  op.dispose();
  report(name, t1, tN, same(x1, xN), ' (plans included in both)');
  return { y, scale, tN, x: xN };
}

const APF = 8, NS = 1024;
const tfdCoords = Array.from({ length: FRAMES }, (_, f) => spiral(f * APF, APF, NS));
const lambda = 0.0002 * FRAMES;
const tfd = await solveCase(`TFD ${N}x${N}, ${COILS} coils, ${FRAMES} frames x ${APF} arms x ${NS}, -i ${ITER}`, tfdCoords, [FRAMES], [{ axis: 0, lambda, joint: [0] }]);
await solveCase(`TFD as rtspiral_bart_tvrecon runs it (A^H A by Toeplitz embedding), same case`, tfdCoords, [FRAMES], [{ axis: 0, lambda, joint: [0] }], true);

const NR = 4, NC = 3, ARMS_PER_BIN = 16;
const xdCoords = Array.from({ length: NR * NC }, (_, b) => spiral(b * ARMS_PER_BIN, ARMS_PER_BIN, NS));
await solveCase(`XD-GRASP ${N}x${N}, ${COILS} coils, ${NR}x${NC} bins x ${ARMS_PER_BIN} arms x ${NS}, -i ${ITER}`, xdCoords, [NR, NC], [{ axis: 0, lambda: 0.0005 }, { axis: 1, lambda: 0.0005 }]);

// ---- BART pics on the TFD case
process.env.OMP_NUM_THREADS = String(THREADS);
let bart = null;
if (process.env.THREADS_BENCH_BART === '0') console.log('BART: skipped (THREADS_BENCH_BART=0)');
else {
  try {
    bart = await K.Bart.locate();
  } catch (e) {
    console.log(`BART: not available (${e.message.split(';')[0]}); no BART ratio`);
  }
}
if (bart) {
  const opShape = new K.SenseNufftOperator(fft, tfdCoords, maps, COILS, N, N);
  const traj = new Float32Array(2 * 3 * NS * APF * FRAMES), ksp = new Float32Array(2 * NS * APF * COILS * FRAMES);
  for (let f = 0; f < FRAMES; f++) for (let a = 0; a < APF; a++) for (let i = 0; i < NS; i++) {
    const o = 2 * 3 * (i + NS * (a + APF * f)), c = 2 * (a * NS + i);
    traj[o] = tfdCoords[f][c + 1]; traj[o + 2] = tfdCoords[f][c];
    for (let k = 0; k < COILS; k++) {
      const src = 2 * (opShape.frameOffset[f] + k * APF * NS + a * NS + i), dst = 2 * (i + NS * (a + APF * (k + COILS * f)));
      ksp[dst] = tfd.y[src]; ksp[dst + 1] = tfd.y[src + 1];
    }
  }
  opShape.dispose();
  const dims = (lead) => { const d = new Array(16).fill(1); lead.forEach((v, i) => { d[i] = v; }); d[10] = FRAMES; return d; };
  const t0 = performance.now();
  const [ref] = await bart.run(`pics -m -w ${tfd.scale} -e -S -R T:1024:1024:${lambda} -i ${ITER} -t`, [
    { dims: dims([3, NS, APF]), data: traj }, { dims: dims([1, NS, APF, COILS]), data: ksp }, { dims: [N, N, 1, COILS], data: maps },
  ], 1);
  const tBart = performance.now() - t0;
  let e = 0, s = 0;
  for (let i = 0; i < tfd.x.length; i++) { e += (tfd.x[i] * tfd.scale - ref.data[i]) ** 2; s += ref.data[i] ** 2; }
  console.log(`BART ${bart.version.text} pics (TFD case, OMP_NUM_THREADS=${THREADS}, the reference's options, CPU): ${(tBart / 1000).toFixed(2)} s wall incl. .cfl I/O; ours --threads ${THREADS} / BART = ${(tfd.tN / tBart).toFixed(2)}; image NRMSE ours vs BART ${(100 * Math.sqrt(e / s)).toFixed(2)} %`);
}
console.log(`load average at the end ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log(`targets on 2 cores: NUFFT adjoint and TFD >= 1.7x, XD-GRASP >= 1.6x; measured ${rows.map((r) => `${r.name.split(' ')[0]} ${r.ratio.toFixed(2)}x`).join(', ')}`);
await K.closeReconPools();
