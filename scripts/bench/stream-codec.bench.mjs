#!/usr/bin/env node
// Stream codec throughput: decode and encode a >= 150 MB MRD stream of acquisitions, in MB/s
// (1 MB = 1e6 bytes), against the Python reference measured in the same run: connection.py's
// way of reading (ismrmrd-python Acquisition.deserialize_from: ctypes header + numpy.frombuffer
// over bytes read from the stream) and writing (serialize_into: header bytes, traj.tobytes(),
// data.tobytes()), with python3 + numpy. ismrmrd-python itself is not on the machine, so the
// script carries the same ctypes AcquisitionHeader (packed, 340 bytes).
//
// mrd-core is bundled from source with esbuild into .bench-data/ first.
// Two streams: 256 samples x 32 channels (64 KiB readouts), then the phantom's 128 x 4 (4 KiB).
// Env: MRD_BENCH_MB (stream size, default 160), MRD_BENCH_SAMPLES (256), MRD_BENCH_CHANNELS (32).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Re-run with --expose-gc so each timed repetition starts without the previous one's garbage.
if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data', 'stream-codec');
mkdirSync(dataDir, { recursive: true });

const bundle = join(dataDir, 'mrd-core-stream.mjs');
await build({
  stdin: {
    contents: `export * from './packages/mrd-core/src/stream/index.ts';
export { createAcquisition } from './packages/mrd-core/src/messages/create.ts';`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: bundle,
  logLevel: 'warning',
});
const core = await import(pathToFileURL(bundle).href);

const MB = 1e6;
const targetBytes = Number(process.env.MRD_BENCH_MB ?? 160) * MB;
// The main shape (a 32-channel readout of 256 samples), then the phantom's small readouts,
// where per-message costs dominate.
const shapes = [
  [Number(process.env.MRD_BENCH_SAMPLES ?? 256), Number(process.env.MRD_BENCH_CHANNELS ?? 32)],
  [128, 4],
];

function best(fn, reps = 5) {
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    globalThis.gc();
    const t0 = process.hrtime.bigint();
    fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (dt < t) t = dt;
  }
  return t;
}

