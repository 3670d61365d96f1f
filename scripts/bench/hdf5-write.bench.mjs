#!/usr/bin/env node
// HDF5 write throughput: mrd-core's MrdWriter vs python3-h5py writing the same acquisitions into
// the same ISMRMRD layout, in one run.
//
// Cases (the acquisition payload is generated once, deterministically, into .bench-data/ so that
// both writers write the very same bytes; each writer's file is deleted after its run):
//   - m128_c8_r80: 10240 acquisitions of 8 coils x 256 samples (16 KB each), ~168 MB;
//   - m256_c32_r6:  1536 acquisitions of 32 coils x 512 samples (128 KB each), ~201 MB.
// Ours: MrdWriter.create, appendAcquisitions in batches of 64, close (default checkpoints every
// 0.5 s stay on). h5py, two ways, the payload loaded into memory and the numpy records built
// before timing: its fastest path, bulk assignment of 256-record arrays into a chunked dataset of
// the ISMRMRD compound type (chunks of 704 records, about ours); and one acquisition at a time
// (resize by one, assign the row, chunks of 1) as ismrmrd-python's append_acquisition does. The ISMRMRD C++ tools have no write-timing program
// (ismrmrd_generate_cartesian_shepp_logan is dominated by the phantom and FFT), so there is no C++
// figure.
//
// Throughput is bytes of acquisition payload (340-byte header + data + traj floats) per second of
// wall time, until the file is closed (in the page cache, no fsync), best of 3 runs, the writers
// interleaved run by run. Usage: node scripts/bench/hdf5-write.bench.mjs
import { build } from 'esbuild';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data');
mkdirSync(join(dataDir, 'build'), { recursive: true });
const RUNS = 3;

function findPythonWithH5py() {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import h5py, numpy'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return py;
  }
  return undefined;
}
const python = findPythonWithH5py();

const H5PY_WRITE = String.raw`
import sys, time, numpy as np, h5py
raw, out, n, c, s, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
ec = np.dtype([('kspace_encode_step_1','<u2'),('kspace_encode_step_2','<u2'),('average','<u2'),('slice','<u2'),('contrast','<u2'),('phase','<u2'),('repetition','<u2'),('set','<u2'),('segment','<u2'),('user','<u2',(8,))])
ah = np.dtype([('version','<u2'),('flags','<u8'),('measurement_uid','<u4'),('scan_counter','<u4'),('acquisition_time_stamp','<u4'),('physiology_time_stamp','<u4',(3,)),('number_of_samples','<u2'),('available_channels','<u2'),('active_channels','<u2'),('channel_mask','<u8',(16,)),('discard_pre','<u2'),('discard_post','<u2'),('center_sample','<u2'),('encoding_space_ref','<u2'),('trajectory_dimensions','<u2'),('sample_time_us','<f4'),('position','<f4',(3,)),('read_dir','<f4',(3,)),('phase_dir','<f4',(3,)),('slice_dir','<f4',(3,)),('patient_table_position','<f4',(3,)),('idx',ec),('user_int','<i4',(8,)),('user_float','<f4',(8,))])
vf = h5py.vlen_dtype(np.dtype('<f4'))
acq = np.dtype([('head', ah), ('traj', vf), ('data', vf)])
data = np.fromfile(raw, dtype='<f4').reshape(n, 2 * c * s)
empty = np.zeros(0, dtype='<f4')
# records prepared before timing (numpy object arrays referencing the payload)
recs = []
for i0 in range(0, n, 256):
    k = min(256, n - i0)
    rec = np.zeros(k, dtype=acq)
    rec['head']['version'] = 1
    rec['head']['number_of_samples'] = s
    rec['head']['active_channels'] = c
    rec['head']['available_channels'] = c
    rec['head']['scan_counter'] = np.arange(i0, i0 + k)
    for j in range(k):
        rec['traj'][j] = empty
        rec['data'][j] = data[i0 + j]
    recs.append((i0, rec))
t = time.perf_counter()
f = h5py.File(out, 'w')
g = f.create_group('dataset')
g.create_dataset('xml', data=np.array([b'<ismrmrdHeader/>'], dtype=h5py.string_dtype('ascii')))
if mode == 'bulk':
    d = g.create_dataset('data', (n,), maxshape=(None,), dtype=acq, chunks=(704,))
    for i0, rec in recs:
        d[i0:i0 + len(rec)] = rec
else:
    # as ismrmrd-python's Dataset.append_acquisition: grow by one, assign the new row
    d = g.create_dataset('data', (0,), maxshape=(None,), dtype=acq, chunks=(1,))
    i = 0
    for i0, rec in recs:
        for j in range(len(rec)):
            d.resize((i + 1,))
            d[i] = rec[j]
            i += 1
f.close()
print(time.perf_counter() - t)
`;

