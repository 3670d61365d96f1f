/**
 * mrd-view driven in a real browser: Debian's headless Chromium (/usr/bin/chromium, or
 * $CHROMIUM) through puppeteer-core (which never downloads a browser), against the built
 * mrd-view command and the reference files:
 * - the phantom raw file's acquisition table shows every readout with its flags by name;
 * - the invertcontrast outputs' canvas pixels equal mrd2gif's PNG frames (ROIs included);
 * - dragging window/level changes the window and the pixels as computed;
 * - the waveform plot has every sample of the id per channel;
 * - compare shows a zero difference for a file against itself;
 * - cine steps through a series, the wheel zooms; Export PNG downloads the canvas;
 * - an MRD v2 file shows the same canvas as its v1 source;
 * - the page makes no request outside its own server (every request is intercepted and checked).
 * Screenshots of every view go to tests/interop/artifacts/mrd-view/ (git-ignored).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import { applyWindow } from '@mrd-tools/mrd2gif/preview';
import { createImage, type Image } from '@mrd-tools/core/messages';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { reference } from '@mrd-tools/core/testing';
import { sourceFramesOf } from '@mrd-tools/mrd2gif/source-frames';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ARTIFACTS = join(root, 'tests/interop/artifacts/mrd-view');
const viewCli = join(root, 'packages/mrd-view/dist/cli.js');
const gifCli = join(root, 'packages/mrd2gif/dist/cli.js');
// pngjs through mrd2gif's dependency (a PNG decoder independent of the browser)
const { PNG } = createRequire(join(root, 'packages/mrd2gif/package.json'))('pngjs') as { PNG: { sync: { read(b: Buffer): { width: number; height: number; data: Buffer } } } };
if (process.env.CI && !haveChromium) throw new Error(`${CHROMIUM} is missing (CI installs Debian's chromium)`);

interface Viewer { proc: ChildProcess; url: string; origin: string }

function startViewer(files: string[]): Promise<Viewer> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [viewCli, '-p', '0', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`mrd-view did not start: ${out}`)), 30_000);
    const on = (d: Buffer) => {
      out += d;
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]!, origin: new URL(m[1]!).origin });
      }
    };
    proc.stdout!.on('data', on);
    proc.stderr!.on('data', on);
    proc.on('exit', (code) => reject(new Error(`mrd-view exited (${code}): ${out}`)));
  });
}

function stopViewer(v: Viewer | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!v || v.proc.exitCode !== null) return resolve();
    v.proc.once('exit', () => resolve());
    v.proc.kill('SIGTERM');
  });
}

/** mrd2gif's frames of a file as RGB (PNG output, no mosaic, one file per frame). */
function mrd2gifFrames(file: string): { width: number; height: number; rgb: Uint8Array }[] {
  const dir = mkdtempSync(join(tmpdir(), 'mrd-view-gif-'));
  try {
    const copy = join(dir, 'in.h5');
    copyFileSync(file, copy);
    const r = spawnSync(process.execPath, [gifCli, '-q', '--filetype', 'png', copy], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mrd2gif failed: ${r.stderr}`);
    const pngs = readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
    return pngs.map((f) => {
      const png = PNG.sync.read(readFileSync(join(dir, f)));
      const rgb = new Uint8Array(png.width * png.height * 3);
      for (let i = 0; i < png.width * png.height; i++) rgb.set(png.data.subarray(4 * i, 4 * i + 3), 3 * i);
      return { width: png.width, height: png.height, rgb };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!haveChromium)(`mrd-view in headless Chromium (${CHROMIUM})`, () => {
  let browser: Browser;
  let viewer: Viewer;
  let page: Page;
  const outside: string[] = [];
  /** The origins of the viewers under test: the only ones the page may reach. */
  const own = new Set<string>();
  const files: string[] = [];
  let complexFile = '';
  const temps: string[] = [];
  const temp = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    temps.push(d);
    return d;
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const dir = temp('mrd-view-browser-');
    complexFile = join(dir, 'complex_phantom.h5');
    const w = await MrdWriter.create(complexFile, { group: 'dataset' });
    for (let k = 0; k < 4; k++) {
      const n = 48;
      const data = new Float32Array(2 * n * n);
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
        const r = Math.hypot(x - n / 2, y - n / 2);
        const mag = r < 18 ? 100 + 20 * k : 5;
        const ph = (x - n / 2) * 0.15 + k * 0.5;
        data[2 * (y * n + x)] = mag * Math.cos(ph);
        data[2 * (y * n + x) + 1] = mag * Math.sin(ph);
      }
      await w.appendImage(createImage({ matrixSize: [n, n, 1], data, dataType: 7, head: { image_index: k, phase: k } }), { series: 'image_0' });
    }
    await w.close();
    // 0 raw phantom, 1 waveforms, 2 C++ (trajectories), 3 invertcontrast, 4 the same file again, 5 ROI, 6 RGB, 7 complex
    files.push(...['inputs/phantom_m64_c4_r2.h5', 'inputs/phantom_m64_waveforms.h5', 'inputs/cpp_phantom_m64_c4_noise_traj.h5', 'outputs/invertcontrast_m64.h5', 'outputs/invertcontrast_m64.h5', 'outputs/invertcontrast_roi.h5', 'outputs/invertcontrast_rgb.h5'].map(reference), complexFile);
    viewer = await startViewer(files);
    own.add(viewer.origin);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${temp('mrd-view-chromium-')}`],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 900 });
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const u = req.url();
      if ([...own].some((o) => u.startsWith(o + '/')) || u.startsWith('data:') || u.startsWith('blob:')) void req.continue();
      else {
        outside.push(u);
        void req.abort();
      }
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stopViewer(viewer);
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });

  async function open(hash: string, ready: string): Promise<void> {
    await page.goto(`${viewer.url}#${hash}`);
    await page.reload(); // a hash change alone does not re-render from scratch
    await page.waitForSelector(ready, { timeout: 30_000 });
  }

  async function canvasRgb(selector: string): Promise<{ width: number; height: number; rgb: Uint8Array }> {
    const r = await page.$eval(selector, (c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      const rgb: number[] = [];
      for (let i = 0; i < d.length; i += 4) rgb.push(d[i]!, d[i + 1]!, d[i + 2]!);
      return { width: cv.width, height: cv.height, rgb };
    });
    return { width: r.width, height: r.height, rgb: Uint8Array.from(r.rgb) };
  }

  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

  it('the phantom raw file acquisition table shows every readout with its flags', async () => {
    const f = await MrdFile.open(files[0]!);
    const want = new Map<number, string>();
    try {
      let i = 0;
      for await (const batch of f.acquisitionHeaderBatches('dataset')) {
        for (const h of batch) {
          const names: string[] = [];
          for (const [name, bit] of Object.entries(AcquisitionFlag)) if ((h.flags >> BigInt(bit - 1)) & 1n) names.push(name);
          want.set(i++, names.join(' '));
        }
      }
    } finally {
      f.close();
    }
    // the raw-only file opens on its acquisitions
    await page.goto(viewer.url);
    await page.waitForSelector('.acq-row[data-index="0"]', { timeout: 30_000 });
    expect(await page.evaluate(() => location.hash)).toBe('#v=acquisitions&f=0&g=dataset');
    expect(await page.$eval('#acq-total', (e) => e.textContent)).toBe('160 readouts');
    await shot('acquisitions');
    const seen = new Map<number, string>();
    for (let step = 0; step < 100 && seen.size < want.size; step++) {
      const rows = await page.$$eval('.acq-row', (els) => els.map((e) => [Number((e as HTMLElement).dataset.index), e.querySelector('[data-col="flags"]')!.textContent ?? ''] as [number, string]));
      for (const [i, flags] of rows) seen.set(i, flags);
      await page.$eval('#acq-scroller', (el) => { el.scrollTop += el.clientHeight - 44; });
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(seen.size).toBe(160);
    for (const [i, flags] of want) expect(seen.get(i), `readout ${i}`).toBe(flags);
    // a filter by flag (noise readouts only)
    await open(`v=acquisitions&f=0&g=dataset&filter=${encodeURIComponent(JSON.stringify({ require: [AcquisitionFlag.IS_NOISE_MEASUREMENT] }))}&row=40`, '.acq-row[data-index="31"]');
    expect(await page.$eval('#acq-total', (e) => e.textContent)).toBe('32 readouts (filtered)');
    await page.waitForSelector('#readout-a[data-points]');
    expect(await page.$eval('#readout-a', (e) => (e as HTMLElement).dataset.points)).toBe('128,128,128,128');
    await shot('acquisitions-filtered-readout');
    // the filter panel: leaving the noise readouts out by clicking
    await open('v=acquisitions&f=0&g=dataset', '.acq-row[data-index="0"]');
    await page.click('#filter-toggle');
    await page.waitForSelector(`[data-flag-exclude="${AcquisitionFlag.IS_NOISE_MEASUREMENT}"]`);
    await page.click(`[data-flag-exclude="${AcquisitionFlag.IS_NOISE_MEASUREMENT}"]`);
    await page.waitForFunction(() => document.querySelector('#acq-total')?.textContent === '128 readouts (filtered)');
    expect(await page.$eval('.acq-row', (e) => (e as HTMLElement).dataset.index)).toBe('32');
    await shot('acquisitions-filter-panel');
    // a link to a readout opens the table scrolled to it
    await open('v=acquisitions&f=0&g=dataset&row=150', '.acq-row.selected[data-index="150"]');
    const visible = await page.$eval('.acq-row.selected', (row) => {
      const r = row.getBoundingClientRect();
      const box = document.querySelector('#acq-scroller')!.getBoundingClientRect();
      return r.top >= box.top && r.bottom <= box.bottom;
    });
    expect(visible).toBe(true);
  });

  it('the invertcontrast output canvas equals mrd2gif frames (series window; with ROIs too)', async () => {
    for (const [f, name] of [[3, 'images-invertcontrast'], [5, 'images-roi']] as const) {
      const frames = mrd2gifFrames(files[f]!);
      expect(frames.length).toBe(2);
      for (let i = 0; i < 2; i++) {
        await open(`v=images&f=${f}&g=dataset&s=image_0&i=${i}`, `#image-canvas[data-ready="1"][data-frame="${i}:0"][data-preset="series"]`);
        const got = await canvasRgb('#image-canvas');
        expect([got.width, got.height]).toEqual([frames[i]!.width, frames[i]!.height]);
        expect(Buffer.from(got.rgb).equals(Buffer.from(frames[i]!.rgb)), `${name} image ${i}`).toBe(true);
        if (i === 0) await shot(name);
      }
    }
    // a file holding images opens on the first image of its last series
    const v2 = await startViewer([files[3]!]);
    own.add(v2.origin);
    try {
      await page.goto(v2.url);
      await page.waitForSelector('#image-canvas[data-ready="1"]');
      expect(await page.evaluate(() => location.hash)).toBe('#v=images&f=0&g=dataset&s=image_0&i=0');
      const frames = mrd2gifFrames(files[3]!);
      await page.waitForSelector('#image-canvas[data-preset="series"]');
      expect(Buffer.from((await canvasRgb('#image-canvas')).rgb).equals(Buffer.from(frames[0]!.rgb))).toBe(true);
    } finally {
      await stopViewer(v2);
      own.delete(v2.origin);
    }
  });

  it('an MRD v2 file (upstream\'s v2 conversion of the invertcontrast output) shows the same canvas as its v1 source', async () => {
    const frames = mrd2gifFrames(files[3]!);
    const v2 = await startViewer([reference('mrd-v2/v1_to_v2/invertcontrast_m64.mrd')]);
    own.add(v2.origin);
    try {
      await page.goto(v2.url);
      await page.waitForSelector('#image-canvas[data-ready="1"]');
      expect(await page.evaluate(() => location.hash)).toBe('#v=images&f=0&g=dataset&s=image_0&i=0');
      for (let i = 0; i < 2; i++) {
        await page.goto(`${v2.url}#v=images&f=0&g=dataset&s=image_0&i=${i}`);
        await page.reload();
        await page.waitForSelector(`#image-canvas[data-ready="1"][data-frame="${i}:0"][data-preset="series"]`, { timeout: 30_000 });
        expect(Buffer.from((await canvasRgb('#image-canvas')).rgb).equals(Buffer.from(frames[i]!.rgb)), `image ${i}`).toBe(true);
      }
      await shot('images-mrd-v2');
    } finally {
      await stopViewer(v2);
      own.delete(v2.origin);
    }
  });

  it('dragging window/level changes the window and the pixels as computed', async () => {
    await open('v=images&f=3&g=dataset&s=image_0&i=0', '#image-canvas[data-ready="1"][data-preset="series"]');
    const before = (await page.$eval('#image-canvas', (e) => (e as HTMLElement).dataset.window!)).split(',').map(Number) as [number, number];
    await page.waitForSelector('#image-index');
    const box = await page.$eval('.zoom-box', (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; });
    const x0 = box.x + box.width / 2;
    const y0 = box.y + box.height / 2;
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    await page.mouse.move(x0 + 20, y0 - 10, { steps: 4 });
    await page.mouse.move(x0 + 40, y0 - 25, { steps: 4 });
    await page.mouse.up();
    await page.waitForFunction(() => location.hash.includes('preset=custom'));
    await page.waitForSelector('#image-canvas[data-preset="custom"]');
    const after = (await page.$eval('#image-canvas', (e) => (e as HTMLElement).dataset.window!)).split(',').map(Number);
    // the rule (render.ts dragWindow): a pixel right widens by width/256, a pixel down raises the centre by width/256
    const w0 = before[1] - before[0];
    const step = w0 / 256;
    const c = (before[0] + before[1]) / 2 - 25 * step;
    const w = w0 + 40 * step;
    expect(after[0]).toBeCloseTo(c - w / 2, 9);
    expect(after[1]).toBeCloseTo(c + w / 2, 9);
    const f = await MrdFile.open(files[3]!);
    let img: Image;
    try {
      img = await f.image('dataset', 'image_0', 0);
    } finally {
      f.close();
    }
    const values = sourceFramesOf([img], 'x')[0]!.values!;
    const grey = applyWindow(values, { min: after[0]!, max: after[1]! });
    const got = await canvasRgb('#image-canvas');
    const expected = new Uint8Array(3 * grey.length);
    grey.forEach((g, k) => expected.fill(g, 3 * k, 3 * k + 3));
    expect(Buffer.from(got.rgb).equals(Buffer.from(expected))).toBe(true);
    const untouched = applyWindow(values, { min: before[0], max: before[1] });
    expect(Buffer.from(untouched).equals(Buffer.from(grey))).toBe(false);
    await shot('images-window-dragged');
    // the custom window is in the URL: reloading shows the same pixels
    await page.reload();
    await page.waitForSelector('#image-canvas[data-ready="1"][data-preset="custom"]');
    expect(Buffer.from((await canvasRgb('#image-canvas')).rgb).equals(Buffer.from(expected))).toBe(true);
  });

  it('the waveform plot has every sample of the id per channel', async () => {
    const f = await MrdFile.open(files[1]!);
    const perId = new Map<number, { samples: number; channels: number }>();
    try {
      for await (const w of f.waveforms('dataset')) {
        const e = perId.get(w.head.waveform_id) ?? { samples: 0, channels: w.head.channels };
        e.samples += w.head.number_of_samples;
        perId.set(w.head.waveform_id, e);
      }
    } finally {
      f.close();
    }
    expect([...perId.keys()]).toEqual([0, 1025]);
    for (const [id, e] of perId) {
      await open(`v=waveforms&f=1&g=dataset&id=${id}`, '#waveform-plot[data-points]');
      const points = await page.$eval('#waveform-plot', (el) => (el as HTMLElement).dataset.points);
      expect(points).toBe(Array.from({ length: e.channels }, () => String(e.samples)).join(','));
      if (id === 0) await shot('waveforms');
    }
  });

  it('compare shows a zero difference for a file against itself, and the image with mrd2gif pixels', async () => {
    await open('v=compare&f=3&g=dataset&s=image_0&i=1&f2=4&g2=dataset&s2=image_0&scale=4', '#compare-diff[data-ready="1"]');
    expect(await page.$eval('#compare-diff', (e) => (e as HTMLElement).dataset.maxDifference)).toBe('0');
    const diff = await canvasRgb('#compare-diff');
    expect(diff.rgb.every((v) => v === 0)).toBe(true);
    const a = await canvasRgb('#compare-a');
    const b = await canvasRgb('#compare-b');
    expect(Buffer.from(a.rgb).equals(Buffer.from(mrd2gifFrames(files[3]!)[1]!.rgb))).toBe(true);
    expect(Buffer.from(b.rgb).equals(Buffer.from(a.rgb))).toBe(true);
    await shot('compare-same-file');
    // against the ROI output (the same images with an overlay): the difference shows the ROI
    await open('v=compare&f=3&g=dataset&s=image_0&i=0&f2=5&g2=dataset&s2=image_0', '#compare-diff[data-ready="0"]');
    expect(Number(await page.$eval('#compare-diff', (e) => (e as HTMLElement).dataset.maxDifference))).toBeGreaterThan(0);
    await shot('compare-roi');
  });

  it('screenshots of the other views: header search, k-space, trajectory, RGB, complex phase', async () => {
    await open('v=header&f=0&g=dataset&q=matrixSize', '.xml-tree .hit');
    expect(await page.$$eval('.xml-tree span.hit', (e) => e.length)).toBe(2);
    await shot('header-search');
    await open('v=kspace&f=0&g=dataset&k_repetition=1', '#kspace-canvas[data-ready="1"]');
    await shot('kspace');
    await open('v=kspace&f=2&g=dataset', '#trajectory-plot');
    await page.waitForSelector('#kspace-canvas[data-ready="1"]');
    await shot('kspace-trajectory');
    await open('v=images&f=6&g=dataset&s=image_0&i=0', '#image-canvas[data-ready="1"][data-preset="rgb"]');
    await shot('images-rgb');
    // cine: Play steps through the images at the chosen rate; the wheel zooms
    await open('v=images&f=7&g=dataset&s=image_0&i=0&fps=20', '#image-canvas[data-ready="1"][data-frame="0:0"]');
    await page.waitForSelector('#image-index'); // the series' counters are in: the toolbar is complete
    await page.click('#cine');
    await page.waitForSelector('#image-canvas[data-frame="3:0"]', { timeout: 10_000 });
    await page.click('#cine');
    const zoomBefore = await page.$eval('.zoom-info', (e) => e.textContent);
    const zb = await page.$eval('.zoom-box', (e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; });
    await page.mouse.move(zb.x + zb.width / 2, zb.y + zb.height / 2);
    await page.mouse.wheel({ deltaY: -400 });
    await page.waitForFunction((b) => document.querySelector('.zoom-info')!.textContent !== b, {}, zoomBefore);
    await open('v=images&f=7&g=dataset&s=image_0&i=2&mode=phase&preset=frame', '#image-canvas[data-ready="1"]');
    expect(await page.$eval('#complex-mode', (e) => (e as HTMLSelectElement).value)).toBe('phase');
    await shot('images-complex-phase');
  });

  it('Export PNG downloads the current image', async () => {
    const dir = temp('mrd-view-download-');
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
    await open('v=images&f=5&g=dataset&s=image_0&i=0', '#image-canvas[data-ready="1"][data-preset="series"]');
    await page.click('#export-png');
    const file = join(dir, 'mrd-view-images.png');
    for (let k = 0; k < 100 && !existsSync(file); k++) await new Promise((r) => setTimeout(r, 100));
    const png = PNG.sync.read(readFileSync(file));
    const frames = mrd2gifFrames(files[5]!);
    expect([png.width, png.height]).toEqual([frames[0]!.width, frames[0]!.height]);
    const rgb = new Uint8Array(png.width * png.height * 3);
    for (let i = 0; i < png.width * png.height; i++) rgb.set(png.data.subarray(4 * i, 4 * i + 3), 3 * i);
    expect(Buffer.from(rgb).equals(Buffer.from(frames[0]!.rgb))).toBe(true);
  });

  it('the page made no request outside its own server', () => {
    expect(outside).toEqual([]);
  });
});
