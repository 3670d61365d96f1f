/**
 * mrd-server's live view (/view/ on --http-port) driven in Debian's headless Chromium through
 * puppeteer-core, against the built server: a session in progress appears in the live list
 * with its config, client and message counts; the image it sends is drawn on mrd-view's
 * window/level canvas with the pixels computed here from what its client received (the frame's
 * 5-95% window, as mrd2gif --floating-window); the next series shows up without a reload; at its
 * end the session moves to the recently finished list; the page makes no request outside its
 * server. Screenshots go to tests/interop/artifacts/mrd-server-live/ (git-ignored).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyWindow, frameWindowStats, seriesWindows } from '@mrd-tools/mrd2gif/preview';
import { createImage, type Image } from '@mrd-tools/core/messages';
import { DataType, ImageType } from '@mrd-tools/core/constants';
import { encodeMessages, MrdStreamDecoder } from '@mrd-tools/core/stream';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { startServer, type RunningServer } from '../e2e/server-harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ARTIFACTS = join(root, 'tests/interop/artifacts/mrd-server-live');
if (process.env.CI && !haveChromium) throw new Error(`${CHROMIUM} is missing (CI installs Debian's chromium)`);

const HEADER = '<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"><encoding><encodedSpace><matrixSize><x>96</x><y>96</y><z>1</z></matrixSize><fieldOfView_mm><x>240</x><y>240</y><z>5</z></fieldOfView_mm></encodedSpace><reconSpace><matrixSize><x>96</x><y>96</y><z>1</z></matrixSize><fieldOfView_mm><x>240</x><y>240</y><z>5</z></fieldOfView_mm></reconSpace><trajectory>cartesian</trajectory></encoding></ismrmrdHeader>';

/** A disc phantom with an inner ellipse and a gradient (uint16, 96 x 96), one per series. */
function phantom(series: number, index: number): MrdMessage {
  const n = 96;
  const img = createImage({ dataType: DataType.USHORT, matrixSize: [n, n, 1], head: { image_type: ImageType.MAGNITUDE, image_index: index, image_series_index: series } });
  const d = img.data as Uint16Array;
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const r = Math.hypot(x - n / 2, y - n / 2);
    const e = Math.hypot((x - n / 2 - 8) / 10, (y - n / 2 + 4) / (18 + 4 * index));
    d[y * n + x] = r < 40 ? 1200 + 10 * x + (e < 1 ? 1500 : 0) + 300 * series : 50;
  }
  return { type: 'image', image: img };
}

