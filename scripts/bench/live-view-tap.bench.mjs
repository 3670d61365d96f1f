#!/usr/bin/env node
// What mrd-server's live view (/view) costs the main thread's relay of a session's output: the
// relay scans every output chunk for message boundaries (MrdFrameScanner, always) and, only while
// a /view page watches, hands the complete messages to the live view's tap (MrdStreamDecoder +
// the last image per series kept). Measured on image streams as
// a recon sends them (one message per relayed chunk), in MB/s and microseconds per image:
//   relay scan only                      the peer: what the relay does for every session
//   relay scan + tap hook, nobody watches  `outputTap` is null: the cost the live view adds unwatched
//   relay scan + tap, watched            the decode (headers; pixels kept as views) while a page is open
// live-sessions.ts and mrd-core are bundled from source with esbuild into .bench-data/ first.
// Env: MRD_BENCH_MB (stream size, default 200).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data', 'live-view');
mkdirSync(dataDir, { recursive: true });
const bundle = join(dataDir, 'live-view.mjs');
await build({
  stdin: {
    contents: `export { LiveSessions } from './packages/mrd-server/src/live-view/live-sessions.ts';
export { MrdFrameScanner, encodeMessage } from './packages/mrd-core/src/stream/index.ts';
export { createImage } from './packages/mrd-core/src/messages/create.ts';`,
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
const { LiveSessions, MrdFrameScanner, encodeMessage, createImage } = await import(pathToFileURL(bundle).href);

const MB = 1e6;
const TOTAL = Number(process.env.MRD_BENCH_MB ?? 200) * MB;
const RUNS = 5;

/** A stream of images as chunks (one encoded message each), `series` series in turn. */
function stream(size, dataType, series) {
  const one = encodeMessage({ type: 'image', image: createImage({ dataType, matrixSize: [size, size, 1], head: { image_series_index: 0 } }) });
  const count = Math.max(1, Math.round(TOTAL / one.length));
  const chunks = [];
  for (let k = 0; k < count; k++) {
    const img = createImage({ dataType, matrixSize: [size, size, 1], head: { image_index: k, image_series_index: k % series } });
    img.data.fill(k % 100);
    chunks.push(Buffer.from(encodeMessage({ type: 'image', image: img })));
  }
  return chunks;
}

/** A stand-in for ClientConnection: the fields the live view reads, and the relay's hook. */
function fakeConnection(label) {
  return { label, outputTap: null, bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0, outputEndedAt: 0, timedOut: false, stoppedEarly: false, errorSent: null, socket: {} };
}

function run(chunks, mode) {
  const live = new LiveSessions({ sessionId: () => 'bench' });
  const conn = fakeConnection('127.0.0.1:1');
  live.connectionOpened(conn);
  live.sessionStarted(conn, null);
  let stop = null;
  if (mode === 'watched') stop = live.watch();
  const scanner = new MrdFrameScanner();
  globalThis.gc();
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (const c of chunks) {
    scanner.push(c); // what the relay does for every output chunk
    if (mode !== 'scan') conn.outputTap?.(c); // ClientConnection.onOutput's hook
    bytes += c.length;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const status = live.status();
  stop?.();
  return { s, bytes, status };
}

/** Best of RUNS for each mode, the modes interleaved (after one warm-up pass) so JIT and load hit all alike. */
function bestOf(chunks, modes) {
  for (const m of modes) run(chunks, m);
  const b = {};
  for (let r = 0; r < RUNS; r++) {
    for (const m of modes) {
      const x = run(chunks, m);
      if (!b[m] || x.s < b[m].s) b[m] = x;
    }
  }
  return b;
}

console.log(`live view tap: ${RUNS} runs each, best; ~${TOTAL / MB} MB per stream; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
for (const [size, dataType, name, series] of [[256, 5, '256x256 float32', 4], [512, 2, '512x512 uint16', 4], [64, 5, '64x64 float32', 4]]) {
  const chunks = stream(size, dataType, series);
  const { scan, unwatched: idle, watched } = bestOf(chunks, ['scan', 'unwatched', 'watched']);
  const mbs = (x) => (x.bytes / MB / x.s).toFixed(0);
  const us = (x) => ((x.s * 1e6) / chunks.length).toFixed(2);
  console.log(`\n${name}: ${chunks.length} images of ${chunks[0].length} bytes`);
  console.log(`  relay scan only (peer)              ${mbs(scan).padStart(7)} MB/s  ${us(scan).padStart(8)} us/image`);
  console.log(`  + tap hook, nobody watches          ${mbs(idle).padStart(7)} MB/s  ${us(idle).padStart(8)} us/image  ratio ${(idle.s / scan.s).toFixed(2)}x  kept ${idle.status.keptImages} images, ${idle.status.keptBytes} bytes`);
  console.log(`  + tap, watched (decode, keep)       ${mbs(watched).padStart(7)} MB/s  ${us(watched).padStart(8)} us/image  ratio ${(watched.s / scan.s).toFixed(2)}x  kept ${watched.status.keptImages} images, ${watched.status.keptBytes} bytes`);
}
