/**
 * mrd-server's live view (/view/ on --http-port), end to end on the built server over HTTP:
 * - a running session is listed with its config, client address and message counts; the images
 *   it sends can be fetched while it runs, equal to what its client received;
 * - finished sessions move to the recent list, which is bounded;
 * - nothing is held while nobody watches (no output tap, no image), and what was held is dropped
 *   when the last watcher leaves;
 * - the page is served from the package with its Content-Security-Policy; a loopback server
 *   refuses requests for another host name.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeMessages, MrdStreamDecoder } from '@mrd-tools/core/stream';
import type { Image } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { encodeNpy } from '@mrd-tools/recon-api/debug-dump';
import { until } from '../support/until.js';
import { startServer, tempDir, type RunningServer } from './server-harness.js';
import { images, sessionBytes, SMALL_HEADER, talk } from './server-sessions.js';

const HOST = '127.0.0.1';
/** RECENT_SESSIONS of live-view/live-sessions.ts. */
const RECENT_SESSIONS = 20;

interface Summary {
  id: string; client: string; config: string; state: string; outcome: string | null; elapsedSeconds: number;
  messagesIn: number; messagesOut: number; bytesIn: number; bytesOut: number; imagesSeen: number;
  images: { series: number; seq: number; imageIndex: number; matrix: number[] }[];
}
interface Snapshot { now: number; live: Summary[]; recent: Summary[] }
interface Status { watching: boolean; watchers: number; tappedSessions: number; keptImages: number; keptBytes: number; liveSessions: number; recentSessions: number }

const getJson = async <T>(port: number, path: string): Promise<T> => (await fetch(`http://${HOST}:${port}${path}`)).json() as Promise<T>;

/** The /view/api/events stream: the latest `sessions` snapshot, as the page sees it. */
async function watch(port: number): Promise<{ latest(): Snapshot | null; events(): number; close(): void }> {
  const ac = new AbortController();
  const res = await fetch(`http://${HOST}:${port}/view/api/events`, { signal: ac.signal });
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  let latest: Snapshot | null = null;
  let count = 0;
  let buf = '';
  void (async () => {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let k;
        while ((k = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, k);
          buf = buf.slice(k + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (/^event: sessions$/m.test(block) && data) {
            latest = JSON.parse(data) as Snapshot;
            count++;
          }
        }
      }
    } catch { /* aborted */ }
  })();
  return { latest: () => latest, events: () => count, close: () => ac.abort() };
}

/** The JSON part and the `values` array of an image envelope (mrd-view's protocol/envelope). */
function readEnvelope(buf: ArrayBuffer): { json: Record<string, unknown> & { width: number; height: number; seq: number; series: number }; values: number[] } {
  const n = new DataView(buf).getUint32(0, true);
  const json = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, n))) as { width: number; height: number; seq: number; series: number; arrays: [string, string, number, number][] };
  const entry = json.arrays.find((a) => a[0] === 'values');
  if (!entry) throw new Error('no values in the envelope');
  const [, type, off, len] = entry;
  const Ctor = { u16: Uint16Array, f32: Float32Array, i16: Int16Array, u32: Uint32Array, i32: Int32Array, f64: Float64Array, u8: Uint8Array }[type]!;
  return { json: json as never, values: Array.from(new Ctor(buf, off, len)) };
}

/** A session left open: config and header sent, the answer collected. */
function openSession(port: number, config: string): Promise<{ sock: Socket; answer: () => MrdMessage[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: HOST, port });
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    sock.once('error', reject);
    sock.on('connect', () => {
      sock.write(encodeMessages([{ type: 'config_file', name: config }, { type: 'header', xml: SMALL_HEADER }]));
      resolve({
        sock, closed,
        answer: () => {
          try {
            return new MrdStreamDecoder().push(Buffer.concat(chunks));
          } catch {
            return [];
          }
        },
      });
    });
  });
}

/** `count` images of series `series` (images() of server-sessions, moved to another series). */
function seriesImages(count: number, series: number, size = 32): MrdMessage[] {
  const list = images(count, size);
  for (const m of list) (m as { image: Image }).image.head.image_series_index = series;
  return list;
}

