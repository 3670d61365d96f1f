#!/usr/bin/env node
// Makes the README screenshots: packages/mrd-view/docs/mrd-view.png (the ROI reference output in
// mrd-view, in Debian's headless Chromium) and packages/mrd-info/docs/mrd-info.png (mrd-info's
// text on the reference phantom with waveforms, rendered as a terminal). Needs the built tools,
// /usr/bin/chromium (or $CHROMIUM) and the reference data ($MRD_REFERENCE_DIR or
// ../shared/reference). Usage: node scripts/docs-screenshots.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const refDir = process.env.MRD_REFERENCE_DIR ? resolve(process.env.MRD_REFERENCE_DIR) : join(root, '..', 'shared', 'reference');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'mrd-docs-'))}`],
});
try {
  const page = await browser.newPage();
  // mrd-view
  const proc = spawn(process.execPath, [join(root, 'packages/mrd-view/dist/cli.js'), '-p', '0', join(refDir, 'outputs/invertcontrast_roi.h5'), join(refDir, 'inputs/phantom_m64_waveforms.h5')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((r) => proc.stdout.on('data', (d) => { const m = /at (http\S+)/.exec(String(d)); if (m) r(m[1]); }));
  await page.setViewport({ width: 1100, height: 640 });
  await page.goto(`${url}#v=images&f=0&g=dataset&s=image_0&i=0`);
  await page.waitForSelector('#image-canvas[data-preset="series"]');
  await page.screenshot({ path: join(root, 'packages/mrd-view/docs/mrd-view.png') });
  proc.kill('SIGTERM');
  // mrd-info
  const text = spawnSync(process.execPath, [join(root, 'packages/mrd-info/dist/cli.js'), 'phantom_m64_waveforms.h5'], { cwd: join(refDir, 'inputs'), encoding: 'utf8' }).stdout;
  const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  await page.setViewport({ width: 980, height: 420 });
  await page.setContent(`<body style="margin:0;background:#1e1e1e"><pre style="margin:0;padding:12px;color:#ddd;font:12px/1.35 monospace;white-space:pre-wrap">$ mrd-info phantom_m64_waveforms.h5\n${esc(text)}</pre></body>`);
  await page.screenshot({ path: join(root, 'packages/mrd-info/docs/mrd-info.png'), fullPage: true });
} finally {
  await browser.close();
}
