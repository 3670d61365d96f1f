#!/usr/bin/env node
// Scale-out behind HAProxy (docs/deployment.md), measured in one run on this machine:
// 1. aggregate throughput of a batch (mrd-client, 48 inputs of ~5 MB, --jobs 8, invertcontrast)
//    through HAProxy (deploy/haproxy/haproxy.cfg) to 1 server, then to 3 servers: MB of input
//    per second of the batch's wall time, and the ratio 3 / 1;
// 2. the latency the balancer adds to a session: the same recorded session (invertcontrast on a
//    64x64, 4-coil phantom) replayed N times straight to a server (with the PROXY header the
//    server requires) and through HAProxy to that same server, interleaved; p50 and p99 of each,
//    and the difference (connect to the server's CLOSE).
// The peer is HAProxy itself (Debian's haproxy): the ratio is against the single server through
// the same balancer, the latency against the same server without it. The servers share the
// machine's cores, so 3 servers gain only as far as there are cores to run them.
// Usage: node scripts/bench/site-haproxy.bench.mjs [--sessions N]
// Our Node CLIs run without NODE_EXTRA_CA_CERTS (each Node start would parse that bundle; they open
// no TLS connection); the variable's cost per process start is printed in the same run (node-env.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { caCertLines, caCertStartCost, toolEnv } from './node-env.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const HOST = '127.0.0.1';
const serverCli = join(root, 'packages/mrd-server/dist/cli.js');
const clientCli = join(root, 'packages/mrd-client/dist/cli.js');
const phantomCli = join(root, 'packages/phantom-gen/dist/cli.js');
const sessionsArg = process.argv.indexOf('--sessions');
const SESSIONS = sessionsArg > 0 ? Number(process.argv[sessionsArg + 1]) : 200;
const INPUTS = 48;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (spawnSync('sh', ['-c', 'command -v haproxy']).status !== 0) {
  console.error('site-haproxy bench: needs haproxy (apt-get install haproxy)');
  process.exit(1);
}
for (const f of [serverCli, clientCli, phantomCli]) {
  if (!existsSync(f)) {
    console.error(`${f} missing: run "node scripts/build.mjs" (pnpm bench does)`);
    process.exit(1);
  }
}

// ---- data
const dataDir = join(root, '.bench-data', 'site');
const inputs = join(dataDir, 'in');
mkdirSync(inputs, { recursive: true });
for (let i = 1; i <= INPUTS; i++) {
  const f = join(inputs, `p${String(i).padStart(2, '0')}.h5`);
  if (!existsSync(f)) spawnSync(process.execPath, [phantomCli, '-o', f, '-m', '128', '-c', '8', '-r', '2', '--seed', String(i)], { stdio: 'ignore' });
}
const small = join(dataDir, 'small.h5');
if (!existsSync(small)) spawnSync(process.execPath, [phantomCli, '-o', small, '-m', '64', '-c', '4', '--seed', '7'], { stdio: 'ignore' });
const inputBytes = readdirSync(inputs).reduce((a, f) => a + statSync(join(inputs, f)).size, 0);

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, HOST, () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

async function until(fn, ms = 30_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

const procs = [];
process.on('exit', () => procs.forEach((p) => p.kill('SIGKILL')));

// ---- three servers and HAProxy
const servers = [];
for (let n = 1; n <= 3; n++) {
  const s = { n, port: await freePort(), httpPort: await freePort(), log: '' };
  s.proc = spawn(process.execPath, [serverCli, '-H', HOST, '-p', String(s.port), '--http-port', String(s.httpPort), '--proxy-protocol'], { stdio: ['ignore', 'pipe', 'pipe'], env: toolEnv() });
  s.proc.stdout.on('data', (c) => (s.log += c));
  procs.push(s.proc);
  servers.push(s);
}
await until(() => servers.every((s) => s.log.includes('HTTP endpoints')));
const lbPort = await freePort();
const statsSocket = join(dataDir, 'haproxy.sock');
rmSync(statsSocket, { force: true });
const env = { ...process.env, MRD_LB_BIND: `${HOST}:${lbPort}`, MRD_CHECK_INTER: '500ms', HAPROXY_STATS_SOCKET: statsSocket, HAPROXY_STATS_BIND: `${HOST}:${await freePort()}` };
for (const s of servers) {
  env[`MRD_BACKEND_${s.n}`] = `${HOST}:${s.port}`;
  env[`MRD_BACKEND_${s.n}_HTTP_PORT`] = String(s.httpPort);
}
const haproxy = spawn('haproxy', ['-db', '-f', join(root, 'deploy/haproxy/haproxy.cfg')], { env, stdio: 'ignore' });
procs.push(haproxy);

function stats(command) {
  return new Promise((resolve, reject) => {
    const s = connect({ path: statsSocket });
    let text = '';
    s.on('connect', () => s.write(command + '\n'));
    s.on('data', (c) => (text += c));
    s.on('error', reject);
    s.on('close', () => resolve(text));
  });
}
async function upServers() {
  const lines = (await stats('show stat')).split('\n');
  const head = lines[0].replace(/^# /, '').split(',');
  const [sv, st] = [head.indexOf('svname'), head.indexOf('status')];
  return lines.slice(1).map((l) => l.split(',')).filter((f) => /^mrd\d$/.test(f[sv]) && f[st] === 'UP').map((f) => f[sv]);
}
await until(async () => existsSync(statsSocket) && (await upServers()).length === 3);

// ---- 1. batch throughput with 1 and 3 servers
async function batch(label) {
  const out = join(dataDir, `out-${label}`);
  rmSync(out, { recursive: true, force: true });
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [clientCli, '-p', String(lbPort), '-G', 'res', '--jobs', '8', '-q', '-o', out, inputs], { encoding: 'utf8', env: toolEnv() });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`batch failed: ${r.stdout}${r.stderr}`);
  rmSync(out, { recursive: true, force: true });
  return inputBytes / 1e6 / s;
}
await stats('disable server mrd_servers/mrd2');
await stats('disable server mrd_servers/mrd3');
await batch('warm-up');
const one = await batch('1');
await stats('enable server mrd_servers/mrd2');
await stats('enable server mrd_servers/mrd3');
await until(async () => (await upServers()).length === 3);
const three = await batch('3');