const servers: RunningServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
});
async function server(args: string[]): Promise<RunningServer> {
  const s = await startServer(args);
  servers.push(s);
  return s;
}

describe('mrd-server /view: live sessions', () => {
  it('lists a running session with config, client and message counts; its images can be fetched as they are sent', async () => {
    const s = await server(['--http-port', '0']);
    const w = await watch(s.httpPort!);
    try {
      const sess = await openSession(s.port, 'invertcontrast');
      const local = `${HOST}:${sess.sock.localPort}`;
      const mine = await until('our session in the live list', () => w.latest()?.live.find((x) => x.client === local));
      expect(mine.state).toBe('running');
      // (the session resolves its config once it knows whether a config text follows the header)
      expect(['unknown', 'invertcontrast']).toContain(mine.config);
      expect(mine.messagesIn).toBe(2);
      expect(mine.outcome).toBeNull();
      // two images of series 1, then one of series 2: invertcontrast sends series 1 back
      sess.sock.write(encodeMessages([...seriesImages(2, 1), ...seriesImages(1, 2)]));
      const withImages = await until('our session\'s two images in the live list', () => w.latest()?.live.find((x) => x.id === mine.id && x.images.length > 0 && x.imagesSeen === 2));
      expect(withImages.config).toBe('invertcontrast');
      expect(withImages.messagesIn).toBe(5);
      expect(withImages.messagesOut).toBeGreaterThanOrEqual(2);
      expect(withImages.state).toBe('running');
      // the latest image of its series, fetched while the session runs, equals what the client got
      const kept = withImages.images[0]!;
      const res = await fetch(`http://${HOST}:${s.httpPort}/view/api/image?session=${mine.id}&series=${kept.series}`);
      expect(res.status).toBe(200);
      const env = readEnvelope(await res.arrayBuffer());
      expect([env.json.width, env.json.height, env.json.seq, env.json.series]).toEqual([32, 32, 2, kept.series]);
      const received = await until('the session\'s two images', () => {
        const imgs = sess.answer().filter((m): m is { type: 'image'; image: Image } => m.type === 'image');
        return imgs.length === 2 ? imgs : undefined;
      });
      expect(received[1]!.image.head.image_series_index).toBe(kept.series);
      expect(env.values).toEqual(Array.from(received[1]!.image.data as Uint16Array));
      expect(env.values).not.toEqual(Array.from((seriesImages(2, 1)[1] as { image: Image }).image.data as Uint16Array));
      // a series not kept, and a session not known, are 404 with a reason
      const none = await fetch(`http://${HOST}:${s.httpPort}/view/api/image?session=${mine.id}&series=77`);
      expect(none.status).toBe(404);
      expect(((await none.json()) as { error: string }).error).toMatch(/no image of series 77/);

      // the end: CLOSE; the session moves to the recent list with its outcome
      sess.sock.end(encodeMessages([{ type: 'close' }]));
      await sess.closed;
      const done = await until('our session in the recent list', () => {
        const snap = w.latest();
        return snap && !snap.live.some((x) => x.id === mine.id) ? snap.recent.find((x) => x.id === mine.id) : undefined;
      });
      expect(done).toMatchObject({ state: 'finished', outcome: 'ok', config: 'invertcontrast', client: local, messagesIn: 6 });
      expect(done.messagesOut).toBe(sess.answer().length);
      // its images stay viewable while watched
      expect((await fetch(`http://${HOST}:${s.httpPort}/view/api/image?session=${mine.id}&series=${kept.series}`)).status).toBe(200);
    } finally {
      w.close();
    }
  });

  it('sees the images of sessions run in their own processes (-m) the same way', async () => {
    const s = await server(['-m', '--http-port', '0']);
    const w = await watch(s.httpPort!);
    try {
      await until('the first sessions snapshot', () => w.latest());
      const a = await talk(s.port, sessionBytes('invertcontrast', [...seriesImages(2, 1), ...seriesImages(1, 2)]));
      const out = a.messages.filter((m): m is { type: 'image'; image: Image } => m.type === 'image');
      expect(out).toHaveLength(3);
      const done = await until('a recent session', () => w.latest()?.recent[0]);
      expect(done).toMatchObject({ config: 'invertcontrast', outcome: 'ok', imagesSeen: 3, messagesIn: 6, messagesOut: a.messages.length });
      expect(done.images.map((k) => k.series)).toEqual([...new Set(out.map((m) => m.image.head.image_series_index))].sort((x, y) => x - y));
      const last = out[2]!.image;
      const res = await fetch(`http://${HOST}:${s.httpPort}/view/api/image?session=${done.id}&series=${last.head.image_series_index}`);
      expect(readEnvelope(await res.arrayBuffer()).values).toEqual(Array.from(last.data as Uint16Array));
    } finally {
      w.close();
    }
  });

  it('sends the colour table an image names (LUTFileName), found as mrd2gif finds it: the server\'s ./colormaps', async () => {
    const cwd = tempDir('mrd-live-lut-');
    mkdirSync(join(cwd, 'colormaps'));
    const table = Uint8Array.from({ length: 768 }, (_, i) => (i * 37) & 255);
    writeFileSync(join(cwd, 'colormaps', 'MicroDeltaHotMetal.npy'), encodeNpy(Float32Array.from(table), [256, 3]));
    const s = await startServer(['--http-port', '0'], { cwd });
    servers.push(s);
    const w = await watch(s.httpPort!);
    try {
      await until('the first sessions snapshot', () => w.latest());
      const json = JSON.stringify({ parameters: { options: 'colormap' } });
      const bytes = encodeMessages([{ type: 'config_file', name: 'invertcontrast' }, { type: 'header', xml: SMALL_HEADER }, { type: 'text', text: json }, ...seriesImages(1, 1), { type: 'close' }]);
      const a = await talk(s.port, bytes);
      expect(a.endsWithClose).toBe(true);
      const done = await until('a recent session with images', () => w.latest()?.recent.find((x) => x.images.length > 0));
      const res = await fetch(`http://${HOST}:${s.httpPort}/view/api/image?session=${done.id}&series=${done.images[0]!.series}`);
      expect(res.status).toBe(200);
      const body = await res.arrayBuffer();
      const head = JSON.parse(new TextDecoder().decode(new Uint8Array(body, 4, new DataView(body).getUint32(0, true)))) as { meta: [string, string[]][]; arrays: [string, string, number, number][] };
      expect(head.meta.find(([k]) => k === 'LUTFileName')?.[1]).toEqual(['MicroDeltaHotMetal.pal']);
      const pal = head.arrays.find(([n]) => n === 'palette');
      expect(pal, 'the envelope carries the colour table').toBeDefined();
      expect(Array.from(new Uint8Array(body, pal![2], pal![3]))).toEqual(Array.from(table));
    } finally {
      w.close();
    }
  });

  it('keeps a bounded list of recently finished sessions, with their outcome', async () => {
    const s = await server(['-d', 'null', '--http-port', '0']);
    // a client that goes away in the middle of its session
    const cut = await openSession(s.port, 'null');
    const cutClient = `${HOST}:${cut.sock.localPort}`;
    await until('one live session', async () => (await getJson<Snapshot>(s.httpPort!, '/view/api/sessions')).live.length === 1);
    cut.sock.destroy();
    const truncated = await until('the truncated session in the recent list', async () => (await getJson<Snapshot>(s.httpPort!, '/view/api/sessions')).recent[0]);
    expect(truncated).toMatchObject({ outcome: 'truncated', state: 'finished', messagesIn: 2, client: cutClient });
    for (let k = 0; k < RECENT_SESSIONS + 2; k++) await talk(s.port, sessionBytes('null', images(1, 8)));
    const snap = await until('the recent list full and nothing live', async () => {
      const x = await getJson<Snapshot>(s.httpPort!, '/view/api/sessions');
      return x.live.length === 0 && x.recent.length === RECENT_SESSIONS ? x : undefined;
    });
    // the truncated session (the first of all) has been pushed out by the bound
    expect(snap.recent.every((x) => x.outcome === 'ok' && x.config === 'null' && x.messagesIn === 4)).toBe(true);
    expect(snap.recent[0]!.elapsedSeconds).toBeGreaterThanOrEqual(0);
  });

  it('holds nothing while nobody watches, and drops what it held when the last watcher leaves', async () => {
    const s = await server(['--http-port', '0']);
    const status = () => getJson<Status>(s.httpPort!, '/view/api/status');
    // nobody watches: sessions that send images leave no tap and no image behind
    for (let k = 0; k < 3; k++) {
      const a = await talk(s.port, sessionBytes('invertcontrast', seriesImages(3, 1, 64)));
      expect(a.types.filter((t) => t === 'image')).toHaveLength(3);
    }
    const held = await openSession(s.port, 'invertcontrast');
    held.sock.write(encodeMessages([...seriesImages(2, 1), ...seriesImages(1, 2)]));
    await until('the held session\'s two images', () => held.answer().filter((m) => m.type === 'image').length === 2);
    expect(await status()).toMatchObject({ watching: false, watchers: 0, tappedSessions: 0, keptImages: 0, keptBytes: 0, liveSessions: 1, recentSessions: 3 });
    // a watcher: the running session is tapped from now on, its next images kept
    const w = await watch(s.httpPort!);
    await until('the held session tapped', async () => (await status()).tappedSessions === 1);
    held.sock.write(encodeMessages(seriesImages(1, 3)));
    const st = await until('one image kept', async () => {
      const x = await status();
      return x.keptImages === 1 ? x : undefined;
    });
    // the pixels and the meta attributes invertcontrast adds (held as a view into the relayed
    // chunk, which is at most 64 KiB larger)
    expect(st.keptBytes).toBeGreaterThanOrEqual(32 * 32 * 2);
    expect(st.keptBytes).toBeLessThan(32 * 32 * 2 + 4096 + 64 * 1024);
    // the watcher leaves: taps and images are dropped, the session runs on
    w.close();
    await until('taps and images dropped after the watcher left', async () => {
      const x = await status();
      return !x.watching && x.tappedSessions === 0 && x.keptImages === 0 && x.keptBytes === 0;
    });
    held.sock.end(encodeMessages([{ type: 'close' }]));
    await held.closed;
    // (series 2 went back when series 3 began, series 3 at the end)
    expect(held.answer().filter((m) => m.type === 'image')).toHaveLength(4);
    expect(held.answer().at(-1)?.type).toBe('close');
    await until('four recent sessions', async () => (await status()).recentSessions === 4);
    expect(await status()).toMatchObject({ keptImages: 0, keptBytes: 0, tappedSessions: 0, liveSessions: 0, recentSessions: 4 });
  });

  it('serves the page from the package with a CSP, and refuses other host names on a loopback server', async () => {
    const s = await server(['-d', 'null', '--http-port', '0']);
    const redirect = await fetch(`http://${HOST}:${s.httpPort}/view`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/view/']);
    const page = await fetch(`http://${HOST}:${s.httpPort}/view/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'.*connect-src 'self'/);
    const html = await page.text();
    expect(html).toContain('src="live.js"');
    expect(html).not.toMatch(/https?:\/\//);
    const js = await fetch(`http://${HOST}:${s.httpPort}/view/live.js`);
    expect([js.status, js.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await fetch(`http://${HOST}:${s.httpPort}/view/nothing.js`)).status).toBe(404);
    const evil = await new Promise<number>((resolve, reject) => {
      const req = request({ host: HOST, port: s.httpPort, path: '/view/api/sessions', headers: { host: `evil.example:${s.httpPort}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
    expect(evil).toBe(403);
    // the probes are not affected
    expect((await fetch(`http://${HOST}:${s.httpPort}/healthz`)).status).toBe(200);
  });
});