// The reference (python3 + numpy), run on each stream file.
const py = String.raw`
import ctypes, io, struct, sys, time
import numpy as np

class EncodingCounters(ctypes.Structure):
    _pack_ = 2
    _fields_ = [("kspace_encode_step_1", ctypes.c_uint16), ("kspace_encode_step_2", ctypes.c_uint16),
                ("average", ctypes.c_uint16), ("slice", ctypes.c_uint16), ("contrast", ctypes.c_uint16),
                ("phase", ctypes.c_uint16), ("repetition", ctypes.c_uint16), ("set", ctypes.c_uint16),
                ("segment", ctypes.c_uint16), ("user", ctypes.c_uint16 * 8)]

class AcquisitionHeader(ctypes.Structure):
    _pack_ = 2
    _fields_ = [("version", ctypes.c_uint16), ("flags", ctypes.c_uint64), ("measurement_uid", ctypes.c_uint32),
                ("scan_counter", ctypes.c_uint32), ("acquisition_time_stamp", ctypes.c_uint32),
                ("physiology_time_stamp", ctypes.c_uint32 * 3), ("number_of_samples", ctypes.c_uint16),
                ("available_channels", ctypes.c_uint16), ("active_channels", ctypes.c_uint16),
                ("channel_mask", ctypes.c_uint64 * 16), ("discard_pre", ctypes.c_uint16), ("discard_post", ctypes.c_uint16),
                ("center_sample", ctypes.c_uint16), ("encoding_space_ref", ctypes.c_uint16),
                ("trajectory_dimensions", ctypes.c_uint16), ("sample_time_us", ctypes.c_float),
                ("position", ctypes.c_float * 3), ("read_dir", ctypes.c_float * 3), ("phase_dir", ctypes.c_float * 3),
                ("slice_dir", ctypes.c_float * 3), ("patient_table_position", ctypes.c_float * 3),
                ("idx", EncodingCounters), ("user_int", ctypes.c_int32 * 8), ("user_float", ctypes.c_float * 8)]

assert ctypes.sizeof(AcquisitionHeader) == 340
Id = struct.Struct('<H')
raw = open(sys.argv[1], 'rb').read()

def decode_reference():
    # connection.py: read(2) for the id, then Acquisition.deserialize_from(self.read)
    f = io.BytesIO(raw)
    read = f.read
    out = []
    while True:
        b = read(2)
        if not b:
            break
        (mid,) = Id.unpack(b)
        assert mid == 1008
        head = AcquisitionHeader.from_buffer_copy(read(340))
        ns, td, ac = head.number_of_samples, head.trajectory_dimensions, head.active_channels
        traj = np.frombuffer(read(ns * td * 4), dtype=np.float32).reshape((ns, td))
        data = np.frombuffer(read(ns * ac * 8), dtype=np.complex64).reshape((ac, ns))
        out.append((head, traj, data))
    return out

def decode_views():
    # numpy's best case: views into one buffer, no copies
    mv = memoryview(raw)
    o, n, out = 0, len(raw), []
    while o < n:
        (mid,) = Id.unpack_from(mv, o)
        head = AcquisitionHeader.from_buffer_copy(mv[o + 2:o + 342])
        ns, td, ac = head.number_of_samples, head.trajectory_dimensions, head.active_channels
        o += 342
        traj = np.frombuffer(mv, dtype=np.float32, count=ns * td, offset=o); o += ns * td * 4
        data = np.frombuffer(mv, dtype=np.complex64, count=ns * ac, offset=o); o += ns * ac * 8
        out.append((head, traj, data))
    return out

def encode_reference(acqs):
    # connection.py send_acquisition: id, then serialize_into(socket.send): header, traj, data
    f = io.BytesIO()
    w = f.write
    for head, traj, data in acqs:
        w(Id.pack(1008)); w(bytes(head)); w(traj.tobytes()); w(data.tobytes())
    return f.getbuffer().nbytes

def best(fn, reps=3):
    t = float('inf')
    for _ in range(reps):
        t0 = time.perf_counter(); r = fn(); t = min(t, time.perf_counter() - t0)
    return t, r

td, acqs = best(decode_reference)
tv, _ = best(decode_views)
te, nbytes = best(lambda: encode_reference(acqs))
assert nbytes == len(raw)
print(f"{td} {tv} {te}")
`;
const pyFile = join(dataDir, 'reference_codec.py');
writeFileSync(pyFile, py);

