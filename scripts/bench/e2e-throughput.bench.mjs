#!/usr/bin/env node
// End-to-end throughput of the streaming pair: mrd-client -> mrd-server -> mrd-client, on a raw
// file of ~250 MB (1536 readouts of 32 coils x 512 samples), with config `null` (the server
// drains and answers CLOSE) and `invertcontrast` (6 reconstructions of 32 coils, 256 x 512 each),
// then throughput and peak memory (RSS) of the server and the client on a ~2 GB input with config
// `null`.
//
// Throughput = size of the input file / wall time of the client process (start to exit: reading
// the file, sending, the server's work, receiving and writing the results). Best of 3 runs.
//
// Where the time goes: both processes run with MRD_PHASE_TIMES=1 and report their phases (ms,
// for the best run): the client's read and encode (its reader thread), its wait for the socket
// to take the bytes (the server's pace), its decode and storing of results; the server's relay
// (main thread), decode, module (its own work, not its waits) and encode back. Phases overlap
// (reading, sending, decoding and the module run at once), so each share is that phase's busy
// time over the client's wall time, and the shares do not add up to 100%: the largest is the
// bottleneck. Peak RSS: the client's from /usr/bin/time, the server's VmHWM (every session
// thread included). The load average is printed before and after: on a shared machine the
// figures are only as good as it is quiet.
// CPU per MB (load-robust, unlike wall time): the server process's user+system CPU over each
// client run (/proc/<pid>/stat before and after it: all its threads, the main thread's part from
// /proc/<pid>/task/<pid>/stat) and the client's (/usr/bin/time %U %S), in ms per MB of input,
// every run listed. On 2 cores shared by client and server, 1.2 GB/s needs the two together
// under ~1.6 ms/MB, the server well under 0.8.
//
// The reference Python pair (client.py/server.py) needs ismrmrd-python, which Debian does not
// package, so it cannot run here. As a peer measured in the same run, this bench runs an
// equivalent python3 + numpy + h5py pair written after the reference's code paths: the client
// reads each acquisition through h5py one at a time (ismrmrd.Dataset.read_acquisition) and sends
// header, trajectory and data with one socket.send each (Acquisition.serialize_into); the server
// reads every message with recv(MSG_WAITALL) into numpy arrays (connection.py) and, for `null`,
// answers CLOSE. It is reported as "python pair (equivalent)"; the issue quotes the real
// reference pair at about 55 MB/s for `null` on this machine (quoted, not measured here).
//
// Targets (issue 18): `null` on this input >= 4x the Python pair and >= 800 MB/s; on the 2 GB
// input >= 1.2 GB/s; `invertcontrast` >= 400 MB/s; server and client peak RSS < 300 MB each.
//
// Data is generated once into .bench-data/ with the ISMRMRD C++ generator
// (ismrmrd_generate_cartesian_shepp_logan) or, without it, with mrd-phantom.
// The share of each input in the page cache before its runs is printed (util-linux `fincore`): a
// VM that keeps little page cache may hold only part of the 2 GB file, whose `null` run then
// reads from disk; --warm-2gb reads the whole file once before that run.
// NODE_EXTRA_CA_CERTS (set in some sandboxes) makes every Node process parse a certificate bundle
// as it starts: our client and server run without it (they open no TLS connection; a site's Node
// does not set it by default), the Python pair keeps its environment, and the variable's cost per
// process start (`node -e 0` with and without) is measured and printed in the same run
// (node-env.mjs); --keep-ca-env runs our pair with it, as the environment gives it.
// --cold-2gb drops the page cache (`sync; echo 1 > /proc/sys/vm/drop_caches`, root only) just before the
// 2 GB `null` client run, so that the input is read from disk (a site's usual case: yesterday's raw
// file), and measures as the peer the same file's cold read by `dd bs=8M` (the cache dropped again
// before it) and prints both rates and their ratio; without root it says it cannot and marks the
// run as not cold. The 2 GB `invertcontrast` run after it is not affected (run with
// --no-invertcontrast to save the time). docs/streaming-performance.md, branch `cold-read`.
// Usage: node scripts/bench/e2e-throughput.bench.mjs [--no-2gb] [--warm-2gb | --cold-2gb] [--no-python] [--no-invertcontrast]
//          [--client-cli <cli.js>] [--server-cli <cli.js>] [--server-env NAME=VALUE ...] [--keep-ca-env]
// --server-env (repeatable) sets a variable for the server only, e.g. glibc's malloc
// tuning GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (docs/streaming-performance.md), read when the process starts.
// --client-cli/--server-cli time other builds of the pair (e.g. an earlier commit's dist/cli.js,
// copied with the rest of its dist/*.js into that package's node_modules/ so its packages
// resolve), for before/after comparisons in one machine state.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { caCertLines, caCertStartCost, toolEnv } from './node-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dataDir = join(root, '.bench-data', 'e2e');
mkdirSync(dataDir, { recursive: true });
// Private copies of the built CLIs, so a concurrent `node scripts/build.mjs` (which empties
// dist/) cannot pull them away mid-run. They live in the package's node_modules (gitignored),
// where the packages they import resolve as from dist/.
function privateCopy(pkg) {
  const src = join(root, 'packages', pkg, 'dist', 'cli.js');
  for (let i = 0; i < 120 && !existsSync(src); i++) spawnSync('sleep', ['0.5']);
  if (!existsSync(src)) {
    console.error(`${src} missing: run "node scripts/build.mjs" (pnpm bench does)`);
    process.exit(1);
  }
  const dir = join(root, 'packages', pkg, 'node_modules', '.mrd-bench');
  mkdirSync(dir, { recursive: true });
  // Workers started from the CLI (mrd-client's input reader) and the chunks it loads (a split
  // build: dist/<name>-<hash>.js) sit beside it.
  for (const f of readdirSync(join(root, 'packages', pkg, 'dist'))) {
    if (f.endsWith('.js')) copyFileSync(join(root, 'packages', pkg, 'dist', f), join(dir, f));
  }
  return join(dir, 'cli.js');
}
function argValue(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const serverCli = argValue('--server-cli') ?? privateCopy('mrd-server');
const serverEnv = Object.fromEntries(process.argv.flatMap((a, i) => {
  if (process.argv[i - 1] !== '--server-env') return [];
  const eq = a.indexOf('=');
  if (eq <= 0) {
    console.error(`--server-env ${a}: expected NAME=VALUE`);
    process.exit(2);
  }
  return [[a.slice(0, eq), a.slice(eq + 1)]];
}));
const clientCli = argValue('--client-cli') ?? privateCopy('mrd-client');
const phantomCli = join(root, 'packages/phantom-gen/dist/cli.js');
const RUNS = 3;
const want2gb = !process.argv.includes('--no-2gb');
const MB = 1e6;
/** The environment of our client and server (see the header): without NODE_EXTRA_CA_CERTS unless --keep-ca-env. */
const oursEnv = process.argv.includes('--keep-ca-env') ? { ...process.env } : toolEnv();

function have(cmd, args = ['--help']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return !r.error;
}
const python = ['/usr/bin/python3', 'python3'].find((py) => {
  const r = spawnSync(py, ['-c', 'import h5py, numpy'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
});
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** The share of `file` resident in the page cache, as text ("87 %"), from util-linux's fincore; 'unknown' without it. */
function inPageCache(file) {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES,SIZE', file], { encoding: 'utf8' });
  const [res, size] = r.status === 0 ? r.stdout.trim().split(/\s+/).map(Number) : [];
  return size > 0 ? `${((100 * res) / size).toFixed(0)} %` : 'unknown (no fincore)';
}

/** Reads `file` through once (into the page cache, as far as it keeps it). */
async function readThrough(file) {
  for await (const chunk of createReadStream(file, { highWaterMark: 8 << 20 })) void chunk;
}

function generate(file, reps) {
  if (existsSync(file)) return;
  console.log(`generating ${file} ...`);
  const tmp = file + '.part';
  rmSync(tmp, { force: true });
  let r;
  if (have('ismrmrd_generate_cartesian_shepp_logan')) r = spawnSync('ismrmrd_generate_cartesian_shepp_logan', ['-m', '256', '-c', '32', '-r', String(reps), '-o', tmp], { stdio: 'ignore' });
  else r = spawnSync(process.execPath, [phantomCli, '-m', '256', '-c', '32', '-r', String(reps), '-o', tmp], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`could not generate ${file}`);
  spawnSync('mv', [tmp, file]);
}

function vmHwmKb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

const TICK_MS = 1000 / (Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100);
/** User+system CPU (ms) of `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`; NaN when unreadable. */
function cpuMs(statPath) {
  try {
    const s = readFileSync(statPath, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime (fields 14, 15)
  } catch {
    return NaN;
  }
}
const serverCpu = (pid) => ({ all: cpuMs(`/proc/${pid}/stat`), main: cpuMs(`/proc/${pid}/task/${pid}/stat`) });

function startServer(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [serverCli, '-p', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...oursEnv, ...serverEnv, MRD_PHASE_TIMES: '1' } });
    let out = '';
    const server = { proc: p, port: 0, lines: [], stop: () => new Promise((r) => { p.once('exit', r); p.kill('SIGTERM'); }) };
    let partial = '';
    p.stdout.on('data', (c) => {
      out += c;
      partial += c;
      const lines = partial.split('\n');
      partial = lines.pop();
      for (const l of lines) if (/ phases \{/.test(l)) server.lines.push(l);
      const m = /Server listening at [^\s]+:(\d+)/.exec(out);
      if (m && !server.port) {
        server.port = Number(m[1]);
        resolve(server);
      }
    });
    p.stderr.on('data', (c) => (out += c));
    p.on('exit', () => reject(new Error(`server exited:\n${out}`)));
  });
}

/** Runs a command in `env`; returns wall seconds and (with /usr/bin/time) its peak RSS in kB. */
function timed(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const full = timeBin ? [timeBin, ['-f', 'MAXRSS %M CPU %U %S', cmd, ...args]] : [cmd, args];
    const t0 = process.hrtime.bigint();
    const p = spawn(full[0], full[1], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...env, MRD_PHASE_TIMES: '1' } });
    let err = '';
    p.stderr.on('data', (c) => (err += c));
    p.on('exit', (code) => {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${err.slice(-2000)}`));
      const m = /MAXRSS (\d+) CPU ([\d.]+) ([\d.]+)/.exec(err);
      const ph = /mrd-client phases (\{.*\})/.exec(err);
      resolve({ seconds: s, maxRssKb: m ? Number(m[1]) : NaN, cpuMs: m ? 1000 * (Number(m[2]) + Number(m[3])) : NaN, phases: ph ? JSON.parse(ph[1]) : null });
    });
  });
}

/** The server's phase lines of the session just run (they are logged as its connection closes). */
async function serverPhases(server, before) {
  for (let i = 0; i < 100 && server.lines.length < before + 2; i++) await new Promise((r) => setTimeout(r, 20));
  const out = {};
  for (const l of server.lines.slice(before)) {
    const m = / phases (\{.*\})/.exec(l);
    if (m) Object.assign(out, JSON.parse(m[1]));
  }
  return out;
}

/** Drops the page cache (clean pages: every file's cached data); false when this process may not (not root). */
function dropPageCache() {
  spawnSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch {
    return false;
  }
}

/** Reads `file` with `dd bs=8M` (GNU coreutils) into /dev/null: MB/s from its byte count and the wall time, or null without dd. */
function ddRate(file) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('dd', [`if=${file}`, 'of=/dev/null', 'bs=8M'], { encoding: 'utf8' });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /^(\d+) bytes/m.exec(r.stderr ?? '');
  return r.status === 0 && m ? Number(m[1]) / MB / s : null;
}

async function ours(file, config, runs = RUNS, beforeRun = () => undefined) {
  const server = await startServer(['-d', 'null', '-S', join(dataDir, 'saved')]);
  try {
    let best = Infinity;
    let clientRss = 0;
    let phases = null;
    const cpu = [];
    const fileMb = statSync(file).size / MB;
    for (let i = 0; i < runs; i++) {
      const out = join(dataDir, `out-${config}-${process.pid}.h5`);
      rmSync(out, { force: true });
      const before = server.lines.length;
      beforeRun();
      const c0 = serverCpu(server.proc.pid);
      const r = await timed(process.execPath, [clientCli, '-q', '-p', String(server.port), '-c', config, '-G', 'bench', '-o', out, file], oursEnv);
      const sp = await serverPhases(server, before);
      const c1 = serverCpu(server.proc.pid);
      cpu.push({ server: (c1.all - c0.all) / fileMb, serverMain: (c1.main - c0.main) / fileMb, client: r.cpuMs / fileMb, mbps: fileMb / r.seconds });
      if (r.seconds < best) phases = { client: r.phases, server: sp, seconds: r.seconds };
      best = Math.min(best, r.seconds);
      clientRss = Math.max(clientRss, r.maxRssKb);
      rmSync(out, { force: true });
    }
    return { best, clientRss, serverRss: vmHwmKb(server.proc.pid), phases, cpu };
  } finally {
    await server.stop();
  }
}

/** CPU per MB of input of every run: server (all threads, main thread), client. */
function printCpu(label, r) {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
  const runs = r.cpu.map((c) => `server ${f(c.server)} (main ${f(c.serverMain)}) client ${f(c.client)} [${c.mbps.toFixed(0)} MB/s]`);
  console.log(`${label}: CPU ms per MB, each run (load ${la()}): ${runs.join('; ')}`);
}

/** Each phase's busy time and its share of the client's wall time (best run). */
function printPhases(label, r) {
  const p = r.phases;
  if (!p || !p.client) {
    console.log(`${label}: no phase times (a build without MRD_PHASE_TIMES support?)`);
    return;
  }
  const wall = p.seconds * 1000;
  const c = p.client;
  const s = p.server;
  const rows = [
    ['client read (file -> wire bytes)', c.readMs],
    ['client encode', c.encodeMs],
    ['client waits for the socket (server pace)', c.sendWaitMs],
    ['server relay (main thread)', s.relayMs],
    ['server decode', s.decodeMs],
    ['server module (own work)', s.moduleMs],
    ['server encode back', s.encodeMs],
    ['client receive (decode)', c.decodeMs],
    ['client results (store, write)', c.resultsMs],
    ['client set-up (reader boot, describe, connect)', c.setupMs],
    ['client waits for its reader (next batch)', c.readerWaitMs],
    ['client socket idle (nothing read to send)', c.socketIdleMs],
    ['client finish (last byte sent -> end of run)', c.finishMs],
    ['client run (inside the process)', c.wallMs],
    ['client start-up and exit (outside the run)', wall - c.wallMs],
    ['  of which start-up (process start -> run)', c.startMs],
    ['  of which exit (end of run -> process gone)', c.startMs === undefined ? undefined : wall - c.wallMs - c.startMs],
  ];
  console.log(`${label}: phases of the best run (${wall.toFixed(0)} ms wall; phases overlap, share = busy / wall)`);
  for (const [name, ms] of rows) {
    if (ms === undefined) continue;
    console.log(`  ${name.padEnd(47)} ${String(Math.round(ms)).padStart(7)} ms  ${((100 * ms) / wall).toFixed(0).padStart(4)}%`);
  }
}

const mb = (kb) => (kb / 1024).toFixed(0);
const rssMet = (r) => r.serverRss / 1024 < 300 && r.clientRss / 1024 < 300;
const la = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const PY_SERVER = String.raw`
import socket, struct, sys, numpy as np
ec = np.dtype([('kspace_encode_step_1','<u2'),('kspace_encode_step_2','<u2'),('average','<u2'),('slice','<u2'),('contrast','<u2'),('phase','<u2'),('repetition','<u2'),('set','<u2'),('segment','<u2'),('user','<u2',(8,))])
ah = np.dtype([('version','<u2'),('flags','<u8'),('measurement_uid','<u4'),('scan_counter','<u4'),('acquisition_time_stamp','<u4'),('physiology_time_stamp','<u4',(3,)),('number_of_samples','<u2'),('available_channels','<u2'),('active_channels','<u2'),('channel_mask','<u8',(16,)),('discard_pre','<u2'),('discard_post','<u2'),('center_sample','<u2'),('encoding_space_ref','<u2'),('trajectory_dimensions','<u2'),('sample_time_us','<f4'),('position','<f4',(3,)),('read_dir','<f4',(3,)),('phase_dir','<f4',(3,)),('slice_dir','<f4',(3,)),('patient_table_position','<f4',(3,)),('idx',ec),('user_int','<i4',(8,)),('user_float','<f4',(8,))])
assert ah.itemsize == 340
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', 0)); s.listen(0)
print(s.getsockname()[1], flush=True)
while True:
    c, _ = s.accept()
    read = lambda n: c.recv(n, socket.MSG_WAITALL)
    while True:
        b = read(2)
        if len(b) == 0: break
        mid = struct.unpack('<H', b)[0]
        if mid == 1: read(1024)
        elif mid in (2, 3, 5):
            n = struct.unpack('<I', read(4))[0]; read(n)
        elif mid == 4:
            c.send(struct.pack('<H', 4)); break
        elif mid == 1008:
            h = np.frombuffer(read(340), dtype=ah)[0]
            ns, ch, td = int(h['number_of_samples']), int(h['active_channels']), int(h['trajectory_dimensions'])
            traj = np.frombuffer(read(ns * td * 4), dtype=np.float32).reshape((ns, td)) if ns * td else np.zeros((0,), np.float32)
            data = np.frombuffer(read(ns * ch * 8), dtype=np.complex64).reshape((ch, ns))
        else:
            raise SystemExit('unsupported message %d' % mid)
    c.close()
`;

const PY_CLIENT = String.raw`
import socket, struct, sys, h5py, numpy as np
fn, port = sys.argv[1], int(sys.argv[2])
f = h5py.File(fn, 'r'); g = f['dataset']; d = g['data']
xml = g['xml'][0]; xml = xml if isinstance(xml, bytes) else xml.encode()
s = socket.create_connection(('127.0.0.1', port))
s.send(struct.pack('<H', 1)); s.send(struct.pack('<1024s', b'null'))
s.send(struct.pack('<H', 3)); x = xml + b'\0'; s.send(struct.pack('<I', len(x))); s.send(x)
for i in range(d.shape[0]):
    a = d[i]                                   # ismrmrd.Dataset.read_acquisition(i)
    head = np.array(a['head']).tobytes()
    s.send(struct.pack('<H', 1008))            # Acquisition.serialize_into(socket.send)
    s.send(head); s.send(np.asarray(a['traj'], np.float32).tobytes()); s.send(np.asarray(a['data'], np.float32).tobytes())
s.send(struct.pack('<H', 4))
while s.recv(65536): pass
s.close()
`;

async function pythonPair(file) {
  if (!python) return null;
  const srvFile = join(dataDir, 'py_server.py');
  const cliFile = join(dataDir, 'py_client.py');
  writeFileSync(srvFile, PY_SERVER);
  writeFileSync(cliFile, PY_CLIENT);
  const srv = spawn(python, [srvFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) => srv.stdout.once('data', (c) => resolve(Number(String(c).trim()))));
  try {
    let best = Infinity;
    for (let i = 0; i < RUNS; i++) best = Math.min(best, (await timed(python, [cliFile, file, String(port)], process.env)).seconds);
    return best;
  } finally {
    srv.kill('SIGKILL');
  }
}

const file = join(dataDir, 'raw_m256_c32_r6.h5');
generate(file, 6);
const size = statSync(file).size;
const cachedBefore = inPageCache(file);
console.log(`input: ${file} (${(size / MB).toFixed(0)} MB, 1536 readouts of 32 coils x 512 samples; in page cache before the runs: ${cachedBefore})`);
console.log(`cpus: 2 shared; best of ${RUNS} runs; MB = 1e6 bytes; load average at start: ${la()}`);
const caCost = caCertStartCost(5);
for (const l of caCertLines(caCost, { peers: 'the Python pair keeps its environment', kept: process.argv.includes('--keep-ca-env') })) console.log(l);

const py = process.argv.includes('--no-python') ? null : await pythonPair(file);
const nul = await ours(file, 'null');
const inv = process.argv.includes('--no-invertcontrast') ? null : await ours(file, 'invertcontrast');
const rate = (s) => size / MB / s;
console.log('');
console.log('config          ours (MB/s)   python pair, equivalent (MB/s)   ours/python   reference pair (quoted)');
console.log(`null            ${rate(nul.best).toFixed(0).padStart(10)}   ${py ? rate(py).toFixed(0).padStart(30) : process.argv.includes('--no-python') ? '     not run (--no-python)' : '   python3+h5py missing: n/a'}   ${py ? (py / nul.best).toFixed(2).padStart(11) + 'x' : '         n/a'}   ~55 MB/s (not measured here)`);
if (inv) console.log(`invertcontrast  ${rate(inv.best).toFixed(0).padStart(10)}   ${''.padStart(30)}   ${''.padStart(12)}   (no figure quoted)`);
console.log(`target null: >= 4x the python pair -> ${py ? (py / nul.best >= 4 ? 'met' : 'NOT met') : 'n/a'}; >= 800 MB/s -> ${rate(nul.best) >= 800 ? 'met' : 'NOT met'}`);
if (inv) console.log(`target invertcontrast: >= 400 MB/s -> ${rate(inv.best) >= 400 ? 'met' : 'NOT met'}`);
console.log(`peak RSS (null): server ${mb(nul.serverRss)} MB, client ${mb(nul.clientRss)} MB${inv ? `; (invertcontrast): server ${mb(inv.serverRss)} MB, client ${mb(inv.clientRss)} MB` : ''} (target: each < 300 MB -> ${rssMet(nul) && (!inv || rssMet(inv)) ? 'met' : 'NOT met'})`);
printCpu('null', nul);
if (inv) printCpu('invertcontrast', inv);
console.log('');
printPhases('null', nul);
if (inv) printPhases('invertcontrast', inv);

if (want2gb) {
  const big = join(dataDir, 'raw_m256_c32_r58.h5');
  generate(big, 58);
  const bigSize = statSync(big).size;
  const cold = process.argv.includes('--cold-2gb');
  const warm = process.argv.includes('--warm-2gb') && !cold;
  if (warm) await readThrough(big);
  let bigCached = inPageCache(big);
  // --cold-2gb: the cache dropped just before the client starts (the server is up and idle)
  let dropped = false;
  const r = await ours(big, 'null', 1, () => {
    if (!cold) return;
    dropped = dropPageCache();
    bigCached = `${inPageCache(big)}${dropped ? ' (page cache dropped just before: --cold-2gb)' : ' (--cold-2gb: cannot drop the page cache, not root: this run is NOT cold)'}`;
  });
  const ddCold = cold && dropped && dropPageCache() ? ddRate(big) : null;
  const ri = process.argv.includes('--no-invertcontrast') ? null : await ours(big, 'invertcontrast', 1);
  console.log(`\n2 GB input: ${big} (${(bigSize / MB).toFixed(0)} MB), one run each; in page cache before the null run: ${bigCached}${warm ? ' (read through just before: --warm-2gb)' : ''}`);
  console.log(`null: ${(bigSize / MB / r.best).toFixed(0)} MB/s${cold && !dropped ? ' (NOT cold)' : cold ? ' (cold)' : ''} (target >= 1200 MB/s -> ${bigSize / MB / r.best >= 1200 ? 'met' : 'NOT met'}); peak RSS: server ${mb(r.serverRss)} MB, client ${mb(r.clientRss)} MB (target: each < 300 MB -> ${rssMet(r) ? 'met' : 'NOT met'})`);
  if (cold) {
    const nullRate = bigSize / MB / r.best;
    console.log(
      ddCold
        ? `peer, the same file read cold by dd bs=8M (page cache dropped again before it; load ${la()}): ${ddCold.toFixed(0)} MB/s; null / dd = ${(nullRate / ddCold).toFixed(2)}`
        : `peer (dd bs=8M, cold): not measured (${dropped ? 'no dd' : 'the page cache cannot be dropped'})`,
    );
  }
  if (ri) console.log(`invertcontrast: ${(bigSize / MB / ri.best).toFixed(0)} MB/s; peak RSS: server ${mb(ri.serverRss)} MB, client ${mb(ri.clientRss)} MB (target: each < 300 MB -> ${rssMet(ri) ? 'met' : 'NOT met'})`);
  printCpu('2 GB null', r);
  if (ri) printCpu('2 GB invertcontrast', ri);
  printPhases('2 GB null', r);
}
console.log(`\nload average at the end: ${la()} (2 cores: figures above are provisional when it is above ~1)`);
