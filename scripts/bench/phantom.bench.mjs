#!/usr/bin/env node
// Raw-data generation time: `mrd-phantom -m 256 -c 16 -r 10` (packages/phantom-gen/dist, built
// by `pnpm bench`) against the ISMRMRD C++ tool `ismrmrd_generate_cartesian_shepp_logan` with
// the same options, in the same run. Both write ~170-190 MB into .bench-data/ (the files are
// removed before every run: the C++ tool appends to an existing file).
//
// Wall time of the whole process (start-up, phantom, FFT, noise, HDF5 writing), best of 3 runs,
// the two tools interleaved run by run so a shared machine's load affects both alike. Also
// prints the default dataset (256, 8 coils) time of ours, and ours with `--threads 1` against the
// default thread count (the cores: repetitions and coils on the worker pool), interleaved run by
// run, with the load average. Usage: node scripts/bench/phantom.bench.mjs
// Our Node CLIs run without NODE_EXTRA_CA_CERTS (each Node start would parse that bundle; they open
// no TLS connection); the variable's cost per process start is printed in the same run (node-env.mjs).
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caCertLines, caCertStartCost, toolEnv } from './node-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data');
mkdirSync(dataDir, { recursive: true });
const cli = join(root, 'packages/phantom-gen/dist/cli.js');
if (!existsSync(cli)) {
  console.error(`phantom bench: ${cli} is missing; run \`node scripts/build.mjs\` (pnpm bench does)`);
  process.exit(1);
}
const RUNS = 3;
const haveCpp = !spawnSync('ismrmrd_generate_cartesian_shepp_logan', ['--help']).error;

function timed(cmd, args, out) {
  rmSync(out, { force: true });
  const t0 = process.hrtime.bigint();
  // our CLI (node) without NODE_EXTRA_CA_CERTS (node-env.mjs); the C++ peer as given
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], env: cmd === process.execPath ? toolEnv() : process.env });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return { s, bytes: statSync(out).size };
}

const oursOut = join(dataDir, 'phantom_ours_m256_c16_r10.h5');
const cppOut = join(dataDir, 'phantom_cpp_m256_c16_r10.h5');
const opts = ['-m', '256', '-c', '16', '-r', '10'];
let ours = Infinity;
let oursSingle = Infinity;
let cpp = Infinity;
let oursBytes = 0;
let cppBytes = 0;
for (let i = 0; i < RUNS; i++) {
  const a = timed(process.execPath, [cli, ...opts, '-o', oursOut, '--seed', '1', '-q'], oursOut);
  ours = Math.min(ours, a.s);
  oursBytes = a.bytes;
  oursSingle = Math.min(oursSingle, timed(process.execPath, [cli, ...opts, '-o', oursOut, '--seed', '1', '-q', '--threads', '1'], oursOut).s);
  if (haveCpp) {
    const b = timed('ismrmrd_generate_cartesian_shepp_logan', [...opts, '-o', cppOut], cppOut);
    cpp = Math.min(cpp, b.s);
    cppBytes = b.bytes;
  }
}
let dflt = Infinity;
const dfltOut = join(dataDir, 'phantom_ours_default.h5');
for (let i = 0; i < RUNS; i++) dflt = Math.min(dflt, timed(process.execPath, [cli, '-o', dfltOut, '--seed', '1', '-q'], dfltOut).s);
for (const f of [oursOut, cppOut, dfltOut]) rmSync(f, { force: true });

const mb = (b) => (b / 1e6).toFixed(0);
for (const l of caCertLines(caCertStartCost(5), { peers: 'the C++ peer keeps its environment' })) console.log(l);
console.log(`phantom -m 256 -c 16 -r 10 (2592 readouts, best of ${RUNS}, wall time incl. start-up and writing; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}):`);
console.log(`  mrd-phantom (--threads ${availableParallelism()}, the default) ${ours.toFixed(3)} s  (${mb(oursBytes)} MB file)`);
console.log(`  mrd-phantom --threads 1                ${oursSingle.toFixed(3)} s`);
console.log(`  ratio --threads 1 / default: ${(oursSingle / ours).toFixed(2)} (above 1 = the pool is faster)`);
if (haveCpp) {
  console.log(`  ismrmrd_generate_cartesian_shepp_logan ${cpp.toFixed(3)} s  (${mb(cppBytes)} MB file: no noise readouts, plus phantom/csm/coil_images arrays)`);
  console.log(`  ratio ours/C++: ${(ours / cpp).toFixed(2)} (below 1 = faster than the C++ tool)`);
} else {
  console.log('  ismrmrd_generate_cartesian_shepp_logan: not installed (Debian ismrmrd-tools); ours only');
}
console.log(`phantom default (-m 256 -c 8, 288 readouts): mrd-phantom ${dflt.toFixed(3)} s`);
