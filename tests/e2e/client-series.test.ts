/**
 * mrd-client where the reference client fails or lacks options: images of different matrix
 * sizes in one series (kept in a sibling group, with a warning naming it), --fix-transposed,
 * --mrd2gif, several input groups, an unreachable server.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { createAcquisition, createWaveform, type Image } from '@mrd-tools/core/messages';
import { parseMeta } from '@mrd-tools/core/meta';
import { repoRoot } from '@mrd-tools/core/testing';
import { runClient, startServer, tempDir, type RunningServer } from './server-harness.js';
import { streamedAsTheFileHolds } from './client-stream-check.js';

// A user module sending: 2 images 8x6, one 6x8 (transposed), one 5x5, in series 3.
const MIXED = `
import { createImage, MetaAttributes, serializeMeta } from '@mrd-tools/core';
function img(x: number, y: number, index: number) {
  const data = new Uint16Array(x * y);
  for (let i = 0; i < data.length; i++) data[i] = i + 100 * index;
  const meta = new MetaAttributes({ ImageRowDir: [1, 0, 0], ImageColumnDir: [0, 1, 0] });
  const im = createImage({ matrixSize: [x, y, 1], data, head: { image_series_index: 3, image_index: index, data_type: 1, field_of_view: [x * 10, y * 10, 5], read_dir: [1, 0, 0], phase_dir: [0, 1, 0] } as any });
  im.attribute = serializeMeta(meta);
  return im;
}
export async function process(connection: any, config: any) {
  for await (const _ of connection) { /* wait for the client's CLOSE */ }
  const images = [img(8, 6, 0), img(8, 6, 1), img(6, 8, 2), img(5, 5, 3)];
  if (config && config.reverse) images.reverse();
  await connection.sendImage(images);
}
`;

async function inputFile(dir: string, groups: string[]): Promise<string> {
  const path = join(dir, 'in.h5');
  for (const [i, g] of groups.entries()) {
    const w = i === 0 ? await MrdWriter.create(path, { group: g }) : await MrdWriter.open(path, { group: g });
    await w.writeHeader('<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"></ismrmrdHeader>');
    await w.appendAcquisitions([createAcquisition({ head: { number_of_samples: 4, active_channels: 1, available_channels: 1 } })]);
    await w.close();
  }
  return path;
}

async function series(path: string, group: string): Promise<Record<string, Image[]>> {
  const f = await MrdFile.open(path);
  try {
    const out: Record<string, Image[]> = {};
    for (const s of f.imageSeries(group)) {
      out[s] = [];
      for await (const img of f.images(group, s)) out[s].push(img);
    }
    return out;
  } finally {
    f.close();
  }
}

describe('mrd-client beyond the reference', () => {
  let server: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('mrd-client-series-');
    mkdirSync(join(dir, 'modules'));
    writeFileSync(join(dir, 'modules', 'mixed.ts'), MIXED);
    server = await startServer(['--modules-dir', join(dir, 'modules'), '-S', join(dir, 'saved')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('keeps images of other matrix sizes in sibling series groups, with a warning saying where', async () => {
    const input = await inputFile(tempDir('in-'), ['dataset']);
    const out = join(dir, 'mixed.h5');
    const run = await runClient(['-p', String(server.port), '-c', 'mixed', '-G', 'g', '-o', out, input]);
    expect(run.code, run.out).toBe(0);
    const s = await series(out, 'g');
    expect(Object.keys(s).sort()).toEqual(['image_3', 'image_3_5x5x1x1_ushort', 'image_3_6x8x1x1_ushort']);
    expect(s.image_3.map((i) => i.head.image_index)).toEqual([0, 1]);
    expect(s.image_3_6x8x1x1_ushort[0].head.image_index).toBe(2);
    expect(s.image_3_5x5x1x1_ushort[0].data[24]).toBe(24 + 300);
    expect(run.out).toMatch(/stored in 'g\/image_3_6x8x1x1_ushort'/);
    expect(run.out).toMatch(/Received +4 images/);
  });

  it('adds a second run to an existing output group, odd sizes again in the sibling group', async () => {
    const input = await inputFile(tempDir('in-'), ['dataset']);
    const out = join(tempDir('twice-'), 'twice.h5');
    const first = await runClient(['-p', String(server.port), '-c', 'mixed', '-G', 'g', '-o', out, input]);
    expect(first.code, first.out).toBe(0);
    // The second run gets the images in reverse order (mixed.json): its first image (5x5) does
    // not fit the existing image_3 (8x6) and must go to the sibling group too.
    const cwd = tempDir('rev-');
    writeFileSync(join(cwd, 'mixed.json'), '{"reverse": true}');
    const second = await runClient(['-p', String(server.port), '-c', 'mixed', '-G', 'g', '-o', out, input], { cwd });
    expect(second.code, second.out).toBe(0);
    const s = await series(out, 'g');
    expect(Object.keys(s).sort()).toEqual(['image_3', 'image_3_5x5x1x1_ushort', 'image_3_6x8x1x1_ushort']);
    expect(s.image_3.map((i) => i.head.image_index)).toEqual([0, 1, 1, 0]);
    expect(s.image_3_6x8x1x1_ushort).toHaveLength(2);
    expect(s.image_3_5x5x1x1_ushort).toHaveLength(2);
  });

  it('--fix-transposed transposes a swapped image back into its series', async () => {
    const input = await inputFile(tempDir('in-'), ['dataset']);
    const out = join(dir, 'fixed.h5');
    const run = await runClient(['-p', String(server.port), '-c', 'mixed', '--fix-transposed', '-G', 'g', '-o', out, input]);
    expect(run.code, run.out).toBe(0);
    const s = await series(out, 'g');
    expect(Object.keys(s).sort()).toEqual(['image_3', 'image_3_5x5x1x1_ushort']);
    const t = s.image_3[2];
    expect(t.head.matrix_size).toEqual([8, 6, 1]);
    expect(t.head.field_of_view.slice(0, 2)).toEqual([80, 60]);
    expect(t.head.read_dir).toEqual([0, 1, 0]);
    expect(t.head.phase_dir).toEqual([1, 0, 0]);
    // pixel (x, y) of the transposed image = pixel (y, x) of the original 6x8 image
    for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) expect(t.data[y * 8 + x]).toBe(x * 6 + y + 200);
    const meta = parseMeta(t.attribute);
    expect(meta.getAll('ImageRowDir')).toEqual(['0', '1', '0']);
    expect(meta.getAll('ImageColumnDir')).toEqual(['1', '0', '0']);
  });

  it('--mrd2gif writes previews of the output group', async () => {
    const input = await inputFile(tempDir('in-'), ['dataset']);
    const outDir = tempDir('gif-');
    const out = join(outDir, 'prev.h5');
    const run = await runClient(['-p', String(server.port), '-c', 'mixed', '--mrd2gif', '-G', 'dataset', '-o', out, input]);
    expect(run.code, run.out).toBe(0);
    const gifs = readdirSync(outDir).filter((f) => f.endsWith('.gif'));
    expect(gifs.length).toBeGreaterThanOrEqual(1);
    expect(gifs.some((g) => g.includes('image_3'))).toBe(true);
  });

  it('names the groups when the input has several and no -g', async () => {
    const input = await inputFile(tempDir('in-'), ['first', 'second']);
    const run = await runClient(['-p', String(server.port), '-c', 'null', '-o', join(dir, 'x.h5'), input]);
    expect(run.code).not.toBe(0);
    expect(run.out).toMatch(/multiple groups.*first, second/);
    const ok = await runClient(['-p', String(server.port), '-c', 'null', '-g', 'second', '-o', join(dir, 'x.h5'), input]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/Sent +1 acquisitions/);
  });

  it('fails (non-zero, clear message) when the server closes without CLOSE; with nothing received, writes no file', async () => {
    const input = await inputFile(tempDir('in-'), ['dataset']);
    const out = join(tempDir('noclose-'), 'out.h5');
    // Reads everything up to the client's CLOSE, then drops the connection without answering.
    const stub = createServer((sock) => {
      sock.on('data', (b) => {
        if (b.length >= 2 && b[b.length - 2] === 4 && b[b.length - 1] === 0) setTimeout(() => sock.destroy(), 50);
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', () => r()));
    const port = (stub.address() as { port: number }).port;
    try {
      const run = await runClient(['-p', String(port), '-c', 'null', '-o', out, input]);
      expect(run.code).not.toBe(0);
      expect(run.out).toMatch(/connection closed by the server before CLOSE after 0 images, 0 acquisitions; nothing was written to/);
      expect(existsSync(out)).toBe(false);
    } finally {
      stub.close();
    }
  });

  async function largeWriterFile(path: string, batches = 9, waveforms = 0): Promise<void> {
    const w = await MrdWriter.create(path, { group: 'dataset' });
    await w.writeHeader('<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"></ismrmrdHeader>');
    for (let i = 0; i < waveforms; i++) {
      const wf = createWaveform({ head: { number_of_samples: 64, channels: 2, waveform_id: 1 } });
      wf.head.scan_counter = i;
      for (let j = 0; j < wf.data.length; j++) wf.data[j] = (i * 131 + j) % 4096;
      await w.appendWaveform(wf);
    }
    let seed = 7;
    for (let b = 0; b < batches; b++) {
      const acqs = Array.from({ length: 64 }, (_, k) => {
        const a = createAcquisition({ head: { number_of_samples: 512, active_channels: 16, available_channels: 16 } });
        a.head.scan_counter = b * 64 + k;
        for (let i = 0; i < a.data.length; i++) a.data[i] = (seed = (seed * 1103515245 + 12345) % 2147483648) / 1e6;
        return a;
      });
      await w.appendAcquisitions(acqs);
    }
    await w.close();
  }

  it("streams a large input (read in a worker thread, without h5wasm: no reads made ahead on this layout) byte for byte as the file holds it: mrd-core's writer", async () => {
    const dir2 = tempDir('big-');
    const path = join(dir2, 'big.h5');
    await largeWriterFile(path);
    expect(await streamedAsTheFileHolds(path, join(dir2, 'out.h5'))).toBe('worker/native');
  });

  it('sends the waveforms of a large input first (-w), then its acquisitions, which the worker read ahead, byte for byte', async () => {
    const dir2 = tempDir('bigwave-');
    const path = join(dir2, 'big.h5');
    await largeWriterFile(path, 9, 20);
    // waveforms are read through h5wasm; the acquisitions, prepared while the waveforms go, natively
    expect(await streamedAsTheFileHolds(path, join(dir2, 'out.h5'), true, true)).toBe('worker/h5wasm');
  });

  it('streams a small input on the main thread without h5wasm (mrd-core\'s decoders), byte for byte', async () => {
    const dir2 = tempDir('small-');
    const path = join(dir2, 'small.h5');
    await largeWriterFile(path, 2);
    expect(await streamedAsTheFileHolds(path, join(dir2, 'out.h5'), false)).toBe('main/native');
  });

  it('streams a large phantom (mrd-phantom, with noise scans and trajectories) without h5wasm in the reader, byte for byte', async () => {
    const dir2 = tempDir('bigphantom-');
    const path = join(dir2, 'phantom.h5');
    const gen = spawnSync(process.execPath, [join(repoRoot(), 'packages/phantom-gen/dist/cli.js'), '-m', '256', '-c', '16', '-r', '2', '-k', '--seed', '5', '-o', path], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    expect(await streamedAsTheFileHolds(path, join(dir2, 'out.h5'))).toBe('worker/native');
  }, 120_000);

  it("falls back to h5wasm in the reader for a file mrd-core's decoders do not read (a soft link), with the same bytes", async () => {
    const dir2 = tempDir('bigsoft-');
    const path = join(dir2, 'big.h5');
    await largeWriterFile(path);
    // h5wasm is a dependency of mrd-core, not of the repository root: add the link from there
    const script = `import h5wasm from 'h5wasm/node'; await h5wasm.ready; const f = new h5wasm.File(${JSON.stringify(path)}, 'a'); f.create_soft_link('/dataset/data', '/dataset/alias'); f.close();`;
    const link = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(repoRoot(), 'packages/mrd-core'), encoding: 'utf8' });
    expect(link.status, link.stderr).toBe(0);
    expect(await streamedAsTheFileHolds(path, join(dir2, 'out.h5'))).toBe('worker/h5wasm');
  });

  it('gives a clear error after 5 connection attempts', async () => {
    const input = await inputFile(tempDir('in-'), ['dataset']);
    const out = join(dir, 'never.h5');
    // A port nothing listens on: one the system just gave out and that was closed again.
    const probe = createServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as { port: number }).port)));
    await new Promise<void>((r) => probe.close(() => r()));
    const run = await runClient(['-p', String(port), '-o', out, input]);
    expect(run.code).not.toBe(0);
    expect(run.out).toMatch(/Failed to connect \(5\/5\)/);
    expect(run.out).toContain(`cannot connect to MRD server at localhost:${port} after 5 attempts`);
    expect(existsSync(out)).toBe(false);
  }, 30_000);
});
