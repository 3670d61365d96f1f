#!/usr/bin/env node
// DICOM <-> MRD conversion time: `dicom2mrd` and `mrd2dicom` (packages/*/dist, built by
// `pnpm bench`) on a folder of 1,000 generated 256 x 256 16-bit MR images (10 slices x 100
// cardiac phases, one series), against the same work done with pydicom + numpy + h5py
// (scripts/bench/dicom_peer.py: the reference dicom2mrd.py / mrd2dicom.py steps without
// ismrmrd-python, which Debian does not package). Same run, same inputs: both tools read the same
// DICOM folder, and both mrd2dicom runs read the MRD file our dicom2mrd wrote.
//
// Input: .bench-data/dicom-1000/ (~130 MB), written once by our mrd2dicom library from a
// Shepp-Logan phantom. Wall time of each whole process, best of 3, interleaved run by run.
// Usage: node scripts/bench/dicom.bench.mjs
// Our Node CLIs run without NODE_EXTRA_CA_CERTS (each Node start would parse that bundle; they open
// no TLS connection); the variable's cost per process start is printed in the same run (node-env.mjs).
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { caCertLines, caCertStartCost, toolEnv } from './node-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data');
mkdirSync(dataDir, { recursive: true });
const d2m = join(root, 'packages/dicom2mrd/dist/cli.js');
const m2d = join(root, 'packages/mrd2dicom/dist/cli.js');
for (const cli of [d2m, m2d]) {
  if (!existsSync(cli)) {
    console.error(`dicom bench: ${cli} is missing; run \`node scripts/build.mjs\` (pnpm bench does)`);
    process.exit(1);
  }
}
const RUNS = 3;
const COUNT = 1000;
const N = 256;
const input = join(dataDir, 'dicom-1000');

if (!existsSync(input) || readdirSync(input).length !== COUNT) {
  rmSync(input, { recursive: true, force: true });
  const entry = join(dataDir, 'dicom-bench-input.ts');
  const src = (p) => JSON.stringify(join(root, p));
  writeFileSync(entry, `
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyImageHeader } from ${src('packages/mrd-core/src/headers/index.ts')};
import { MetaAttributes } from ${src('packages/mrd-core/src/meta/index.ts')};
import { sheppLoganPhantom } from ${src('packages/phantom-gen/src/phantom/index.ts')};
import { mrdImagesToDicom } from ${src('packages/mrd2dicom/src/mrd2dicom.ts')};
export function write(dir: string, count: number, n: number): void {
  mkdirSync(dir, { recursive: true });
  const ph = sheppLoganPhantom(n);
  const attribute = new MetaAttributes({ SeriesDescription: 'BENCH', WindowCenter: '2048', WindowWidth: '4096' }).serialize();
  const images = [];
  for (let k = 0; k < count; k++) {
    const slice = k % 10, phase = Math.floor(k / 10);
    const head = emptyImageHeader();
    head.data_type = 1; head.matrix_size = [n, n, 1]; head.channels = 1;
    head.field_of_view = [300, 300, 6]; head.position = [0, 0, slice * 6 - 30];
    head.read_dir = [1, 0, 0]; head.phase_dir = [0, 1, 0]; head.slice_dir = [0, 0, 1];
    head.acquisition_time_stamp = 36000 * 400 + k * 20; head.physiology_time_stamp = [phase * 8, 0, 0];
    head.image_type = 1; head.image_index = k + 1; head.image_series_index = 0; head.slice = slice; head.phase = phase;
    const data = new Uint16Array(n * n);
    for (let i = 0; i < data.length; i++) data[i] = Math.round(4000 * (ph[i] ?? 0) * (1 + 0.3 * Math.sin(phase / 8))) + ((i * 7 + k) % 13);
    images.push({ head, attribute, data });
  }
  for (const f of mrdImagesToDicom(undefined, [{ name: 'image_0', images }])) writeFileSync(join(dir, f.fileName), f.bytes);
}
`);
  const out = join(dataDir, 'dicom-bench-input.mjs');
  await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  const { write } = await import(pathToFileURL(out).href);
  write(input, COUNT, N);
}

function findPython() {
  for (const p of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(p, ['-c', 'import pydicom, numpy, h5py'], { encoding: 'utf8' });
    if (r.status === 0) return p;
  }
  return undefined;
}
const python = findPython();
const peer = join(root, 'scripts/bench/dicom_peer.py');

function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  // our CLIs (node) without NODE_EXTRA_CA_CERTS (node-env.mjs); the Python peer as given
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, env: cmd === process.execPath ? toolEnv() : process.env });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 && r.status !== 2) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return s;
}

const ours = { d2m: Infinity, m2d: Infinity };
const theirs = { d2m: Infinity, m2d: Infinity };
const work = join(dataDir, 'dicom-bench-out');
for (let run = 0; run < RUNS; run++) {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const h5 = join(work, 'ours.h5');
  ours.d2m = Math.min(ours.d2m, time(process.execPath, [d2m, input, '-o', h5, '-q']));
  if (python) theirs.d2m = Math.min(theirs.d2m, time(python, [peer, 'to-mrd', input, join(work, 'peer.h5')]));
  ours.m2d = Math.min(ours.m2d, time(process.execPath, [m2d, h5, '-o', join(work, 'ours-dicom'), '-q']));
  if (python) theirs.m2d = Math.min(theirs.m2d, time(python, [peer, 'to-dicom', h5, join(work, 'peer-dicom')]));
}
rmSync(work, { recursive: true, force: true });

const fmt = (s) => `${s.toFixed(2)} s (${(COUNT / s).toFixed(0)} images/s)`;
for (const l of caCertLines(caCertStartCost(5), { peers: 'the Python peer keeps its environment' })) console.log(l);
console.log(`dicom2mrd, ${COUNT} DICOM files of ${N}x${N} -> MRD: ours ${fmt(ours.d2m)}` + (python ? `; pydicom+h5py ${fmt(theirs.d2m)}; ratio ours/peer ${(ours.d2m / theirs.d2m).toFixed(2)}` : '; peer missing (python3 with pydicom, numpy, h5py): ours only'));
console.log(`mrd2dicom, MRD -> ${COUNT} DICOM files: ours ${fmt(ours.m2d)}` + (python ? `; pydicom+h5py ${fmt(theirs.m2d)}; ratio ours/peer ${(ours.m2d / theirs.m2d).toFixed(2)}` : '; peer missing: ours only'));
