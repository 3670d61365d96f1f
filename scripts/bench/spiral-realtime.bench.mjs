#!/usr/bin/env node
// Real-time spiral view sharing (simplenufft1arm) on a 256 x 256, 8-coil golden-angle spiral
// stream from `mrd-phantom --trajectory spiral` (24 cm, 0.9375 mm, 24 interleaves, 2 us dwell).
//
// The module runs in this process on an in-memory connection that delivers one arm per TR, at
// the acquisition's own pace (TR from the header), and records when each image is sent:
// - latency: from the arrival of a frame's last arm to its image message being sent;
// - pace: whether every arm is taken in time (lag of each arm's processing start behind its
//   arrival), and the sustained throughput when the same stream is fed as fast as possible
//   (arms per second processed vs arms per second acquired).
// Reference figures: the per-frame latency target of 14 ms (CPU view sharing, Lingala et al.
// 2017); the reference implementation itself needs a GPU (SigPy/CuPy) and is not run here.
// Config: arms_per_frame 55, window_shift 17 (the reference's example), rssq; then adaptive
// (Inati maps from the first frame) with the maps on the frame path (async_coil_maps = false, the
// reference's way) and on the worker pool while frames flow (the default): side by side, the
// first frame's latency and the later frames' p50/p99, each session with a fresh worker pool (as
// a server session, which runs in its own thread). The 1-min load average is printed: on a
// shared machine the wall-clock figures are provisional.
// --repeat N: the paced adaptive sessions N times each, the two ways alternating (a load surge on
// a shared machine then hits both); the side-by-side table gives the median first frame and the
// p50/p99 of all later frames of the N sessions.
// --per-frame: for every paced adaptive session on the worker pool, each later frame over the
// 14 ms budget with what ran meanwhile (Linux: per thread of this process, CPU time / time
// waiting for a core, from /proc/self/task/*/schedstat from just before its last arm is due to its image,
// and the CPU each last ran on at both ends, "cpu 0>1", from /proc/self/task/*/stat: two busy threads on
// one CPU at both ends took turns on it;
// MAPS is the maps' thread (nice +10), main this one, the frame thread the other busy one, the
// rest V8's own (compilation, GC); gc: this thread's collections) and when the maps arrived.
// --frame-cpu: for every paced session, the CPU time of each later frame from its last arm (when
// the module takes it) to its image, per thread (Linux /proc/self/task/*/schedstat): median and
// p90 of the process (all threads), this thread, the frame thread (the busiest other thread at
// normal priority) and the rest; what a frame costs, less sensitive to the load than its latency.
// With --repeat N > 1 also per session, in order: the same CPU figures, the time this thread and
// the frame thread waited for a core over those frames (schedstat), the latency p50 / p99, and the
// CPU and the process's minor page faults (first touches of memory) of frames 2-6: whether a later
// session in the same process costs more (state kept from an earlier one) or only waits longer.
// --soak ARMS: instead, one long session (adaptive, maps on the pool) fed as fast as possible over
// ARMS arms (the stream repeated, scan counters continued), the process's memory printed every
// 200 frames: whether a long session grows (e.g. tasks queued on the frame pool).
// --arms N: a stream of N arms instead of 600 (32 frames at 55/17; generated once into its own
// file): with 600 arms a session has 31 later frames, so the p99 of 3 sessions is about their
// largest frame; --arms 2400 gives 137 frames a session, and a p99 of 408 later frames.
// Usage: node scripts/bench/spiral-realtime.bench.mjs [--paced-only] [--repeat N] [--arms N] [--per-frame] [--frame-cpu] [--soak ARMS]
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleSources } from './bundle-sources.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data', 'spiral');
mkdirSync(join(root, '.bench-data', 'build'), { recursive: true });
mkdirSync(dataDir, { recursive: true });
const armsAt = process.argv.indexOf('--arms');
const ARMS = armsAt > 0 ? Number(process.argv[armsAt + 1]) : 24 * 25;
if (!(Number.isInteger(ARMS) && ARMS >= 55)) throw new Error(`--arms must be a whole number >= 55 (one frame), got ${process.argv[armsAt + 1]}`);

