#!/usr/bin/env node
// The numerics on every core: each case with the worker pool (--threads N, default the available
// cores) against --threads 1 (today's single-thread path, no pool) in the same run, the ratio, the
// absolute times, and whether the two results are the same bits (they must be). Cases:
// 1. NUFFT adjoint, 405 spiral arms x 512 samples x 8 coils -> 256 x 256 (SigPy defaults), split
//    over coils; median of REPS calls each (plans made once; data already in shared memory).
// 2. TFD (rtspiral_bart_tvrecon's temporal-TV solve): 256 x 256, 8 coils, FRAMES frames of 8
//    spiral arms x 1024 samples, TV along frames, -i ITER (BART's CG-step budget), the SENSE
//    operator split over frames. FRAMES defaults to 20 here (200 frames take minutes per run on a
//    shared 2-core machine; THREADS_BENCH_FRAMES=200 runs the size).
//    Then the same with A^H A by the Toeplitz embedding (what the TFD recon runs since issue 18).
// 3. XD-GRASP (spiral_xdgrasp_recon's solve): 256 x 256, 8 coils, 4 respiratory x 3 cardiac bins
//    of 16 arms, separate TVs along both bin axes, split over bins.
// When `bart` is installed, BART `pics` (OpenMP on N threads) solves case 2 on the same data with
// the reference's options, and our --threads N time is printed against it.
// On this VM one process's ratio can differ from the next one's by as much as builds differ, so
// the cases run in PROCESSES fresh processes one after another (--processes, default 3) and the
// verdict takes each case's median ratio over them; every process's figures are printed too.
// Usage: node scripts/bench/threads.bench.mjs [--threads N] [--processes K]
//        (THREADS_BENCH_FRAMES, THREADS_BENCH_ITER, THREADS_BENCH_REPS override the sizes;
//        THREADS_BENCH_CASES=nufft,tfd,toeplitz,xdgrasp picks cases; THREADS_BENCH_BART=0 skips
//        BART, which runs once, in the last process). Prints the load average: figures on a
//        shared machine are provisional.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';
import { bartDims, bartTfdArrays, goldenAngleSpirals, movingDiscs, smoothCoilMaps } from './tfd-case.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, '.bench-data', 'build');
mkdirSync(out, { recursive: true });
const args = process.argv.slice(2);
const THREADS = args.includes('--threads') ? Number(args[args.indexOf('--threads') + 1]) : availableParallelism();
if (!Number.isInteger(THREADS) || THREADS < 2) {
  console.error(`threads.bench: --threads must be a whole number >= 2 (the pool against 1), got ${THREADS}`);
  process.exit(2);
}
const PROCESSES = args.includes('--processes') ? Number(args[args.indexOf('--processes') + 1]) : 3;
if (!Number.isInteger(PROCESSES) || PROCESSES < 1) {
  console.error(`threads.bench: --processes must be a whole number >= 1, got ${PROCESSES}`);
  process.exit(2);
}
const CASES = new Set((process.env.THREADS_BENCH_CASES ?? 'nufft,tfd,toeplitz,xdgrasp').split(','));
for (const c of CASES) {
  if (!['nufft', 'tfd', 'toeplitz', 'xdgrasp'].includes(c)) {
    console.error(`threads.bench: THREADS_BENCH_CASES: unknown case '${c}' (nufft, tfd, toeplitz, xdgrasp)`);
    process.exit(2);
  }
}
const CHILD = process.env.THREADS_BENCH_CHILD === '1';
const median = (a) => { const s = [...a].sort((x, y) => x - y), h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };

// The parent: run the cases in PROCESSES fresh processes, then the medians.
if (!CHILD) {
  const TARGETS = { nufft: 1.7, tfd: 1.7, toeplitz: 1.7, xdgrasp: 1.6 };
  const runs = [];
  console.log(`threads.bench: ${THREADS} threads against 1 in ${PROCESSES} processes; ${availableParallelism()} cores; load average ${loadavg().map((v) => v.toFixed(2)).join(' ')} (figures provisional on a shared machine)`);
  for (let p = 0; p < PROCESSES; p++) {
    console.log(`--- process ${p + 1} of ${PROCESSES}`);
    const last = p === PROCESSES - 1;
    const env = { ...process.env, THREADS_BENCH_CHILD: '1', ...(last ? {} : { THREADS_BENCH_BART: '0' }) };
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--threads', String(THREADS)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    let shown = 0; // echo whole lines as they come, not the machine-readable one
    child.stdout.on('data', (c) => {
      text += c;
      const end = text.lastIndexOf('\n') + 1;
      for (const line of text.slice(shown, end).split('\n').slice(0, -1)) if (!line.startsWith('@rows ')) console.log(line);
      shown = end;
    });
    const code = await new Promise((r) => child.on('close', r));
    if (code !== 0) {
      console.error(`threads.bench: process ${p + 1} failed (exit ${code})`);
      process.exit(1);
    }
    runs.push(JSON.parse(/^@rows (.*)$/m.exec(text)[1]));
  }
  console.log(`--- medians over ${PROCESSES} processes (load average now ${loadavg().map((v) => v.toFixed(2)).join(' ')})`);
  for (const key of Object.keys(TARGETS)) {
    const rs = runs.map((r) => r.find((x) => x.key === key)).filter(Boolean);
    if (rs.length === 0) continue;
    const ratios = rs.map((r) => r.ratio), m = median(ratios);
    console.log(`${rs[0].name}: speed-up median ${m.toFixed(2)}x (per process ${ratios.map((v) => v.toFixed(2)).join(', ')}; machine probe ${rs.map((r) => r.probe.toFixed(2)).join(', ')}); --threads 1 median ${(median(rs.map((r) => r.t1)) / 1000).toFixed(3)} s, --threads ${THREADS} ${(median(rs.map((r) => r.tN)) / 1000).toFixed(3)} s; target ${TARGETS[key]}x ${m >= TARGETS[key] ? 'met' : 'NOT met'}; results ${rs.every((r) => r.identical) ? 'identical' : 'DIFFER'}`);
  }
  process.exit(runs.every((r) => r.every((x) => x.identical)) ? 0 : 1);
}
const N = 256, COILS = 8;
const FRAMES = Number(process.env.THREADS_BENCH_FRAMES ?? 20), ITER = Number(process.env.THREADS_BENCH_ITER ?? 5);
const REPS = Number(process.env.THREADS_BENCH_REPS ?? 5);

// the kernels and their pool worker, bundled beside each other (the pool finds ./recon-worker.js);
// PFFFT and piscina resolved from recon-kernels' dependencies, piscina as an ESM import (its
// "import" entry, not its CommonJS main)
const externals = {
  external: /^(@echogarden\/pffft-wasm|piscina)/,
  resolve: (spec, req) => pathToFileURL(spec === 'piscina' ? join(dirname(req.resolve('piscina')), 'esm-wrapper.mjs') : req.resolve(spec)).href,
};
await bundleSources(join(out, 'recon-worker.js'), { entry: join(root, 'packages/recon-kernels/src/mri/pool-worker/worker.ts') }, externals);
const bundle = await bundleSources(join(out, 'threads-bench.mjs'), {
  contents: [
    "export { getFftEngine } from './packages/recon-kernels/src/fft/index.ts';",
    "export { Nufft } from './packages/recon-kernels/src/nufft/index.ts';",
    "export { solveTvAdmmAsync } from './packages/recon-kernels/src/iterative/index.ts';",
    "export { ParallelSenseNufftOperator, SENSE_NUFFT_DEFAULTS, SenseNufftOperator, estimateDataScale } from './packages/recon-kernels/src/mri/sense/index.ts';",
    "export { closeReconPools, nufftAdjointParallel, reconPool, sharedFloat32 } from './packages/recon-kernels/src/pool/index.ts';",
    "export { Bart } from './packages/spiral-recon/src/bart/index.ts';",
  ],
}, externals);
const K = await import(bundle);
const fft = await K.getFftEngine();
const pool = K.reconPool(THREADS);

const spiral = (k0, arms, ns) => goldenAngleSpirals(N, k0, arms, ns);
function random(n, seed) {
  const a = K.sharedFloat32(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; }
  return a;
}
const maps = smoothCoilMaps(N, COILS);
const same = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
const rows = [];
let probe = NaN;
function report(key, name, t1, tN, identical, extra = '') {
  const ratio = t1 / tN;
  rows.push({ key, name, ratio, t1, tN, identical, probe });
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
  probe = t1 / tN;
  console.log(`machine probe (pure compute split over ${THREADS} worker threads, no numerics): speed-up ${probe.toFixed(2)}x -- the ceiling for the ratios below right now`);
  await Promise.all(ws.map((w) => w.terminate()));
}

// ---- 1. NUFFT adjoint over coils
if (CASES.has('nufft')) {
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
  report('nufft', `NUFFT adjoint ${ARMS}x${NS}x${COILS} -> ${N}x${N} (median of ${REPS})`, median(t1), median(tN), same(ref, got) && same(ref, outN));
  plan.dispose();
}

