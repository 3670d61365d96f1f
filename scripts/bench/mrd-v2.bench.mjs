#!/usr/bin/env node
// MRD v2 codec throughput: decode and encode a >= 150 MB MRD v2 binary stream of acquisitions, in
// MB/s (1 MB = 1e6 bytes), against upstream's Python reader and writer (ismrmrd/mrd 2.2.1's
// generated `mrd.BinaryMrdReader` / `mrd.BinaryMrdWriter`, numpy) measured in the same run on the
// same file. The peer is ../shared/peers/mrd-python beside the repository (or
// $MRD_PEERS_DIR/mrd-python); without it the script prints our figures only.
//
// The streams are synthesised with our writer (header and readouts as upstream's phantom writes
// them, upstream's one-block-per-item layout): 512 samples x 8 coils (32 KiB readouts, a 256 x 256
// phantom with oversampling 2), then 128 x 4 (4 KiB, the 64 x 64 phantom's), where per-item costs
// dominate. Our decoder is timed on the whole file in one buffer, in 1 MiB chunks (file reading)
// and in 64 KiB chunks (socket-like), dropping the items as they come (as a converter or server
// does); the encoder on items built beforehand. Targets: decode >= 1000 MB/s and >= 10x the
// Python reader.
// Env: MRD_BENCH_MB (stream size, default 160).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data', 'mrd-v2');
mkdirSync(dataDir, { recursive: true });
const bundle = join(dataDir, 'mrd-v2.mjs');
await build({
  entryPoints: [join(root, 'packages/mrd-core/src/mrd-v2/index.ts')],
  bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'warning',
});
const v2 = await import(pathToFileURL(bundle).href);

const MB = 1e6;
const targetBytes = Number(process.env.MRD_BENCH_MB ?? 160) * MB;
const shapes = [[512, 8], [128, 4]];
const peerDir = join(process.env.MRD_PEERS_DIR ? resolve(process.env.MRD_PEERS_DIR) : join(root, '..', 'shared', 'peers'), 'mrd-python');
const havePeer = existsSync(join(peerDir, 'mrd', '__init__.py'));

function best(fn, reps = 3) {
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    globalThis.gc();
    const t0 = process.hrtime.bigint();
    fn();
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return t;
}

const header = {
  subjectInformation: { patientName: 'John Doe', patientID: '1234BGVF' },
  measurementInformation: { patientPosition: 'hFS', measurementDependency: [] },
  acquisitionSystemInformation: { receiverChannels: 8, coilLabel: [] },
  experimentalConditions: { h1resonanceFrequencyHz: 128000000n },
  encoding: [{
    encodedSpace: { matrixSize: { x: 512, y: 256, z: 1 }, fieldOfViewMm: { x: 600, y: 300, z: 5 } },
    reconSpace: { matrixSize: { x: 256, y: 256, z: 1 }, fieldOfViewMm: { x: 300, y: 300, z: 5 } },
    encodingLimits: { kspaceEncodingStep1: { minimum: 0, maximum: 255, center: 128 } }, trajectory: 'cartesian',
  }],
  waveformInformation: [],
};

function acquisition(i, samples, coils) {
  const data = new Float32Array(2 * samples * coils);
  for (let k = 0; k < data.length; k += 7) data[k] = Math.sin(i + k);
  return {
    type: 'acquisition',
    value: {
      head: {
        flags: i % 256 === 0 ? 0x1041n : 0n, idx: { kspaceEncodeStep1: i % 256, slice: 0, repetition: Math.floor(i / 256), user: [] },
        measurementUid: 0, scanCounter: i, physiologyTimeStampNs: [], channelOrder: Array.from({ length: coils }, (_, c) => c),
        centerSample: samples / 2, encodingSpaceRef: 0, sampleTimeNs: 5000n, position: [0, 0, 0], readDir: [1, 0, 0], phaseDir: [0, 1, 0],
        sliceDir: [0, 0, 1], patientTablePosition: [0, 0, 0], userInt: [], userFloat: [],
      },
      data: { shape: [coils, samples], data },
      trajectory: { shape: [0, 0], data: new Float32Array(0) },
    },
  };
}

const py = String.raw`
import io, sys, time
import mrd
raw = open(sys.argv[1], 'rb').read()
def read_all():
    with mrd.BinaryMrdReader(io.BytesIO(raw)) as r:
        h = r.read_header()
        return h, list(r.read_data())
def best(fn, reps):
    t = float('inf')
    for _ in range(reps):
        t0 = time.perf_counter(); res = fn(); t = min(t, time.perf_counter() - t0)
    return t, res
td, (h, items) = best(read_all, 2)
def write_all():
    out = io.BytesIO()
    w = mrd.BinaryMrdWriter(out)
    w.write_header(h)
    w.write_data(iter(items))
    w.close()
    return out.getbuffer().nbytes
te, n = best(write_all, 2)
assert n == len(raw), (n, len(raw))
print(f"{td} {te}")
`;
const pyFile = join(dataDir, 'upstream_codec.py');
writeFileSync(pyFile, py);

