#!/usr/bin/env node
// mrd-client's start-up and exit in a streamed session (issue 18): the time from spawning the
// client to the first byte it writes to the socket, and from the server's last byte (its CLOSE,
// for config `null`) to the client process being gone. A loopback proxy between the client and
// a running mrd-server (the built one, `-d null`) timestamps both; the client streams the
// 253 MB input of e2e-throughput.bench.mjs (.bench-data/e2e/raw_m256_c32_r6.h5, generated as
// there when missing) into a fresh output file each run.
//
// At the first byte the proxy also reads the client's CPU time so far from /proc (Linux): its main
// thread's (`/proc/<pid>/task/<pid>/schedstat`) and all its threads' (libuv's pool, V8's); on the
// shared 2-core machine those move less with the load than the walls do (the serial start is the
// main thread's work while the other core idles).
//
// Peer measured in the same run: a bare `node` process, from spawn to its first line and to its
// exit (Node's own start and teardown, which no change to the client can remove). Several
// builds can be given (`--client-cli <cli.js>`, repeatable, e.g. an old worktree's
// packages/mrd-client/dist/cli.js): the runs alternate between them. The load average is printed
// with every run: on a shared machine only alternated runs compare. The client, the server and the
// bare node peer run without NODE_EXTRA_CA_CERTS; its cost per process start is printed (node-env.mjs).
// Usage: node scripts/bench/client-startup.bench.mjs [--runs N] [--client-cli <cli.js> ...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caCertLines, caCertStartCost, toolEnv } from './node-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const input = join(root, '.bench-data', 'e2e', 'raw_m256_c32_r6.h5');
const serverCli = join(root, 'packages', 'mrd-server', 'dist', 'cli.js');
const argv = process.argv.slice(2);
const clis = argv.flatMap((a, i) => (argv[i - 1] === '--client-cli' ? [a] : []));
if (clis.length === 0) clis.push(join(root, 'packages', 'mrd-client', 'dist', 'cli.js'));
const runsArg = argv.indexOf('--runs');
const RUNS = runsArg >= 0 ? Number(argv[runsArg + 1]) : 5;
if (!existsSync(input)) {
  // as e2e-throughput.bench.mjs: the ISMRMRD C++ generator, else mrd-phantom
  console.log(`generating ${input} ...`);
  mkdirSync(dirname(input), { recursive: true });
  const tmp = input + '.part';
  const args = ['-m', '256', '-c', '32', '-r', '6', '-o', tmp];
  let r = spawnSync('ismrmrd_generate_cartesian_shepp_logan', args, { stdio: 'ignore' });
  if (r.error || r.status !== 0) r = spawnSync(process.execPath, [join(root, 'packages/phantom-gen/dist/cli.js'), ...args], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`could not generate ${input}`);
  renameSync(tmp, input);
}
for (const f of [serverCli, ...clis]) {
  if (!existsSync(f)) {
    console.error(`${f} missing (build with "node scripts/build.mjs")`);
    process.exit(1);
  }
}
const dir = mkdtempSync(join(tmpdir(), 'client-startup-bench-'));
const la = () => loadavg()[0].toFixed(2);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function startServer() {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [serverCli, '-p', '0', '-d', 'null'], { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv() });
    let out = '';
    const onData = (c) => {
      out += c;
      const m = /Server listening at [^\s]+:(\d+)/.exec(out);
      if (m) resolve({ proc: p, port: Number(m[1]) });
    };
    p.stdout.on('data', onData);
    p.stderr.on('data', onData);
    p.on('exit', () => reject(new Error(`server exited:\n${out}`)));
  });
}

/** A bare node process: spawn -> its first line, spawn -> gone (ms). */
function bareNode() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let first = 0;
    const p = spawn(process.execPath, ['-e', 'process.stdout.write("up\\n")'], { stdio: ['ignore', 'pipe', 'ignore'], env: toolEnv() });
    p.stdout.once('data', () => (first = performance.now() - t0));
    p.on('exit', () => resolve({ first, gone: performance.now() - t0 }));
  });
}

/** CPU time (ms) of process `pid` so far: its main thread and all its threads, from /proc (NaN where there is none). */
function cpuOf(pid) {
  const ms = (task) => Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  try {
    let all = 0;
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        all += ms(t);
      } catch {
        // (a thread that ended meanwhile)
      }
    }
    return { main: ms(String(pid)), all };
  } catch {
    return { main: NaN, all: NaN };
  }
}