// the third-party packages kept as written: each bundle sits in a package's dist folder (rebuilt by
// the build) so that they resolve from that package's node_modules
const externals = { external: /^(@echogarden\/pffft-wasm|smol-toml|h5wasm|fast-xml-parser|ndarray|piscina)/, from: null };
// beside spiral-recon
const bundle = await bundleSources(join(root, 'packages/spiral-recon/dist/bench-simplenufft1arm.mjs'), {
  contents: "export { process } from './packages/spiral-recon/src/simplenufft1arm.ts'; export { closeReconPools } from './packages/recon-kernels/src/pool/index.ts';",
}, externals);
// beside mrd-core, whose node_modules hold h5wasm
const coreBundle = await bundleSources(join(root, 'packages/mrd-core/dist/bench-core.mjs'), {
  contents: "export { MrdFile } from './packages/mrd-core/src/hdf5/reader/index.ts'; export { parseIsmrmrdHeader } from './packages/mrd-core/src/xml-header/index.ts';",
}, externals);
const { process: simplenufft1arm, closeReconPools } = await import(bundle);
const pacedOnly = process.argv.includes('--paced-only');
const repeatAt = process.argv.indexOf('--repeat');
const repeat = repeatAt > 0 ? Number(process.argv[repeatAt + 1]) : 1;
if (!(Number.isInteger(repeat) && repeat >= 1)) throw new Error(`--repeat must be a whole number >= 1, got ${process.argv[repeatAt + 1]}`);
const { MrdFile, parseIsmrmrdHeader } = await import(coreBundle);

const raw = join(dataDir, ARMS === 24 * 25 ? 'spiral256.h5' : `spiral256-${ARMS}.h5`);
if (!existsSync(raw)) {
  const cli = join(root, 'packages/phantom-gen/dist/cli.js');
  if (!existsSync(cli)) throw new Error('build first (node scripts/build.mjs)');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, '--trajectory', 'spiral', '-o', raw, '--fov', '24', '--spatial-resolution', '0.9375', '--interleaves', '24',
    '--arms', String(ARMS), '-c', '8', '--seed', '1', '--metafile-dir', dataDir, '-q'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  console.log(`(generated ${raw} in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
const f = await MrdFile.open(raw);
const header = parseIsmrmrdHeader(f.readHeader('dataset'));
const acqs = [];
for await (const a of f.acquisitions('dataset')) acqs.push({ head: a.head, traj: a.traj, data: a.data.slice() });
f.close();
const TR = header.sequenceParameters.TR[0];
const ns = acqs[0].head.number_of_samples;

function configDir(extra) {
  const d = join(dataDir, `cfg-${extra.replace(/\W+/g, '_')}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'rtspiral_vs_config.toml'), `metafile_paths = ["${dataDir}"]\n[reconstruction]\narms_per_frame = 55\nwindow_shift = 17\n${extra}\n`);
  return d;
}

const perFrame = process.argv.includes('--per-frame');
const frameCpu = process.argv.includes('--frame-cpu');
/** Per thread of this process: ms on a CPU, ms waiting for one, nice value, the CPU it last ran on (Linux; else an empty map). */
function threadTimes() {
  const out = new Map();
  if (!existsSync('/proc/self/task')) return out;
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const ss = readFileSync(`/proc/self/task/${t}/schedstat`, 'utf8').split(' ');
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), { run: Number(ss[0]) / 1e6, wait: Number(ss[1]) / 1e6, nice: Number(f[16]), cpu: Number(f[36]) });
    } catch { /* the thread ended */ }
  }
  return out;
}
/** The process's minor page faults so far (Linux /proc/self/stat; else 0). */
function minorFaults() {
  try {
    const st = readFileSync('/proc/self/stat', 'utf8');
    return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[7]);
  } catch { return 0; }
}
const gcs = [];
if (perFrame) new PerformanceObserver((list) => { for (const e of list.getEntries()) gcs.push({ start: e.startTime, dur: e.duration }); }).observe({ entryTypes: ['gc'] });

