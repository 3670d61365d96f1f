#!/usr/bin/env node
// HDF5 read throughput: mrd-core's MrdFile vs python3-h5py (bulk read of the whole acquisition
// dataset) vs the ISMRMRD C++ library (`ismrmrd_read_timing_test`, which reads every
// acquisition through ISMRMRD::Dataset::readAcquisition), on the same raw files, in one run.
//
// Data (generated once into .bench-data/, reused while present):
//   - raw_m256_c32_r6.h5 (~250 MB): 1536 acquisitions of 32 coils x 512 samples (128 KB each);
//   - raw_m128_c8_r80.h5 (~175 MB): 10240 acquisitions of 8 coils x 256 samples (16 KB each);
//   - raw_m128_c8_r80.mrdwriter.h5: the same acquisitions rewritten by mrd-core's MrdWriter;
// the first two written by the C++ `ismrmrd_generate_cartesian_shepp_logan` (or by h5py with the same
// ISMRMRD layout when the C++ tools are missing).
//
// Ours is timed twice: the default (every batch in new memory, kept as long as referenced) and
// `reuseBuffer` (one payload buffer re-filled batch after batch, as ismrmrd_read_timing_test
// re-fills one ISMRMRD::Acquisition).
//
// Throughput is bytes of acquisition payload (340-byte header + data + traj floats) per second
// of wall time, best of 5 runs for every reader, the readers interleaved run by run (on a shared
// machine the load changes between runs; interleaving keeps the ratios fair). Usage: node scripts/bench/hdf5-read.bench.mjs
import { build } from 'esbuild';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data');
mkdirSync(dataDir, { recursive: true });
const RUNS = 5;

function have(cmd, args = ['--help']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return !r.error;
}

function findPythonWithH5py() {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import h5py, numpy'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return py;
  }
  return undefined;
}

const python = findPythonWithH5py();
const cppGenerate = have('ismrmrd_generate_cartesian_shepp_logan');
const cppRead = have('ismrmrd_read_timing_test', []);

// h5py writer for when the C++ generator is absent: the ISMRMRD acquisition type (as
// ismrmrd-python), random data of the same shape as the generator's.
const H5PY_WRITE = String.raw`
import sys, numpy as np, h5py
fn, m, c, r = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ec = np.dtype([('kspace_encode_step_1','<u2'),('kspace_encode_step_2','<u2'),('average','<u2'),('slice','<u2'),('contrast','<u2'),('phase','<u2'),('repetition','<u2'),('set','<u2'),('segment','<u2'),('user','<u2',(8,))])
ah = np.dtype([('version','<u2'),('flags','<u8'),('measurement_uid','<u4'),('scan_counter','<u4'),('acquisition_time_stamp','<u4'),('physiology_time_stamp','<u4',(3,)),('number_of_samples','<u2'),('available_channels','<u2'),('active_channels','<u2'),('channel_mask','<u8',(16,)),('discard_pre','<u2'),('discard_post','<u2'),('center_sample','<u2'),('encoding_space_ref','<u2'),('trajectory_dimensions','<u2'),('sample_time_us','<f4'),('position','<f4',(3,)),('read_dir','<f4',(3,)),('phase_dir','<f4',(3,)),('slice_dir','<f4',(3,)),('patient_table_position','<f4',(3,)),('idx',ec),('user_int','<i4',(8,)),('user_float','<f4',(8,))])
vf = h5py.vlen_dtype(np.dtype('<f4'))
acq = np.dtype([('head', ah), ('traj', vf), ('data', vf)])
n = m * r
f = h5py.File(fn, 'w')
g = f.create_group('dataset')
g.create_dataset('xml', data=np.array([b'<ismrmrdHeader/>'], dtype=h5py.string_dtype('ascii')))
d = g.create_dataset('data', (n,), maxshape=(None,), dtype=acq, chunks=(1,))
rng = np.random.default_rng(1)
for i0 in range(0, n, 256):
    k = min(256, n - i0)
    rec = np.zeros(k, dtype=acq)
    for j in range(k):
        rec[j]['head']['version'] = 1
        rec[j]['head']['number_of_samples'] = 2 * m
        rec[j]['head']['active_channels'] = c
        rec[j]['head']['available_channels'] = c
        rec[j]['head']['idx']['kspace_encode_step_1'] = (i0 + j) % m
        rec[j]['traj'] = np.zeros(0, dtype='<f4')
        rec[j]['data'] = rng.standard_normal(2 * c * 2 * m).astype('<f4')
    d[i0:i0 + k] = rec
f.close()
`;

