/**
 * Acquisitions read straight into wire bytes (acquisition-wire.ts) against encoding the records
 * read through HDF5: byte for byte the same, on the reference inputs (ismrmrd-python/h5py and
 * the ISMRMRD C++ library, with noise scans and trajectories) and on files of mrd-core's writer
 * (many records per chunk and per heap collection); in batches cut at every size, and with
 * errors naming the record when a payload disagrees with its header.
 */
import { mkdtempSync, rmSync, openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { reference } from '../../testing/reference.js';
import { createAcquisition } from '../../messages/create.js';
import { encodeMessages } from '../../stream/encoder.js';
import { MrdWriter } from '../writer/index.js';
import { MrdFile } from './index.js';
import { FixedParts } from './fixed-parts.js';
import { ACQUISITION_HEADER_LAYOUT } from '../../headers/fields.js';

/** Offset of a header field in a wire message (after the 2-byte message id). */
const wireOffset = (name: string): number => 2 + ACQUISITION_HEADER_LAYOUT.fields.find((f) => f.name === name)!.offset;

async function viaHdf5(f: MrdFile): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const batch of f.acquisitionBatches('dataset')) parts.push(encodeMessages(batch.map((acquisition) => ({ type: 'acquisition' as const, acquisition }))));
  return Buffer.concat(parts);
}

/**
 * An MRD file written by mrd-core's writer at `path`, group `dataset`: `n` acquisitions of
 * `samples` x `channels`, scan_counter i, data[k] = value(i, k).
 */
async function writeAcquisitions(path: string, n: number, samples: number, channels: number, value: (i: number, k: number) => number): Promise<void> {
  const w = await MrdWriter.create(path, { group: 'dataset' });
  const acqs = [];
  for (let i = 0; i < n; i++) {
    const a = createAcquisition({ head: { number_of_samples: samples, active_channels: channels } });
    a.head.scan_counter = i;
    for (let k = 0; k < a.data.length; k++) a.data[k] = value(i, k);
    acqs.push(a);
  }
  await w.appendAcquisitions(acqs);
  await w.close();
}

/** All wire bytes through the direct reader, `cap` bytes of output buffer per fill (`fill`, or `fillAsync` with `async`). */
async function viaWire(f: MrdFile, cap: number, maxRows = 4096, async = false): Promise<Uint8Array> {
  const r = await f.acquisitionWireReader('dataset');
  expect(r).not.toBeNull();
  const parts: Uint8Array[] = [];
  for (let at = 0; at < r!.rows; ) {
    const out = new Uint8Array(cap);
    const got = async ? await r!.fillAsync(at, maxRows, out, 0) : r!.fill(at, maxRows, out, 0);
    expect(got.rows, `progress at row ${at}`).toBeGreaterThan(0);
    parts.push(out.subarray(0, got.end));
    at += got.rows;
  }
  return Buffer.concat(parts);
}

