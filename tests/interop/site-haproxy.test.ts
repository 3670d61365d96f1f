/**
 * Acceptance of "run it for a site" with a real HAProxy (Debian's haproxy, the repository's
 * deploy/haproxy/haproxy.cfg unchanged, its addresses from the environment), all on loopback:
 * 1. three mrd-servers (--proxy-protocol, --http-port) behind HAProxy with /readyz checks: a
 *    batch of 48 inputs with --jobs 8 through the balancer; every output equals the single-server
 *    output for the same input; every server served a share; /metrics, parsed with Prometheus'
 *    own parser (python3-prometheus-client), counts exactly the sessions the test ran (ok,
 *    error, busy, and the histograms' counts);
 * 2. one server SIGKILLed in the middle of a batch: its sessions are retried through the
 *    balancer, the batch ends 48/48 correct, HAProxy marks the server down within its checks
 *    (read on its stats socket). (A session here lasts a fraction of a second: so that the kill
 *    surely meets sessions in flight, the batch runs the held module below until the kill.);
 * 3. a rolling restart (SIGTERM each server in turn, start it again) during a batch run with
 *    --retries 0 (96 inputs: the 48 twice, run by a user module that is invertcontrast held up
 *    to 2 s per session until the restarts are done, so that the batch surely outlasts them): no
 *    session fails, each server exits 0 after its sessions finished.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import type { Image } from '@mrd-tools/core/messages';
import { commandOnPath, findPython, repoRoot } from '@mrd-tools/core/testing';
import { compareImages, serverCli, clientCli, tempDir } from '../e2e/server-harness.js';
import { until } from '../support/until.js';

const root = repoRoot();
const HOST = '127.0.0.1';
const CHECK_INTER_MS = 500;
const FALL = 2;
const INPUTS = 48;

const python = findPython(['prometheus_client']);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, HOST, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Backend {
  n: number;
  port: number;
  httpPort: number;
  proc?: ChildProcess;
  log: string;
  exit?: Promise<number | null>;
}

function startBackend(b: Backend, modules: string): Promise<void> {
  b.log = '';
  const proc = spawn(process.execPath, [serverCli, '-H', HOST, '-p', String(b.port), '--http-port', String(b.httpPort), '--proxy-protocol', '--max-sessions', '6', '--modules-dir', modules, '--drain-timeout', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
  b.proc = proc;
  proc.stdout!.on('data', (c) => (b.log += c));
  proc.stderr!.on('data', (c) => (b.log += c));
  b.exit = new Promise((r) => proc.on('exit', (code) => r(code)));
  return until(`server ${b.n} to listen`, () => b.log.includes('HTTP endpoints'), 20_000).then(() => undefined);
}

/** HAProxy's view of the servers: name -> status (UP, DOWN, ...), from `show stat` on its socket. */
function haproxyStatus(socket: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: socket });
    let text = '';
    s.on('connect', () => s.write('show stat\n'));
    s.on('data', (c) => (text += c));
    s.on('error', reject);
    s.on('close', () => {
      const lines = text.split('\n').filter(Boolean);
      const head = lines[0]!.replace(/^# /, '').split(',');
      const [px, sv, st] = ['pxname', 'svname', 'status'].map((k) => head.indexOf(k));
      const out: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const f = l.split(',');
        if (f[px!] === 'mrd_servers' && f[sv!] !== 'BACKEND') out[f[sv!]!] = f[st!]!;
      }
      resolve(out);
    });
  });
}

