#!/usr/bin/env node
// Per-image recon time of the `simplefft` module's numerics for 16 coils x 256 phase encodes x
// 512 readout samples (readout oversampling 2, recon 256 x 256): ours (mrd-server's
// reconstructSimpleFft: stack, centred 2-D inverse FFT, root sum of squares, normalisation to
// BitsStored, crop, image header + meta) against numpy doing the reference simplefft.py
// numerics on the same data in the same run (np.stack of the 256 readouts, fftshift, ifft2,
// ifftshift, *= prod(shape), abs/square/sum/sqrt, normalise, around, int16, crops).
// Best and median of RUNS warm runs each. Usage: node scripts/bench/simplefft.bench.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data');
mkdirSync(join(dataDir, 'build'), { recursive: true });
const RUNS = 15;
const COILS = 16, PE = 256, RO = 512;

// Our code, bundled from source; the PFFFT wasm package stays external (it loads its .wasm
// beside its own JS), resolved from recon-kernels' dependencies.
const bundle = await bundleSources(join(dataDir, 'build', 'simplefft.mjs'), { entry: join(root, 'packages/mrd-server/src/modules/simplefft.ts') }, {
  banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
});
const { reconstructSimpleFft } = await import(bundle);
const fftBundle = await bundleSources(join(dataDir, 'build', 'fft.mjs'), { entry: join(root, 'packages/recon-kernels/src/fft/index.ts') });
const { getFftEngine } = await import(fftBundle);

// Data: a smooth object's k-space (Gaussian blob per coil with coil-dependent phase) plus
// noise, deterministic; written once as raw complex64 for numpy.
const kspace = new Float32Array(2 * PE * COILS * RO); // [PE][COILS][RO]: readout by readout
let s = 12345;
const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
for (let p = 0; p < PE; p++) for (let c = 0; c < COILS; c++) for (let r = 0; r < RO; r++) {
  const ky = (p - PE / 2) / PE, kx = (r - RO / 2) / RO;
  const mag = 1000 * Math.exp(-(ky * ky + kx * kx) * 200);
  const ph = 0.3 * c + 2 * Math.PI * (ky * 10 + kx * 20);
  const o = 2 * ((p * COILS + c) * RO + r);
  kspace[o] = mag * Math.cos(ph) + rnd();
  kspace[o + 1] = mag * Math.sin(ph) + rnd();
}
const rawFile = join(dataDir, 'simplefft_c16_pe256_ro512.c64');
writeFileSync(rawFile, new Uint8Array(kspace.buffer));

function acqHead(p) {
  return {
    version: 1, flags: 0n, measurement_uid: 0, scan_counter: p, acquisition_time_stamp: 0, physiology_time_stamp: [0, 0, 0],
    number_of_samples: RO, available_channels: COILS, active_channels: COILS, channel_mask: new Array(16).fill(0n),
    discard_pre: 0, discard_post: 0, center_sample: RO / 2, encoding_space_ref: 0, trajectory_dimensions: 0, sample_time_us: 0,
    position: [0, 0, 0], read_dir: [1, 0, 0], phase_dir: [0, 1, 0], slice_dir: [0, 0, 1], patient_table_position: [0, 0, 0],
    idx: { kspace_encode_step_1: p, kspace_encode_step_2: 0, average: 0, slice: 0, contrast: 0, phase: 0, repetition: 0, set: 0, segment: 0, user: [0, 0, 0, 0, 0, 0, 0, 0] },
    user_int: [0, 0, 0, 0, 0, 0, 0, 0], user_float: [0, 0, 0, 0, 0, 0, 0, 0],
  };
}
const group = [];
for (let p = 0; p < PE; p++) group.push({ head: acqHead(p), traj: new Float32Array(0), data: kspace.subarray(2 * p * COILS * RO, 2 * (p + 1) * COILS * RO) });
const space = (x, y) => ({ matrixSize: { x, y, z: 1 }, fieldOfView_mm: { x: 600, y: 300, z: 6 } });
const header = { experimentalConditions: { H1resonanceFrequency_Hz: 63500000 }, encoding: [{ encodedSpace: space(RO, PE), reconSpace: space(RO / 2, PE), trajectory: 'cartesian' }] };

const fft = await getFftEngine();

const times = [];
let image;
for (let i = 0; i < RUNS + 2; i++) {
  const t0 = performance.now();
  image = reconstructSimpleFft(group, header, fft);
  const t = performance.now() - t0;
  if (i >= 2) times.push(t);
}
times.sort((a, b) => a - b);
const ours = { best: times[0], median: times[times.length >> 1] };
console.log(`simplefft per image, ${COILS} coils x ${PE} x ${RO} -> ${image.head.matrix_size[0]} x ${image.head.matrix_size[1]} int16`);
console.log(`  ours (TypeScript, PFFFT wasm):  best ${ours.best.toFixed(1)} ms, median ${ours.median.toFixed(1)} ms`);

const NUMPY = String.raw`
import sys, time, numpy as np, numpy.fft as fft
raw = np.fromfile(sys.argv[1], dtype=np.complex64).reshape(${PE}, ${COILS}, ${RO})
group = [raw[p] for p in range(${PE})]   # acquisition.data: [cha, RO] per readout
runs = int(sys.argv[2])
def recon(group):
    data = np.stack(group, axis=-1)
    data = fft.fftshift(data, axes=(1, 2))
    data = fft.ifft2(data, axes=(1, 2))
    data = fft.ifftshift(data, axes=(1, 2))
    data *= np.prod(data.shape)
    data = np.abs(data)
    data = np.square(data)
    data = np.sum(data, axis=0)
    data = np.sqrt(data)
    maxVal = 2**12 - 1
    data *= maxVal/data.max()
    data = np.around(data)
    data = data.astype(np.int16)
    offset = int((data.shape[0] - ${RO / 2})/2)
    data = data[offset:offset+${RO / 2},:]
    offset = int((data.shape[1] - ${PE})/2)
    data = data[:,offset:offset+${PE}]
    return np.ascontiguousarray(data.transpose())
times = []
for i in range(runs + 2):
    t = time.perf_counter(); img = recon(group); t = time.perf_counter() - t
    if i >= 2: times.append(t * 1000)
times.sort()
print(times[0], times[len(times)//2], np.__version__)
np.save(sys.argv[3], img)
`;
const npyOut = join(dataDir, 'simplefft_numpy.npy');
const py = spawnSync('python3', ['-c', NUMPY, rawFile, String(RUNS), npyOut], { encoding: 'utf8' });
if (py.error || py.status !== 0) {
  console.log(`  numpy: not available (${py.error ? py.error.message : py.stderr.trim().split('\n').pop()}); ours only`);
} else {
  const [best, median, version] = py.stdout.trim().split(/\s+/);
  console.log(`  numpy ${version} (reference numerics): best ${Number(best).toFixed(1)} ms, median ${Number(median).toFixed(1)} ms`);
  console.log(`  ratio ours/numpy: best ${(ours.best / Number(best)).toFixed(2)}x, median ${(ours.median / Number(median)).toFixed(2)}x (below 1 = faster than numpy)`);
  // agreement check: pixels within 1
  const { readFileSync } = await import('node:fs');
  const buf = readFileSync(npyOut);
  const hlen = buf.readUInt16LE(8);
  const ref = new Int16Array(buf.buffer.slice(buf.byteOffset + 10 + hlen, buf.byteOffset + buf.length));
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - image.data[i]));
  console.log(`  agreement with numpy: largest pixel difference ${worst} (of 4095)`);
}
