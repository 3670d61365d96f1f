#!/usr/bin/env node
// The client's input reader alone: the e2e inputs turned into MRD wire bytes (mrd-client's
// LocalInputSource, the reader its worker runs, acquisitions only) and written to /dev/null,
// against a raw fs.readSync of the same file in 2 MB blocks to /dev/null in the same run (the
// page cache's ceiling for one thread). Prints MB/s of file bytes for both and the ratio.
// Best of RUNS runs each, interleaved. Data: .bench-data/e2e/*.h5 of e2e-throughput.bench.mjs.
// --baseline <checkout> also times the reader of another checkout of the repository (its
// packages installed), e.g. a worktree of an earlier commit, in the same run: before/after.
// Usage: node scripts/bench/client-reader.bench.mjs [file.h5 ...] [--runs N] [--baseline <dir>]
import { build } from 'esbuild';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ri = process.argv.indexOf('--runs');
const RUNS = ri > 0 ? Number(process.argv[ri + 1]) : 3;
const bi = process.argv.indexOf('--baseline');
const baseline = bi > 0 ? process.argv[bi + 1] : undefined;
let files = process.argv.slice(2).filter((a, i, all) => a.endsWith('.h5') && all[i - 1] !== '--runs' && all[i - 1] !== '--baseline');
if (files.length === 0) {
  const dir = join(root, '.bench-data', 'e2e');
  files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.h5')).map((f) => join(dir, f)) : [];
}
if (files.length === 0) {
  console.error('no input: run scripts/bench/e2e-throughput.bench.mjs once (it generates .bench-data/e2e) or name files');
  process.exit(1);
}
const tmp = mkdtempSync(join(tmpdir(), 'client-reader-bench-'));
/** LocalInputSource of the checkout at `repo`, bundled into the temp folder as `name`. */
async function readerOf(repo, name) {
  const entry = join(tmp, `${name}.mjs`);
  await build({
    stdin: { contents: `export { LocalInputSource } from ${JSON.stringify(join(repo, 'packages/mrd-client/src/input-file-reader.ts'))};`, resolveDir: repo, loader: 'ts' },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: entry, logLevel: 'error',
    external: ['h5wasm'],
    absWorkingDir: join(repo, 'packages', 'mrd-client'),
  });
  return (await import(pathToFileURL(entry).href)).LocalInputSource;
}
const readers = [['client reader (this checkout)', await readerOf(root, 'ours')]];
if (baseline) readers.push([`client reader (${baseline})`, await readerOf(baseline, 'baseline')]);
const devnull = openSync('/dev/null', 'w');

async function timeReader(LocalInputSource, file) {
  const t0 = performance.now();
  const src = await LocalInputSource.open(file);
  const group = src.groups()[0];
  let bytes = 0;
  let count = 0;
  for await (const b of src.stream('acquisitions', group)) {
    writeSync(devnull, b.bytes);
    bytes += b.bytes.byteLength;
    count += b.count;
    b.release?.();
  }
  await src.close();
  return { ms: performance.now() - t0, bytes, count };
}

function raw(file) {
  const t0 = performance.now();
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(2 * 1024 * 1024);
  let pos = 0;
  for (;;) {
    const k = readSync(fd, buf, 0, buf.byteLength, pos);
    if (k <= 0) break;
    writeSync(devnull, buf, 0, k);
    pos += k;
  }
  closeSync(fd);
  return { ms: performance.now() - t0, bytes: pos };
}

console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const file of files) {
  const size = statSync(file).size;
  const best = readers.map(() => Infinity);
  let bestRaw = Infinity;
  let wire = 0;
  for (let r = 0; r < RUNS; r++) {
    bestRaw = Math.min(bestRaw, raw(file).ms);
    for (const [i, [, reader]] of readers.entries()) {
      const o = await timeReader(reader, file);
      best[i] = Math.min(best[i], o.ms);
      wire = o.bytes;
    }
  }
  const mbs = (ms) => (size / 1e6 / (ms / 1000)).toFixed(0);
  console.log(`${file.split('/').pop()} (${(size / 1e6).toFixed(0)} MB, ${(wire / 1e6).toFixed(0)} MB of wire bytes)`);
  console.log(`  raw fs.readSync 2 MB blocks -> /dev/null: ${bestRaw.toFixed(0).padStart(6)} ms, ${mbs(bestRaw).padStart(5)} MB/s`);
  for (const [i, [label]] of readers.entries()) {
    console.log(`  ${label} (file -> wire bytes -> /dev/null): ${best[i].toFixed(0).padStart(6)} ms, ${mbs(best[i]).padStart(5)} MB/s, ${(bestRaw / best[i]).toFixed(2)}x raw`);
  }
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
closeSync(devnull);
rmSync(tmp, { recursive: true, force: true });