// ---- 2. session latency, direct vs through HAProxy (to server 1 only)
// Record the bytes mrd-client sends for one session (a stand-in server answers CLOSE).
const recorded = await new Promise((resolve) => {
  const chunks = [];
  const fake = createServer((c) => {
    c.on('data', (d) => chunks.push(d));
    c.on('end', () => c.end());
  });
  fake.listen(0, HOST, () => {
    const p = spawn(process.execPath, [clientCli, '-p', String(fake.address().port), '-q', '-o', join(dataDir, 'rec.h5'), small], { stdio: 'ignore' });
    let sent = Buffer.alloc(0);
    const timer = setInterval(() => {
      sent = Buffer.concat(chunks);
      // the CLOSE message (id 4) ends the client's stream
      if (sent.length >= 2 && sent.readUInt16LE(sent.length - 2) === 4) {
        clearInterval(timer);
        p.kill('SIGKILL');
        fake.close();
        rmSync(join(dataDir, 'rec.h5'), { force: true });
        resolve(sent);
      }
    }, 20);
  });
});
function session(port, prefix) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = connect({ host: HOST, port, noDelay: true });
    let got = Buffer.alloc(0);
    s.on('connect', () => s.write(prefix ? Buffer.concat([prefix, recorded]) : recorded));
    s.on('data', (c) => {
      got = Buffer.concat([got, c]);
    });
    s.on('error', reject);
    s.on('end', () => {
      const ms = performance.now() - t0;
      s.end();
      if (got.length < 2 || got.readUInt16LE(got.length - 2) !== 4) reject(new Error('no CLOSE'));
      else resolve(ms);
    });
  });
}
await stats('disable server mrd_servers/mrd2');
await stats('disable server mrd_servers/mrd3');
const direct = [];
const balanced = [];
for (let i = 0; i < SESSIONS; i++) {
  direct.push(await session(servers[0].port, Buffer.from(`PROXY TCP4 ${HOST} ${HOST} ${40000 + (i % 20000)} ${servers[0].port}\r\n`)));
  balanced.push(await session(lbPort, null));
}
const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const fmt = (x) => x.toFixed(1);

for (const l of caCertLines(caCertStartCost(5), { peers: 'HAProxy keeps its environment' })) console.log(l);
console.log(`site-haproxy: batch of ${INPUTS} inputs (${(inputBytes / 1e6).toFixed(0)} MB, invertcontrast, --jobs 8) through HAProxy`);
console.log(`  1 server : ${one.toFixed(1)} MB/s`);
console.log(`  3 servers: ${three.toFixed(1)} MB/s  (x${(three / one).toFixed(2)} the single server; ${spawnSync('nproc').stdout.toString().trim()} cores on this machine)`);
console.log(`site-haproxy: session latency, ${SESSIONS} sessions each (invertcontrast, 64x64, 4 coils, ${(recorded.length / 1e6).toFixed(2)} MB), connect to CLOSE`);
console.log(`  direct       : p50 ${fmt(pct(direct, 50))} ms, p99 ${fmt(pct(direct, 99))} ms`);
console.log(`  via HAProxy  : p50 ${fmt(pct(balanced, 50))} ms, p99 ${fmt(pct(balanced, 99))} ms`);
console.log(`  added        : p50 ${fmt(pct(balanced, 50) - pct(direct, 50))} ms, p99 ${fmt(pct(balanced, 99) - pct(direct, 99))} ms (x${(pct(balanced, 50) / pct(direct, 50)).toFixed(3)} at p50)`);
process.exit(0);
