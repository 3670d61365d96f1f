/**
 * mrd-server and MRD v2 clients (issue 17): on the same port as v1, a stream starting with the
 * yardl magic is decoded, mapped to v1 messages for the module (the server's default config, -c)
 * and answered in the client's encoding (binary or NDJSON) after the client's header, ending
 * with the end marker; in worker and -m modes; `--stdio` runs one session from stdin to stdout.
 * A v1 session on the same server still works, and its images equal the v2 session's (a module
 * sees the same messages either way). Images are compared with upstream stream_recon's output
 * (tests/fixtures/reference/mrd-v2): int16 within 1 after scaling upstream's floats to ours.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStream, encodeMessages } from '@mrd-tools/core/stream';
import type { MrdMessage } from '@mrd-tools/core/connection';
import {
  decodeMrdV2, decodeMrdV2Ndjson, imageToV1, MrdV2StreamDecoder, MrdV2ToV1, type Header, type ImageItem, type StreamItem,
} from '@mrd-tools/core/mrd-v2';
import { reference } from '@mrd-tools/core/testing';
import { scrape, sampleSum } from '../support/prometheus.js';
import { assertBuilt, exchange, serverCli, startServer, tempDir, type RunningServer } from './server-harness.js';

const PHANTOM = reference('mrd-v2/phantom_m64_c4_r2_n0.mrd');
const PHANTOM_NDJSON = reference('mrd-v2/phantom_m16_c2_n0_traj.ndjson');
const UPSTREAM_RECON = reference('mrd-v2/recon_phantom_m64_c4_r2_n0.mrd');

type V2Image = { data: { shape: number[]; data: ArrayLike<number> } };

/** The images of a decoded v2 stream as [shape, pixels]. */
function imagesOf(items: StreamItem[]): V2Image[] {
  return items.map((it) => it.value as unknown as V2Image);
}

/** Our int16 images against upstream's float ones: same shapes, pixels within 1 once upstream's are scaled to ours. */
function expectMatchesUpstream(ours: StreamItem[], upstream: StreamItem[]): void {
  expect(ours.map((i) => i.type)).toEqual(upstream.map(() => 'imageInt16'));
  const a = imagesOf(ours);
  const b = imagesOf(upstream);
  for (let k = 0; k < a.length; k++) {
    expect(a[k]!.data.shape).toEqual(b[k]!.data.shape);
    const x = a[k]!.data.data;
    const y = b[k]!.data.data;
    let mx = 0;
    let my = 0;
    for (let i = 0; i < x.length; i++) {
      mx = Math.max(mx, x[i]!);
      my = Math.max(my, y[i]!);
    }
    expect(mx).toBeGreaterThan(1000);
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - Math.round((y[i]! * mx) / my)));
    expect(worst, `image ${k}: largest pixel difference`).toBeLessThanOrEqual(1);
  }
}

function expectSameHeader(ours: Header | undefined, sent: Header | undefined): void {
  const plain = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Map ? [...x] : x));
  expect(ours).toBeDefined();
  expect(plain(ours)).toBe(plain(sent));
}

/** The v1 session of the same phantom: its v2 items as v1 messages after a config naming `config`. */
function v1SessionOf(path: string, config: string): Uint8Array {
  const map = new MrdV2ToV1();
  const msgs: MrdMessage[] = [{ type: 'config_file', name: config }];
  const dec = new MrdV2StreamDecoder();
  for (const e of dec.push(new Uint8Array(readFileSync(path)))) msgs.push(...map.event(e));
  return encodeMessages(msgs);
}

function stdio(args: string[], input: Uint8Array) {
  return spawnSync(process.execPath, [serverCli, '--stdio', ...args], { input, maxBuffer: 64 << 20, timeout: 60_000 });
}

const phantom = new Uint8Array(readFileSync(PHANTOM));
const upstream = decodeMrdV2(new Uint8Array(readFileSync(UPSTREAM_RECON)));
const sent = decodeMrdV2(phantom);

