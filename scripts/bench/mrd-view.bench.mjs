#!/usr/bin/env node
// mrd-view on 2 GB files, in Debian's headless Chromium (puppeteer-core, /usr/bin/chromium or
// $CHROMIUM): the time from loading the page to
//   1. the first image shown (canvas drawn) for a 2 GB file of images, and
//   2. the acquisition table ready (first rows drawn) for a 2 GB raw file, and its last rows
//      drawn after jumping to the end of the table;
// 3. a table of 1 million readouts: ready, and the rows drawn after each of 20 jumps to random
//    places (median and worst), which is what scrolling through it costs;
// plus mrd-info's summary of the 2 GB raw file (headers only). The peer, in the same run:
// python3-h5py reading the same first image, the same first 100 acquisitions, and every
// acquisition header (the `head` field alone).
//
// Inputs (generated once into .bench-data/, reused while present):
//   - raw_m256_c32_r58.h5 (~2 GB, shared with e2e-throughput.bench): 14848 readouts of 32 coils
//     x 512 samples, by the ISMRMRD C++ generator (or mrd-phantom without it);
//   - images_8000x256.h5 (~2 GB): one series of 8000 float32 images of 256 x 256, by mrd-core's
//     MrdWriter;
//   - rows_1M.h5 (~400 MB): 1,000,000 readouts of one sample, by MrdWriter.
// Each figure is the best of 3 (page reloaded each time, server restarted, page cache warm).
// Usage: node scripts/bench/mrd-view.bench.mjs
// Our Node CLIs run without NODE_EXTRA_CA_CERTS (each Node start would parse that bundle; they open
// no TLS connection); the variable's cost per process start is printed in the same run (node-env.mjs).
import { build } from 'esbuild';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { caCertLines, caCertStartCost, toolEnv } from './node-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data');
mkdirSync(dataDir, { recursive: true });
const viewCli = join(root, 'packages/mrd-view/dist/cli.js');
const infoCli = join(root, 'packages/mrd-info/dist/cli.js');
const phantomCli = join(root, 'packages/phantom-gen/dist/cli.js');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const RUNS = 3;
for (const f of [viewCli, infoCli, phantomCli]) if (!existsSync(f)) { console.error(`mrd-view bench: ${f} is missing; run node scripts/build.mjs`); process.exit(1); }
if (!existsSync(CHROMIUM)) { console.error(`mrd-view bench: ${CHROMIUM} is missing (apt-get install chromium)`); process.exit(1); }
const { default: puppeteer } = await import('puppeteer-core');

const have = (cmd) => !spawnSync(cmd, ['--help'], { encoding: 'utf8' }).error;

