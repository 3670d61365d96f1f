/**
 * `NativeMrdIndex.acquisitionWireReader` loads the acquisitions' header decoder (record-layout.ts,
 * a decoder compiled for the file's datatype) only where headers are decoded: the C library's
 * and h5py's files store the head in the wire layout, copied as it is, and their reader is made
 * without it (it is on mrd-client's way to its first byte). In a file of its own: the count is
 * of this test file's loads.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { reference } from '../../testing/reference.js';
import { NativeMrdIndex } from './native-index.js';

const loaded = vi.hoisted(() => ({ recordLayout: 0 }));
vi.mock('./record-layout.js', async (original) => {
  loaded.recordLayout++;
  return await original();
});

const opened: NativeMrdIndex[] = [];
afterAll(() => {
  for (const idx of opened) idx.close();
});

describe('NativeMrdIndex.acquisitionWireReader', () => {
  it("makes the reader of a C library file and an h5py file without the header decoder's module", async () => {
    for (const file of ['inputs/cpp_phantom_m64_c4_noise_traj.h5', 'inputs/phantom_m64_c4_r2.h5']) {
      const idx = (await NativeMrdIndex.open(reference(file)))!;
      opened.push(idx);
      const wire = await idx.acquisitionWireReader('dataset');
      expect(wire, file).not.toBeNull();
      expect(wire!.stats.headersCopied, file).toBe(true);
      const out = new Uint8Array(1 << 20);
      expect(wire!.fill(0, 4, out, 0).rows, file).toBe(4);
    }
    expect(loaded.recordLayout).toBe(0);
  });
});