describe('mrd-server --stdio with MRD v2 and v1 streams', () => {
  beforeAll(() => assertBuilt());

  it('reconstructs the upstream phantom (v2 binary) with -c simplefft: the client\'s header, two int16 images equal to upstream stream_recon\'s, the end marker; logs on stderr', () => {
    const r = stdio(['-c', 'simplefft'], phantom);
    expect(r.status, String(r.stderr)).toBe(0);
    const out = decodeMrdV2(new Uint8Array(r.stdout)); // throws without the end marker
    expectSameHeader(out.header, sent.header);
    expectMatchesUpstream(out.items, upstream.items);
    expect(String(r.stderr)).toContain("MRD v2 client (binary stream): running the default config 'simplefft'");
  });

  it('answers an NDJSON stream in NDJSON (--default-config spelling)', () => {
    const r = stdio(['--default-config', 'simplefft'], new Uint8Array(readFileSync(PHANTOM_NDJSON)));
    expect(r.status, String(r.stderr)).toBe(0);
    const text = String(r.stdout);
    expect(text.startsWith('{"yardl":')).toBe(true);
    const out = decodeMrdV2Ndjson(text);
    const input = decodeMrdV2Ndjson(readFileSync(PHANTOM_NDJSON, 'utf8'));
    expectSameHeader(out.header, input.header);
    expect(out.items.map((i) => i.type)).toEqual(['imageInt16']);
    expect(imagesOf(out.items)[0]!.data.shape).toEqual([1, 1, 16, 16]);
  });

  it('runs a v1 session too (config from the stream): the same images as the v2 session', () => {
    const r = stdio(['-c', 'invertcontrast'], v1SessionOf(PHANTOM, 'simplefft'));
    expect(r.status, String(r.stderr)).toBe(0);
    const msgs = decodeStream(new Uint8Array(r.stdout));
    expect(msgs.at(-1)!.type).toBe('close');
    const v1Images = msgs.filter((m) => m.type === 'image').map((m) => (m as { image: { data: ArrayLike<number> } }).image.data);
    const v2 = decodeMrdV2(new Uint8Array(stdio(['-c', 'simplefft'], phantom).stdout));
    expect(v1Images.map((d) => Array.from(d))).toEqual(v2.items.map((it) => Array.from(imageToV1(it as ImageItem).data as ArrayLike<number>)));
  });

  it('a module that fails: exit status 1, its ERROR in the log (v2 has no text message), what it sent kept, no end marker', () => {
    const dir = tempDir('mrd-v2-boom-');
    writeFileSync(join(dir, 'boom.ts'), `
export async function process(connection: any): Promise<void> {
  let n = 0;
  for await (const msg of connection) {
    if (msg.type === 'acquisition' && ++n === 3) throw new Error('kaboom after two acquisitions');
    if (msg.type === 'acquisition') await connection.sendAcquisition(msg.acquisition);
  }
}
`);
    const r = stdio(['-c', 'boom', '--modules-dir', dir], phantom);
    expect(r.status).toBe(1);
    expect(String(r.stderr)).toMatch(/MRD v2 client \(no text messages in MRD v2\): ERROR boom: kaboom after two acquisitions/);
    const dec = new MrdV2StreamDecoder();
    const events = dec.push(new Uint8Array(r.stdout));
    expect(events.filter((e) => e.type === 'item')).toHaveLength(2);
    expect(() => dec.end()).toThrow(/end marker/);
  });

  it('a truncated v2 input fails: exit status 1, the error on stderr, the output without its end marker', () => {
    const r = stdio(['-c', 'simplefft'], phantom.subarray(0, phantom.length - 1000));
    expect(r.status).toBe(1);
    expect(String(r.stderr)).toMatch(/ended inside StreamItem|ended before its end marker/);
    expect(() => decodeMrdV2(new Uint8Array(r.stdout))).toThrow(/end marker|ended/);
  });
});

