/**
 * The h5wasm runtime loads on first use, not when the core is imported: importing
 * `@mrd-tools/core/hdf5/reader` (every server session worker, the client's main thread) must not pay the
 * 0.3-0.5 s it takes to load. The mock below records when the module `h5wasm/node` is first
 * evaluated and then hands out the real one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';

const loads = vi.hoisted(() => ({ count: 0 }));
vi.mock('h5wasm/node', async (importOriginal) => {
  loads.count++;
  return importOriginal();
});

const dir = mkdtempSync(join(tmpdir(), 'mrd-lazy-h5-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("NativeMrdIndex (mrd-core's own decoders) reads groups, texts, counts and acquisition wire bytes without loading h5wasm", async () => {
  const core = { ...(await import('./index.js')), ...(await import('./native-index.js')), ...(await import('../writer/index.js')), ...(await import('../../messages/create.js')) };
  const file = join(dir, 'native.h5');
  const w = await core.MrdWriter.create(file, { group: 'dataset' });
  await w.writeHeader('<ismrmrdHeader/>');
  await w.writeText('configAdditional', '{}');
  await w.appendAcquisitions([core.createAcquisition({ head: { number_of_samples: 4, active_channels: 2 } })]);
  await w.close();
  const idx = (await core.NativeMrdIndex.open(file))!;
  try {
    expect(idx.groups()).toEqual(['dataset']);
    expect((await idx.members('/dataset'))!.map((m) => m.name)).toEqual(['configAdditional', 'data', 'xml']);
    expect(await idx.readText('dataset', 'xml')).toBe('<ismrmrdHeader/>');
    expect(await idx.readText('dataset', 'configAdditional')).toBe('{}');
    expect(await idx.rows('dataset', 'data')).toBe(1);
    const wire = (await idx.acquisitionWireReader('dataset'))!;
    expect(wire.fill(0, 10, new Uint8Array(4096), 0)).toEqual({ rows: 1, end: 2 + 340 + 4 * 16, needed: 0 });
  } finally {
    idx.close();
  }
  expect(loads.count).toBe(0);
  expect(core.h5runtimeLoaded()).toBe(false);
});

it('importing the HDF5 reader and writer does not load h5wasm; the first MrdFile.open does, once', async () => {
  const core = { ...(await import('./index.js')), ...(await import('../writer/index.js')) };
  expect(loads.count).toBe(0);

  // The writer is hand-written (no h5wasm) and must not load it either.
  const file = join(dir, 'small.h5');
  const w = await core.MrdWriter.create(file, { group: 'dataset' });
  await w.writeHeader('<ismrmrdHeader/>');
  await w.close();
  expect(loads.count).toBe(0);

  const [a, b] = await Promise.all([core.MrdFile.open(file), core.MrdFile.open(file)]);
  try {
    expect(loads.count).toBe(1);
    expect(a.groups()).toEqual(['dataset']);
    expect(b.list('/dataset')).toEqual(['xml']);
    expect(a.readHeader('dataset')).toBe('<ismrmrdHeader/>');
  } finally {
    a.close();
    b.close();
  }
  const c = await core.MrdFile.open(file);
  c.close();
  expect(loads.count).toBe(1);
});