/** Feeds the arms at TR pace (paced) or at once; returns per-frame latencies and per-arm lags. */
async function run(extra, paced) {
  const arrival = new Float64Array(acqs.length);
  const taken = new Float64Array(acqs.length);
  const lat = [];
  const cpuLat = [];
  let last = -1;
  let cpuAtLast = 0;
  let threadsAtLast = null;
  const breakdown = [];
  const threadCpu = []; // --frame-cpu: per frame, Map tid -> ms on a CPU (with the nice value)
  let threadsAtDue = null;
  let faultsAtDue = 0;
  const frameFaults = []; // --frame-cpu: per frame, the process's minor page faults (first touches of memory)
  const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  const start = performance.now() + 50;
  const conn = {
    async *[Symbol.asyncIterator]() {
      for (let j = 0; j < acqs.length; j++) {
        if (paced) {
          const due = start + j * TR;
          const wait = due - performance.now();
          if (wait > 1) await new Promise((r) => setTimeout(r, wait - 0.5));
          if (perFrame) threadsAtLast = threadTimes(); // (before the arm is due: not on its latency)
          while (performance.now() < due) { /* sub-ms wait */ }
          arrival[j] = due;
        } else arrival[j] = performance.now();
        if (frameCpu) { threadsAtDue = threadTimes(); faultsAtDue = minorFaults(); } // (when the arm is taken: after this thread's wait for it, and after a backlog)
        taken[j] = performance.now();
        last = j;
        cpuAtLast = cpuNow();
        yield { type: 'acquisition', acquisition: acqs[j] };
      }
    },
    async sendImage() {
      const now = performance.now();
      lat.push(now - arrival[last]);
      cpuLat.push(cpuNow() - cpuAtLast);
      if (threadsAtDue !== null) {
        const d = new Map();
        for (const [tid, v] of threadTimes()) d.set(tid, { run: v.run - (threadsAtDue.get(tid)?.run ?? 0), wait: v.wait - (threadsAtDue.get(tid)?.wait ?? 0), nice: v.nice });
        threadCpu.push(d);
        frameFaults.push(minorFaults() - faultsAtDue);
      }
      if (threadsAtLast !== null) {
        const parts = [];
        for (const [tid, v] of threadTimes()) {
          const b = threadsAtLast.get(tid) ?? { run: 0, wait: 0 };
          const run = v.run - b.run, wait = v.wait - b.wait;
          if (run > 0.5 || wait > 0.5) parts.push(`${tid === process.pid ? 'main' : v.nice > 0 ? 'MAPS' : tid} ${run.toFixed(1)}/${wait.toFixed(1)} cpu ${b.cpu ?? '?'}>${v.cpu}`);
        }
        const g = gcs.filter((x) => x.start + x.dur > arrival[last] && x.start < now).map((x) => `gc ${x.dur.toFixed(1)}`);
        breakdown.push([...parts, ...g].join(', '));
      }
    },
    async sendLogging() {}, async sendText() {}, async sendClose() {}, async sendAcquisition() {}, async sendWaveform() {},
    async sendHeader() {}, async sendConfigFile() {}, async sendConfigText() {},
  };
  await closeReconPools(); // a fresh pool per session, as in the server
  let mapsAtFrame = 0;
  const t0 = performance.now();
  const c0 = cpuNow();
  await simplenufft1arm(conn, 'simplenufft1arm', header, { configSearchPath: [configDir(extra)], cwd: dataDir, onCoilMaps: () => { mapsAtFrame = lat.length + 1; } });
  const total = performance.now() - t0;
  const cpu = cpuNow() - c0;
  const lags = Array.from(taken, (t, j) => t - arrival[j]);
  return { lat, cpuLat, lags, total, cpu, mapsAtFrame, breakdown, threadCpu, frameFaults };
}

const soakAt = process.argv.indexOf('--soak');
if (soakAt > 0) {
  const arms = Number(process.argv[soakAt + 1]);
  if (!(Number.isInteger(arms) && arms > 0)) throw new Error(`--soak must be a whole number of arms, got ${process.argv[soakAt + 1]}`);
  const mb = (x) => `${(x / 1048576).toFixed(1)} MB`;
  const mem = () => { const m = process.memoryUsage(); return `rss ${mb(m.rss)}, heap used ${mb(m.heapUsed)}, array buffers ${mb(m.arrayBuffers)}`; };
  let frames = 0;
  const t0 = performance.now();
  const conn = {
    async *[Symbol.asyncIterator]() {
      for (let j = 0; j < arms; j++) {
        const a = acqs[j % acqs.length];
        yield { type: 'acquisition', acquisition: { ...a, head: { ...a.head, scan_counter: j + 1 } } };
      }
    },
    async sendImage() {
      if (++frames % 200 === 0) console.log(`  frame ${frames}, ${((performance.now() - t0) / 1000).toFixed(1)} s: ${mem()}`);
    },
    async sendLogging() {}, async sendText() {}, async sendClose() {}, async sendAcquisition() {}, async sendWaveform() {},
    async sendHeader() {}, async sendConfigFile() {}, async sendConfigText() {},
  };
  console.log(`soak: one adaptive session (maps on the pool) of ${arms} arms fed as fast as possible; at the start: ${mem()}`);
  await simplenufft1arm(conn, 'simplenufft1arm', header, { configSearchPath: [configDir('coil_combine = "adaptive"')], cwd: dataDir });
  console.log(`soak: ${frames} frames in ${((performance.now() - t0) / 1000).toFixed(1)} s; at the end: ${mem()} (1-min load average ${(await import('node:os')).loadavg()[0].toFixed(2)})`);
  await closeReconPools();
  process.exit(0);
}