// ---- inputs
const raw = join(dataDir, 'raw_m256_c32_r58.h5');
if (!existsSync(raw)) {
  console.log(`generating ${raw} ...`);
  const tmp = raw + '.part';
  rmSync(tmp, { force: true });
  const r = have('ismrmrd_generate_cartesian_shepp_logan')
    ? spawnSync('ismrmrd_generate_cartesian_shepp_logan', ['-m', '256', '-c', '32', '-r', '58', '-o', tmp], { stdio: 'ignore' })
    : spawnSync(process.execPath, [phantomCli, '-m', '256', '-c', '32', '-r', '58', '-o', tmp], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`could not generate ${raw}`);
  spawnSync('mv', [tmp, raw]);
}
const images = join(dataDir, 'images_8000x256.h5');
const rows1M = join(dataDir, 'rows_1M.h5');
let generator = null;
if (!existsSync(images) || !existsSync(rows1M)) {
  const entry = join(dataDir, 'mrd-view-bench-input.ts');
  const core = (p) => JSON.stringify(join(root, 'packages/mrd-core/src', p));
  writeFileSync(entry, `
import { MrdWriter } from ${core('hdf5/writer/index.ts')};
import { createAcquisition, createImage } from ${core('messages/index.ts')};
import { sheppLoganPhantom } from ${JSON.stringify(join(root, 'packages/phantom-gen/src/phantom/index.ts'))};
export async function writeRows(path: string, rows: number): Promise<void> {
  const w = await MrdWriter.create(path, { group: 'dataset', overwrite: true });
  for (let at = 0; at < rows; at += 4096) {
    const batch = [];
    for (let i = at; i < Math.min(rows, at + 4096); i++) {
      batch.push(createAcquisition({ head: { scan_counter: i, number_of_samples: 1, active_channels: 1, available_channels: 1, flags: i % 256 === 0 ? 1n << 18n : 0n,
        idx: { kspace_encode_step_1: i % 256, kspace_encode_step_2: 0, average: 0, slice: (i >> 8) % 16, contrast: 0, phase: 0, repetition: i >> 12, set: 0, segment: 0, user: [0, 0, 0, 0, 0, 0, 0, 0] } } }));
    }
    await w.appendAcquisitions(batch);
  }
  await w.close();
}
export async function write(path: string, frames: number, n: number): Promise<void> {
  const w = await MrdWriter.create(path, { group: 'dataset', overwrite: true });
  const ph = sheppLoganPhantom(n);
  for (let t = 0; t < frames; t++) {
    const data = new Float32Array(n * n);
    const gain = 1000 * (1 + 0.5 * Math.sin((2 * Math.PI * t) / 50));
    for (let i = 0; i < data.length; i++) data[i] = gain * ph[i] + ((i * 7919 + t * 104729) % 97);
    await w.appendImage(createImage({ matrixSize: [n, n, 1], data, head: { image_index: t, image_type: 1, repetition: t } }), { series: 'image_0' });
  }
  await w.close();
}
`);
  const out = join(dataDir, 'mrd-view-bench-input.mjs');
  await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  generator = await import(pathToFileURL(out).href);
}
if (!existsSync(images)) {
  console.log(`generating ${images} ...`);
  const tmp = images + '.part.h5';
  await generator.write(tmp, 8000, 256);
  spawnSync('mv', [tmp, images]);
}
if (!existsSync(rows1M)) {
  console.log(`generating ${rows1M} ...`);
  const tmp = rows1M + '.part.h5';
  await generator.writeRows(tmp, 1_000_000);
  spawnSync('mv', [tmp, rows1M]);
}
const MB = 1e6;
console.log(`inputs: ${raw} (${(statSync(raw).size / MB).toFixed(0)} MB), ${images} (${(statSync(images).size / MB).toFixed(0)} MB), ${rows1M} (${(statSync(rows1M).size / MB).toFixed(0)} MB)`);

// ---- mrd-view in Chromium
function startViewer(file) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const proc = spawn(process.execPath, [viewCli, '-p', '0', file], { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv() });
    let out = '';
    const on = (d) => {
      out += d;
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ proc, url: m[1], startMs: performance.now() - t0 });
    };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.on('exit', (code) => reject(new Error(`mrd-view exited (${code}): ${out}`)));
  });
}
const stopViewer = (v) => new Promise((r) => { v.proc.removeAllListeners('exit'); v.proc.once('exit', r); v.proc.kill('SIGTERM'); });

const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'mrd-view-bench-'))}`],
});
const page = await browser.newPage();
await page.setViewport({ width: 1400, height: 900 });

const best = { start: Infinity, image: Infinity, imageTotal: Infinity, table: Infinity, tableTotal: Infinity, tableEnd: Infinity, startRaw: Infinity };
for (let run = 0; run < RUNS; run++) {
  await page.goto('about:blank');
  let tc = performance.now();
  const v = await startViewer(images);
  best.start = Math.min(best.start, v.startMs);
  let t0 = performance.now();
  await page.goto(v.url);
  await page.waitForSelector('#image-canvas[data-ready="1"]', { timeout: 60_000 });
  best.image = Math.min(best.image, performance.now() - t0);
  best.imageTotal = Math.min(best.imageTotal, performance.now() - tc);
  await stopViewer(v);

  await page.goto('about:blank');
  tc = performance.now();
  const r = await startViewer(raw);
  best.startRaw = Math.min(best.startRaw, r.startMs);
  t0 = performance.now();
  await page.goto(r.url);
  await page.waitForSelector('.acq-row[data-index="0"]', { timeout: 60_000 });
  best.table = Math.min(best.table, performance.now() - t0);
  best.tableTotal = Math.min(best.tableTotal, performance.now() - tc);
  const total = Number((await page.$eval('#acq-total', (e) => e.textContent)).split(' ')[0]);
  t0 = performance.now();
  await page.$eval('#acq-scroller', (el) => { el.scrollTop = el.scrollHeight; });
  await page.waitForSelector(`.acq-row[data-index="${total - 1}"]`, { timeout: 60_000 });
  best.tableEnd = Math.min(best.tableEnd, performance.now() - t0);
  await stopViewer(r);
}

// a million rows: ready, then 20 jumps to random places (rows drawn after each)
let big = { ready: Infinity, jumps: [] };
{
  const v = await startViewer(rows1M);
  await page.goto('about:blank');
  const t0 = performance.now();
  await page.goto(v.url);
  await page.waitForSelector('.acq-row[data-index="0"]', { timeout: 60_000 });
  big.ready = performance.now() - t0;
  let seed = 1;
  for (let k = 0; k < 20; k++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const row = Math.floor((seed / 2147483648) * 999_000);
    const t1 = performance.now();
    await page.$eval('#acq-scroller', (el, r) => { el.scrollTop = r * 22; }, row);
    await page.waitForSelector(`.acq-row[data-index="${row + 2}"]`, { timeout: 60_000 });
    big.jumps.push(performance.now() - t1);
  }
  await stopViewer(v);
}
await browser.close();

// ---- mrd-info (headers only)
let info = Infinity;
for (let run = 0; run < RUNS; run++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [infoCli, '--json', raw], { encoding: 'utf8', env: toolEnv() });
  if (r.status !== 0) throw new Error(`mrd-info failed: ${r.stderr}`);
  info = Math.min(info, performance.now() - t0);
}

// ---- the peer: h5py
const python = ['/usr/bin/python3', 'python3'].find((py) => { const r = spawnSync(py, ['-c', 'import h5py, numpy'], { encoding: 'utf8' }); return !r.error && r.status === 0; });
const PY = String.raw`
import sys, time, h5py
raw, images = sys.argv[1], sys.argv[2]
t = time.perf_counter()
with h5py.File(images, 'r') as f:
    g = f['dataset']; s = sorted(k for k in g.keys() if k.startswith('image'))[-1]
    img = g[s]['data'][0]; hdr = g[s]['header'][0]
