import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import { isFlagSet, type AcquisitionHeader } from '@mrd-tools/core/headers';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { parseIsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { sheppLoganPhantom } from './phantom/shepp-logan.js';
import type { Acquisition } from '@mrd-tools/core/messages';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { centredIfft2RootSumOfSquares } from '@mrd-tools/recon-kernels/centred-fft';
import { CartesianPhantomDataset, phantomLineOrder, resolveCartesianPhantomOptions } from './phantom/cartesian-dataset.js';
import { reference, simulateFullDisk, simulateReadOnlyFolder } from '@mrd-tools/core/testing';
import { headerMismatch, writeCartesianPhantom, PhantomOutputError } from './generate.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mrd-phantom-'));

async function readAll(path: string, group = 'dataset'): Promise<{ xml: string | undefined; acqs: Acquisition[] }> {
  const f = await MrdFile.open(path);
  try {
    const acqs: Acquisition[] = [];
    for await (const a of f.acquisitions(group)) acqs.push(a);
    return { xml: f.readHeader(group), acqs };
  } finally {
    f.close();
  }
}

function collect(ds: CartesianPhantomDataset): Acquisition[] {
  const out: Acquisition[] = [];
  for (const b of ds.acquisitions(50)) out.push(...b);
  return out;
}

const flagNames = (h: AcquisitionHeader) =>
  Object.entries(AcquisitionFlag).filter(([, v]) => isFlagSet(h.flags, v)).map(([k]) => k).sort();

describe('mrd-phantom against the reference generator', () => {
  it('-m 64 -c 4 -n 0 equals the reference acquisitions (headers exactly, data within 1e-5 relative) and encoding', async () => {
    const dir = tmp();
    const out = join(dir, 'ours.h5');
    await writeCartesianPhantom({ output: out, matrixSize: 64, coils: 4, noiseLevel: 0 });
    const ours = await readAll(out);
    const ref = await readAll(reference('inputs/phantom_m64_c4_noiseless.h5'));
    expect(ours.acqs.length).toBe(ref.acqs.length);
    expect(ours.acqs.length).toBe(32 + 64);
    for (let i = 0; i < ref.acqs.length; i++) {
      const a = ours.acqs[i];
      const b = ref.acqs[i];
      expect(a.head, `header of readout ${i}`).toEqual(b.head);
      expect(a.traj.length).toBe(b.traj.length);
      expect(a.data.length).toBe(b.data.length);
      let maxRef = 0;
      let maxDiff = 0;
      let num = 0;
      let den = 0;
      for (let k = 0; k < b.data.length; k++) {
        maxRef = Math.max(maxRef, Math.abs(b.data[k]));
        maxDiff = Math.max(maxDiff, Math.abs(a.data[k] - b.data[k]));
        num += (a.data[k] - b.data[k]) ** 2;
        den += b.data[k] ** 2;
      }
      expect(maxDiff, `readout ${i}`).toBeLessThanOrEqual(1e-5 * maxRef);
      if (den > 0) expect(Math.sqrt(num / den), `readout ${i}`).toBeLessThan(1e-5);
    }
    // The XML describes the same encoding; ours adds the kspace_encoding_step_2 limit the
    // reference loses to a misspelling.
    const h = parseIsmrmrdHeader(ours.xml!);
    const r = parseIsmrmrdHeader(ref.xml!);
    expect(r.encoding[0].encodingLimits.kspace_encoding_step_2).toBeUndefined();
    expect(h.encoding[0].encodingLimits.kspace_encoding_step_2).toEqual({ minimum: 0, maximum: 0, center: 0 });
    const { kspace_encoding_step_2: _omit, ...limits } = h.encoding[0].encodingLimits;
    expect(limits).toEqual(r.encoding[0].encodingLimits);
    expect({ ...h.encoding[0], encodingLimits: undefined }).toEqual({ ...r.encoding[0], encodingLimits: undefined });
    expect(h.acquisitionSystemInformation).toEqual(r.acquisitionSystemInformation);
    expect(h.experimentalConditions).toEqual(r.experimentalConditions);
    expect(h.userParameters).toEqual(r.userParameters);
  });
});