// ---- 2./3. TV solves through the SENSE operator
async function solveCase(key, name, coords, shape, tv, toeplitz = false) {
  const local1 = new K.SenseNufftOperator(fft, coords, maps, COILS, N, N, { ...K.SENSE_NUFFT_DEFAULTS, toeplitz });
  // a moving disc phantom -> data
  const truth = movingDiscs(coords.length, N);
  const y = new Float32Array(2 * local1.outputLength);
  local1.forward(truth, y);
  const adj = new Float32Array(2 * local1.inputLength);
  local1.adjoint(y, adj);
  const mag = new Float32Array(local1.inputLength);
  for (let i = 0; i < mag.length; i++) mag[i] = Math.hypot(adj[2 * i], adj[2 * i + 1]);
  const scale = K.estimateDataScale(mag);
  const ys = y.map((v) => v / scale);
  const options = { shape: [...shape, N, N], tv, iterations: ITER };
  local1.dispose();
  // Each side builds its operator (the NUFFT plans) inside its timing, as a recon does.
  let t0 = performance.now();
  const op1 = new K.SenseNufftOperator(fft, coords, maps, COILS, N, N, { ...K.SENSE_NUFFT_DEFAULTS, toeplitz });
  const x1 = await K.solveTvAdmmAsync(op1, ys, options);
  const t1 = performance.now() - t0;
  op1.dispose();
  t0 = performance.now();
  // the plans made on the pool, as the recons' nativeSolve does
  const op = await K.ParallelSenseNufftOperator.create(pool, fft, coords, maps, COILS, N, N, { ...K.SENSE_NUFFT_DEFAULTS, sharedHeapBlocks: true, toeplitz });
  // the CG steps' vector work on the pool too, as the recons' nativeSolve runs it
  const xN = await K.solveTvAdmmAsync(op, ys, { ...options, pool });
  const tN = performance.now() - t0;
  op.dispose();
  report(key, name, t1, tN, same(x1, xN), ' (plans included in both)');
  return { y, scale, tN, x: xN };
}

const APF = 8, NS = 1024;
const tfdCoords = Array.from({ length: FRAMES }, (_, f) => spiral(f * APF, APF, NS));
const lambda = 0.0002 * FRAMES;
const tfdName = `TFD ${N}x${N}, ${COILS} coils, ${FRAMES} frames x ${APF} arms x ${NS}, -i ${ITER}`;
const tfd = CASES.has('tfd') ? await solveCase('tfd', tfdName, tfdCoords, [FRAMES], [{ axis: 0, lambda, joint: [0] }]) : null;
const toeplitz = CASES.has('toeplitz') ? await solveCase('toeplitz', `${tfdName}, A^H A by Toeplitz embedding (as rtspiral_bart_tvrecon runs it)`, tfdCoords, [FRAMES], [{ axis: 0, lambda, joint: [0] }], true) : null;

const NR = 4, NC = 3, ARMS_PER_BIN = 16;
const xdCoords = Array.from({ length: NR * NC }, (_, b) => spiral(b * ARMS_PER_BIN, ARMS_PER_BIN, NS));
if (CASES.has('xdgrasp')) await solveCase('xdgrasp', `XD-GRASP ${N}x${N}, ${COILS} coils, ${NR}x${NC} bins x ${ARMS_PER_BIN} arms x ${NS}, -i ${ITER}`, xdCoords, [NR, NC], [{ axis: 0, lambda: 0.0005 }, { axis: 1, lambda: 0.0005 }]);

// ---- BART pics on the TFD case
process.env.OMP_NUM_THREADS = String(THREADS);
let bart = null;
const tfdRun = toeplitz ?? tfd;
if (process.env.THREADS_BENCH_BART === '0') console.log('BART: skipped (THREADS_BENCH_BART=0 or not the last process)');
else if (!tfdRun) console.log('BART: skipped (no TFD case run)');
else {
  try {
    bart = await K.Bart.locate();
  } catch (e) {
    console.log(`BART: not available (${e.message.split(';')[0]}); no BART ratio`);
  }
}
if (bart) {
  const opShape = new K.SenseNufftOperator(fft, tfdCoords, maps, COILS, N, N);
  const { traj, ksp } = bartTfdArrays(tfdCoords, tfdRun.y, opShape.frameOffset, { ns: NS, apf: APF, coils: COILS });
  opShape.dispose();
  const dims = (lead) => bartDims(lead, FRAMES);
  const t0 = performance.now();
  const [ref] = await bart.run(`pics -m -w ${tfdRun.scale} -e -S -R T:1024:1024:${lambda} -i ${ITER} -t`, [
    { dims: dims([3, NS, APF]), data: traj }, { dims: dims([1, NS, APF, COILS]), data: ksp }, { dims: [N, N, 1, COILS], data: maps },
  ], 1);
  const tBart = performance.now() - t0;
  let e = 0, s = 0;
  for (let i = 0; i < tfdRun.x.length; i++) { e += (tfdRun.x[i] * tfdRun.scale - ref.data[i]) ** 2; s += ref.data[i] ** 2; }
  console.log(`BART ${bart.version.text} pics (TFD case, OMP_NUM_THREADS=${THREADS}, the reference's options, CPU): ${(tBart / 1000).toFixed(2)} s wall incl. .cfl I/O; ours (${tfdRun === toeplitz ? 'Toeplitz' : 'NUFFT pair'}) --threads ${THREADS} / BART = ${(tfdRun.tN / tBart).toFixed(2)}; image NRMSE ours vs BART ${(100 * Math.sqrt(e / s)).toFixed(2)} %`);
}
console.log(`load average at the end of this process ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log(`@rows ${JSON.stringify(rows)}`);
await K.closeReconPools();
