/**
 * End to end: `mrd-phantom --trajectory spiral` (ECG + pilot tone) -> `mrd-client -c
 * rtspiral_bart_tvrecon` / `-c spiral_xdgrasp_recon` -> `mrd-server` (native backend, configs in the
 * server's configs folder): frames / bins arrive in the output file with the reference's headers,
 * and the waveforms come back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { parseIsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { parseMeta } from '@mrd-tools/core/meta';
import type { Image } from '@mrd-tools/core/messages';
import { repoRoot } from '@mrd-tools/core/testing';
import { runClient, startServer, tempDir, type RunningServer } from './server-harness.js';

const phantomCli = join(repoRoot(), 'packages/phantom-gen/dist/cli.js');

describe('iterative spiral recons end to end (mrd-phantom -> mrd-client -> mrd-server)', () => {
  let dir: string;
  let server: RunningServer;
  const arms = 240;
  let trMs = 0;

  async function images(file: string): Promise<Image[]> {
    const out: Image[] = [];
    const f = await MrdFile.open(file);
    try {
      for (const s of f.imageSeries('out')) for await (const im of f.images('out', s)) out.push(im);
    } finally {
      f.close();
    }
    return out;
  }

  beforeAll(async () => {
    dir = tempDir('spiral-iter-e2e-');
    const gen = spawnSync(process.execPath, [phantomCli, '--trajectory', 'spiral', '-o', join(dir, 'raw.h5'), '--interleaves', '12', '--fov', '24',
      '--spatial-resolution', '6', '--arms', String(arms), '-c', '4', '--seed', '3', '-n', '0.01', '--tr', '18', '--cardiac-rate', '80', '--resp-rate', '20', '--metafile-dir', join(dir, 'seq_meta'), '--ecg', '--pilot-tone'], { encoding: 'utf8' });
    expect(gen.status, gen.stderr + gen.stdout).toBe(0);
    mkdirSync(join(dir, 'configs'));
    writeFileSync(join(dir, 'configs', 'rtspiral_bart_tvrecon_config.toml'),
      'metafile_paths = ["seq_meta"]\n[reconstruction]\narms_per_frame = 8\nnum_recon_frames = 30\nnum_chunks = 3\nfov_oversampling = 1.0\nnum_iter = 20\nreg_lambda = 0.002\n');
    writeFileSync(join(dir, 'configs', 'spiral_xdgrasp_config.toml'),
      'metafile_paths = ["seq_meta"]\n[reconstruction]\narm_discard_pre = 0.2\narm_discard_post = 0\nnum_iter = 20\n[binning]\nn_respiratory_bins = 2\nn_cardiac_bins = 3\ntrigger_source = "pilottone"\necg_pilottone_delay = 0\n');
    server = await startServer([], { cwd: dir, env: { MRD_TOOLS_CONFIG_PATH: join(dir, 'configs') } });
    const raw = await MrdFile.open(join(dir, 'raw.h5'));
    trMs = parseIsmrmrdHeader(raw.readHeader('dataset')!).sequenceParameters!.TR![0];
    raw.close();
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('rtspiral_bart_tvrecon: 30 frames of 8 arms, indexed from 0, time stamps every 8 TR, waveforms saved', async () => {
    const run = await runClient(['-p', String(server.port), '-c', 'rtspiral_bart_tvrecon', '-w', '-G', 'out', '-o', join(dir, 'tv.h5'), join(dir, 'raw.h5')], { cwd: dir, timeoutMs: 300_000 });
    expect(run.code, run.out + server.log()).toBe(0);
    // the recon's progress reaches the client (INFO texts) and the client shows it
    expect(run.out).toMatch(/INFO {5}rtspiral_bart_tvrecon: TV solve \(30 frames in 3 chunk\(s\), 20 CG steps each\): started, elapsed \d+s/);
    expect(run.out).toMatch(/INFO {5}rtspiral_bart_tvrecon: reconstruction of 30 frames finished, sending them in \d+s/);
    expect(server.log()).toMatch(/rtspiral_bart_tvrecon: coil maps \(nlinv, 240 arms\): started/);
    const ims = await images(join(dir, 'tv.h5'));
    expect(ims.length).toBe(30);
    expect(ims.map((i) => i.head.image_index)).toEqual(ims.map((_, k) => k));
    const t0 = ims[0].head.acquisition_time_stamp;
    ims.forEach((im, k) => expect(im.head.acquisition_time_stamp).toBe(t0 + Math.trunc((k * 8 * trMs) / 2.5)));
    expect(parseMeta(ims[0].attribute).getAll('WindowWidth')).toEqual(['4096']);
    const f = await MrdFile.open(join(dir, 'tv.h5'));
    let nw = 0;
    try { for await (const _w of f.waveforms('out')) nw++; } finally { f.close(); }
    expect(nw).toBeGreaterThan(0);
  }, 300_000);

  it('spiral_xdgrasp_recon: 2 x 3 bins with set/phase, Keep_image_geometry', async () => {
    const run = await runClient(['-p', String(server.port), '-c', 'spiral_xdgrasp_recon', '-w', '-G', 'out', '-o', join(dir, 'xd.h5'), join(dir, 'raw.h5')], { cwd: dir, timeoutMs: 300_000 });
    expect(run.code, run.out + server.log()).toBe(0);
    const ims = await images(join(dir, 'xd.h5'));
    expect(ims.length).toBe(6);
    expect(ims.map((i) => [i.head.set, i.head.phase]).sort()).toEqual([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    expect(parseMeta(ims[0].attribute).getAll('Keep_image_geometry')).toEqual(['1']);
  }, 300_000);
});