describe('noise', () => {
  it('has the requested standard deviation in real and imaginary parts (within 2 %)', async () => {
    const sigma = 0.05;
    const ds = await CartesianPhantomDataset.create({ matrixSize: 128, coils: 8, repetitions: 3, noiseLevel: sigma, seed: 99 });
    const k = ds.noiseFreeKspace;
    const nkx = 256;
    const sums = { re: [0, 0, 0], im: [0, 0, 0] };
    const add = (s: number[], v: number) => { s[0] += 1; s[1] += v; s[2] += v * v; };
    for (const batch of ds.acquisitions()) {
      for (const a of batch) {
        const noiseOnly = isFlagSet(a.head.flags, AcquisitionFlag.IS_NOISE_MEASUREMENT);
        for (let c = 0; c < 8; c++) {
          for (let x = 0; x < nkx; x++) {
            const i = 2 * (c * nkx + x);
            const j = 2 * ((c * 128 + a.head.idx.kspace_encode_step_1) * nkx + x);
            // the phantom's own k-space subtracted: what is left is the noise alone
            add(sums.re, a.data[i] - (noiseOnly ? 0 : k[j]));
            add(sums.im, a.data[i + 1] - (noiseOnly ? 0 : k[j + 1]));
          }
        }
      }
    }
    for (const s of [sums.re, sums.im]) {
      expect(s[0]).toBeGreaterThan(700_000);
      const mean = s[1] / s[0];
      const std = Math.sqrt(s[2] / s[0] - mean * mean);
      expect(Math.abs(std / sigma - 1)).toBeLessThan(0.02);
      expect(Math.abs(mean)).toBeLessThan(0.01 * sigma);
    }
  });

  it('--seed makes the noise reproducible; other seeds differ', async () => {
    const data = async (seed: number) => collect(await CartesianPhantomDataset.create({ matrixSize: 16, coils: 2, seed })).map((a) => Array.from(a.data));
    const a = await data(5);
    expect(await data(5)).toEqual(a);
    expect(await data(6)).not.toEqual(a);
  });

  it('-n 0 writes the noise-free k-space', async () => {
    const ds = await CartesianPhantomDataset.create({ matrixSize: 16, coils: 2, noiseLevel: 0 });
    const acqs = collect(ds);
    expect(acqs.slice(0, 32).every((a) => a.data.every((v) => v === 0))).toBe(true);
    const line5 = acqs.find((a) => a.head.idx.kspace_encode_step_1 === 5 && a.head.scan_counter >= 32)!;
    expect(Array.from(line5.data.subarray(0, 64))).toEqual(Array.from(ds.noiseFreeKspace.subarray(2 * 5 * 32, 2 * 6 * 32)));
  });
});

describe('reconstruction', () => {
  it('the centred inverse FFT + RSS of our readouts is the analytic Shepp-Logan phantom', async () => {
    const n = 96;
    const ds = await CartesianPhantomDataset.create({ matrixSize: n, coils: 6, noiseLevel: 0, acceleration: 3 });
    const nkx = 2 * n;
    const k = new Float32Array(2 * 6 * n * nkx);
    for (const a of collect(ds)) {
      if (isFlagSet(a.head.flags, AcquisitionFlag.IS_NOISE_MEASUREMENT)) continue;
      for (let c = 0; c < 6; c++) k.set(a.data.subarray(2 * c * nkx, 2 * (c + 1) * nkx), 2 * (c * n + a.head.idx.kspace_encode_step_1) * nkx);
    }
    const img = centredIfft2RootSumOfSquares(await getFftEngine(), k, 6, n, nkx, Math.sqrt(n * nkx));
    const ph = sheppLoganPhantom(n);
    let maxErr = 0;
    let maxOutside = 0;
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < nkx; x++) {
        const v = img[y * nkx + x];
        const inside = x >= n / 2 && x < n / 2 + n;
        if (inside) maxErr = Math.max(maxErr, Math.abs(v - Math.abs(ph[y * n + x - n / 2])));
        else maxOutside = Math.max(maxOutside, v);
      }
    }
    expect(maxErr).toBeLessThan(1e-4);
    expect(maxOutside).toBeLessThan(1e-4); // the oversampling region is empty
  });
});