image = time.perf_counter() - t
t = time.perf_counter()
with h5py.File(raw, 'r') as f:
    rows = f['dataset/data'][0:100]
table = time.perf_counter() - t
t = time.perf_counter()
with h5py.File(raw, 'r') as f:
    heads = f['dataset/data'].fields('head')[:]
heads_t = time.perf_counter() - t
print(image * 1000, table * 1000, heads_t * 1000)
`;
let peer = null;
if (python) {
  peer = [Infinity, Infinity, Infinity];
  for (let run = 0; run < RUNS; run++) {
    const r = spawnSync(python, ['-c', PY, raw, images], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`h5py peer failed: ${r.stderr}`);
    r.stdout.trim().split(/\s+/).map(Number).forEach((v, k) => (peer[k] = Math.min(peer[k], v)));
  }
}

const ms = (v) => `${v.toFixed(0)} ms`;
const ratio = (a, b) => (b ? `${(a / b).toFixed(1)}x the peer` : 'no peer (python3-h5py missing)');
for (const l of caCertLines(caCertStartCost(5), { peers: 'h5py and Chromium keep their environment' })) console.log(l);
console.log(`cpus: 2 shared; best of ${RUNS}; page cache warm; times in the browser from page load`);
console.log(`mrd-view start (files opened, URL printed): images ${ms(best.start)}, raw ${ms(best.startRaw)}`);
console.log(`first image of the 2 GB image file shown:   ${ms(best.image)} (target < 1000 ms: ${best.image < 1000 ? 'met' : 'NOT met'}); h5py reading that image: ${peer ? ms(peer[0]) : 'n/a'} -> ${ratio(best.image, peer?.[0])}`);
console.log(`acquisition table of the 2 GB raw file ready: ${ms(best.table)} (target < 1000 ms: ${best.table < 1000 ? 'met' : 'NOT met'}); h5py reading its first 100 acquisitions: ${peer ? ms(peer[1]) : 'n/a'} -> ${ratio(best.table, peer?.[1])}`);
console.log(`from the command's start (files opened, server up, page loaded): first image ${ms(best.imageTotal)}, table ${ms(best.tableTotal)}`);
console.log(`jump to the table's last rows: ${ms(best.tableEnd)}`);
const sorted = [...big.jumps].sort((a, b) => a - b);
console.log(`table of 1,000,000 readouts: ready ${ms(big.ready)}; rows drawn after a jump to a random place: median ${ms(sorted[sorted.length >> 1])}, worst ${ms(sorted[sorted.length - 1])} (20 jumps)`);
console.log(`mrd-info --json on the 2 GB raw file (whole process): ${ms(info)}; h5py reading every acquisition header (head field): ${peer ? ms(peer[2]) : 'n/a'} -> ${ratio(info, peer?.[2])}`);