async function loadWriter() {
  const out = join(dataDir, 'build', 'hdf5-write-bench-entry.mjs');
  await build({
    stdin: {
      contents: `export { MrdWriter } from './packages/mrd-core/src/hdf5/writer/index.js';\nexport { emptyAcquisitionHeader } from './packages/mrd-core/src/headers/types.js';`,
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: out,
    logLevel: 'silent',
  });
  return import(pathToFileURL(out).href);
}

/** Deterministic payload (xorshift32 → floats in [-1, 1)), written once for h5py to load. */
function payload(name, n, c, s) {
  const file = join(dataDir, `hdf5-write-${name}.f32`);
  const count = n * 2 * c * s;
  if (existsSync(file) && statSync(file).size === count * 4) {
    const b = readFileSync(file);
    return new Float32Array(b.buffer, b.byteOffset, count);
  }
  const a = new Float32Array(count);
  let x = 2463534242;
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    a[i] = x / 2147483648 - 1;
  }
  writeFileSync(file, new Uint8Array(a.buffer));
  return a;
}

const { MrdWriter, emptyAcquisitionHeader } = await loadWriter();

async function ours(data, n, c, s, out) {
  const per = 2 * c * s;
  const acqs = [];
  for (let i = 0; i < n; i++) {
    const head = emptyAcquisitionHeader();
    head.number_of_samples = s;
    head.active_channels = head.available_channels = c;
    head.scan_counter = i;
    acqs.push({ head, traj: new Float32Array(0), data: data.subarray(i * per, (i + 1) * per) });
  }
  rmSync(out, { force: true });
  const t = performance.now();
  const w = await MrdWriter.create(out);
  await w.writeHeader('<ismrmrdHeader/>');
  for (let i = 0; i < n; i += 64) await w.appendAcquisitions(acqs.slice(i, i + 64));
  await w.close();
  return (performance.now() - t) / 1000;
}

function theirs(raw, n, c, s, out, mode) {
  rmSync(out, { force: true });
  const r = spawnSync(python, ['-c', H5PY_WRITE, raw, out, String(n), String(c), String(s), mode], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`h5py writer failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

const cases = [
  ['m128_c8_r80', 10240, 8, 256],
  ['m256_c32_r6', 1536, 32, 512],
];
if (!python) console.log('python3 with h5py not found: printing our figures only');
for (const [name, n, c, s] of cases) {
  const data = payload(name, n, c, s);
  const raw = join(dataDir, `hdf5-write-${name}.f32`);
  const bytes = n * (340 + 2 * c * s * 4);
  const outOurs = join(dataDir, `hdf5-write-${name}.mrdwriter.h5`);
  const outTheirs = join(dataDir, `hdf5-write-${name}.h5py.h5`);
  let bestOurs = Infinity;
  let bestTheirs = Infinity;
  let bestAppend = Infinity;
  let fileSize = 0;
  for (let run = 0; run < RUNS; run++) {
    bestOurs = Math.min(bestOurs, await ours(data, n, c, s, outOurs));
    fileSize = statSync(outOurs).size;
    rmSync(outOurs, { force: true });
    if (python) {
      bestTheirs = Math.min(bestTheirs, theirs(raw, n, c, s, outTheirs, 'bulk'));
      rmSync(outTheirs, { force: true });
      bestAppend = Math.min(bestAppend, theirs(raw, n, c, s, outTheirs, 'append'));
      rmSync(outTheirs, { force: true });
    }
  }
  const mb = bytes / 1e6;
  const oursMBs = mb / bestOurs;
  console.log(`${name}: ${n} acquisitions, ${mb.toFixed(1)} MB payload, our file ${(fileSize / 1e6).toFixed(1)} MB`);
  console.log(`  mrd-core MrdWriter : ${oursMBs.toFixed(0)} MB/s (${bestOurs.toFixed(3)} s)`);
  if (python) {
    const theirsMBs = mb / bestTheirs;
    console.log(`  python3-h5py bulk  : ${theirsMBs.toFixed(0)} MB/s (${bestTheirs.toFixed(3)} s)`);
    console.log(`  ratio ours/h5py    : ${(oursMBs / theirsMBs).toFixed(2)}x`);
    const appendMBs = mb / bestAppend;
    console.log(`  python3-h5py one acquisition at a time (resize + assign, as ismrmrd-python): ${appendMBs.toFixed(0)} MB/s (${bestAppend.toFixed(3)} s)`);
    console.log(`  ratio ours/h5py one at a time: ${(oursMBs / appendMBs).toFixed(2)}x`);
  }
  console.log('  ISMRMRD C++        : no write-timing tool in ismrmrd-tools; not measured');
}