const H5PY_READ = String.raw`
import sys, time, h5py, numpy as np
fn, runs = sys.argv[1], int(sys.argv[2])
best = None
for _ in range(runs):
    t = time.perf_counter()
    with h5py.File(fn, 'r') as f:
        d = f['dataset/data'][:]
    dt = time.perf_counter() - t
    best = dt if best is None or dt < best else best
nbytes = 340 * len(d) + sum(x.nbytes for x in d['data']) + sum(x.nbytes for x in d['traj'])
print(best, nbytes)
`;

function ensureFile(name, m, c, r) {
  const file = join(dataDir, name);
  if (existsSync(file) && statSync(file).size > 100e6) return file;
  if (cppGenerate) {
    console.log(`generating ${name} with ismrmrd_generate_cartesian_shepp_logan -m ${m} -c ${c} -r ${r} ...`);
    const g = spawnSync('ismrmrd_generate_cartesian_shepp_logan', ['-m', String(m), '-c', String(c), '-r', String(r), '-o', file], { encoding: 'utf8' });
    if (g.status !== 0) throw new Error(`ismrmrd_generate_cartesian_shepp_logan failed: ${g.stderr}`);
  } else if (python) {
    console.log(`generating ${name} with h5py (C++ generator not installed) ...`);
    const g = spawnSync(python, ['-c', H5PY_WRITE, file, String(m), String(c), String(r)], { encoding: 'utf8' });
    if (g.status !== 0) throw new Error(`h5py writer failed: ${g.stderr}`);
  } else {
    return undefined;
  }
  return file;
}

