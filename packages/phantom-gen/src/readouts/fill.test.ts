import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ReconPool } from '@mrd-tools/recon-kernels/pool';
import type { Acquisition } from '@mrd-tools/core/messages';
import { CartesianPhantomDataset } from '../phantom/cartesian-dataset.js';
import { GaussianNoise } from '../phantom/gaussian-noise.js';
import { writeCartesianPhantom } from '../generate.js';
import { closePhantomPools, phantomPool } from './pool.js';

afterAll(async () => {
  await closePhantomPools();
});

async function collect(it: AsyncIterable<Acquisition[]> | Iterable<Acquisition[]>): Promise<Acquisition[]> {
  const out: Acquisition[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

function same(a: Acquisition[], b: Acquisition[]): void {
  expect(b.length).toBe(a.length);
  for (let i = 0; i < a.length; i++) {
    expect(b[i].head).toEqual(a[i].head);
    expect(b[i].traj).toEqual(a[i].traj);
    // bit for bit (toEqual treats -0 and 0 alike, the bytes do not)
    expect(Buffer.from(b[i].data.buffer, b[i].data.byteOffset, b[i].data.byteLength).equals(Buffer.from(a[i].data.buffer, a[i].data.byteOffset, a[i].data.byteLength))).toBe(true);
  }
}

describe('phantom readouts on the worker pool (split over repetitions and coils)', () => {
  it('threads 2 and 3 give the single-thread readouts, bit for bit, in both layouts', async () => {
    for (const opts of [
      { matrixSize: 32, coils: 5, repetitions: 3, seed: 11 },
      { matrixSize: 24, coils: 3, repetitions: 2, acceleration: 2, calibrationWidth: 6, kCoordinates: true, seed: 12 },
    ]) {
      const ds = await CartesianPhantomDataset.create(opts);
      const single = await collect(ds.acquisitions(7));
      for (const threads of [2, 3]) same(single, await collect(ds.acquisitionsAsync(phantomPool(threads), 7)));
    }
  });

  it('a dataset larger than one chunk (several chunks of passes, pipelined) is the same bits', async () => {
    // a pass is 256 readouts of 8 coils x 512 samples (2 M floats): 20 passes make ten 4 M-float chunks
    const ds = await CartesianPhantomDataset.create({ matrixSize: 256, coils: 8, oversampling: 2, repetitions: 20, seed: 3 });
    const single = await collect(ds.acquisitions());
    same(single, await collect(ds.acquisitionsAsync(phantomPool(2))));
  }, 60_000);

  it('--threads 1 and 2 write byte-identical HDF5 files (the pool used for 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-threads-'));
    const spy = vi.spyOn(ReconPool.prototype, 'runAll');
    try {
      const files = [];
      for (const threads of [1, 2]) {
        const output = join(dir, `t${threads}.h5`);
        await writeCartesianPhantom({ output, matrixSize: 64, coils: 4, repetitions: 2, seed: 9, threads, poolMinFloats: 0 });
        expect(spy).toHaveBeenCalledTimes(threads === 1 ? 0 : 1);
        files.push(readFileSync(output));
      }
      expect(files[1].length).toBeGreaterThan(64 * 128 * 4 * 8);
      expect(files[1].equals(files[0])).toBe(true);
      // small data stays on this thread whatever the thread count (the workers would cost more)
      spy.mockClear();
      await writeCartesianPhantom({ output: join(dir, 'small.h5'), matrixSize: 64, coils: 4, repetitions: 2, seed: 9, threads: 2 });
      expect(spy).not.toHaveBeenCalled();
      expect(readFileSync(join(dir, 'small.h5')).equals(files[0])).toBe(true);
    } finally {
      spy.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each repetition and coil has its own noise (not a copy of another\'s)', async () => {
    const ds = await CartesianPhantomDataset.create({ matrixSize: 16, coils: 2, repetitions: 2, noiseLevel: 1, noiseCalibration: false, seed: 4 });
    const acqs = await collect(ds.acquisitions());
    const k = ds.noiseFreeKspace;
    const noiseOf = (a: Acquisition, c: number) => {
      const line = a.head.idx.kspace_encode_step_1;
      return Array.from(a.data.subarray(2 * c * 32, 2 * (c + 1) * 32), (v, i) => v - k[2 * (c * 16 + line) * 32 + i]);
    };
    const r0 = acqs.find((a) => a.head.idx.repetition === 0 && a.head.idx.kspace_encode_step_1 === 3)!;
    const r1 = acqs.find((a) => a.head.idx.repetition === 1 && a.head.idx.kspace_encode_step_1 === 3)!;
    const corr = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0) / Math.sqrt(x.reduce((s, v) => s + v * v, 0) * y.reduce((s, v) => s + v * v, 0));
    expect(Math.abs(corr(noiseOf(r0, 0), noiseOf(r0, 1)))).toBeLessThan(0.5);
    expect(Math.abs(corr(noiseOf(r0, 0), noiseOf(r1, 0)))).toBeLessThan(0.5);
  });
});

describe('GaussianNoise streams', () => {
  it('equal seed and stream give equal numbers; other streams and the seed\'s own generator differ', () => {
    const draw = (g: GaussianNoise) => {
      const a = new Float64Array(64);
      g.fill(a, 1);
      return Array.from(a);
    };
    expect(draw(GaussianNoise.stream(5, 7))).toEqual(draw(GaussianNoise.stream(5, 7)));
    const seen = new Set([draw(new GaussianNoise(5))[0]]);
    for (const s of [0, 1, 2, 2 ** 32, 2 ** 32 + 1]) seen.add(draw(GaussianNoise.stream(5, s))[0]);
    seen.add(draw(GaussianNoise.stream(6, 1))[0]);
    expect(seen.size).toBe(7);
    expect(() => GaussianNoise.stream(5, -1)).toThrow(/noise stream/);
  });
});
