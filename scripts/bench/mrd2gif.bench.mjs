#!/usr/bin/env node
// Preview time: `mrd2gif` (packages/mrd2gif/dist, built by `pnpm bench`) on one series of 200
// float32 images of 256 x 256 against the same work done with numpy + PIL (python3-numpy,
// python3-pil): read the series with h5py, per-frame 5th/95th percentiles, series window as
// their medians, window to 8 bits (PIL 'F' -> 'L' as the reference mrd2gif.py), animated GIF
// saved by PIL (duration 40 ms, loop). Same run, same input file.
//
// Input: .bench-data/mrd2gif_200x256.h5 (~53 MB, written once by mrd-core's MrdWriter: a
// Shepp-Logan phantom whose intensity changes over the frames, plus noise). Wall time of each
// whole process, best of 3, the two interleaved run by run.
// Usage: node scripts/bench/mrd2gif.bench.mjs [--cli <other build's cli.js>]...
// Each --cli adds another mrd2gif build (e.g. one built from an older commit with
// `node scripts/build.mjs --root <checkout>`) timed in the same runs: before/after figures in
// one machine state.
// Our Node CLIs run without NODE_EXTRA_CA_CERTS (each Node start would parse that bundle; they open
// no TLS connection); the variable's cost per process start is printed in the same run (node-env.mjs).
import { build } from 'esbuild';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { caCertLines, caCertStartCost, toolEnv } from './node-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data');
mkdirSync(dataDir, { recursive: true });
const cli = join(root, 'packages/mrd2gif/dist/cli.js');
const otherClis = process.argv.flatMap((a, i) => (a === '--cli' && process.argv[i + 1] ? [process.argv[i + 1]] : []));
for (const c of otherClis) if (!existsSync(c)) { console.error(`mrd2gif bench: --cli ${c} does not exist`); process.exit(1); }
if (!existsSync(cli)) {
  console.error(`mrd2gif bench: ${cli} is missing; run \`node scripts/build.mjs\` (pnpm bench does)`);
  process.exit(1);
}
const RUNS = 3;
const FRAMES = 200;
const N = 256;
const input = join(dataDir, 'mrd2gif_200x256.h5');

if (!existsSync(input)) {
  const entry = join(dataDir, 'mrd2gif-bench-input.ts');
  const core = (p) => JSON.stringify(join(root, 'packages/mrd-core/src', p));
  writeFileSync(entry, `
import { MrdWriter } from ${core('hdf5/writer/index.ts')};
import { createImage } from ${core('messages/index.ts')};
import { MetaAttributes } from ${core('meta/index.ts')};
import { sheppLoganPhantom, GaussianNoise } from ${JSON.stringify(join(root, 'packages/phantom-gen/src/phantom/index.ts'))};
export async function write(path: string, frames: number, n: number): Promise<void> {
  const w = await MrdWriter.create(path, { group: 'dataset', overwrite: true });
  const ph = sheppLoganPhantom(n);
  const noise = new GaussianNoise(1);
  const attribute = new MetaAttributes({ DataRole: 'Image', SequenceDescriptionAdditional: 'BENCH' }).serialize();
  for (let t = 0; t < frames; t++) {
    const data = new Float32Array(n * n);
    noise.fill(data, 20);
    const gain = 1000 * (1 + 0.5 * Math.sin((2 * Math.PI * t) / 50));
    for (let i = 0; i < data.length; i++) data[i] += gain * ph[i];
    await w.appendImage(createImage({ matrixSize: [n, n, 1], data, attribute, head: { image_index: t, image_type: 1, image_series_index: 0 } }), { series: 'image_0' });
  }
  await w.close();
}
`);
  const out = join(dataDir, 'mrd2gif-bench-input.mjs');
  await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  const { write } = await import(pathToFileURL(out).href);
  await write(input, FRAMES, N);
}

function findPython() {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import h5py, numpy, PIL'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return py;
  }
  return undefined;
}
const python = findPython();

// numpy + PIL doing what mrd2gif does for this series (reference mrd2gif.py's code path).
const PY = String.raw`
import sys, time, h5py, numpy as np
from PIL import Image
t0 = time.perf_counter()
f = h5py.File(sys.argv[1], 'r')
data = f['dataset/image_0/data'][()]
imgs = [Image.fromarray(np.squeeze(data[i, 0, 0])) for i in range(data.shape[0])]
mx = np.median([np.percentile(np.array(im), 95) for im in imgs])
mn = np.median([np.percentile(np.array(im), 5) for im in imgs])
out = []
for im in imgs:
    d = np.array(im).astype(float)
    d -= mn
    d *= 255 / (mx - mn)
    d = np.clip(d, 0, 255)
    out.append(Image.fromarray(d))
out[0].save(sys.argv[2], save_all=True, append_images=out[1:], loop=0, duration=40)
print(time.perf_counter() - t0)
`;

function timed(cmd, args, expectFile) {
  rmSync(expectFile, { force: true });
  const t0 = process.hrtime.bigint();
  // our CLIs (node) without NODE_EXTRA_CA_CERTS (node-env.mjs); the Python peer as given
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: cmd === process.execPath ? toolEnv() : process.env });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 || !existsSync(expectFile)) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return { s, stdout: r.stdout, bytes: statSync(expectFile).size };
}

const oursOut = join(dataDir, 'mrd2gif_200x256_dataset_image_0_BENCH.gif');
const pyOut = join(dataDir, 'mrd2gif_200x256.pil.gif');
const others = otherClis.map(() => Infinity);
let ours = Infinity;
let py = Infinity;
let pyInner = Infinity;
let oursBytes = 0;
let pyBytes = 0;
for (let i = 0; i < RUNS; i++) {
  const a = timed(process.execPath, [cli, input, '-q'], oursOut);
  ours = Math.min(ours, a.s);
  oursBytes = a.bytes;
  otherClis.forEach((c, k) => (others[k] = Math.min(others[k], timed(process.execPath, [c, input, '-q'], oursOut).s)));
  if (python) {
    const b = timed(python, ['-c', PY, input, pyOut], pyOut);
    py = Math.min(py, b.s);
    pyInner = Math.min(pyInner, Number(b.stdout.trim()));
    pyBytes = b.bytes;
  }
}
for (const l of caCertLines(caCertStartCost(5), { peers: 'the Python peer keeps its environment' })) console.log(l);
console.log(`mrd2gif: ${FRAMES} frames of ${N}x${N} float32, one series (best of ${RUNS}, wall time of the whole process):`);
console.log(`  mrd2gif            ${ours.toFixed(3)} s  (${(oursBytes / 1e6).toFixed(1)} MB GIF)`);
otherClis.forEach((c, k) => console.log(`  mrd2gif ${c}: ${others[k].toFixed(3)} s${python ? `  (ratio to numpy+PIL ${(others[k] / py).toFixed(2)})` : ''}`));
if (python) {
  console.log(`  numpy + PIL        ${py.toFixed(3)} s  (${(pyBytes / 1e6).toFixed(1)} MB GIF; ${pyInner.toFixed(3)} s after the Python imports)`);
  console.log(`  ratio ours/numpy+PIL: ${(ours / py).toFixed(2)} (below 1 = faster)`);
} else {
  console.log('  numpy + PIL: python3 with h5py, numpy and PIL not found; ours only');
}
rmSync(oursOut, { force: true });
rmSync(pyOut, { force: true });
