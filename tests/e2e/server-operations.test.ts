/**
 * mrd-server's operational surface, end to end on the built server (no HAProxy needed):
 * - /healthz, /readyz (503 at --max-sessions and while draining), /metrics (parsed with a
 *   Prometheus text-format parser): session outcomes ok, error, busy, timeout, truncated, bytes
 *   and messages, saved files, client addresses;
 * - the drain on SIGTERM: stop accepting at once, sessions in flight and connections accepted
 *   just before finish, exit 0; --drain-timeout: ERROR + CLOSE then exit 0; a second signal
 *   exits at once;
 * - --proxy-protocol v1 and v2 (headers built here): the real client address in logs and
 *   metrics, a connection without a header refused with a log line and an ERROR text;
 * - --log-format json (worker threads and -m processes), and MRD_SERVER_* environment variables.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeMessages } from '@mrd-tools/core/stream';
import { scrape, sampleSum, sessionsByOutcome } from '../support/prometheus.js';
import { until } from '../support/until.js';
import { serverCli, startServer, tempDir, type RunningServer } from './server-harness.js';
import { images, openIdle, readAnswer, sessionBytes, SMALL_HEADER, talk } from './server-sessions.js';

const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${HOST}:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The server's exit (without sending it a signal, as stop() would). */
function exited(s: RunningServer): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((r) => s.proc.on('exit', (code, signal) => r({ code, signal })));
}

/** Config and header of a session, no CLOSE: the session stays open until `finish`. */
function openSession(port: number, config = 'null'): Promise<{ sock: Socket; answer: () => Buffer; closed: Promise<void>; finish(): void }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: HOST, port });
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', () => undefined);
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.once('error', reject);
    sock.on('connect', () => {
      sock.write(encodeMessages([{ type: 'config_file', name: config }, { type: 'header', xml: SMALL_HEADER }]));
      // An image every 200 ms keeps the session from the server's idle timeout however slowly
      // the rest of the test runs on a loaded machine (an open session, not an idle one).
      const beat = setInterval(() => sock.write(encodeMessages(images(1))), 200);
      sock.on('close', () => clearInterval(beat));
      resolve({
        sock, answer: () => Buffer.concat(chunks), closed,
        finish: () => {
          clearInterval(beat);
          sock.write(encodeMessages([...images(2), { type: 'close' }]));
        },
      });
    });
  });
}

/**
 * Until `s` has handled the first shutdown signal (it drains): two signals pending at once are
 * one (POSIX does not queue them), so a second signal sent after a fixed sleep can vanish on a
 * starved machine.
 */
async function draining(s: RunningServer): Promise<void> {
  const line = /Draining \(SIG[A-Z]+\)/;
  if (!line.test(await s.logMatching(line))) throw new Error(`the server did not start draining:\n${s.log()}`);
}

function modulesFolder(): string {
  const dir = join(tempDir('mrd-ops-'), 'modules');
  mkdirSync(dir);
  writeFileSync(join(dir, 'boom.js'), 'export async function process() { throw new Error("boom: this module always fails"); }\n');
  return dir;
}

const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
});
async function server(args: string[], env?: NodeJS.ProcessEnv): Promise<RunningServer> {
  const s = await startServer(args, { env });
  servers.push(s);
  return s;
}

