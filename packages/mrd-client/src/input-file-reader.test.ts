/**
 * `LocalInputSource.openReadingAhead`, mrd-client's reader of a large input without a worker:
 * taken only where every bulk read is made ahead on libuv's thread pool (one group of
 * acquisitions, records one per chunk: the ISMRMRD C++ library's files), null otherwise (the
 * CLI then starts its worker); its batches are the file's acquisitions as the HDF5 read gives
 * them, and closing it while it reads ahead waits for the read in progress.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { createAcquisition } from '@mrd-tools/core/messages';
import { encodeMessages } from '@mrd-tools/core/stream';
import { reference } from '@mrd-tools/core/testing';
import { LocalInputSource } from './input-file-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'input-file-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// the ISMRMRD C++ library's file (records one per chunk), with a noise scan and trajectories
const cpp = reference('inputs/cpp_phantom_m64_c4_noise_traj.h5');

describe('LocalInputSource.openReadingAhead', () => {
  it("reads an ISMRMRD C++ library file on this thread: the acquisitions' bytes of the HDF5 read", async () => {
    const f = await MrdFile.open(cpp);
    const parts: Uint8Array[] = [];
    for await (const batch of f.acquisitionBatches('dataset')) parts.push(encodeMessages(batch.map((acquisition) => ({ type: 'acquisition' as const, acquisition }))));
    f.close();
    const src = await LocalInputSource.openReadingAhead(cpp);
    expect(src).not.toBeNull();
    try {
      expect(src!.reader.thread).toBe('main');
      expect(src!.groups()).toEqual(['dataset']);
      expect((await src!.describe('dataset')).acquisitionCount).toBeGreaterThan(0);
      const got: Uint8Array[] = [];
      for await (const b of src!.stream('acquisitions', 'dataset')) {
        got.push(b.bytes.slice());
        b.release?.();
      }
      expect(Buffer.compare(Buffer.concat(got), Buffer.concat(parts))).toBe(0);
    } finally {
      await src!.close();
    }
  });

  it('closes while reading ahead (before any stream) without error', async () => {
    const src = await LocalInputSource.openReadingAhead(cpp);
    expect(src).not.toBeNull();
    await expect(src!.close()).resolves.toBeUndefined();
  });

  it("is null for what it would block on: a file of another layout (mrd-core's writer), no HDF5 file, no file", async () => {
    const path = join(dir, 'w.h5');
    const w = await MrdWriter.create(path, { group: 'dataset' });
    await w.appendAcquisitions(Array.from({ length: 10 }, () => createAcquisition({ head: { number_of_samples: 64, active_channels: 2 } })));
    await w.close();
    expect(await LocalInputSource.openReadingAhead(path)).toBeNull();
    const junk = join(dir, 'junk.h5');
    writeFileSync(junk, Buffer.alloc(4096, 7));
    expect(await LocalInputSource.openReadingAhead(junk)).toBeNull();
    expect(await LocalInputSource.openReadingAhead(join(dir, 'missing.h5'))).toBeNull();
  });
});