/** /metrics of a server, parsed by prometheus_client's parser: sample name -> [{labels, value}]. */
async function metrics(b: Backend): Promise<Record<string, { labels: Record<string, string>; value: number }[]>> {
  const text = await (await fetch(`http://${HOST}:${b.httpPort}/metrics`)).text();
  const script = 'import sys, json\nfrom prometheus_client.parser import text_string_to_metric_families\nout = {}\nfor fam in text_string_to_metric_families(sys.stdin.read()):\n    for s in fam.samples:\n        out.setdefault(s.name, []).append({"labels": s.labels, "value": s.value})\nprint(json.dumps(out))\n';
  const r = spawnSync(python!, ['-c', script], { input: text, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prometheus_client could not parse /metrics: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Sessions running on a server now (a quick look at its /metrics while polling; the counts are checked with prometheus_client). */
async function activeSessions(b: Backend): Promise<number> {
  const text = await (await fetch(`http://${HOST}:${b.httpPort}/metrics`)).text();
  return [...text.matchAll(/^mrd_server_sessions_active\{[^}]*\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
}

const sum = (m: Awaited<ReturnType<typeof metrics>>, name: string, labels: Record<string, string> = {}) =>
  (m[name] ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

function runBatch(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [clientCli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (out += c));
    const timer = setTimeout(() => p.kill('SIGKILL'), 400_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function imagesOf(path: string): Promise<Image[]> {
  const f = await MrdFile.open(path);
  try {
    const out: Image[] = [];
    for (const s of f.imageSeries('res')) for await (const img of f.images('res', s)) out.push(img);
    return out;
  } finally {
    f.close();
  }
}

/**
 * A user module that is the built-in invertcontrast (the same source, so the same images), except
 * that while `hold` exists each session first waits up to HOLD_MS. The SIGKILL and rolling-restart
 * tests hold their batch this way, so that the kill surely meets sessions in flight and the batch
 * surely outlasts three restarts however fast sessions run (a batch of 96 plain sessions once
 * ended before the third server was back), then let it finish.
 */
const HOLD_MS = 2000;
function pacedModuleSource(hold: string): string {
  const invert = join(root, 'packages/mrd-server/src/modules/invertcontrast.ts');
  return [
    "import { existsSync } from 'node:fs';",
    `import { process as invertcontrast } from ${JSON.stringify(invert)};`,
    'export async function process(connection: any, config: any, header: any): Promise<void> {',
    `  const end = Date.now() + ${HOLD_MS};`,
    `  while (existsSync(${JSON.stringify(hold)}) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));`,
    '  return invertcontrast(connection, config, header);',
    '}',
    '',
  ].join('\n');
}

let work: string;
let holdFile: string;
let inputs: string;
let refDir: string;
let modules: string;
const backends: Backend[] = [];
let haproxy: ChildProcess | undefined;
let haLog = '';
let lbPort: number;
let statsSocket: string;

/** Every output of `dir` equals the single-server output (of pNN.h5, for its copy qNN.h5). */
async function expectOutputsEqualReference(dir: string, from = inputs): Promise<void> {
  const names = readdirSync(from).sort();
  expect(readdirSync(dir).sort()).toEqual(names);
  for (const f of names) {
    const [a, b] = [await imagesOf(join(dir, f)), await imagesOf(join(refDir, f.replace(/^q/, 'p')))];
    expect(a.length, f).toBe(b.length);
    a.forEach((img, i) => expect(compareImages(img, b[i]!, `${f} image ${i}`)).toEqual([]));
  }
}

const SUMMARY = /Batch of (\d+) inputs done in [\d.]+ s: (\d+) ok, (\d+) failed, (\d+) skipped/;

beforeAll(async () => {
  if (!commandOnPath('haproxy')) throw new Error('haproxy is not installed (apt-get install haproxy)');
  if (!python) throw new Error('python3-prometheus-client is not installed (apt-get install python3-prometheus-client)');
  work = tempDir('mrd-site-');
  inputs = join(work, 'in');
  refDir = join(work, 'ref');
  modules = join(work, 'modules');
  mkdirSync(inputs);
  mkdirSync(modules);
  writeFileSync(join(modules, 'boom.js'), 'export async function process() { throw new Error("this module always fails"); }\n');
  holdFile = join(work, 'hold');
  writeFileSync(join(modules, 'paced.ts'), pacedModuleSource(holdFile));
  const phantom = join(root, 'packages/phantom-gen/dist/cli.js');
  for (let i = 1; i <= INPUTS; i++) {
    const r = spawnSync(process.execPath, [phantom, '-o', join(inputs, `p${String(i).padStart(2, '0')}.h5`), '-m', '96', '-c', '4', '-r', '2', '--seed', String(i)], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  // the single-server outputs: one plain server, no balancer
  const plain = spawn(process.execPath, [serverCli, '-H', HOST, '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let plainLog = '';
  plain.stdout!.on('data', (c) => (plainLog += c));
  const port = await until('the reference server', () => /Server listening at [^\s]+:(\d+)/.exec(plainLog)?.[1], 30_000);
  const ref = await runBatch(['-p', port, '-G', 'res', '--jobs', '2', '-q', '-o', refDir, inputs]);
  plain.kill('SIGTERM');
  expect(ref.code, ref.out).toBe(0);

  for (let n = 1; n <= 3; n++) {
    const b: Backend = { n, port: await freePort(), httpPort: await freePort(), log: '' };
    backends.push(b);
    await startBackend(b, modules);
  }
  lbPort = await freePort();
  statsSocket = join(work, 'haproxy.sock');
  const env: NodeJS.ProcessEnv = {
    ...process.env, MRD_LB_BIND: `${HOST}:${lbPort}`, MRD_CHECK_INTER: `${CHECK_INTER_MS}ms`,
    HAPROXY_STATS_SOCKET: statsSocket, HAPROXY_STATS_BIND: `${HOST}:${await freePort()}`,
  };
  for (const b of backends) {
    env[`MRD_BACKEND_${b.n}`] = `${HOST}:${b.port}`;
    env[`MRD_BACKEND_${b.n}_HTTP_PORT`] = String(b.httpPort);
  }
  haproxy = spawn('haproxy', ['-db', '-f', join(root, 'deploy/haproxy/haproxy.cfg')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout!.on('data', (c) => (haLog += c));
  haproxy.stderr!.on('data', (c) => (haLog += c));
  await until('HAProxy to see three servers up', async () => existsSync(statsSocket) && Object.values(await haproxyStatus(statsSocket)).filter((s) => s === 'UP').length === 3, 30_000, 100);
}, 600_000);

afterAll(async () => {
  haproxy?.kill('SIGKILL');
  for (const b of backends) b.proc?.kill('SIGKILL');
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('mrd-server behind HAProxy (deploy/haproxy/haproxy.cfg)', () => {
  it('a batch of 48 inputs with --jobs 8: every output equals the single-server output, every server served a share, /metrics counts the sessions run', async () => {
    const out = join(work, 'out1');
    const r = await runBatch(['-p', String(lbPort), '-G', 'res', '--jobs', '8', '-o', out, inputs]);
    expect(r.code, r.out).toBe(0);
    expect(SUMMARY.exec(r.out)?.slice(1)).toEqual([String(INPUTS), String(INPUTS), '0', '0']);
    await expectOutputsEqualReference(out);
    // two sessions whose module fails, through the balancer
    const boom = await runBatch(['-p', String(lbPort), '-c', 'boom', '-o', join(work, 'boom'), join(inputs, 'p01.h5'), join(inputs, 'p02.h5')]);
    expect(boom.code).toBe(1);
    const refusals = (r.out.match(/\(refused \d+ times?\)/g) ?? []).length;
    const gone = (r.out.match(/went away before CLOSE/g) ?? []).length;
    expect(gone).toBe(0);

    // each server's metrics, settled (a session is counted when its connection has closed)
    const expected = { ok: INPUTS, error: 2, busy: refusals };
    let all: Awaited<ReturnType<typeof metrics>>[] = [];
    await until('the metrics to count every session', async () => {
      all = await Promise.all(backends.map(metrics));
      return all.reduce((a, m) => a + sum(m, 'mrd_server_sessions_total'), 0) === expected.ok + expected.error + expected.busy;
    }, 15_000, 200);
    const total = (labels: Record<string, string>, name = 'mrd_server_sessions_total') => all.reduce((a, m) => a + sum(m, name, labels), 0);
    expect({ ok: total({ outcome: 'ok' }), error: total({ outcome: 'error' }), busy: total({ outcome: 'busy' }), timeout: total({ outcome: 'timeout' }), truncated: total({ outcome: 'truncated' }) })
      .toEqual({ ...expected, timeout: 0, truncated: 0 });
    expect(total({ outcome: 'ok', config: 'invertcontrast' })).toBe(INPUTS);
    expect(total({ outcome: 'error', config: 'boom' })).toBe(2);
    // histograms: one duration per session that ran, one recon time per module run
    expect(total({ config: 'invertcontrast' }, 'mrd_server_session_duration_seconds_count')).toBe(INPUTS);
    expect(total({ config: 'invertcontrast' }, 'mrd_server_recon_duration_seconds_count')).toBe(INPUTS);
    for (const [i, m] of all.entries()) {
      expect(sum(m, 'mrd_server_sessions_total', { outcome: 'ok' }), `server ${i + 1} served a share`).toBeGreaterThan(0);
      // the real client (the PROXY header), not HAProxy's connection
      expect(Object.keys(Object.fromEntries((m.mrd_server_client_sessions_total ?? []).map((s) => [s.labels.client, 1])))).toEqual([HOST]);
    }
    const perServer = all.map((m) => sum(m, 'mrd_server_sessions_total', { outcome: 'ok' }));
    console.log(`sessions per server: ${perServer.join(', ')}`);
  });

  it('SIGKILL of one server in the middle of a batch: its sessions are retried through the balancer, 48/48 correct, HAProxy marks it down within its checks', async () => {
    const out = join(work, 'out2');
    const victim = backends[1]!;
    // held (see pacedModuleSource) so that the kill surely meets sessions in flight on the victim
    writeFileSync(holdFile, '');
    const batch = runBatch(['-p', String(lbPort), '-G', 'res', '-c', 'paced', '--jobs', '8', '--retries', '3', '-o', out, inputs]);
    let batchOver = false;
    void batch.then(() => (batchOver = true));
    await until('sessions in flight on the victim', async () => {
      if (batchOver) throw new Error('the batch ended before the victim had a session in flight');
      return (await activeSessions(victim)) >= 1;
    }, 120_000, 5);
    const killedAt = Date.now();
    victim.proc!.kill('SIGKILL');
    rmSync(holdFile);
    const name = `mrd${victim.n}`;
    await until('HAProxy to mark the killed server down', async () => (await haproxyStatus(statsSocket))[name]?.startsWith('DOWN'), 10_000, 20);
    const downAfterMs = Date.now() - killedAt;
    console.log(`HAProxy marked ${name} down ${downAfterMs} ms after SIGKILL (checks every ${CHECK_INTER_MS} ms, down after ${FALL} failures)`);
    // FALL failed checks of CHECK_INTER_MS each, plus the check in progress
    expect(downAfterMs).toBeLessThanOrEqual((FALL + 1) * CHECK_INTER_MS + 500);
    const r = await batch;
    expect(r.code, r.out).toBe(0);
    expect(SUMMARY.exec(r.out)?.slice(1)).toEqual([String(INPUTS), String(INPUTS), '0', '0']);
    expect(r.out).toMatch(/went away before CLOSE; new session in 0\.2 s \(retry 1 of 3\)/);
    await expectOutputsEqualReference(out);
    expect(haLog).toMatch(new RegExp(`Server mrd_servers/${name} is DOWN`));
    // bring it back for the rolling restart
    await startBackend(victim, modules);
    await until('HAProxy to mark it up again', async () => (await haproxyStatus(statsSocket))[name] === 'UP', 20_000, 100);
  });

  it('rolling restart (SIGTERM each server in turn, start it again) during a batch: no session fails, none retried, each server exits 0 after its sessions', async () => {
    const out = join(work, 'out3');
    const twice = join(work, 'in-twice');
    mkdirSync(twice);
    for (const f of readdirSync(inputs)) {
      copyFileSync(join(inputs, f), join(twice, f));
      copyFileSync(join(inputs, f), join(twice, f.replace(/^p/, 'q')));
    }
    // held (see pacedModuleSource): at least 96 / 6 * HOLD_MS = 32 s, the restarts take a few each
    writeFileSync(holdFile, '');
    const started = Date.now();
    const batch = runBatch(['-p', String(lbPort), '-G', 'res', '-c', 'paced', '--jobs', '6', '--retries', '0', '-o', out, twice]);
    const exits: (number | null)[] = [];
    let batchOver = false;
    void batch.then(() => (batchOver = true));
    for (const b of backends) {
      await until('sessions in flight on the server', async () => {
        if (batchOver) throw new Error(`the batch ended before mrd${b.n} was restarted (${((Date.now() - started) / 1000).toFixed(1)} s in)`);
        return (await activeSessions(b).catch(() => 0)) >= 1;
      }, 120_000, 5);
      b.proc!.kill('SIGTERM');
      await until('/readyz to answer 503', async () => (await fetch(`http://${HOST}:${b.httpPort}/readyz`).catch(() => null))?.status !== 200, 2000, 10);
      exits.push(await b.exit!);
      expect(b.log).toContain('Drained: every session is over; exiting');
      await startBackend(b, modules);
      await until(`HAProxy to mark mrd${b.n} up again`, async () => (await haproxyStatus(statsSocket))[`mrd${b.n}`] === 'UP', 20_000, 100);
    }
    console.log(`three rolling restarts done ${((Date.now() - started) / 1000).toFixed(1)} s into the held batch`);
    rmSync(holdFile);
    const r = await batch;
    expect(exits).toEqual([0, 0, 0]);
    expect(r.code, r.out).toBe(0);
    expect(SUMMARY.exec(r.out)?.slice(1)).toEqual([String(2 * INPUTS), String(2 * INPUTS), '0', '0']);
    expect(r.out).not.toMatch(/went away|refused|retried/);
    await expectOutputsEqualReference(out, twice);
  });
});
