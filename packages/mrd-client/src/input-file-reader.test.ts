/**
 * `LocalInputSource.openReadingAhead`, mrd-client's reader of a large input without a worker:
 * taken only where every bulk read is made ahead on libuv's thread pool (one group of
 * acquisitions, records one per chunk: the ISMRMRD C++ library's files), null otherwise (the
 * CLI then starts its worker); its batches are the file's acquisitions as the HDF5 read gives
 * them, and closing it while it reads ahead waits for the read in progress. And the one batch
 * rule of the direct reader's batches (`directAcquisitionBatches`), the same with a synchronous
 * fill (the worker's) and an asynchronous one (`ReadAhead`'s).
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
import { LocalInputSource, directAcquisitionBatches, type WireBatch, type WireFill } from './input-file-reader.js';

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

/**
 * A stand-in direct reader of messages of the given sizes: `fill` packs the rows from `start` on
 * while they fit (each message's bytes are its row number), as `AcquisitionWireReader.fill`
 * does; `needed` is the first row's size when it does not fit.
 */
function standInFill(sizes: number[]): (start: number, maxRows: number, out: Uint8Array, offset: number) => { rows: number; end: number; needed: number } {
  return (start, maxRows, out, offset) => {
    let o = offset;
    let row = start;
    while (row < sizes.length && row - start < maxRows && o + sizes[row]! <= out.byteLength) {
      out.fill(row & 0xff, o, o + sizes[row]!);
      o += sizes[row]!;
      row++;
    }
    return { rows: row - start, end: o, needed: row === start && row < sizes.length ? sizes[row]! : 0 };
  };
}

async function collect(sizes: number[], fill: WireFill, freeBytes: number): Promise<{ lengths: number[]; counts: number[]; buffers: number[]; bytes: Buffer }> {
  const got: WireBatch[] = [];
  const take = (min: number) => new ArrayBuffer(Math.max(min, freeBytes));
  for await (const b of directAcquisitionBatches(sizes.length, take, fill)) got.push({ ...b, buf: b.buf.slice(0) });
  return {
    lengths: got.map((b) => b.length),
    counts: got.map((b) => b.count),
    buffers: got.map((b) => b.buf.byteLength),
    bytes: Buffer.concat(got.map((b) => new Uint8Array(b.buf, 0, b.length))),
  };
}

describe('directAcquisitionBatches', () => {
  const MB = 1024 * 1024;
  // rows of 0.75 MB, one of 3 MB (larger than a batch), then small ones
  const sizes = [0.75 * MB, 0.75 * MB, 0.75 * MB, 3 * MB, 1000, 1000, 0.75 * MB];

  it('gives the same batches with a synchronous fill and an asynchronous one', async () => {
    const fill = standInFill(sizes);
    const sync = await collect(sizes, fill, 0);
    const async_ = await collect(sizes, async (...a) => {
      await new Promise((r) => setImmediate(r));
      return fill(...a);
    }, 0);
    expect({ ...async_, bytes: null }).toEqual({ ...sync, bytes: null });
    expect(Buffer.compare(async_.bytes, sync.bytes)).toBe(0);
    expect(sync.counts.reduce((a, b) => a + b, 0)).toBe(sizes.length);
    const whole = Buffer.concat(sizes.map((n, row) => Buffer.alloc(n, row & 0xff)));
    expect(Buffer.compare(sync.bytes, whole)).toBe(0);
  });

  it('ends a batch at 2 MB whatever the free buffer, and gives a larger message a buffer of its own', async () => {
    const r = await collect(sizes, standInFill(sizes), 8 * MB);
    // 0.75 MB rows: two fit in 2 MB, a third does not
    expect(r.counts).toEqual([2, 1, 1, 3]);
    expect(r.lengths[0]).toBe(1.5 * MB);
    expect(r.lengths[2]).toBe(3 * MB);
    expect(Math.max(...r.lengths.filter((_, i) => i !== 2))).toBeLessThanOrEqual(2 * MB);
    const small = await collect(sizes, standInFill(sizes), 0);
    // the 3 MB message: a buffer of exactly its size (a 2 MB one was tried first)
    expect(small.buffers[2]).toBe(3 * MB);
  });
});