describe('layouts and headers', () => {
  it('reference layout: interleaved passes for -a, every line once, FIRST/LAST flags, counters', async () => {
    const ds = await CartesianPhantomDataset.create({ matrixSize: 8, coils: 2, acceleration: 3, repetitions: 2, seed: 1 });
    const acqs = collect(ds);
    expect(acqs).toHaveLength(32 + 16);
    expect(acqs.map((a) => a.head.scan_counter)).toEqual(acqs.map((_, i) => i));
    const img = acqs.slice(32);
    expect(img.map((a) => a.head.idx.kspace_encode_step_1)).toEqual([0, 3, 6, 1, 4, 7, 2, 5, 0, 3, 6, 1, 4, 7, 2, 5]);
    expect(img.map((a) => a.head.idx.repetition)).toEqual([...new Array(8).fill(0), ...new Array(8).fill(1)]);
    expect(flagNames(img[0].head)).toEqual(['FIRST_IN_ENCODE_STEP1', 'FIRST_IN_REPETITION', 'FIRST_IN_SLICE']);
    expect(flagNames(img[5].head)).toEqual(['LAST_IN_ENCODE_STEP1', 'LAST_IN_REPETITION', 'LAST_IN_SLICE']);
    expect(flagNames(img[1].head)).toEqual([]);
    expect(flagNames(acqs[0].head)).toEqual(['IS_NOISE_MEASUREMENT']);
    const h = acqs[40].head;
    expect([h.number_of_samples, h.active_channels, h.available_channels, h.center_sample, h.trajectory_dimensions]).toEqual([16, 2, 2, 8, 0]);
    expect([h.read_dir, h.phase_dir, h.slice_dir]).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    expect(ds.header.encoding[0].encodingLimits.repetition).toEqual({ minimum: 0, maximum: 1, center: 1 });
    expect(ds.header.encoding[0].parallelImaging).toBeUndefined();
  });

  it('-w: the C++ tool\'s undersampled layout with its calibration flags', () => {
    const o = resolveCartesianPhantomOptions({ matrixSize: 16, acceleration: 2, calibrationWidth: 4, repetitions: 1, seed: 1 });
    const lines = phantomLineOrder(o);
    // pass a=0: even lines plus 7 and 9 (calibration region 6..9); pass a=1: odd lines plus 6 and 8
    expect(lines.filter((l) => l.pass === 0).map((l) => l.line)).toEqual([0, 2, 4, 6, 7, 8, 9, 10, 12, 14]);
    expect(lines.filter((l) => l.pass === 1).map((l) => l.line)).toEqual([1, 3, 5, 6, 7, 8, 9, 11, 13, 15]);
    expect(lines.filter((l) => l.pass === 1).every((l) => l.repetition === 1)).toBe(true);
    const f = (pass: number, line: number) => {
      const l = lines.find((x) => x.pass === pass && x.line === line)!;
      return flagNames({ flags: l.flags } as AcquisitionHeader);
    };
    expect(f(0, 0)).toEqual(['FIRST_IN_SLICE']);
    expect(f(1, 1)).toEqual(['FIRST_IN_SLICE']);
    expect(f(0, 14)).toEqual(['LAST_IN_SLICE']);
    expect(f(0, 6)).toEqual(['IS_PARALLEL_CALIBRATION_AND_IMAGING']);
    expect(f(0, 7)).toEqual(['IS_PARALLEL_CALIBRATION']);
    expect(f(1, 6)).toEqual(['IS_PARALLEL_CALIBRATION']);
    expect(f(0, 2)).toEqual([]);
  });

  it('-w header: repetitions count the passes, parallel imaging described', async () => {
    const ds = await CartesianPhantomDataset.create({ matrixSize: 16, coils: 2, acceleration: 2, calibrationWidth: 4, repetitions: 3, seed: 1 });
    expect(ds.header.encoding[0].encodingLimits.repetition).toEqual({ minimum: 0, maximum: 5, center: 0 });
    expect(ds.header.encoding[0].parallelImaging).toEqual({ accelerationFactor: { kspace_encoding_step_1: 2, kspace_encoding_step_2: 1 }, calibrationMode: 'interleaved' });
    expect(ds.count).toBe(32 + 3 * 20);
  });

  it('-k stores the C++ tool\'s 2-D trajectory; --no-noise-calibration drops the noise readouts', async () => {
    const ds = await CartesianPhantomDataset.create({ matrixSize: 8, coils: 1, kCoordinates: true, noiseCalibration: false, seed: 1 });
    const acqs = collect(ds);
    expect(acqs).toHaveLength(8);
    const a = acqs[3];
    expect(a.head.trajectory_dimensions).toBe(2);
    expect(a.head.scan_counter).toBe(3);
    expect(Array.from(a.traj.subarray(0, 4))).toEqual([-0.5, Math.fround(-1 / 8), Math.fround(-7 / 16), Math.fround(-1 / 8)]);
  });

  it('odd matrix sizes and no oversampling work (the reference breaks on odd sizes)', async () => {
    const ds = await CartesianPhantomDataset.create({ matrixSize: 33, coils: 3, oversampling: 1, noiseLevel: 0 });
    const acqs = collect(ds);
    expect(acqs[40].head.number_of_samples).toBe(33);
    expect(acqs[40].head.center_sample).toBe(16);
    expect(ds.header.encoding[0].encodingLimits.kspace_encoding_step_1).toEqual({ minimum: 0, maximum: 32, center: 16 });
  });

  it('rejects impossible options with a clear message', () => {
    expect(() => resolveCartesianPhantomOptions({ matrixSize: 1 })).toThrow(/matrix size/);
    expect(() => resolveCartesianPhantomOptions({ coils: 0 })).toThrow(/coils/);
    expect(() => resolveCartesianPhantomOptions({ noiseLevel: -1 })).toThrow(/noise level/);
    expect(() => resolveCartesianPhantomOptions({ matrixSize: 16, calibrationWidth: 17 })).toThrow(/calibration width/);
    expect(() => resolveCartesianPhantomOptions({ matrixSize: 16, acceleration: 17 })).toThrow(/acceleration/);
  });
});