describe.skipIf(!haveChromium)(`mrd-server /view in headless Chromium (${CHROMIUM})`, () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let origin = '';
  const outside: string[] = [];
  const temps: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await startServer(['--http-port', '0']);
    origin = `http://127.0.0.1:${server.httpPort}`;
    const profile = mkdtempSync(join(tmpdir(), 'mrd-live-chromium-'));
    temps.push(profile);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 800 });
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const u = req.url();
      if (u.startsWith(origin + '/') || u.startsWith('data:') || u.startsWith('blob:')) void req.continue();
      else {
        outside.push(u);
        void req.abort();
      }
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop('SIGKILL');
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

  it('shows a running session and its images as they are sent, then moves it to the recent list', async () => {
    await page.goto(`${origin}/view/`);
    await page.waitForSelector('#stream-status', { timeout: 30_000 });
    expect(await page.$eval('#live-sessions', (e) => e.textContent).catch(() => null)).toBeNull();

    // a session: config, header, then two images of series 1 and one of series 2
    const sock: Socket = connect({ host: '127.0.0.1', port: server.port });
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    await new Promise((r) => sock.on('connect', r));
    const client = `127.0.0.1:${sock.localPort}`;
    sock.write(encodeMessages([{ type: 'config_file', name: 'invertcontrast' }, { type: 'header', xml: HEADER }]));
    const row = await page.waitForSelector('#live-sessions tr.session', { timeout: 30_000 });
    expect(await row!.evaluate((e) => e.textContent)).toContain(client);
    sock.write(encodeMessages([phantom(1, 0), phantom(1, 1), phantom(2, 0)]));

    // the second image of series 1 as the client received it, windowed as the page does
    const received = (): Image[] => {
      try {
        return new MrdStreamDecoder().push(Buffer.concat(chunks)).filter((m) => m.type === 'image').map((m) => (m as { image: Image }).image);
      } catch {
        return [];
      }
    };
    await page.waitForSelector('#live-canvas[data-ready="1"]', { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('#live-sessions td.config')?.textContent === 'invertcontrast', { timeout: 30_000 });
    const imgs = received();
    expect(imgs.length).toBe(2);
    const last = imgs[1]!;
    const values = Array.from(last.data as Uint16Array);
    const win = seriesWindows([frameWindowStats(values)], [null], true)[0]!;
    const grey = applyWindow(values, win);
    const got = await page.$eval('#live-canvas', (c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      const g: number[] = [];
      for (let i = 0; i < d.length; i += 4) g.push(d[i]!);
      return { width: cv.width, height: cv.height, grey: g, window: cv.dataset.window };
    });
    expect([got.width, got.height]).toEqual([96, 96]);
    expect(got.window).toBe(`${win.min},${win.max}`);
    expect(Buffer.from(got.grey).equals(Buffer.from(grey))).toBe(true);
    const rowText = await page.$eval('#live-sessions tr.session', (e) => e.textContent ?? '');
    expect(rowText).toContain('invertcontrast');
    expect(rowText).toContain('5 / ');
    await shot('live-running');

    // window/level by mouse drag (mrd-view's rule: right widens by width/256 a pixel, down raises the centre)
    const box = (await (await page.$('.zoom-box'))!.boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 40, cy + 20, { steps: 4 });
    await page.mouse.up();
    const step = (win.max - win.min) / 256;
    const c = (win.min + win.max) / 2 + 20 * step;
    const wNew = win.max - win.min + 40 * step;
    const dragged = { min: c - wNew / 2, max: c + wNew / 2 };
    await page.waitForFunction((w) => (document.querySelector('#live-canvas') as HTMLCanvasElement).dataset.window === w, { timeout: 10_000 }, `${dragged.min},${dragged.max}`);
    expect(await page.$eval('.window-preset', (e) => (e as HTMLSelectElement).value)).toBe('custom');
    const greyDragged = applyWindow(values, dragged);
    const afterDrag = await page.$eval('#live-canvas', (cv) => {
      const d = (cv as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 96, 96).data;
      const g: number[] = [];
      for (let i = 0; i < d.length; i += 4) g.push(d[i]!);
      return g;
    });
    expect(Buffer.from(afterDrag).equals(Buffer.from(greyDragged))).toBe(true);

    // series 1 chosen (the URL keeps it); the next series goes out while the page is open: a
    // second series button, without a reload, and series 1 stays on screen with its window
    await page.click('.series-tabs button[data-series="1"]');
    expect(await page.evaluate(() => location.hash)).toMatch(/series=1/);
    sock.write(encodeMessages([phantom(3, 0)]));
    await page.waitForFunction(() => document.querySelectorAll('.series-tabs button').length === 2, { timeout: 30_000 });
    // a new image of series 1 (invertcontrast sends a series when the next begins): drawn with the window chosen
    sock.write(encodeMessages([phantom(1, 5), phantom(4, 0)]));
    await page.waitForFunction(() => (document.querySelector('#live-canvas') as HTMLCanvasElement | null)?.dataset.frame === '5:0', { timeout: 30_000 });
    const newest = received().filter((m) => m.head.image_series_index === 1).at(-1)!;
    expect(newest.head.image_index).toBe(5);
    expect(await page.$eval('#live-canvas', (e) => (e as HTMLCanvasElement).dataset.window)).toBe(`${dragged.min},${dragged.max}`);
    const again = await page.$eval('#live-canvas', (cv) => {
      const d = (cv as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 96, 96).data;
      const g: number[] = [];
      for (let i = 0; i < d.length; i += 4) g.push(d[i]!);
      return g;
    });
    expect(Buffer.from(again).equals(Buffer.from(applyWindow(Array.from(newest.data as Uint16Array), dragged)))).toBe(true);
    // another series starts from its own frame window
    await page.click('.series-tabs button[data-series="3"]');
    await page.waitForFunction(() => (document.querySelector('.window-preset') as HTMLSelectElement | null)?.value === 'frame', { timeout: 10_000 });

    // the end: the session moves to the recent list with its outcome
    sock.end(encodeMessages([{ type: 'close' }]));
    await closed;
    await page.waitForFunction(() => document.querySelector('#recent-sessions td.outcome-ok') !== null && document.querySelector('#live-sessions') === null, { timeout: 30_000 });
    expect(await page.$eval('#recent-sessions tr.session', (e) => e.textContent ?? '')).toContain(client);
    await shot('live-finished');
  });

  it('the page made no request outside its own server', () => {
    expect(outside).toEqual([]);
  });
});