// Our reader (and writer, for the third file), bundled from mrd-core source (h5wasm included)
// into .bench-data/build.
async function bundle(entry, name) {
  const out = join(dataDir, 'build', name);
  await build({
    entryPoints: [join(root, entry)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return import(pathToFileURL(out).href);
}
const { MrdFile } = await bundle('packages/mrd-core/src/hdf5/reader/index.ts', 'hdf5-reader.mjs');
const writerEntry = 'packages/mrd-core/src/hdf5/writer/index.ts';
const { MrdWriter } = existsSync(join(root, writerEntry)) ? await bundle(writerEntry, 'hdf5-writer.mjs') : {};

// The second file rewritten by mrd-core's MrdWriter (multi-row chunks, its own heap layout):
// our reader, h5py and the C++ library on a file this project wrote.
async function ensureRewritten(src, name) {
  const file = join(dataDir, name);
  if (existsSync(file) && statSync(file).size > 100e6) return file;
  console.log(`writing ${name} with mrd-core MrdWriter from ${src.split('/').pop()} ...`);
  const r = await MrdFile.open(src);
  const w = await MrdWriter.create(file, { group: 'dataset', overwrite: true });
  await w.writeHeader(r.readHeader('dataset') ?? '');
  for await (const batch of r.acquisitionBatches('dataset')) await w.appendAcquisitions(batch);
  await w.close();
  r.close();
  return file;
}

async function oursOnce(file, reuseBuffer = false) {
  const t = performance.now();
  const f = await MrdFile.open(file);
  let bytes = 0;
  for await (const batch of f.acquisitionBatches('dataset', { reuseBuffer })) {
    for (const a of batch) bytes += 340 + 4 * (a.data.length + a.traj.length);
  }
  f.close();
  return { seconds: (performance.now() - t) / 1000, bytes };
}

function cppOnce(file) {
  const r = spawnSync('ismrmrd_read_timing_test', [file], { encoding: 'utf8' });
  const m = /READ TIMER:\s*([\d.]+)\s*ms/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`ismrmrd_read_timing_test failed: ${r.stdout}${r.stderr}`);
  return { seconds: Number(m[1]) / 1000 };
}

function h5pyOnce(file) {
  const r = spawnSync(python, ['-c', H5PY_READ, file, '1'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`h5py read failed: ${r.stderr}`);
  const [s, b] = r.stdout.trim().split(/\s+/).map(Number);
  return { seconds: s, bytes: b };
}

/** Best of RUNS for each reader, the readers interleaved run by run (the machine is shared). */
async function measure(file) {
  const best = (a, b) => (a === undefined || b.seconds < a.seconds ? b : a);
  let o, or, cp, hp;
  for (let run = 0; run < RUNS; run++) {
    o = best(o, await oursOnce(file));
    or = best(or, await oursOnce(file, true));
    if (cppRead) cp = best(cp, cppOnce(file));
    if (python) hp = best(hp, h5pyOnce(file));
  }
  return { o, or, cp, hp };
}

const mbps = (bytes, s) => bytes / 1e6 / s;
const fmt = (x) => x.toFixed(0).padStart(6);

if (!cppRead) console.log('ismrmrd_read_timing_test (ismrmrd-tools) not installed: no C++ figure');
if (!python) console.log('python3 with h5py not installed: no h5py figure');

let worstVsCpp = Infinity;
let worstDefaultVsCpp = Infinity;
const cases = [['raw_m256_c32_r6.h5', 256, 32, 6], ['raw_m128_c8_r80.h5', 128, 8, 80]];
if (MrdWriter) cases.push(['raw_m128_c8_r80.mrdwriter.h5', 128, 8, 80, 'raw_m128_c8_r80.h5']);
for (const [name, m, c, r, rewriteOf] of cases) {
  const src = rewriteOf ? ensureFile(rewriteOf, m, c, r) : undefined;
  const file = rewriteOf ? src && (await ensureRewritten(src, name)) : ensureFile(name, m, c, r);
  if (!file) {
    console.log(`${name}: no way to generate it (neither ismrmrd-tools nor h5py installed); skipped`);
    continue;
  }
  const size = statSync(file).size;
  const { o, or, cp, hp } = await measure(file);
  if (hp && hp.bytes !== o.bytes) console.log(`  warning: h5py counted ${hp.bytes} payload bytes, we counted ${o.bytes}`);
  console.log(`\n${name}: file ${(size / 1e6).toFixed(0)} MB, acquisition payload ${(o.bytes / 1e6).toFixed(0)} MB`);
  const ourRate = mbps(o.bytes, o.seconds);
  const reuseRate = mbps(o.bytes, or.seconds);
  console.log(`  mrd-core MrdFile (new arrays per batch, default) ${fmt(ourRate)} MB/s  (${(o.seconds * 1000).toFixed(0)} ms)`);
  console.log(`  mrd-core MrdFile reuseBuffer (one buffer)        ${fmt(reuseRate)} MB/s  (${(or.seconds * 1000).toFixed(0)} ms)`);
  if (cp) {
    const rate = mbps(o.bytes, cp.seconds);
    worstVsCpp = Math.min(worstVsCpp, reuseRate / rate);
    worstDefaultVsCpp = Math.min(worstDefaultVsCpp, ourRate / rate);
    console.log(`  C++ ismrmrd_read_timing_test                     ${fmt(rate)} MB/s  (${(cp.seconds * 1000).toFixed(0)} ms)   ours/C++ = ${(ourRate / rate).toFixed(2)} default, ${(reuseRate / rate).toFixed(2)} reuseBuffer`);
  }
  if (hp) {
    const rate = mbps(o.bytes, hp.seconds);
    console.log(`  h5py bulk [:] read                               ${fmt(rate)} MB/s  (${(hp.seconds * 1000).toFixed(0)} ms)   ours/h5py = ${(ourRate / rate).toFixed(2)} default, ${(reuseRate / rate).toFixed(2)} reuseBuffer`);
  }
}
if (Number.isFinite(worstVsCpp)) {
  // the C++ test re-fills one Acquisition object: reuseBuffer is the like-for-like mode
  console.log(`\ntarget: reading at least as fast as the C++ library: ${worstVsCpp >= 1 ? 'met' : 'NOT met'} (worst ratio ${worstVsCpp.toFixed(2)} with reuseBuffer, like the C++ test re-filling one Acquisition; ${worstDefaultVsCpp.toFixed(2)} with new arrays per batch)`);
}