describe('acquisitionWireReader', () => {
  for (const input of ['phantom_m64_c4_r2.h5', 'cpp_phantom_m64_c4_noise_traj.h5', 'phantom_m64_waveforms.h5', 'phantom_m64_c4_noiseless.h5']) {
    it(`gives the bytes of the HDF5 read, encoded: ${input}`, async () => {
      const f = await MrdFile.open(reference(`inputs/${input}`));
      try {
        const expected = await viaHdf5(f);
        expect(expected.length).toBeGreaterThan(0);
        expect(Buffer.compare(Buffer.from(await viaWire(f, 1 << 20)), Buffer.from(expected))).toBe(0);
        // small buffers and few rows per fill: every batch boundary
        expect(Buffer.compare(Buffer.from(await viaWire(f, 20000, 3)), Buffer.from(expected))).toBe(0);
        // fillAsync: the same bytes (on the C++ file, reads made ahead on the noise scan's guess, which does not hold)
        expect(Buffer.compare(Buffer.from(await viaWire(f, 1 << 20, 4096, true)), Buffer.from(expected))).toBe(0);
        expect(Buffer.compare(Buffer.from(await viaWire(f, 20000, 3, true)), Buffer.from(expected))).toBe(0);
      } finally {
        f.close();
      }
    });
  }

  it("gives the bytes of the HDF5 read on mrd-core's writer files (many records per chunk and collection)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acq-wire-'));
    try {
      const path = join(dir, 'w.h5');
      const w = await MrdWriter.create(path, { group: 'dataset' });
      const acqs = [];
      for (let i = 0; i < 300; i++) {
        const a = createAcquisition({ head: { number_of_samples: 3 + (i % 7), active_channels: 1 + (i % 3), trajectory_dimensions: i % 4 === 0 ? 2 : 0 } });
        a.head.scan_counter = i;
        a.head.idx.kspace_encode_step_1 = i % 17;
        for (let k = 0; k < a.data.length; k++) a.data[k] = i * 1000 + k + 0.5;
        for (let k = 0; k < a.traj.length; k++) a.traj[k] = -k - i;
        acqs.push(a);
      }
      await w.appendAcquisitions(acqs);
      await w.writeHeader('<ismrmrdHeader/>');
      await w.close();
      const f = await MrdFile.open(path);
      try {
        const expected = await viaHdf5(f);
        expect(expected.length).toBeGreaterThan(300 * 342);
        expect(Buffer.compare(Buffer.from(await viaWire(f, 1 << 20)), Buffer.from(expected))).toBe(0);
        expect(Buffer.compare(Buffer.from(await viaWire(f, 700, 5)), Buffer.from(expected))).toBe(0);
      } finally {
        f.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads each record\'s fixed part once when filled batch by batch, and again only when asked for earlier rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acq-wire-'));
    const rowsRead = vi.fn();
    const origRead = FixedParts.prototype.read;
    const origInto = FixedParts.prototype.readRowsInto;
    try {
      const path = join(dir, 'w.h5');
      await writeAcquisitions(path, 600, 8, 2, (i) => i);
      const f = await MrdFile.open(path);
      try {
        const expected = await viaHdf5(f);
        // count the rows whose fixed parts are read from the file, by either method
        FixedParts.prototype.read = function (start: number, count: number) { rowsRead(count); return origRead.call(this, start, count); };
        FixedParts.prototype.readRowsInto = function (start: number, count: number, out: Uint8Array) { rowsRead(count); return origInto.call(this, start, count, out); };
        // about two messages per fill: 300 fills
        const r = (await f.acquisitionWireReader('dataset'))!;
        const parts: Uint8Array[] = [];
        for (let at = 0; at < r.rows; ) {
          const out = new Uint8Array(2 * (342 + 128));
          const got = r.fill(at, 4096, out, 0);
          parts.push(out.subarray(0, got.end));
          at += got.rows;
        }
        expect(Buffer.compare(Buffer.concat(parts), Buffer.from(expected))).toBe(0);
        const total = rowsRead.mock.calls.reduce((n, c) => n + (c[0] as number), 0);
        expect(total).toBe(600);
        // earlier rows after later ones: read again, the same bytes
        const again = new Uint8Array(342 + 128);
        expect(r.fill(1, 1, again, 0).rows).toBe(1);
        expect(Buffer.compare(Buffer.from(again), Buffer.from(expected.subarray(342 + 128, 2 * (342 + 128))))).toBe(0);
      } finally {
        f.close();
      }
    } finally {
      FixedParts.prototype.read = origRead;
      FixedParts.prototype.readRowsInto = origInto;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when the first message does not fit, and names the record whose payload disagrees with its header', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acq-wire-'));
    try {
      const path = join(dir, 'w.h5');
      const w = await MrdWriter.create(path, { group: 'dataset' });
      const a = createAcquisition({ head: { number_of_samples: 4, active_channels: 2 } });
      a.data.fill(1.25);
      await w.appendAcquisitions([a, a]);
      await w.close();
      let f = await MrdFile.open(path);
      const r = (await f.acquisitionWireReader('dataset'))!;
      expect(r.fill(0, 10, new Uint8Array(100), 0)).toEqual({ rows: 0, end: 0, needed: 2 + 340 + 4 * 16 });
      f.close();
      // Corrupt the second record's data length (16 floats -> 15) in the file's fixed part.
      const bytes = readFileSync(path);
      const le16 = Buffer.from([16, 0, 0, 0]);
      const positions: number[] = [];
      for (let p = bytes.indexOf(le16); p >= 0; p = bytes.indexOf(le16, p + 1)) positions.push(p);
      f = await MrdFile.open(path);
      const rows: number[] = [];
      try {
        const r2 = (await f.acquisitionWireReader('dataset'))!;
        expect(r2.rows).toBe(2);
        rows.push(r2.rows);
      } finally {
        f.close();
      }
      // Find the vlen descriptor (length 16 followed by a heap address) of record 1 by trying each candidate.
      let named = false;
      for (const p of positions) {
        const fd = openSync(path, 'r+');
        writeSync(fd, Buffer.from([15]), 0, 1, p);
        closeSync(fd);
        const g = await MrdFile.open(path);
        try {
          const r3 = await g.acquisitionWireReader('dataset');
          if (r3) {
            try {
              r3.fill(0, 10, new Uint8Array(1 << 16), 0);
            } catch (err) {
              if (/\[1\]: data has 15 floats/.test((err as Error).message)) named = true;
            }
          }
        } catch {
          /* that byte was not the descriptor */
        } finally {
          g.close();
        }
        const fd2 = openSync(path, 'r+');
        writeSync(fd2, Buffer.from([16]), 0, 1, p);
        closeSync(fd2);
        if (named) break;
      }
      expect(named).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a payload in a collection of its own with one read (collection and object headers with it), and sends wire-layout headers as they are', async () => {
    // payloads larger than the writer's collections (1 MiB): one collection each, as the ISMRMRD
    // C++ library gives every readout
    const dir = mkdtempSync(join(tmpdir(), 'acq-wire-'));
    const reads = vi.spyOn(FixedParts.prototype, 'readUpTo');
    const intos = vi.spyOn(FixedParts.prototype, 'readInto');
    try {
      const path = join(dir, 'w.h5');
      await writeAcquisitions(path, 8, 4200, 32, (i, k) => i + k / 4096);
      const f = await MrdFile.open(path);
      try {
        const expected = await viaHdf5(f);
        const r = (await f.acquisitionWireReader('dataset'))!;
        const before = reads.mock.calls.length + intos.mock.calls.length;
        const out = new Uint8Array(expected.length);
        expect(r.fill(0, r.rows, out, 0).end).toBe(expected.length);
        expect(Buffer.compare(Buffer.from(out), Buffer.from(expected))).toBe(0);
        expect(r.stats).toMatchObject({ speculativeHits: 8, speculativeMisses: 0, headersCopied: true });
        // (the fixed parts are read by readRowsInto, not counted here)
        expect(reads.mock.calls.length + intos.mock.calls.length - before).toBe(8);
      } finally {
        f.close();
      }
    } finally {
      reads.mockRestore();
      intos.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads traj and data sharing a collection, and payloads in shared collections, as the HDF5 read (ISMRMRD C++ file)', async () => {
    const f = await MrdFile.open(reference('inputs/cpp_phantom_m64_c4_noise_traj.h5'));
    try {
      const expected = await viaHdf5(f);
      const r = (await f.acquisitionWireReader('dataset'))!;
      const out = new Uint8Array(expected.length);
      expect(r.fill(0, r.rows, out, 0).end).toBe(expected.length);
      expect(Buffer.compare(Buffer.from(out), Buffer.from(expected))).toBe(0);
      // traj read first where it shares the data's collection: no guess goes wrong
      expect(r.stats.speculativeMisses).toBe(0);
      expect(r.stats.speculativeHits).toBeGreaterThan(0);
      // the noise scan's data guessed the next readout's place (read with its chunk): it has a
      // traj, the guess did not hold, the data was read again over it
      expect(r.stats.fusedMisses).toBe(1);
      // records one per chunk: fillAsync can make its reads ahead there
      expect(r.readsAhead).toBe(true);
    } finally {
      f.close();
    }
  });

  it('fillAsync: reads made ahead where the guess did not hold are read again, over them, as fill does (ISMRMRD C++ file)', async () => {
    const f = await MrdFile.open(reference('inputs/cpp_phantom_m64_c4_noise_traj.h5'));
    try {
      const expected = await viaHdf5(f);
      const r = (await f.acquisitionWireReader('dataset'))!;
      const out = new Uint8Array(expected.length);
      const got = await r.fillAsync(0, r.rows, out, 0);
      expect(got).toMatchObject({ rows: r.rows, end: expected.length });
      expect(Buffer.compare(Buffer.from(out), Buffer.from(expected))).toBe(0);
      // the second row's read was made ahead on the noise scan's guess and did not hold
      expect(r.stats).toMatchObject({ foreseen: 1, fusedMisses: 1, fusedHits: 0 });
    } finally {
      f.close();
    }
  });

  it('fillAsync: a read made ahead that comes back short is read again as fill reads it; one that fails fails the fill', async () => {
    const f = await MrdFile.open(reference('inputs/cpp_phantom_m64_c4_noise_traj.h5'));
    const readv = vi.spyOn(FixedParts.prototype, 'readvAsync');
    try {
      const expected = await viaHdf5(f);
      readv.mockResolvedValue(0);
      const r = (await f.acquisitionWireReader('dataset'))!;
      const out = new Uint8Array(expected.length);
      expect((await r.fillAsync(0, r.rows, out, 0)).end).toBe(expected.length);
      expect(Buffer.compare(Buffer.from(out), Buffer.from(expected))).toBe(0);
      expect(readv).toHaveBeenCalled();
      expect(r.stats.foreseen).toBe(0);
      readv.mockRejectedValue(new Error('EIO: i/o error, read'));
      const r2 = (await f.acquisitionWireReader('dataset'))!;
      await expect(r2.fillAsync(0, r2.rows, new Uint8Array(expected.length), 0)).rejects.toThrow('EIO');
    } finally {
      readv.mockRestore();
      f.close();
    }
  });

  it("fillAsync reads as fill does where no read can be foreseen (mrd-core's writer: many records per chunk)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acq-wire-'));
    try {
      const path = join(dir, 'w.h5');
      await writeAcquisitions(path, 40, 300, 4, (i, k) => i + k / 512);
      const f = await MrdFile.open(path);
      try {
        const expected = await viaHdf5(f);
        const r = (await f.acquisitionWireReader('dataset'))!;
        expect(r.readsAhead).toBe(false);
        const out = new Uint8Array(expected.length);
        expect((await r.fillAsync(0, r.rows, out, 0)).end).toBe(expected.length);
        expect(Buffer.compare(Buffer.from(out), Buffer.from(expected))).toBe(0);
        expect(r.stats.foreseen).toBe(0);
        // the first message larger than the buffer: none written, its size said
        const r2 = (await f.acquisitionWireReader('dataset'))!;
        expect(await r2.fillAsync(0, 4, new Uint8Array(100), 0)).toEqual({ rows: 0, end: 0, needed: 342 + 8 * 300 * 4 });
      } finally {
        f.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends the header floats as the file holds them, NaN bit patterns included (as the reference client)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'acq-wire-'));
    try {
      const path = join(dir, 'w.h5');
      const w = await MrdWriter.create(path, { group: 'dataset' });
      const acqs = [];
      for (let i = 0; i < 4; i++) {
        const a = createAcquisition({ head: { number_of_samples: 4, active_channels: 1 } });
        // markers, replaced below by NaNs of other bit patterns than the canonical one
        a.head.user_float[2] = 1234.5;
        a.head.position[1] = i === 2 ? 4321.5 : 1;
        a.data.fill(i);
        acqs.push(a);
      }
      await w.appendAcquisitions(acqs);
      await w.close();
      const bytes = readFileSync(path);
      const patch = (marker: number, nan: number) => {
        const m = Buffer.alloc(4);
        m.writeFloatLE(marker);
        const n = Buffer.alloc(4);
        n.writeUInt32LE(nan);
        let count = 0;
        for (let p = bytes.indexOf(m); p >= 0; p = bytes.indexOf(m, p + 1)) {
          n.copy(bytes, p);
          count++;
        }
        return count;
      };
      expect(patch(1234.5, 0x7fa00001)).toBe(4); // a signalling NaN with a payload
      expect(patch(4321.5, 0xffc12345)).toBe(1); // a negative quiet NaN with a payload
      const fd = openSync(path, 'w');
      writeSync(fd, bytes);
      closeSync(fd);
      const f = await MrdFile.open(path);
      try {
        const got = Buffer.from(await viaWire(f, 1 << 16));
        const u32 = (x: number) => {
          const b = Buffer.alloc(4);
          b.writeUInt32LE(x);
          return b;
        };
        // record i starts at i * (342 + 32); user_float[2] and position[1] at their wire offsets
        const userFloat2 = wireOffset('user_float') + 8;
        const position1 = wireOffset('position') + 4;
        for (let i = 0; i < 4; i++) {
          expect(got.subarray(i * 374 + userFloat2, i * 374 + userFloat2 + 4)).toEqual(u32(0x7fa00001));
          expect(got.readFloatLE(i * 374 + position1)).toBe(i === 2 ? NaN : 1);
        }
        expect(got.subarray(2 * 374 + position1, 2 * 374 + position1 + 4)).toEqual(u32(0xffc12345));
        // everything else as the HDF5 read, encoded
        const expected = Buffer.from(await viaHdf5(f));
        for (let i = 0; i < 4; i++) {
          got.copy(expected, i * 374 + userFloat2, i * 374 + userFloat2, i * 374 + userFloat2 + 4);
          got.copy(expected, i * 374 + position1, i * 374 + position1, i * 374 + position1 + 4);
        }
        expect(Buffer.compare(got, expected)).toBe(0);
      } finally {
        f.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
