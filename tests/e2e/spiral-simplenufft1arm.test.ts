/**
 * End to end: `mrd-phantom --trajectory spiral` writes a moving-phantom spiral acquisition and its
 * metafile; `mrd-client -c simplenufft1arm` sends it to `mrd-server`, whose configs folder holds
 * rtspiral_vs_config.toml. The frames' number and content follow from arms_per_frame and
 * window_shift, and the moving parts move as simulated (measured on the images).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { parseIsmrmrdHeader } from '@mrd-tools/core/xml-header';
import type { Image } from '@mrd-tools/core/messages';
import { repoRoot } from '@mrd-tools/core/testing';
import { runClient, startServer, tempDir, type RunningServer } from './server-harness.js';

const phantomCli = join(repoRoot(), 'packages/phantom-gen/dist/cli.js');

function correlation(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n, mb = b.reduce((s, x) => s + x, 0) / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) ** 2; bb += (b[i] - mb) ** 2; }
  return ab / Math.sqrt(aa * bb);
}

describe('spiral real-time recon end to end (mrd-phantom -> mrd-client -> mrd-server simplenufft1arm)', () => {
  let dir: string;
  let server: RunningServer;
  const arms = 480, apf = 16, ws = 8, n = 80;
  const cardiacBpm = 150, respPerMin = 50, cardiacAmp = 0.35, respAmp = 0.1;
  let images: Image[] = [];
  let trMs = 0;

  beforeAll(async () => {
    dir = tempDir('spiral-e2e-');
    const gen = spawnSync(process.execPath, [phantomCli, '--trajectory', 'spiral', '-o', join(dir, 'raw.h5'), '--interleaves', '16', '--fov', '24',
      '--spatial-resolution', '3', '--arms', String(arms), '-c', '4', '--seed', '7', '-n', '0.02', '--cardiac-rate', String(cardiacBpm),
      '--cardiac-amplitude', String(cardiacAmp), '--resp-rate', String(respPerMin), '--resp-amplitude', String(respAmp), '--metafile-dir', join(dir, 'seq_meta'), '--ecg', '--pilot-tone'], { encoding: 'utf8' });
    expect(gen.status, gen.stderr + gen.stdout).toBe(0);
    mkdirSync(join(dir, 'configs'));
    // metafile_paths relative to the server's working directory, as the reference's default seq_meta
    writeFileSync(join(dir, 'configs', 'rtspiral_vs_config.toml'), `metafile_paths = ["seq_meta"]\n[reconstruction]\narms_per_frame = ${apf}\nwindow_shift = ${ws}\ncoil_combine = "rssq"\n`);
    // configs/ of the working directory; MRD_TOOLS_CONFIG_PATH puts it first so a /tmp/share/configs on this machine cannot interfere
    server = await startServer([], { cwd: dir, env: { MRD_TOOLS_CONFIG_PATH: join(dir, 'configs') } });
    const run = await runClient(['-p', String(server.port), '-c', 'simplenufft1arm', '-G', 'out', '-o', join(dir, 'out.h5'), join(dir, 'raw.h5')], { cwd: dir, timeoutMs: 120_000 });
    expect(run.code, run.out + server.log()).toBe(0);
    const raw = await MrdFile.open(join(dir, 'raw.h5'));
    trMs = parseIsmrmrdHeader(raw.readHeader('dataset')!).sequenceParameters!.TR![0];
    raw.close();
    const f = await MrdFile.open(join(dir, 'out.h5'));
    try {
      for await (const im of f.images('out', f.imageSeries('out')[0])) images.push(im);
    } finally {
      f.close();
    }
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('one frame per window_shift arms from arms_per_frame on, indexed 1..N', () => {
    expect(images.length).toBe((arms - apf) / ws + 1);
    expect(images.map((i) => i.head.image_index)).toEqual(images.map((_, k) => k + 1));
    expect(images[0].head.matrix_size).toEqual([n, n, 1]);
  });

  it('the pulsating heart and the breathing shift are seen in the frames, in time with the simulation', () => {
    // frame k holds arms (T - apf, T], T = apf + k * ws (scan counters); its centre time:
    const centre = (k: number) => (((apf + k * ws - apf) + (apf + k * ws - 1)) / 2) * trMs / 1000;
    const heartScale = images.map((_, k) => 1 + cardiacAmp * Math.sin(2 * Math.PI * (cardiacBpm / 60) * centre(k)));
    const shift = images.map((_, k) => respAmp * Math.sin(2 * Math.PI * (respPerMin / 60) * centre(k)));
    // the image is the object rotated by 180 degrees (the reference's flips): heart at x = n/2 + 0.25 n/2, y = n/2 - 0.3 n/2
    const hx = Math.round(n / 2 + 0.25 * n / 2), hy = Math.round(n / 2 - 0.3 * n / 2), half = Math.round(0.3 * n / 2);
    const centroidY = images.map((im) => {
      const d = im.data as Int16Array;
      let s = 0, sy = 0;
      for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) { s += d[y * n + x]; sy += y * d[y * n + x]; }
      return sy / s;
    });
    const meanY = centroidY.reduce((a, b) => a + b, 0) / centroidY.length;
    // the heart ROI follows the measured breathing shift, so the pulsation is measured on its own
    const heartSignal = images.map((im, k) => {
      const d = im.data as Int16Array;
      const cy = hy + Math.round(centroidY[k] - meanY);
      let s = 0;
      for (let y = cy - half; y <= cy + half; y++) for (let x = hx - half; x <= hx + half; x++) s += d[y * n + x];
      return s;
    });
    const rc = correlation(heartSignal, heartScale), rr = correlation(centroidY, shift);
    console.log(`e2e spiral: ${images.length} frames, TR ${trMs} ms; heart ROI signal vs simulated pulsation r = ${rc.toFixed(3)}; centroid y vs breathing shift r = ${rr.toFixed(3)}; centroid range ${(Math.max(...centroidY) - Math.min(...centroidY)).toFixed(2)} px`);
    expect(rc).toBeGreaterThan(0.8);
    // image y runs against the object's y (180 degree rotation)
    expect(rr).toBeLessThan(-0.9);
    expect(Math.max(...centroidY) - Math.min(...centroidY)).toBeGreaterThan(1);
  });
});