/** One client session through a timestamping proxy. */
function session(cli, serverPort) {
  return new Promise((resolve, reject) => {
    let firstByte = 0;
    let cpuAtFirstByte = { main: NaN, all: NaN };
    let pid = 0;
    let lastServerByte = 0;
    const proxy = net.createServer((c) => {
      const s = net.connect(serverPort, '127.0.0.1');
      c.on('data', (d) => {
        if (!firstByte) {
          firstByte = performance.now();
          cpuAtFirstByte = cpuOf(pid);
        }
        if (!s.write(d)) {
          c.pause();
          s.once('drain', () => c.resume());
        }
      });
      s.on('data', (d) => {
        lastServerByte = performance.now();
        c.write(d);
      });
      c.on('end', () => s.end());
      s.on('end', () => c.end());
      c.on('error', () => s.destroy());
      s.on('error', () => c.destroy());
    });
    proxy.listen(0, '127.0.0.1', () => {
      const out = join(dir, 'out.h5');
      rmSync(out, { force: true });
      const t0 = performance.now();
      const p = spawn(process.execPath, [cli, '-q', '-p', String(proxy.address().port), '-c', 'null', '-G', 'bench', '-o', out, input], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...toolEnv(), MRD_PHASE_TIMES: '1' } });
      pid = p.pid;
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      p.on('exit', (code) => {
        const gone = performance.now();
        proxy.close();
        rmSync(out, { force: true });
        if (code !== 0) return reject(new Error(`${cli} failed (${code}): ${err}`));
        // the client's own set-up phase (reader open and described, connected), when it reports phases
        const ph = /mrd-client phases (\{.*\})/.exec(err);
        const setupMs = ph ? JSON.parse(ph[1]).setupMs : NaN;
        resolve({ firstByte: firstByte - t0, closeToExit: gone - lastServerByte, wall: gone - t0, setupMs, mainCpu: cpuAtFirstByte.main, allCpu: cpuAtFirstByte.all });
      });
    });
  });
}

const server = await startServer();
try {
  const results = new Map(clis.map((c) => [c, []]));
  const bare = [];
  console.log(`mrd-client start-up and exit, 253 MB input, config null; load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const [k, cli] of clis.entries()) console.log(`  client ${k + 1}: ${cli}`);
  for (const l of caCertLines(caCertStartCost(5), { peers: 'the bare node peer runs without it too' })) console.log(`  ${l}`);
  for (let i = 0; i < RUNS; i++) {
    const b = await bareNode();
    bare.push(b);
    console.log(`  bare node                     load ${la()}: spawn -> first line ${b.first.toFixed(0)} ms, gone ${b.gone.toFixed(0)} ms`);
    for (const [k, cli] of clis.entries()) {
      const r = await session(cli, server.port);
      results.get(cli).push(r);
      console.log(`  client ${k + 1}                      load ${la()}: spawn -> first socket byte ${r.firstByte.toFixed(0)} ms (of which set-up ${r.setupMs.toFixed(0)}; CPU so far: main thread ${r.mainCpu.toFixed(0)} ms, all threads ${r.allCpu.toFixed(0)} ms), CLOSE -> exit ${r.closeToExit.toFixed(0)} ms, wall ${r.wall.toFixed(0)} ms`);
    }
  }
  const bareFirst = median(bare.map((b) => b.first));
  const bareTeardown = median(bare.map((b) => b.gone - b.first));
  console.log(`medians of ${RUNS}: bare node spawn -> first line ${bareFirst.toFixed(0)} ms, first line -> gone ${bareTeardown.toFixed(0)} ms`);
  for (const [k, [, rs]] of [...results].entries()) {
    const fb = median(rs.map((r) => r.firstByte));
    console.log(`  client ${k + 1}: spawn -> first socket byte ${fb.toFixed(0)} ms (${(fb / bareFirst).toFixed(2)}x bare node's start; set-up ${median(rs.map((r) => r.setupMs)).toFixed(0)} ms; CPU so far: main thread ${median(rs.map((r) => r.mainCpu)).toFixed(0)} ms, all threads ${median(rs.map((r) => r.allCpu)).toFixed(0)} ms), CLOSE -> exit ${median(rs.map((r) => r.closeToExit)).toFixed(0)} ms, wall ${median(rs.map((r) => r.wall)).toFixed(0)} ms`);
  }
  console.log(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  server.proc.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