let sink = 0;
let failed = false;
for (const [si, [samples, coils]] of shapes.entries()) {
  const itemBytes = v2.encodeStreamItem(acquisition(0, samples, coils)).length + 1;
  const count = Math.ceil(targetBytes / itemBytes);
  let items = Array.from({ length: count }, (_, i) => acquisition(i, samples, coils));
  let stream = v2.encodeMrdV2(header, items);
  const total = stream.length;
  const file = join(dataDir, `acquisitions_${samples}x${coils}.mrd`);
  writeFileSync(file, stream);
  console.log(`\nstream ${si + 1}: ${count} acquisitions of ${samples} samples x ${coils} coils, ${(total / MB).toFixed(1)} MB (about ${itemBytes} bytes per item)`);

  const decode = (chunk) => () => {
    const d = new v2.MrdV2StreamDecoder();
    const out = [];
    let n = 0;
    for (let p = 0; p < total; p += chunk) {
      d.push(stream.subarray(p, p + chunk), out);
      n += out.length;
      out.length = 0;
    }
    d.end();
    sink += n;
    return d.stats;
  };
  // Socket-like chunks are separate buffers (made before timing), as a socket delivers them.
  let socketChunks = [];
  for (let p = 0; p < total; p += 65536) socketChunks.push(stream.slice(p, p + 65536));
  const r = {};
  r.whole = best(decode(total));
  r.file = best(decode(1 << 20));
  r.socket = best(() => {
    const d = new v2.MrdV2StreamDecoder();
    const out = [];
    for (const c of socketChunks) {
      d.push(c, out);
      sink += out.length;
      out.length = 0;
    }
    d.end();
  });
  r.encode = best(() => {
    const enc = new v2.MrdV2StreamEncoder();
    let n = 0;
    for (const c of enc.header(header)) n += c.length;
    for (const it of items) for (const c of enc.items(it)) n += c.length;
    for (const c of enc.end()) n += c.length;
    if (n !== total) throw new Error(`encoded ${n} bytes, expected ${total}`);
    sink += n;
  });
  const stats = decode(1 << 20)();
  items = socketChunks = stream = null;

  const rate = (s) => total / MB / s;
  const fmt = (s) => `${rate(s).toFixed(0).padStart(6)} MB/s`;
  console.log(`ours decode, whole stream in one buffer: ${fmt(r.whole)}`);
  console.log(`ours decode, 1 MiB chunks (file):        ${fmt(r.file)}  (arrays: ${stats.viewedArrays} views, ${stats.copiedArrays} copied as unaligned; ${stats.assembledUnits} items spanned chunks)`);
  console.log(`ours decode, 64 KiB chunks (socket):     ${fmt(r.socket)}`);
  console.log(`ours encode:                             ${fmt(r.encode)}`);
  let ratio;
  if (!havePeer) console.log(`upstream Python: not available (${peerDir} missing); ours only`);
  else {
    const p = spawnSync('/usr/bin/python3', [pyFile, file], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: peerDir }, maxBuffer: 1 << 20 });
    if (p.error || p.status !== 0) console.log(`upstream Python: failed (${p.error?.message ?? p.stderr.trim().split('\n').at(-1)}); ours only`);
    else {
      const [td, te] = p.stdout.trim().split(/\s+/).map(Number);
      ratio = td / r.file;
      console.log(`upstream Python BinaryMrdReader (read_data, from memory): ${fmt(td)}`);
      console.log(`upstream Python BinaryMrdWriter (write_data, to memory):  ${fmt(te)}`);
      console.log(`ratio decode (ours 1 MiB chunks / upstream reader): ${ratio.toFixed(1)}x (whole buffer ${(td / r.whole).toFixed(1)}x, 64 KiB chunks ${(td / r.socket).toFixed(1)}x); ratio encode: ${(te / r.encode).toFixed(1)}x`);
    }
  }
  const okRate = rate(r.file) >= 1000;
  const okRatio = ratio === undefined || ratio >= 10;
  if (!okRate || !okRatio) failed = true;
  console.log(`targets: decode >= 1000 MB/s ${okRate ? 'met' : 'NOT met'}; >= 10x upstream's reader ${ratio === undefined ? 'not measured' : okRatio ? 'met' : 'NOT met'}`);
}
if (sink === 0) console.log('');
if (failed) console.log('(targets not met in this run)');