const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))]; };
const f1 = (x) => x.toFixed(1);
const load = (await import('node:os')).loadavg()[0];
console.log(`(load average ${load.toFixed(1)} on ${(await import('node:os')).cpus().length} cores: wall-clock figures include waiting for the CPU when others run; CPU-time figures do not)`);
console.log(`spiral real-time: ${acqs.length} arms, ${acqs[0].head.active_channels} coils, ${ns} samples/arm, matrix ${header.encoding[0].reconSpace.matrixSize.x}, TR ${TR} ms (${(1000 / TR).toFixed(0)} arms/s acquired), arms_per_frame 55, window_shift 17`);
const modes = [
  ['rssq', ''],
  ['adaptive, maps on the frame path (async_coil_maps = false)', 'coil_combine = "adaptive"\nasync_coil_maps = false'],
  ['adaptive, maps on the worker pool (default)', 'coil_combine = "adaptive"'],
];
const pacedRuns = new Map();
for (const [name, extra] of modes) {
  if (!pacedOnly) {
    const fast = await run(extra, false);
    const armsPerS = (acqs.length / fast.total) * 1000;
    const cpuPerArm = fast.cpu / acqs.length;
    console.log(`  ${name}: as fast as possible ${f1(fast.total)} ms wall for ${acqs.length} arms = ${armsPerS.toFixed(0)} arms/s (${(armsPerS / (1000 / TR)).toFixed(2)} x acquisition rate); process CPU time ${f1(fast.cpu)} ms = ${cpuPerArm.toFixed(2)} ms per arm incl. frames; process CPU time (this thread and the pool's) last arm -> image median ${f1(q(fast.cpuLat.slice(1), 0.5))} ms, max ${f1(Math.max(...fast.cpuLat.slice(1)))} ms, first frame ${f1(fast.cpuLat[0])} ms`);
  }
  const paced = await run(extra, true);
  pacedRuns.set(name, paced);
  const steady = paced.lat.slice(1);
  console.log(`  ${name}: at acquisition pace: ${paced.lat.length} frames; latency last arm -> image: first frame ${f1(paced.lat[0])} ms, then p50 ${f1(q(steady, 0.5))} ms, p99 ${f1(q(steady, 0.99))} ms, max ${f1(Math.max(...steady))} ms (target < 14 ms)${!paced.mapsAtFrame ? '' : paced.mapsAtFrame > paced.lat.length ? '; maps computed only after the last frame' : `; maps computed before frame ${paced.mapsAtFrame}`}; arm lag behind arrival median ${f1(q(paced.lags, 0.5))} ms, max ${f1(Math.max(...paced.lags))} ms; session ${f1(paced.total)} ms for ${f1(acqs.length * TR)} ms of acquisition, process CPU time ${f1(paced.cpu)} ms`);
}
const syncRuns = [pacedRuns.get(modes[1][0])], asyncRuns = [pacedRuns.get(modes[2][0])];
for (let r = 1; r < repeat; r++) {
  syncRuns.push(await run(modes[1][1], true));
  asyncRuns.push(await run(modes[2][1], true));
}
const median = (a) => q(a, 0.5);
if (frameCpu) {
  // the frame thread: the other thread at normal priority with the most CPU over the session's later frames
  const split = (x) => {
    const later = x.threadCpu.slice(1);
    const total = new Map();
    for (const d of later) for (const [tid, v] of d) if (tid !== process.pid && v.nice <= 0) total.set(tid, (total.get(tid) ?? 0) + v.run);
    const ft = [...total].sort((a, b) => b[1] - a[1])[0]?.[0];
    return later.map((d) => {
      let all = 0;
      for (const v of d.values()) all += v.run;
      const main = d.get(process.pid)?.run ?? 0, frame = ft === undefined ? 0 : d.get(ft)?.run ?? 0;
      const mainWait = d.get(process.pid)?.wait ?? 0, frameWait = ft === undefined ? 0 : d.get(ft)?.wait ?? 0;
      return { all, main, frame, rest: all - main - frame, mainWait, frameWait };
    });
  };
  const stat = (a) => `${f1(q(a, 0.5))} / ${f1(q(a, 0.9))}`;
  console.log('per frame CPU (ms, median / p90 over the later frames; threads from /proc/self/task: all, this thread, the frame thread, the rest):');
  for (const [name, runs] of [...pacedRuns.keys()].map((k) => [k, k === modes[1][0] ? syncRuns : k === modes[2][0] ? asyncRuns : [pacedRuns.get(k)]])) {
    const rows = runs.flatMap(split);
    if (rows.length === 0) continue;
    console.log(`  ${name}, ${runs.length} session(s), ${rows.length} frames: all ${stat(rows.map((r) => r.all))}; this thread ${stat(rows.map((r) => r.main))}; frame thread ${stat(rows.map((r) => r.frame))}; rest ${stat(rows.map((r) => r.rest))}`);
    if (runs.length > 1) {
      runs.forEach((x, i) => {
        const r = split(x);
        console.log(`    session ${i + 1}: all ${stat(r.map((v) => v.all))}; this thread ${stat(r.map((v) => v.main))}; frame thread ${stat(r.map((v) => v.frame))}; waiting for a core: this thread ${stat(r.map((v) => v.mainWait))}, frame thread ${stat(r.map((v) => v.frameWait))}; latency p50 / p99 ${f1(q(x.lat.slice(1), 0.5))} / ${f1(q(x.lat.slice(1), 0.99))} ms`);
        console.log(`      frames 2-6: CPU all ${r.slice(0, 5).map((v) => f1(v.all)).join(', ')} ms, minor page faults ${x.frameFaults.slice(1, 6).join(', ')}; later frames' faults median ${q(x.frameFaults.slice(6), 0.5)}`);
      });
    }
  }
}
if (perFrame) {
  console.log('per frame, adaptive with the maps on the worker pool: later frames over 14 ms (thread: ms on a CPU / ms waiting for one, between the last arm and the image)');
  asyncRuns.forEach((x, i) => {
    const over = x.lat.map((l, k) => [l, k]).filter(([l, k]) => k > 0 && l > 14);
    console.log(`  session ${i + 1}: maps used from frame ${x.mapsAtFrame > x.lat.length ? 'never' : x.mapsAtFrame}; ${over.length} of ${x.lat.length - 1} later frames over 14 ms`);
    for (const [l, k] of over) console.log(`    frame ${k + 1}: ${f1(l)} ms; ${x.breakdown[k] || '(no per-thread figures here)'}`);
  });
}
const firsts = (runs) => runs.map((x) => x.lat[0]);
const laters = (runs) => runs.flatMap((x) => x.lat.slice(1));
const row = (label, a, b) => console.log(`    ${label.padEnd(28)} ${f1(b).padStart(8)} ms ${f1(a).padStart(8)} ms   ${(b / a).toFixed(2)} x`);
console.log(`adaptive at acquisition pace, maps on the frame path vs on the worker pool (ratio: frame path / pool)${repeat > 1 ? `, ${repeat} sessions each, alternating` : ''}:`);
console.log(`    ${''.padEnd(28)} ${'frame path'.padStart(11)} ${'pool'.padStart(11)}`);
row(repeat > 1 ? 'first frame (median)' : 'first frame', median(firsts(asyncRuns)), median(firsts(syncRuns)));
row('later frames p50', q(laters(asyncRuns), 0.5), q(laters(syncRuns), 0.5));
row('later frames p99', q(laters(asyncRuns), 0.99), q(laters(syncRuns), 0.99));
row('later frames max', Math.max(...laters(asyncRuns)), Math.max(...laters(syncRuns)));
const over14 = (runs) => `${laters(runs).filter((l) => l > 14).length} of ${laters(runs).length}`;
console.log(`    later frames over 14 ms, frame path: ${over14(syncRuns)}; pool: ${over14(asyncRuns)}`);
if (repeat > 1) {
  console.log(`    first frames, frame path: ${firsts(syncRuns).map(f1).join(', ')} ms; pool: ${firsts(asyncRuns).map(f1).join(', ')} ms`);
  console.log(`    process CPU time per session (all threads), frame path: ${syncRuns.map((x) => f1(x.cpu)).join(', ')} ms; pool: ${asyncRuns.map((x) => f1(x.cpu)).join(', ')} ms`);
  console.log(`    pool: maps used from frame ${asyncRuns.map((x) => (x.mapsAtFrame > x.lat.length ? 'never' : x.mapsAtFrame)).join(', ')}`);
}
console.log(`(targets: first frame < 50 ms, later frames p99 < 14 ms; 1-min load average at the end ${(await import('node:os')).loadavg()[0].toFixed(2)})`);
await closeReconPools();