describe('output file rules', () => {
  it('creates, appends readouts to the same acquisition, adds groups, refuses to mix, --force replaces', async () => {
    const dir = tmp();
    const out = join(dir, 'p.h5');
    const base = { output: out, matrixSize: 16, coils: 2, seed: 3 };
    const r1 = await writeCartesianPhantom(base);
    expect([r1.readouts, r1.existingReadouts]).toEqual([48, 0]);
    const first = await readAll(out);

    // same acquisition again: appended, as the reference does; the header stays
    const r2 = await writeCartesianPhantom({ ...base, seed: 4 });
    expect([r2.readouts, r2.existingReadouts]).toEqual([48, 48]);
    const second = await readAll(out);
    expect(second.acqs).toHaveLength(96);
    expect(second.xml).toBe(first.xml);
    expect(Array.from(second.acqs[10].data)).toEqual(Array.from(first.acqs[10].data));

    // a different acquisition is refused, naming the file and the difference
    await expect(writeCartesianPhantom({ ...base, matrixSize: 32 })).rejects.toThrow(PhantomOutputError);
    await expect(writeCartesianPhantom({ ...base, coils: 4 })).rejects.toThrow(/receiverChannels 2 vs 4/);
    expect((await readAll(out)).acqs).toHaveLength(96);

    // another group in the same file keeps the first one
    await writeCartesianPhantom({ ...base, matrixSize: 32, dataset: 'big' });
    const f = await MrdFile.open(out);
    expect(f.groups().sort()).toEqual(['big', 'dataset']);
    expect(f.acquisitionCount('dataset')).toBe(96);
    expect(f.acquisitionCount('big')).toBe(64);
    f.close();

    // --force replaces the file
    await writeCartesianPhantom({ ...base, matrixSize: 32, force: true });
    const g = await MrdFile.open(out);
    expect(g.groups()).toEqual(['dataset']);
    expect(g.acquisitionCount('dataset')).toBe(64);
    g.close();
  });

  it('refuses to touch an existing file that is not HDF5', async () => {
    const dir = tmp();
    const out = join(dir, 'notes.h5');
    writeFileSync(out, 'my notes');
    await expect(writeCartesianPhantom({ output: out, matrixSize: 8, coils: 1 })).rejects.toThrow(/notes\.h5 exists and is not a readable HDF5/);
    expect(readFileSync(out, 'utf8')).toBe('my notes');
    expect(existsSync(out)).toBe(true);
  });

  it('names a missing output folder', async () => {
    await expect(writeCartesianPhantom({ output: join(tmp(), 'no', 'such', 'p.h5'), matrixSize: 8, coils: 1 })).rejects.toThrow(/cannot write .*p\.h5: folder .*such does not exist/);
  });

  it('on a full disk: one error naming the file; a new file is not left behind, an existing one is kept byte for byte', async () => {
    const dir = tmp();
    const out = join(dir, 'ph.h5');
    let disk = simulateFullDisk(dir, 300_000);
    try {
      await expect(writeCartesianPhantom({ output: out, matrixSize: 64, coils: 8, seed: 1 })).rejects.toThrow(`cannot write ${out}: no space left on device`);
    } finally {
      disk.uninstall();
    }
    expect(readdirSync(dir)).toEqual([]);
    // appending to (and replacing with --force) a file the user has: it stays as it was
    await writeCartesianPhantom({ output: out, matrixSize: 16, coils: 2, seed: 1 });
    const before = readFileSync(out);
    disk = simulateFullDisk(dir, 10_000);
    try {
      await expect(writeCartesianPhantom({ output: out, matrixSize: 16, coils: 2, repetitions: 20, seed: 2 })).rejects.toThrow(`cannot write ${out}: no space left on device`);
      await expect(writeCartesianPhantom({ output: out, matrixSize: 64, coils: 8, seed: 2, force: true })).rejects.toThrow(`cannot write ${out}: no space left on device`);
    } finally {
      disk.uninstall();
    }
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['ph.h5']);
  });

  it('a read-only output folder is reported as read-only, before the data are generated', async () => {
    const dir = tmp();
    const disk = simulateReadOnlyFolder(dir);
    try {
      await expect(writeCartesianPhantom({ output: join(dir, 'ph.h5'), matrixSize: 8, coils: 1 })).rejects.toThrow(`cannot write ${join(dir, 'ph.h5')}: folder ${dir} is read-only`);
    } finally {
      disk.uninstall();
    }
  });

  it('headerMismatch names what differs', async () => {
    const a = (await CartesianPhantomDataset.create({ matrixSize: 8, coils: 2, seed: 1 })).header;
    const b = (await CartesianPhantomDataset.create({ matrixSize: 8, coils: 2, repetitions: 4, seed: 1 })).header;
    const c = (await CartesianPhantomDataset.create({ matrixSize: 8, coils: 2, oversampling: 1, seed: 1 })).header;
    expect(headerMismatch(a, b)).toBeNull();
    expect(headerMismatch(a, c)).toBe('encoded matrix 16x8x1 vs 8x8x1');
  });
});
