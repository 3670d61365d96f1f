#!/usr/bin/env node
// Adjoint NUFFT (gridding) of 405 radial-like arms x 512 samples x 8 coils onto 256 x 256:
// mrd-core's Nufft (SigPy conventions: oversampling 1.25, width 4; single thread) against
// `bart nufft -a` (Debian bart) on the same trajectory and data, in the same run.
//
// Ours: plan time (tap precomputation, once per trajectory) and adjoint time, best and median of
// RUNS warm runs in process. BART: wall time of the `bart nufft -a -d 256:256:1` process, best and
// median of RUNS runs (its plan is made inside every call; the .cfl files are on tmpfs-like
// .bench-data and are read in the timed call). BART uses all cores (OpenMP); ours uses one.
// Usage: node scripts/bench/nufft.bench.mjs
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data', 'nufft');
mkdirSync(dataDir, { recursive: true });
const RUNS = 5;
const ARMS = 405, NS = 512, COILS = 8, N = 256;

const bundle = await bundleSources(join(root, '.bench-data', 'build', 'nufft.mjs'), { entry: join(root, 'packages/recon-kernels/src/nufft/index.ts') });
const { Nufft } = await import(bundle);

// radial-like golden-angle arms through the centre, grid units (-N/2 .. N/2)
const coord = new Float64Array(2 * ARMS * NS);
const ga = Math.PI * (3 - Math.sqrt(5));
for (let a = 0; a < ARMS; a++) {
  const c = Math.cos(a * ga), s = Math.sin(a * ga);
  for (let i = 0; i < NS; i++) {
    const r = ((i - NS / 2) / NS) * N;
    coord[2 * (a * NS + i)] = r * c;
    coord[2 * (a * NS + i) + 1] = r * s;
  }
}
const data = new Float32Array(2 * COILS * ARMS * NS);
let seed = 1;
for (let i = 0; i < data.length; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; data[i] = seed / 2147483648 - 0.5; }

const stats = (t) => { t.sort((a, b) => a - b); return { best: t[0], median: t[t.length >> 1] }; };
const fmt = (r) => `best ${r.best.toFixed(1).padStart(7)} ms, median ${r.median.toFixed(1).padStart(7)} ms`;

const tPlan = [];
let plan;
for (let r = 0; r < RUNS; r++) {
  const t0 = performance.now();
  const p = await Nufft.create(coord, [N, N]);
  tPlan.push(performance.now() - t0);
  if (plan) p.dispose(); else plan = p;
}
const out = new Float32Array(2 * COILS * N * N);
plan.adjoint(data, COILS, out);
const tAdj = [];
for (let r = 0; r < RUNS; r++) { const t0 = performance.now(); plan.adjoint(data, COILS, out); tAdj.push(performance.now() - t0); }
const ours = stats(tAdj), oursPlan = stats(tPlan);
const kOut = new Float32Array(2 * COILS * ARMS * NS);
plan.forward(out, COILS, kOut);
const tFwd = [];
for (let r = 0; r < RUNS; r++) { const t0 = performance.now(); plan.forward(out, COILS, kOut); tFwd.push(performance.now() - t0); }
const oursFwd = stats(tFwd);
console.log(`nufft adjoint ${ARMS} arms x ${NS} samples x ${COILS} coils -> ${N}x${N}`);
console.log(`  ours (mrd-core Nufft, 1 thread): adjoint ${fmt(ours)}; plan ${fmt(oursPlan)}; plan + adjoint best ${(ours.best + oursPlan.best).toFixed(1)} ms; forward ${fmt(oursFwd)}`);

