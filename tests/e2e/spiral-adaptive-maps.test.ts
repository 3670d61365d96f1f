/**
 * End to end from the built tools: simplenufft1arm with coil_combine = "adaptive" through
 * mrd-server. By default (more than one thread) the Inati maps are computed on a worker thread
 * (dist/recon-worker.js beside the bundled cli.js) while frames flow: the frames sent before the
 * maps are there are the root-sum-of-squares frames (at most max_frames_before_maps of them),
 * every later frame is the synchronous path's, byte for byte. `--threads 1` and
 * async_coil_maps = false are the synchronous path (the maps on the frame path, as the reference).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import type { Image } from '@mrd-tools/core/messages';
import { repoRoot } from '@mrd-tools/core/testing';
import { runClient, startServer, tempDir, type RunningServer } from './server-harness.js';

const phantomCli = join(repoRoot(), 'packages/phantom-gen/dist/cli.js');
const BASE = 'metafile_paths = ["seq_meta"]\n[reconstruction]\narms_per_frame = 16\nwindow_shift = 8\n';

async function frames(file: string): Promise<Image[]> {
  const out: Image[] = [];
  const f = await MrdFile.open(file);
  try {
    for (const s of f.imageSeries('out')) for await (const im of f.images('out', s)) out.push(im);
  } finally {
    f.close();
  }
  return out;
}

describe('simplenufft1arm adaptive maps off the frame path (built mrd-server)', () => {
  let dir: string;
  const servers: RunningServer[] = [];

  beforeAll(() => {
    dir = tempDir('spiral-adaptive-e2e-');
    // 160 arms, a frame every 8 from 16 on: 19 frames of 80 x 80, 4 coils
    const gen = spawnSync(process.execPath, [phantomCli, '--trajectory', 'spiral', '-o', join(dir, 'raw.h5'), '--interleaves', '16', '--fov', '24',
      '--spatial-resolution', '3', '--arms', '160', '-c', '4', '--seed', '3', '-n', '0.02', '--metafile-dir', join(dir, 'seq_meta')], { encoding: 'utf8' });
    expect(gen.status, gen.stderr + gen.stdout).toBe(0);
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  /** one session with this rtspiral_vs_config.toml; the frames and the server's log of it */
  async function recon(threads: string, toml: string, name: string): Promise<{ images: Image[]; log: string }> {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'rtspiral_vs_config.toml'), BASE + toml);
    const server = await startServer(['--threads', threads, '--config-dir', join(dir, name)], { cwd: dir });
    servers.push(server);
    const run = await runClient(['-p', String(server.port), '-c', 'simplenufft1arm', '-G', 'out', '-o', join(dir, `${name}.h5`), join(dir, 'raw.h5')], { cwd: dir, timeoutMs: 120_000 });
    expect(run.code, run.out + server.log()).toBe(0);
    return { images: await frames(join(dir, `${name}.h5`)), log: server.log() };
  }

  it('async maps: rssq frames until the maps are there (at most max_frames_before_maps), then the --threads 1 frames byte for byte; async_coil_maps = false is the synchronous path', async () => {
    const sync = await recon('1', 'coil_combine = "adaptive"\n', 'sync');
    expect(sync.log).toMatch(/Coil sensitivity maps: on the frame path \(threads 1\)/);
    const byConfig = await recon('2', 'coil_combine = "adaptive"\nasync_coil_maps = false\n', 'config');
    expect(byConfig.log).toMatch(/Coil sensitivity maps: on the frame path \(async_coil_maps = false\)/);
    const rssq = await recon('2', 'coil_combine = "rssq"\n', 'rssq');
    const got = await recon('2', 'coil_combine = "adaptive"\nmax_frames_before_maps = 4\n', 'async');
    expect(got.log).toMatch(/Coil sensitivity maps: on a worker thread while frames flow/);

    expect(sync.images.length).toBe(19);
    expect(byConfig.images).toEqual(sync.images);
    // adaptive and rssq frames differ (else the split below would prove nothing)
    for (let i = 0; i < 19; i++) expect(sync.images[i].data).not.toEqual(rssq.images[i].data);
    expect(got.images.length).toBe(19);
    // the log names the first frame combined with the maps; frames before it are rssq's, from it on the synchronous ones
    const m = /Coil sensitivity maps from frame 1 \(ready \d+ ms after it\) used from frame (\d+) on \((\d+) frame\(s\) combined without them\)/.exec(got.log);
    expect(m, got.log).not.toBeNull();
    const first = Number(m![1]);
    expect(Number(m![2])).toBe(first - 1);
    expect(first).toBeGreaterThanOrEqual(2); // the first frame does not wait
    expect(first).toBeLessThanOrEqual(5); // max_frames_before_maps = 4
    for (let i = 0; i < 19; i++) expect(got.images[i]).toEqual(i < first - 1 ? rssq.images[i] : sync.images[i]);
  }, 300_000);
});