for (const mode of ['worker', '-m'] as const) {
  describe(`mrd-server (${mode} mode) with MRD v2 clients on its TCP port`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      assertBuilt();
      server = await startServer(['-c', 'simplefft', ...(mode === '-m' ? ['-m'] : [])]);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('answers the upstream phantom in v2 with simplefft: header, images equal to upstream stream_recon\'s, end marker; the same bytes as --stdio', async () => {
      const answer = await exchange(server.port, phantom, { endAfterWrite: true });
      const out = decodeMrdV2(new Uint8Array(answer));
      expectSameHeader(out.header, sent.header);
      expectMatchesUpstream(out.items, upstream.items);
      expect(Buffer.compare(answer, stdio(['-c', 'simplefft'], phantom).stdout)).toBe(0);
    });

    it('answers NDJSON in NDJSON', async () => {
      const answer = await exchange(server.port, readFileSync(PHANTOM_NDJSON), { endAfterWrite: true });
      const out = decodeMrdV2Ndjson(answer.toString('utf8'));
      expect(out.items.map((i) => i.type)).toEqual(['imageInt16']);
    });

    it('still serves v1 sessions (the config message chooses the module), with the same images', async () => {
      const answer = await exchange(server.port, v1SessionOf(PHANTOM, 'simplefft'));
      const msgs = decodeStream(new Uint8Array(answer));
      expect(msgs.at(-1)!.type).toBe('close');
      const v1Images = msgs.filter((m) => m.type === 'image').map((m) => Array.from((m as { image: { data: ArrayLike<number> } }).image.data));
      const v2 = decodeMrdV2(new Uint8Array(await exchange(server.port, phantom, { endAfterWrite: true })));
      expect(v1Images).toEqual(v2.items.map((it) => Array.from(imageToV1(it as ImageItem).data as ArrayLike<number>)));
    });

    it('a v2 stream cut short gets an answer without its end marker (the error is logged) and the server keeps serving', async () => {
      const before = server.log().length;
      const answer = await exchange(server.port, phantom.subarray(0, 30_000), { endAfterWrite: true });
      expect(() => decodeMrdV2(new Uint8Array(answer))).toThrow(/end marker|ended|empty/);
      // the session thread's error line reaches stderr after the socket closes: wait for it (bounded)
      const logged = /MRD v2 client \(no text messages in MRD v2\): ERROR protocol error/;
      expect(await server.logMatching(logged, before)).toMatch(logged);
      const again = decodeMrdV2(new Uint8Array(await exchange(server.port, phantom, { endAfterWrite: true })));
      expect(again.items).toHaveLength(2);
    });
  });
}

describe('mrd-server /metrics and session log lines count an MRD v2 client\'s items', () => {
  for (const mode of ['worker', '-m'] as const) {
    it(`(${mode} mode) received = the items of the client's stream, sent = the images written back`, async () => {
      assertBuilt();
      const s = await startServer(['-v', '-c', 'simplefft', '--http-port', '0', ...(mode === '-m' ? ['-m'] : [])]);
      try {
        const out = decodeMrdV2(new Uint8Array(await exchange(s.port, phantom, { endAfterWrite: true })));
        expect(out.items).toHaveLength(2);
        let m = await scrape('127.0.0.1', s.httpPort!);
        for (let i = 0; i < 100 && sampleSum(m, 'mrd_server_sessions_total') < 1; i++) {
          await new Promise((r) => setTimeout(r, 50));
          m = await scrape('127.0.0.1', s.httpPort!);
        }
        expect(sampleSum(m, 'mrd_server_sessions_total', { config: 'simplefft', outcome: 'ok' })).toBe(1);
        expect(sampleSum(m, 'mrd_server_received_messages_total', { config: 'simplefft' })).toBe(sent.items.length);
        expect(sampleSum(m, 'mrd_server_sent_messages_total', { config: 'simplefft' })).toBe(2);
        const summary = `received ${sent.items.length} MRD v2 items, ${phantom.length} bytes; sent 2 MRD v2 items`;
        expect(await s.logMatching(new RegExp(summary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))).toContain(summary);
      } finally {
        await s.stop();
      }
    });
  }
});
