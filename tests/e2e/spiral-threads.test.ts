/**
 * End to end from the built tools: `mrd-server --threads N` reaches the iterative spiral recon,
 * whose native TV solve then runs on the numerics' worker pool (dist/recon-worker.js beside the
 * bundled cli.js), and the frames are the same bytes as with --threads 1. A `threads` key in the
 * recon's TOML config overrides the server's value; simplefft splits its transforms over coils
 * and invertcontrast reconstructs on the pool while it receives the next group, with the same
 * image bytes; bad values are usage / config errors.
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
const serverCli = join(repoRoot(), 'packages/mrd-server/dist/cli.js');
const TOML = 'metafile_paths = ["seq_meta"]\n[reconstruction]\narms_per_frame = 6\nnum_recon_frames = 12\nnum_chunks = 2\nfov_oversampling = 1.0\nnum_iter = 12\nreg_lambda = 0.002\n';

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

describe('mrd-server --threads (built CLI, TFD recon on the worker pool)', () => {
  let dir: string;
  const servers: RunningServer[] = [];

  beforeAll(() => {
    dir = tempDir('spiral-threads-e2e-');
    const gen = spawnSync(process.execPath, [phantomCli, '--trajectory', 'spiral', '-o', join(dir, 'raw.h5'), '--interleaves', '12', '--fov', '24',
      '--spatial-resolution', '6', '--arms', '90', '-c', '4', '--seed', '5', '-n', '0.01', '--metafile-dir', join(dir, 'seq_meta')], { encoding: 'utf8' });
    expect(gen.status, gen.stderr + gen.stdout).toBe(0);
    for (const name of ['one', 'two', 'toml']) mkdirSync(join(dir, name));
    writeFileSync(join(dir, 'one', 'rtspiral_bart_tvrecon_config.toml'), TOML);
    writeFileSync(join(dir, 'two', 'rtspiral_bart_tvrecon_config.toml'), TOML);
    writeFileSync(join(dir, 'toml', 'rtspiral_bart_tvrecon_config.toml'), TOML.replace('[reconstruction]\n', '[reconstruction]\nthreads = 3\n'));
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
  });

  async function recon(serverArgs: string[], configDir: string, out: string, threads: number): Promise<Image[]> {
    const server = await startServer([...serverArgs, '--config-dir', join(dir, configDir)], { cwd: dir });
    servers.push(server);
    const run = await runClient(['-p', String(server.port), '-c', 'rtspiral_bart_tvrecon', '-G', 'out', '-o', join(dir, out), join(dir, 'raw.h5')], { cwd: dir, timeoutMs: 300_000 });
    expect(run.code, run.out + server.log()).toBe(0);
    expect(server.log()).toMatch(new RegExp(`TFD: 12 frames of 6 arms, 2 chunk\\(s\\), data scale [^,]+, backend native, ${threads} thread\\(s\\)`));
    return frames(join(dir, out));
  }

  it('--threads 2 and a TOML threads = 3 give the frames of --threads 1, byte for byte', async () => {
    const one = await recon(['--threads', '1'], 'one', 'one.h5', 1);
    const two = await recon(['--threads', '2'], 'two', 'two.h5', 2);
    const toml = await recon(['--threads', '1'], 'toml', 'toml.h5', 3);
    expect(one.length).toBe(12);
    for (const other of [two, toml]) {
      expect(other.length).toBe(one.length);
      other.forEach((im, k) => expect(Buffer.from(im.data.buffer, im.data.byteOffset, im.data.byteLength).equals(Buffer.from(one[k].data.buffer, one[k].data.byteOffset, one[k].data.byteLength))).toBe(true));
    }
  }, 600_000);

  it('simplefft with --threads 2 (8 coils x 256 x 512: transformed on the pool) gives the --threads 1 image bytes', async () => {
    const raw = join(dir, 'cart.h5');
    const gen = spawnSync(process.execPath, [phantomCli, '-o', raw, '-m', '256', '-c', '8', '--seed', '4', '-q'], { encoding: 'utf8' });
    expect(gen.status, gen.stderr + gen.stdout).toBe(0);
    const results: Image[][] = [];
    for (const threads of ['1', '2']) {
      const server = await startServer(['--threads', threads], { cwd: dir });
      servers.push(server);
      const out = join(dir, `simplefft-${threads}.h5`);
      const run = await runClient(['-p', String(server.port), '-c', 'simplefft', '-G', 'out', '-o', out, raw], { cwd: dir, timeoutMs: 120_000 });
      expect(run.code, run.out + server.log()).toBe(0);
      results.push(await frames(out));
    }
    expect(results[0].length).toBe(1);
    expect(Buffer.from(results[1][0].data.buffer).equals(Buffer.from(results[0][0].data.buffer))).toBe(true);
  }, 300_000);

  it('invertcontrast with --threads 2 (3 groups of 8 coils x 256 x 512: on the pool, placing the next group meanwhile) gives the --threads 1 images', async () => {
    const raw = join(dir, 'cart-r3.h5');
    const gen = spawnSync(process.execPath, [phantomCli, '-o', raw, '-m', '256', '-c', '8', '-r', '3', '--seed', '6', '-q'], { encoding: 'utf8' });
    expect(gen.status, gen.stderr + gen.stdout).toBe(0);
    const results: Image[][] = [];
    for (const threads of ['1', '2']) {
      const server = await startServer(['--threads', threads], { cwd: dir });
      servers.push(server);
      const out = join(dir, `invertcontrast-${threads}.h5`);
      const run = await runClient(['-p', String(server.port), '-c', 'invertcontrast', '-G', 'out', '-o', out, raw], { cwd: dir, timeoutMs: 120_000 });
      expect(run.code, run.out + server.log()).toBe(0);
      results.push(await frames(out));
    }
    expect(results[0].length).toBe(3);
    expect(results[1].length).toBe(3);
    results[1].forEach((im, k) => {
      const ref = results[0][k];
      expect(im.head).toEqual(ref.head);
      expect(im.attribute).toBe(ref.attribute);
      expect(Buffer.from(im.data.buffer, im.data.byteOffset, im.data.byteLength).equals(Buffer.from(ref.data.buffer, ref.data.byteOffset, ref.data.byteLength))).toBe(true);
    });
  }, 300_000);

  it('a bad --threads is a usage error (exit 2) naming the option; --help describes it', () => {
    for (const bad of ['0', '1.5', 'many', '1000']) {
      const r = spawnSync(process.execPath, [serverCli, '--threads', bad], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/threads/);
    }
    const help = spawnSync(process.execPath, [serverCli, '--help'], { encoding: 'utf8', timeout: 30_000 });
    expect(help.stdout).toMatch(/--threads\s+Threads the recon modules' numerics may use/);
  });

  it('a bad threads key in the TOML config is an error naming the key', async () => {
    mkdirSync(join(dir, 'bad'));
    writeFileSync(join(dir, 'bad', 'rtspiral_bart_tvrecon_config.toml'), TOML.replace('[reconstruction]\n', '[reconstruction]\nthreads = 0\n'));
    const server = await startServer(['--config-dir', join(dir, 'bad')], { cwd: dir });
    servers.push(server);
    const run = await runClient(['-p', String(server.port), '-c', 'rtspiral_bart_tvrecon', '-G', 'out', '-o', join(dir, 'bad.h5'), join(dir, 'raw.h5')], { cwd: dir, timeoutMs: 120_000 });
    expect(run.out + server.log()).toMatch(/key reconstruction\.threads must be a whole number from 1 to 256, got 0/);
  }, 180_000);
});