// BART
const bart = spawnSync('bart', ['version'], { encoding: 'utf8' });
if (bart.status !== 0) {
  console.log('  bart: not installed (apt-get install bart); ours only');
} else {
  const writeCfl = (name, dims, f32) => {
    writeFileSync(join(dataDir, `${name}.hdr`), `# Dimensions\n${dims.join(' ')}\n`);
    writeFileSync(join(dataDir, `${name}.cfl`), Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength));
  };
  // traj [3, NS, ARMS]: (x, y, z); BART's first image axis is our rows axis
  const traj = new Float32Array(2 * 3 * NS * ARMS);
  for (let a = 0; a < ARMS; a++) for (let i = 0; i < NS; i++) {
    const p = a * NS + i;
    traj[2 * (3 * p)] = coord[2 * p];
    traj[2 * (3 * p + 1)] = coord[2 * p + 1];
  }
  writeCfl('traj', [3, NS, ARMS], traj);
  // ksp [1, NS, ARMS, COILS]
  writeCfl('ksp', [1, NS, ARMS, COILS], data);
  const tb = [];
  for (let r = 0; r < RUNS + 1; r++) {
    const t0 = performance.now();
    const res = spawnSync('bart', ['nufft', '-a', '-d', `${N}:${N}:1`, join(dataDir, 'traj'), join(dataDir, 'ksp'), join(dataDir, 'img')], { encoding: 'utf8' });
    const dt = performance.now() - t0;
    if (res.status !== 0) { console.log(`  bart nufft failed: ${res.stderr}`); break; }
    if (r > 0) tb.push(dt);
  }
  if (tb.length) {
    const b = stats(tb);
    console.log(`  bart ${bart.stdout.trim()} nufft -a (process wall time, all cores): ${fmt(b)}`);
    console.log(`  ratio ours adjoint / bart: ${(ours.best / b.best).toFixed(3)} (best), ${(ours.median / b.median).toFixed(3)} (median); ours plan + adjoint / bart: ${((ours.best + oursPlan.best) / b.best).toFixed(3)}`);
    // same result up to BART's scaling: BART's images are column-major (its first axis, our rows, runs fastest)
    const img = new Float32Array(readFileSync(join(dataDir, 'img.cfl')).buffer.slice(0));
    let ab = 0, abi = 0, aa = 0, bb = 0;
    for (let r = 0; r < N; r++) for (let c = 0; c < N; c++) {
      const i = r * N + c, j = c * N + r;
      const ar = out[2 * i], ai = out[2 * i + 1], br = img[2 * j], bi = img[2 * j + 1];
      ab += ar * br + ai * bi; abi += ai * br - ar * bi; aa += ar * ar + ai * ai; bb += br * br + bi * bi;
    }
    ab = Math.hypot(ab, abi);
    console.log(`  agreement with bart (coil 0, |<ours, bart>| / norms): ${(Math.abs(ab) / Math.sqrt(aa * bb)).toFixed(4)}`);
    // forward: bart nufft (image [256, 256, 1, 8] column-major) -> k-space
    const imgCm = new Float32Array(2 * COILS * N * N);
    for (let c = 0; c < COILS; c++) for (let r = 0; r < N; r++) for (let q = 0; q < N; q++) {
      const i = c * N * N + r * N + q, j = c * N * N + q * N + r;
      imgCm[2 * j] = out[2 * i]; imgCm[2 * j + 1] = out[2 * i + 1];
    }
    writeCfl('imgin', [N, N, 1, COILS], imgCm);
    const tf = [];
    for (let r = 0; r < RUNS + 1; r++) {
      const t0 = performance.now();
      const res = spawnSync('bart', ['nufft', join(dataDir, 'traj'), join(dataDir, 'imgin'), join(dataDir, 'kout')], { encoding: 'utf8' });
      const dt = performance.now() - t0;
      if (res.status !== 0) { console.log(`  bart nufft (forward) failed: ${res.stderr}`); break; }
      if (r > 0) tf.push(dt);
    }
    if (tf.length) {
      const bf = stats(tf);
      console.log(`  bart nufft (forward, process wall time): ${fmt(bf)}; ratio ours forward / bart: ${(oursFwd.best / bf.best).toFixed(3)} (best)`);
    }
  }
}
