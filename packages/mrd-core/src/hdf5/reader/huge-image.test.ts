/**
 * An image whose header and dataspace declare enormous dimensions (writeImageFileDeclaring): the
 * reader refuses it with one error naming the file, the dataset and the size. (That the
 * WebAssembly runtime's own "Cannot enlarge memory" lines stay off stderr is tested on the
 * built tools, in a child process, by tests/e2e/tools-fail-cleanly.test.ts: vitest reroutes the
 * console of its workers, so it cannot be observed here.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeImageFileDeclaring } from '../../testing/mrd-files.js';
import { MrdFile } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'mrd-huge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readFirstImage(path: string): Promise<unknown> {
  const f = await MrdFile.open(path);
  try {
    for await (const im of f.images('dataset', 'image_0')) return im;
    return undefined;
  } finally {
    f.close();
  }
}

async function failure(path: string): Promise<Error> {
  return readFirstImage(path).then(() => new Error('read succeeded'), (e: Error) => e);
}

describe('huge declared images', () => {
  it('beyond the 2 GiB heap: one error naming file, dataset and size', async () => {
    const path = join(dir, 'huge.h5');
    await writeImageFileDeclaring(path, 40000, 40000);
    expect((await failure(path)).message).toBe(`${path}: /dataset/image_0/data[0:1]: read failed: one record of 3.2 GB (dataset shape 1x1x1x40000x40000) is too large for the HDF5 reader (WebAssembly, at most 2 GiB of memory)`);
  });

  it('the reader stays usable afterwards', async () => {
    const path = join(dir, 'huge2.h5');
    await writeImageFileDeclaring(path, 50000, 60000);
    expect((await failure(path)).message).toMatch(/one record of 6\.0 GB \(dataset shape 1x1x1x60000x50000\) is too large/);
    const ok = join(dir, 'ok.h5');
    await writeImageFileDeclaring(ok, 64, 64);
    expect(await readFirstImage(ok)).toBeDefined();
  });
});