describe('mrd-server --http-port: /healthz, /readyz, /metrics', () => {
  it('answers health and readiness; readiness is 503 at --max-sessions', async () => {
    const s = await server(['-d', 'null', '--http-port', '0', '--max-sessions', '1']);
    expect(await get(s.httpPort!, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
    expect((await get(s.httpPort!, '/readyz')).status).toBe(200);
    expect((await get(s.httpPort!, '/nothing')).status).toBe(404);
    expect((await fetch(`http://${HOST}:${s.httpPort}/readyz`, { method: 'POST' })).status).toBe(405);
    const held = await openSession(s.port);
    await until('/readyz to answer 503', async () => (await get(s.httpPort!, '/readyz')).status === 503);
    expect((await get(s.httpPort!, '/readyz')).body).toMatch(/^not ready: at --max-sessions \(1 of 1 sessions running\)/);
    held.finish();
    await held.closed;
    await until('/readyz to answer 200', async () => (await get(s.httpPort!, '/readyz')).status === 200);
  });

  it('counts sessions by outcome (ok, error, busy, timeout, truncated), bytes, messages and saved files', async () => {
    const s = await server(['-d', 'null', '--http-port', '0', '--max-sessions', '1', '--idle-timeout', '1', '--modules-dir', modulesFolder(), '-S', join(tempDir('mrd-ops-'), 'saved')]);
    // (--max-sessions 1: a session holds its place until its worker is done, a moment after its
    // CLOSE; each next session waits for /readyz)
    const free = () => until('/readyz to answer 200', async () => (await get(s.httpPort!, '/readyz')).status === 200);
    const okBytes = sessionBytes('null', images(3));
    const ok = await talk(s.port, okBytes);
    expect(ok.endsWithClose && ok.texts.length === 0).toBe(true);
    await free();
    const err = await talk(s.port, sessionBytes('boom', images(1)));
    expect(err.texts).toEqual([expect.stringMatching(/^ERROR\s+boom: boom: this module always fails$/)]);
    // busy: one session held open, a second connection refused at once
    await free();
    const held = await openSession(s.port);
    await sleep(100);
    const busy = await talk(s.port, sessionBytes('null'));
    expect(busy.texts[0]).toMatch(/server busy/);
    held.finish();
    await held.closed;
    // truncated: the client goes away in the middle of its session
    await free();
    const cut = await openSession(s.port);
    await sleep(200);
    cut.sock.destroy();
    await free();
    // timeout: a config sent in part, then silence (--idle-timeout 1)
    const idle = await openIdle(s.port, okBytes.subarray(0, 5));
    const timedOut = await new Promise<Buffer>((r) => {
      const c: Buffer[] = [];
      idle.on('data', (x) => c.push(x));
      idle.on('close', () => r(Buffer.concat(c)));
    });
    expect(readAnswer(timedOut).texts[0]).toMatch(/idle timeout/);
    // saved: a savedataonly session writes one file
    await free();
    const saved = await talk(s.port, sessionBytes('savedataonly', images(2)));
    expect(saved.endsWithClose).toBe(true);
    // a TCP probe (no byte) is a connection, not a session (once the saved session's place is
    // free: at --max-sessions the server answers a new connection 'busy' before any byte, which
    // counts as a busy session)
    await free();
    (await openIdle(s.port)).destroy();

    let m = await scrape(HOST, s.httpPort!);
    await until('8 connections and 7 sessions counted', async () => {
      m = await scrape(HOST, s.httpPort!);
      return sampleSum(m, 'mrd_server_connections_total') === 8 && Object.values(sessionsByOutcome(m)).reduce((a, b) => a + b, 0) === 7;
    });
    expect(sessionsByOutcome(m)).toEqual({ ok: 3, error: 1, busy: 1, timeout: 1, truncated: 1 });
    expect(sampleSum(m, 'mrd_server_sessions_total', { config: 'boom', outcome: 'error' })).toBe(1);
    expect(sampleSum(m, 'mrd_server_sessions_total', { config: 'null', outcome: 'ok' })).toBe(2);
    expect(sampleSum(m, 'mrd_server_sessions_total', { config: 'savedataonly', outcome: 'ok' })).toBe(1);
    expect(sampleSum(m, 'mrd_server_sessions_active')).toBe(0);
    // the first ok session's bytes and messages, as relayed
    expect(sampleSum(m, 'mrd_server_received_bytes_total', { config: 'null' })).toBeGreaterThanOrEqual(okBytes.length);
    expect(sampleSum(m, 'mrd_server_received_messages_total')).toBeGreaterThanOrEqual(6 + 4 + 5);
    expect(sampleSum(m, 'mrd_server_sent_messages_total', { config: 'boom' })).toBe(2); // ERROR text, CLOSE
    expect(sampleSum(m, 'mrd_server_saved_files_total')).toBe(1);
    expect(sampleSum(m, 'mrd_server_saved_bytes_total')).toBeGreaterThan(1000);
    // (the histograms are checked with Prometheus' own parser in tests/interop/site-haproxy.test.ts:
    // parse-prometheus-text-format merges labelled histograms)
    expect(m.find((f) => f.name === 'mrd_server_session_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(m.find((f) => f.name === 'mrd_server_recon_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(sampleSum(m, 'mrd_server_client_sessions_total', { client: '127.0.0.1' })).toBe(7);
    expect(sampleSum(m, 'mrd_server_max_sessions')).toBe(1);
    expect(m.find((f) => f.name === 'mrd_server_build_info')?.metrics[0]?.labels?.version).toMatch(/^\d+\.\d+\.\d+/);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) expect(m.some((f) => f.name === name), name).toBe(true);
  });
});

describe('mrd-server drain on SIGTERM / SIGINT', () => {
  it('stops accepting and turns /readyz 503 at once, lets the session in flight and a connection accepted just before finish, then exits 0', async () => {
    const s = await server(['-d', 'null', '--http-port', '0']);
    const exit = exited(s);
    const held = await openSession(s.port);
    const early = await openIdle(s.port); // accepted, config not sent yet
    await sleep(200);
    s.proc.kill('SIGTERM');
    await until('/readyz to answer 503', async () => (await get(s.httpPort!, '/readyz')).status === 503, 2000);
    expect(await get(s.httpPort!, '/readyz')).toEqual({ status: 503, body: 'not ready: draining\n' });
    expect(await get(s.httpPort!, '/healthz')).toEqual({ status: 200, body: 'ok (draining)\n' });
    expect(sampleSum(await scrape(HOST, s.httpPort!), 'mrd_server_draining')).toBe(1);
    // new connections are refused by the kernel: the port is closed
    await expect(new Promise((resolve, reject) => connect({ host: HOST, port: s.port }).on('connect', resolve).on('error', reject))).rejects.toThrow(/ECONNREFUSED/);
    // the connection accepted before the drain sends its session now and is served
    const earlyAnswer = new Promise<Buffer>((r) => {
      const c: Buffer[] = [];
      early.on('data', (x) => c.push(x));
      early.on('close', () => r(Buffer.concat(c)));
    });
    early.write(sessionBytes('null', images(1)));
    expect(readAnswer(await earlyAnswer)).toMatchObject({ endsWithClose: true, texts: [] });
    await sleep(500);
    expect(s.proc.exitCode).toBeNull(); // still draining: the held session is open
    held.finish();
    await held.closed;
    expect(readAnswer(held.answer())).toMatchObject({ endsWithClose: true, texts: [] });
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(s.log()).toContain('Drained: every session is over; exiting');
  });

  it('with --proxy-protocol, a connection accepted before the drain whose PROXY header comes after it is served too', async () => {
    const s = await server(['-d', 'null', '--proxy-protocol']);
    const exit = exited(s);
    const early = await openIdle(s.port); // accepted; its header not sent yet
    const answer = new Promise<Buffer>((r) => {
      const c: Buffer[] = [];
      early.on('data', (x) => c.push(x));
      early.on('close', () => r(Buffer.concat(c)));
    });
    await sleep(200);
    s.proc.kill('SIGTERM');
    await sleep(300);
    early.write(Buffer.concat([Buffer.from('PROXY TCP4 192.0.2.1 127.0.0.1 1111 9002\r\n'), sessionBytes('null', images(1))]));
    expect(readAnswer(await answer)).toMatchObject({ endsWithClose: true, texts: [] });
    expect(await exit).toEqual({ code: 0, signal: null });
  });

  it('--drain-timeout: a session still running then gets an ERROR text and CLOSE, and the server exits 0', async () => {
    const s = await server(['-d', 'null', '--drain-timeout', '1']);
    const exit = exited(s);
    const held = await openSession(s.port);
    await sleep(200);
    const t0 = Date.now();
    s.proc.kill('SIGTERM');
    await held.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(readAnswer(held.answer())).toMatchObject({ endsWithClose: true, texts: ['ERROR    session aborted: the server is shutting down'] });
    expect(await exit).toEqual({ code: 0, signal: null });
  });

  it('a second signal aborts the open sessions (ERROR + CLOSE) and exits at once', async () => {
    const s = await server(['-d', 'null']);
    const exit = exited(s);
    const held = await openSession(s.port);
    await sleep(200);
    s.proc.kill('SIGINT');
    await draining(s);
    const t0 = Date.now();
    s.proc.kill('SIGINT');
    expect(await exit).toEqual({ code: 1, signal: null });
    expect(Date.now() - t0).toBeLessThan(5000);
    await held.closed;
    expect(readAnswer(held.answer())).toMatchObject({ endsWithClose: true, texts: ['ERROR    session aborted: the server is shutting down'] });
    expect(s.log()).toMatch(/Second signal \(SIGINT\) -- aborting open sessions and exiting now/);
  });
});

/** A PROXY v2 header for an IPv6 client, built from the spec. */
function proxyV2Ipv6(src: number[], sport: number): Buffer {
  const sig = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
  const body = [...src, ...new Array(16).fill(0), sport >> 8, sport & 255, 0x23, 0x52];
  return Buffer.from([...sig, 0x21, 0x21, 0, body.length, ...body]);
}

describe('mrd-server --proxy-protocol and --log-format json', () => {
  it('takes the client address from a v1 or v2 header (in logs and metrics) and refuses a connection without one', async () => {
    const s = await server(['-d', 'null', '--http-port', '0', '--proxy-protocol', '--log-format', 'json']);
    const v1 = await talk(s.port, Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 127.0.0.1 4242 9002\r\n'), sessionBytes('null', images(2))]));
    expect(v1).toMatchObject({ endsWithClose: true, texts: [] });
    // v2, the header alone first, the MRD bytes later
    const sock = connect({ host: HOST, port: s.port });
    const answer = new Promise<Buffer>((r) => {
      const c: Buffer[] = [];
      sock.on('data', (x) => c.push(x));
      sock.on('close', () => r(Buffer.concat(c)));
    });
    await new Promise((r) => sock.on('connect', r));
    sock.write(proxyV2Ipv6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42], 1234));
    await sleep(100);
    sock.write(sessionBytes('null', images(1)));
    expect(readAnswer(await answer)).toMatchObject({ endsWithClose: true, texts: [] });
    // no header: refused, with a log line and an ERROR text
    const bare = await talk(s.port, sessionBytes('null'));
    expect(bare.texts).toEqual(['ERROR    connection refused: no PROXY protocol header (the server requires one: connect through the load balancer)']);
    expect(bare.endsWithClose).toBe(true);

    await until('two sessions counted', async () => Object.values(sessionsByOutcome(await scrape(HOST, s.httpPort!))).reduce((a, b) => a + b, 0) === 2);
    const m = await scrape(HOST, s.httpPort!);
    expect(sampleSum(m, 'mrd_server_client_sessions_total', { client: '203.0.113.7' })).toBe(1);
    expect(sampleSum(m, 'mrd_server_client_sessions_total', { client: '2001:db8::42' })).toBe(1);
    expect(sampleSum(m, 'mrd_server_client_sessions_total', { client: '127.0.0.1' })).toBe(0);

    const lines = s.log().split('\n').filter((l) => l.trim() !== '');
    const records = lines.map((l) => JSON.parse(l) as Record<string, string>);
    for (const r of records) expect(Object.keys(r).slice(0, 3)).toEqual(['time', 'level', 'msg']);
    expect(records.some((r) => r.msg === 'Accepting connection from: 203.0.113.7:4242')).toBe(true);
    const session1 = records.filter((r) => r.client === '203.0.113.7:4242');
    expect(new Set(session1.map((r) => r.session)).size).toBe(1);
    expect(session1.some((r) => r.msg === 'Socket closed' && r.config === 'null')).toBe(true);
    expect(records.some((r) => r.client === '[2001:db8::42]:1234' && /ended: ok/.test(r.msg))).toBe(true);
    expect(records.some((r) => r.level === 'WARNING' && /^Refusing connection from 127\.0\.0\.1:\d+: no PROXY protocol header/.test(r.msg))).toBe(true);
  });

  it('-m session processes write JSON lines with their session, client and config', async () => {
    const s = await server(['-d', 'null', '-m', '--log-format', 'json']);
    expect(await talk(s.port, sessionBytes('null', images(1)))).toMatchObject({ endsWithClose: true });
    await until('the \'Socket closed\' log line', () => s.log().includes('"msg":"Socket closed"'));
    const records = s.log().split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, string>);
    const closed = records.find((r) => r.msg === 'Socket closed')!;
    expect(closed).toMatchObject({ level: 'INFO', config: 'null', client: expect.stringMatching(/^127\.0\.0\.1:\d+$/), session: expect.stringMatching(/^[0-9a-f]{12}$/) });
  });
});

describe('mrd-server environment variables', () => {
  it('every option has one, a flag wins, a wrong one is a usage error naming it', async () => {
    const s = await server(['-d', 'null', '--max-sessions', '2'], { MRD_SERVER_HTTP_PORT: '0', MRD_SERVER_LOG_FORMAT: 'json', MRD_SERVER_MAX_SESSIONS: '3', MRD_SERVER_IDLE_TIMEOUT: '7' });
    const m = await scrape(HOST, s.httpPort!);
    expect(sampleSum(m, 'mrd_server_max_sessions')).toBe(2);
    expect(JSON.parse(s.log().split('\n')[0]!)).toMatchObject({ level: 'INFO', msg: 'No logfile provided' });
    const bad = spawnSync(process.execPath, [serverCli, '-p', '0'], { encoding: 'utf8', env: { ...process.env, MRD_SERVER_MAX_SESIONS: '4' }, timeout: 20_000 });
    expect([bad.status, bad.stderr.split('\n')[0]]).toEqual([2, 'mrd-server: error: environment variable MRD_SERVER_MAX_SESIONS is not an option of mrd-server (did you mean MRD_SERVER_MAX_SESSIONS?)']);
    const help = spawnSync(process.execPath, [serverCli, '--help'], { encoding: 'utf8', timeout: 20_000 }).stdout;
    for (const name of ['MRD_SERVER_PORT', 'MRD_SERVER_HTTP_PORT', 'MRD_SERVER_DRAIN_TIMEOUT', 'MRD_SERVER_PROXY_PROTOCOL', 'MRD_SERVER_LOG_FORMAT', 'MRD_SERVER_MAX_SESSIONS', 'MRD_SERVER_SAVEDATA_FOLDER']) expect(help).toContain(name);
  });
});
