/**
 * mrd-server's `--worker-idle-timeout`: a session worker given back by its session keeps that
 * session's reusable buffers (the wire's ring, invertcontrast's k-space storage); after the idle
 * time it ends (a -v log line says so) and a fresh worker serves the next session, with the same
 * output. A session arriving as a worker is released is served; with 0 no worker is released.
 * The idle time here is short (0.3 s); waits for the release are bounded and generous.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMessages } from '@mrd-tools/core/stream';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { MrdV2StreamDecoder, MrdV2ToV1 } from '@mrd-tools/core/mrd-v2';
import { reference } from '@mrd-tools/core/testing';
import { startServer, type RunningServer } from './server-harness.js';
import { talk, type Answer } from './server-sessions.js';

const RELEASE_LINE = /Ending a session worker idle for/g;

/** A raw Cartesian k-space session (4 coils, 64x64, 2 repetitions) for invertcontrast. */
function rawSession(): Uint8Array {
  const map = new MrdV2ToV1();
  const msgs: MrdMessage[] = [{ type: 'config_file', name: 'invertcontrast' }];
  for (const e of new MrdV2StreamDecoder().push(new Uint8Array(readFileSync(reference('mrd-v2/phantom_m64_c4_r2_n0.mrd'))))) msgs.push(...map.event(e));
  msgs.push({ type: 'close' });
  return encodeMessages(msgs);
}

/** The images' pixel bytes, in order. */
function pixels(a: Answer): Buffer[] {
  return a.messages.flatMap((m) => (m.type === 'image' ? [Buffer.from(m.image.data.buffer, m.image.data.byteOffset, m.image.data.byteLength)] : []));
}

async function session(port: number, input: Uint8Array): Promise<Buffer[]> {
  const a = await talk(port, input, { timeoutMs: 60_000 });
  expect(a.endsWithClose, a.texts.join('\n')).toBe(true);
  expect(a.texts.filter((t) => t.includes('ERROR'))).toEqual([]);
  const px = pixels(a);
  expect(px.length).toBeGreaterThan(0);
  return px;
}

const releases = (s: RunningServer, from = 0) => [...s.log().slice(from).matchAll(RELEASE_LINE)].length;

async function waitForRelease(s: RunningServer, from: number): Promise<void> {
  for (let i = 0; i < 300 && releases(s, from) === 0; i++) await new Promise((r) => setTimeout(r, 50));
  expect(releases(s, from), `no release in the log:\n${s.log().slice(from)}`).toBeGreaterThan(0);
}

describe('mrd-server --worker-idle-timeout', () => {
  let server: RunningServer | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });
  const input = rawSession();

  it('ends a worker idle for the given time; the next session gives the same images', async () => {
    server = await startServer(['-v', '--worker-idle-timeout', '0.3']);
    const first = await session(server.port, input);
    await waitForRelease(server, 0);
    expect(await session(server.port, input)).toEqual(first);
  }, 60_000);

  it('serves sessions arriving around the moment an idle worker is released', async () => {
    server = await startServer(['-v'], { env: { MRD_SERVER_WORKER_IDLE_TIMEOUT: '0.3' } });
    const reference = await session(server.port, input);
    // Pauses spread across the idle time, so that sessions arrive just before, as and just after
    // a release (on a loaded machine the exact moment drifts; the spread covers it).
    for (let pause = 0; pause <= 400; pause += 25) {
      await new Promise((r) => setTimeout(r, pause));
      expect(await session(server.port, input)).toEqual(reference);
    }
    await waitForRelease(server, 0);
    expect(await session(server.port, input)).toEqual(reference);
  }, 120_000);

  it('with 0 keeps its idle workers (no release)', async () => {
    server = await startServer(['-v', '--worker-idle-timeout', '0']);
    const first = await session(server.port, input);
    // The first session's worker is given back a moment after the client has its answer: right
    // after its last log line ('Socket closed', on the same channel as the worker's 'done'). Then
    // five times the idle time the other tests use, and the next session on the kept worker.
    expect(await server.logMatching(/Socket closed/)).toMatch(/Socket closed/);
    await new Promise((r) => setTimeout(r, 1500));
    const from = server.log().length;
    expect(await session(server.port, input)).toEqual(first);
    expect(releases(server)).toBe(0);
    // The first session's worker was kept and serves the second: no worker is booted for it (that
    // boot is logged as the session starts, before its thread's first line). A spare may boot
    // later in it: taking the only idle worker arms the spare's boot once the sessions are quiet
    // (spare-runner-timing.ts, 1 s), which a second session slowed by a loaded machine outlasts.
    const second = server.log().slice(from);
    const sessionStart = second.search(/<-- Received MRD_MESSAGE_CONFIG_FILE/);
    expect(sessionStart, second).toBeGreaterThan(0);
    expect(second.slice(0, sessionStart)).not.toMatch(/Starting a session worker/);
  }, 60_000);
});