let sink = 0;
let failedTargets = false;
for (const [si, [samples, channels]] of shapes.entries()) {
  const msgBytes = 2 + 340 + 8 * samples * channels;
  const count = Math.ceil(targetBytes / msgBytes);
  let acqs = [];
  for (let i = 0; i < count; i++) {
    const a = core.createAcquisition({
      head: {
        number_of_samples: samples, active_channels: channels, available_channels: channels, scan_counter: i,
        center_sample: samples / 2, sample_time_us: 2.5, read_dir: [1, 0, 0], phase_dir: [0, 1, 0], slice_dir: [0, 0, 1],
        idx: { kspace_encode_step_1: i % 256, kspace_encode_step_2: 0, average: 0, slice: 0, contrast: 0, phase: 0, repetition: 0, set: 0, segment: 0, user: [0, 0, 0, 0, 0, 0, 0, 0] },
      },
    });
    const d = a.data;
    for (let k = 0; k < d.length; k += 97) d[k] = Math.sin(i + k);
    acqs.push({ type: 'acquisition', acquisition: a });
  }
  let stream = core.encodeMessages(acqs);
  const streamFile = join(dataDir, `acquisitions_${samples}x${channels}.bin`);
  writeFileSync(streamFile, stream);
  const total = stream.length;
  console.log(`\nstream ${si + 1}: ${count} acquisitions of ${samples} samples x ${channels} channels, ${(total / MB).toFixed(1)} MB (${msgBytes} bytes per message)`);

  // 64 KiB chunks, each its own buffer, as a socket delivers them (made before timing).
  let chunks = [];
  for (let p = 0; p < total; p += 65536) chunks.push(Uint8Array.prototype.slice.call(stream, p, p + 65536));

  const results = {};
  results.decodeWhole = best(() => {
    const d = new core.MrdStreamDecoder();
    const out = d.push(stream);
    d.end();
    sink += out.length;
    results.statsWhole = { ...d.stats };
  });
  results.decodeChunks = best(() => {
    const d = new core.MrdStreamDecoder();
    let n = 0;
    const out = [];
    for (const c of chunks) {
      d.push(c, out);
      n += out.length;
      out.length = 0;
    }
    d.end();
    sink += n;
    results.statsChunks = { ...d.stats };
  });
  results.encodeEach = best(() => {
    let n = 0;
    for (const m of acqs) n += core.encodeMessage(m).length;
    sink += n;
  });
  results.encodeBatch = best(() => {
    let n = 0;
    for (let i = 0; i < acqs.length; i += 64) n += core.encodeMessages(acqs.slice(i, i + 64)).length;
    sink += n;
  });
  acqs = chunks = stream = null;

  const rate = (s) => total / MB / s;
  const fmt = (s) => `${rate(s).toFixed(0).padStart(6)} MB/s`;
  const sw = results.statsWhole;
  const sc = results.statsChunks;
  console.log(`decode, whole stream in one buffer:   ${fmt(results.decodeWhole)}  (payloads: ${sw.viewedPayloads} views, ${sw.copiedPayloads} copied as unaligned)`);
  console.log(`decode, 64 KiB chunks (socket-like):  ${fmt(results.decodeChunks)}  (${sc.assembledMessages} messages spanned chunks and were assembled; payloads: ${sc.viewedPayloads} views, ${sc.copiedPayloads} copied)`);
  console.log(`encode, one buffer per message:       ${fmt(results.encodeEach)}`);
  console.log(`encode, batches of 64 messages:       ${fmt(results.encodeBatch)}`);

  const r = spawnSync('python3', [pyFile, streamFile], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    console.log(`reference (python3 + numpy): not available (${r.error?.message ?? r.stderr.trim().split('\n').at(-1)}); ours only`);
  } else {
    const [td, tv, te] = r.stdout.trim().split(/\s+/).map(Number);
    console.log(`reference python3+numpy decode, connection.py style (read + frombuffer): ${fmt(td)}`);
    console.log(`reference python3+numpy decode, zero-copy numpy views:                 ${fmt(tv)}`);
    console.log(`reference python3+numpy encode, serialize_into style:                  ${fmt(te)}`);
    console.log(`ratio decode (ours whole / reference connection.py style): ${(td / results.decodeWhole).toFixed(1)}x; ours 64 KiB chunks: ${(td / results.decodeChunks).toFixed(1)}x; vs numpy views: ${(tv / results.decodeWhole).toFixed(1)}x`);
    console.log(`ratio encode (ours per message / reference): ${(te / results.encodeEach).toFixed(1)}x; batches: ${(te / results.encodeBatch).toFixed(1)}x`);
  }
  if (si === 0) {
    const okDecode = rate(results.decodeWhole) >= 1500 && rate(results.decodeChunks) >= 1500;
    const okEncode = rate(results.encodeEach) >= 1000;
    failedTargets = !okDecode || !okEncode;
    console.log(`targets: decode >= 1500 MB/s ${okDecode ? 'met' : 'NOT met'}; encode >= 1000 MB/s ${okEncode ? 'met' : 'NOT met'}`);
  }
}
if (sink === 0) console.log('');
if (failedTargets) console.log('(targets not met in this run)');
