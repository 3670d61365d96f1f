#!/usr/bin/env node
// The first magnitude combination with coil maps of a session (256^2, 8 coils, on a fresh frame
// pool of one thread plus this thread, as simplenufft1arm's at --threads 2) against the later
// ones: cold (the kernels never run in either thread: how the first frame with the adaptive maps
// ran before) and after warmMagnitudeCombine (what the session now does at set-up). Each trial is
// a fresh process (fresh threads, nothing compiled), cold and warm alternating; wall time and
// process CPU (all threads) of the 1st and of the 2nd-4th calls.
// Usage: node scripts/bench/cold-combination.bench.mjs [--trials N]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const self = fileURLToPath(import.meta.url);
const trialAt = process.argv.indexOf('--trial');
if (trialAt > 0) {
  // one trial: `cold` or `warm`; prints JSON [[wall, cpu] per call]
  const bundle = join(root, 'packages/recon-kernels/dist/bench-cold-combination.mjs');
  const { combineMagnitudeOnPool, warmMagnitudeCombine, ReconPool, sharedFloat32 } = await import(bundle);
  const nc = 8, npix = 65536;
  const images = sharedFloat32(2 * nc * npix);
  for (let i = 0; i < images.length; i++) images[i] = Math.sin(i);
  const maps = new Float64Array(new SharedArrayBuffer(16 * nc * npix));
  for (let i = 0; i < maps.length; i++) maps[i] = Math.cos(i);
  const out = sharedFloat32(npix);
  const pool = new ReconPool(1, undefined, { immediateHandOut: true });
  pool.start();
  // the thread booted and running a first (tiny) task, as in a session before its frames
  await combineMagnitudeOnPool(pool, sharedFloat32(2 * nc * 16), null, nc, 16, sharedFloat32(16));
  if (process.argv[trialAt + 1] === 'warm') await warmMagnitudeCombine(pool, nc);
  const calls = [];
  for (let k = 0; k < 4; k++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    await combineMagnitudeOnPool(pool, images, maps, nc, npix, out);
    const c = process.cpuUsage(c0);
    calls.push([performance.now() - t0, (c.user + c.system) / 1000]);
  }
  await pool.close();
  console.log(JSON.stringify(calls));
  process.exit(0);
}
const trialsAt = process.argv.indexOf('--trials');
const trials = trialsAt > 0 ? Number(process.argv[trialsAt + 1]) : 4;
if (!(Number.isInteger(trials) && trials >= 1)) throw new Error(`--trials must be a whole number >= 1, got ${process.argv[trialsAt + 1]}`);
// beside recon-kernels' dist (its recon-worker.js and node_modules: piscina)
await bundleSources(join(root, 'packages/recon-kernels/dist/bench-cold-combination.mjs'), {
  contents: "export { combineMagnitudeOnPool, warmMagnitudeCombine } from './packages/recon-kernels/src/mri/coil-combine/parallel-magnitude.ts'; export { ReconPool, sharedFloat32 } from './packages/recon-kernels/src/pool/index.ts';",
}, { external: /^(@echogarden\/pffft-wasm|piscina)/, from: null });
const results = { cold: [], warm: [] };
for (let t = 0; t < trials; t++) {
  for (const kind of t % 2 === 0 ? ['cold', 'warm'] : ['warm', 'cold']) {
    const r = spawnSync(process.execPath, [self, '--trial', kind], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    results[kind].push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor((s.length - 1) / 2)]; };
const f = (x) => x.toFixed(1);
console.log(`(1-min load average ${loadavg()[0].toFixed(1)}; ${trials} fresh processes each, alternating; medians)`);
const row = {};
for (const kind of ['cold', 'warm']) {
  const first = results[kind].map((c) => c[0]), later = results[kind].flatMap((c) => c.slice(1));
  row[kind] = { wall: med(first.map((x) => x[0])), cpu: med(first.map((x) => x[1])) };
  console.log(`  ${kind.padEnd(5)} 1st combination with maps: wall ${f(row[kind].wall)} ms, process CPU ${f(row[kind].cpu)} ms; 2nd-4th: wall ${f(med(later.map((x) => x[0])))} ms, CPU ${f(med(later.map((x) => x[1])))} ms`);
}
console.log(`  1st combination, cold / warm: wall ${(row.cold.wall / row.warm.wall).toFixed(2)} x, CPU ${(row.cold.cpu / row.warm.cpu).toFixed(2)} x`);
