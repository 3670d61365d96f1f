/**
 * The direct acquisition reader (mrd-core hdf5/reader/acquisition-wire.ts, what mrd-client
 * sends from) on files of the ISMRMRD C++ library (ismrmrd_generate_cartesian_shepp_logan): one
 * row per chunk, each chunk after its readout's own heap collection. There a row's chunk is read
 * with the collection before it in one call, the readout's data guessed to be there as the
 * previous row's was: the bytes must be those of the HDF5 read, encoded, whatever the batch
 * sizes, and the guess must hold for every readout but the first of a batch (its chunk was
 * read by the batch before, which it did not fit). `fillAsync` (mrd-client's main thread) makes
 * the same reads ahead on libuv's thread pool: the same bytes; the built client streams such a
 * file from its main thread.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MrdFile, type AcquisitionWireReader } from '@mrd-tools/core/hdf5/reader';
import { encodeMessages } from '@mrd-tools/core/stream';
import { commandRuns } from '@mrd-tools/core/testing';
import { streamedAsTheFileHolds } from '../e2e/client-stream-check.js';

const cppGenerator = commandRuns('ismrmrd_generate_cartesian_shepp_logan');

/**
 * The wire bytes of every row of `r`, filled in outputs of `cap` bytes (`fill`, or `fillAsync`
 * with `async`), each fill making progress; and how many fills it took.
 */
async function fillAll(r: AcquisitionWireReader, cap: number, async: boolean): Promise<{ bytes: Buffer; fills: number }> {
  const got: Uint8Array[] = [];
  let fills = 0;
  for (let at = 0; at < r.rows; ) {
    const out = new Uint8Array(cap);
    const res = async ? await r.fillAsync(at, 4096, out, 0) : r.fill(at, 4096, out, 0);
    expect(res.rows, `progress at row ${at}`).toBeGreaterThan(0);
    got.push(out.slice(0, res.end));
    at += res.rows;
    fills++;
  }
  return { bytes: Buffer.concat(got), fills };
}

(cppGenerator ? describe : describe.skip)(
  `direct acquisition reader on ISMRMRD C++ files${cppGenerator ? '' : ' [skipped: needs ismrmrd-tools]'}`,
  () => {
    let dir: string;
    // 256 readouts of 8 coils x 256 samples (16 KiB each, a collection each), and noise scans;
    // and the bytes the HDF5 read gives for them, encoded
    let h5: string;
    let expected: Buffer;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'acq-wire-cpp-'));
      h5 = join(dir, 'cpp.h5');
      const g = spawnSync('ismrmrd_generate_cartesian_shepp_logan', ['-m', '128', '-c', '8', '-r', '2', '-o', h5], { encoding: 'utf8' });
      expect(g.status, g.stderr).toBe(0);
      const f = await MrdFile.open(h5);
      try {
        const parts: Uint8Array[] = [];
        for await (const batch of f.acquisitionBatches('dataset')) parts.push(encodeMessages(batch.map((acquisition) => ({ type: 'acquisition' as const, acquisition }))));
        expected = Buffer.concat(parts);
      } finally {
        f.close();
      }
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('reads chunk and readout with one call where the guess holds, the bytes of the HDF5 read in batches of every size', async () => {
      const f = await MrdFile.open(h5);
      try {
        for (const cap of [1 << 20, 40000, 16 * 1024 + 342]) {
          const r = (await f.acquisitionWireReader('dataset'))!;
          expect(r).not.toBeNull();
          const { bytes, fills } = await fillAll(r, cap, false);
          expect(Buffer.compare(bytes, expected), `batches of ${cap} bytes`).toBe(0);
          const s = r.stats;
          expect(s.headersCopied).toBe(true);
          expect(s.fusedMisses, JSON.stringify(s)).toBe(0);
          // every row but the first of each fill (read with the previous fill, which it did not fit)
          expect(s.fusedHits, JSON.stringify(s)).toBe(r.rows - fills);
          expect(s.speculativeHits).toBe(fills);
        }
      } finally {
        f.close();
      }
    });

    it('fillAsync makes those reads ahead off the calling thread, each run of rows stored back to back with one readv: the same bytes', async () => {
      const f = await MrdFile.open(h5);
      try {
        for (const cap of [2 << 20, 40000, 16 * 1024 + 342]) {
          const r = (await f.acquisitionWireReader('dataset'))!;
          expect(r.readsAhead).toBe(true);
          const { bytes, fills } = await fillAll(r, cap, true);
          expect(Buffer.compare(bytes, expected), `batches of ${cap} bytes`).toBe(0);
          const s = r.stats;
          expect(s.fusedMisses, JSON.stringify(s)).toBe(0);
          // every row's read made ahead but the first's (no guess yet): a batch ends before a
          // row it would not fit, so the next one's read is foreseen too
          expect(s.foreseen, JSON.stringify(s)).toBe(r.rows - 1);
          expect(s.fusedHits, JSON.stringify(s)).toBe(r.rows - 1);
          expect(fills).toBeGreaterThan(0);
        }
      } finally {
        f.close();
      }
    });

    it('mrd-client streams a large one (42 MB) on its main thread, no worker, its reads made ahead on the thread pool, byte for byte', async () => {
      const path = join(dir, 'big-cpp.h5');
      // 1280 readouts of 8 coils x 512 samples
      const g = spawnSync('ismrmrd_generate_cartesian_shepp_logan', ['-m', '256', '-c', '8', '-r', '5', '-o', path], { encoding: 'utf8' });
      expect(g.status, g.stderr).toBe(0);
      expect(await streamedAsTheFileHolds(path, join(dir, 'big-cpp-out.h5'))).toBe('main/native');
    });
  },
);
