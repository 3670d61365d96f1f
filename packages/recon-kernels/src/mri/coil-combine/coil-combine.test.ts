import { afterAll, describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { getPriority } from 'node:os';
import { backgroundNiceIncrement, closeReconPools, ReconPool, reconPool } from '../../pool/pool.js';
import { coilMapsPool, inatiCoilMapsOnPool, warmInatiOnPool } from './parallel-inati.js';
import { PauseGate } from '../../pool/pause-gate.js';
import { heldPool } from '../../testing/index.js';
import {
  coilSumWeights, combineWithCoilWeightsComplex, combineWithMaps, combineWithMapsComplex, combineWithMapsRange, inatiCoilMaps, InatiScratch, rootSumOfSquares, rootSumOfSquaresRange, smoothCoilImages, smoothCoilImagesShifted, tukeyWindow,
} from './coil-combine.js';

/** Synthetic coil images: a disc object times smooth complex Gaussian sensitivities. */
function synthetic(ncoils: number, n: number): { images: Float64Array; obj: Float64Array; sens: Float64Array } {
  const np = n * n;
  const obj = new Float64Array(np);
  const sens = new Float64Array(2 * ncoils * np);
  const images = new Float64Array(2 * ncoils * np);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const r = Math.hypot(x - n / 2, y - n / 2);
    obj[y * n + x] = r < n * 0.35 ? 1 + 0.5 * Math.sin(x / 3) : 0;
  }
  for (let c = 0; c < ncoils; c++) {
    const cx = n / 2 + 0.6 * n * Math.cos((2 * Math.PI * c) / ncoils), cy = n / 2 + 0.6 * n * Math.sin((2 * Math.PI * c) / ncoils);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      const mag = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * (0.5 * n) ** 2));
      const ph = 0.02 * (x - cx) + 0.5 * c;
      const k = 2 * (c * np + y * n + x);
      sens[k] = mag * Math.cos(ph);
      sens[k + 1] = mag * Math.sin(ph);
      images[k] = sens[k] * obj[y * n + x];
      images[k + 1] = sens[k + 1] * obj[y * n + x];
    }
  }
  return { images, obj, sens };
}

describe('coil combination', () => {
  it('tukey window matches scipy.signal.windows.tukey(32, 0.8)', () => {
    const w = tukeyWindow(32, 0.8);
    // scipy: tukey(32, 0.8)[[0, 1, 5, 12, 13, 19, 31]]
    const ref = [0, 0.01596144, 0.35031844, 0.99743466, 1, 0.99743466, 0];
    [0, 1, 5, 12, 13, 19, 31].forEach((i, j) => expect(w[i]).toBeCloseTo(ref[j], 6));
    expect([...tukeyWindow(1, 0.8)]).toEqual([1]);
  });

  it('root sum of squares', () => {
    expect([...rootSumOfSquares([3, 4, 0, 1, 0, 0, 2, 2], 2, 2)]).toEqual([5, 3]);
  });

  it('the range kernels (two pixels a step) give the per-pixel formula bit for bit, on odd and even ranges', () => {
    const ncoils = 3, npix = 37;
    let st = 3;
    const r = () => (st = (st * 16807) % 2147483647) / 2147483647 - 0.5;
    const images = Float32Array.from({ length: 2 * ncoils * npix }, r);
    const maps = Float64Array.from({ length: 2 * ncoils * npix }, r);
    for (const [p0, p1] of [[0, npix], [1, 36], [5, 6], [4, 4], [2, 9]]) {
      const a = new Float32Array(npix), b = new Float32Array(npix);
      rootSumOfSquaresRange(images, ncoils, npix, a, p0, p1);
      combineWithMapsRange(images, maps, ncoils, npix, b, p0, p1);
      for (let i = 0; i < npix; i++) {
        let s = 0, re = 0, im = 0;
        for (let c = 0; c < ncoils; c++) {
          const k = 2 * (c * npix + i), x = images[k], y = images[k + 1], mr = maps[k], mi = -maps[k + 1];
          s += x * x + y * y;
          re += x * mr - y * mi;
          im += x * mi + y * mr;
        }
        const inside = i >= p0 && i < p1;
        expect(a[i]).toBe(inside ? Math.fround(Math.sqrt(s)) : 0);
        expect(b[i]).toBe(inside ? Math.fround(Math.sqrt(re * re + im * im)) : 0);
      }
    }
  });

  it('smoothing keeps a constant image and removes high frequencies', async () => {
    const fft = await getFftEngine();
    const n = 64;
    const c = new Float64Array(2 * n * n);
    for (let i = 0; i < n * n; i++) { c[2 * i] = 2 + ((i % n) % 2 === 0 ? 1 : -1); c[2 * i + 1] = -1; }
    const s = smoothCoilImages(fft, c, 1, n, n, 32);
    for (let i = 0; i < n * n; i++) {
      expect(s[2 * i]).toBeCloseTo(2, 4);
      expect(s[2 * i + 1]).toBeCloseTo(-1, 4);
    }
  });

  it('smoothing without the shifts (even sizes) equals the literal fftshift path; odd sizes take the literal path', async () => {
    const fft = await getFftEngine();
    for (const [ny, nx] of [[64, 48], [32, 32], [40, 40]]) {
      let seed = 5;
      const img = Float64Array.from({ length: 2 * 3 * ny * nx }, () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; });
      const fast = smoothCoilImages(fft, img, 3, ny, nx, 32);
      const literal = smoothCoilImagesShifted(fft, img, 3, ny, nx, 32);
      let e = 0, n = 0;
      for (let i = 0; i < fast.length; i++) { e += (fast[i] - literal[i]) ** 2; n += literal[i] ** 2; }
      expect(Math.sqrt(e / n)).toBeLessThan(1e-6);
    }
    const odd = Float64Array.from({ length: 2 * 15 * 17 }, (_, i) => Math.sin(i));
    expect([...smoothCoilImages(fft, odd, 1, 15, 17, 8)]).toEqual([...smoothCoilImagesShifted(fft, odd, 1, 15, 17, 8)]);
  });

  it('Inati maps: unit norm in the object, combined image proportional to the object', async () => {
    const fft = await getFftEngine();
    const n = 64, nc = 6, np = n * n;
    const { images, obj, sens } = synthetic(nc, n);
    const { maps, combined } = inatiCoilMaps(fft, images, nc, n, n);
    const mag = combineWithMaps(images, maps, nc, np);
    // in the object core the combination equals |obj| * sqrt(sum |s|^2) (optimal combination)
    let worst = 0;
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      if (Math.hypot(x - n / 2, y - n / 2) > n * 0.25) continue;
      const i = y * n + x;
      let ss = 0, mm = 0;
      for (let c = 0; c < nc; c++) { const k = 2 * (c * np + i); ss += sens[k] ** 2 + sens[k + 1] ** 2; mm += maps[k] ** 2 + maps[k + 1] ** 2; }
      expect(mm).toBeCloseTo(1, 3);
      worst = Math.max(worst, Math.abs(mag[i] / (obj[i] * Math.sqrt(ss)) - 1));
      expect(Math.hypot(combined[2 * i], combined[2 * i + 1])).toBeCloseTo(mag[i], 4);
    }
    expect(worst).toBeLessThan(0.02);
  });

  it('constant coil weights (the normalised coil sums) combine as maps constant over the image', () => {
    const n = 16, nc = 3, np = n * n;
    const { images } = synthetic(nc, n);
    const w = coilSumWeights(images, nc, np);
    let norm = 0;
    for (let i = 0; i < w.length; i++) norm += w[i] * w[i];
    expect(norm).toBeCloseTo(1, 12);
    const constant = new Float64Array(2 * nc * np);
    for (let c = 0; c < nc; c++) for (let i = 0; i < np; i++) { constant[2 * (c * np + i)] = w[2 * c]; constant[2 * (c * np + i) + 1] = w[2 * c + 1]; }
    expect(combineWithCoilWeightsComplex(images, w, nc, np)).toEqual(combineWithMapsComplex(images, constant, nc, np));
  });
});

describe('Inati maps on the worker pool', () => {
  afterAll(async () => { await closeReconPools(); });

  it('with a pause checkpoint (a coil at a time in the smoothing) and work arrays reused between calls: the same maps and combined image, bit for bit', async () => {
    const fft = await getFftEngine();
    const n = 48, nc = 4;
    const a = Float32Array.from(synthetic(nc, n).images);
    const b = a.map((v, i) => v * (1 + 0.01 * Math.sin(i))); // another frame of the same size
    const plainA = inatiCoilMaps(fft, a, nc, n, n), plainB = inatiCoilMaps(fft, b, nc, n, n);
    let pauses = 0;
    const scratch = new InatiScratch();
    const same = (x: Float64Array, y: Float64Array): boolean => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
    for (const [img, plain] of [[a, plainA], [b, plainB], [a, plainA]] as const) {
      const got = inatiCoilMaps(fft, img, nc, n, n, {}, () => { pauses++; }, scratch);
      expect(same(got.maps, plain.maps)).toBe(true);
      expect(same(got.combined, plain.combined)).toBe(true);
    }
    expect(pauses).toBeGreaterThan(3 * nc); // between the passes and per coil of every smoothing
    // the scratch's arrays are reused: the second call's maps are the first call's array
    expect(inatiCoilMaps(fft, b, nc, n, n, {}, undefined, scratch).maps).toBe(inatiCoilMaps(fft, a, nc, n, n, {}, undefined, scratch).maps);
    // without a scratch each call returns its own arrays
    expect(inatiCoilMaps(fft, a, nc, n, n).maps).not.toBe(inatiCoilMaps(fft, a, nc, n, n).maps);
  });

  it('an estimate given a PauseGate waits at its checkpoints while the gate is held (off the CPU), then gives the same maps', async () => {
    // the bug: the estimate (and its warm-up) ran through the frames, taking a core from the frame threads
    const fft = await getFftEngine();
    const n = 48, nc = 4;
    const images = Float32Array.from(synthetic(nc, n).images);
    const { maps } = inatiCoilMaps(fft, images, nc, n, n);
    const pool = coilMapsPool();
    const gate = new PauseGate();
    try {
      gate.hold();
      let settled = false;
      const job = inatiCoilMapsOnPool(pool, images, nc, n, n, {}, gate).finally(() => { settled = true; });
      // bounded wait for the worker to reach a checkpoint and block there
      for (let i = 0; i < 3000 && gate.pauses === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(gate.pauses).toBe(1);
      await new Promise((r) => setTimeout(r, 50));
      expect(settled).toBe(false); // still blocked
      expect(gate.pauses).toBe(1);
      gate.release();
      const got = await job;
      expect(Buffer.from(got.buffer).equals(Buffer.from(maps.buffer))).toBe(true);
      // open gate: no pause; the warm-up takes the gate too
      await warmInatiOnPool(pool, nc, n, n, {}, gate);
      expect(Buffer.from((await inatiCoilMapsOnPool(pool, images, nc, n, n, {}, gate)).buffer).equals(Buffer.from(maps.buffer))).toBe(true);
      expect(gate.pauses).toBe(1);
    } finally {
      if (gate.held) gate.release();
      await pool.close();
    }
  });

  it('are the single-thread maps, bit for bit (the worker runs the same code on the shared images)', async () => {
    const fft = await getFftEngine();
    const n = 64, nc = 4;
    const images = Float32Array.from(synthetic(nc, n).images);
    const { maps } = inatiCoilMaps(fft, images, nc, n, n);
    const pooled = await inatiCoilMapsOnPool(reconPool(2)!, images, nc, n, n);
    expect(pooled.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(pooled.buffer).equals(Buffer.from(maps.buffer))).toBe(true);
    await expect(inatiCoilMapsOnPool(reconPool(2)!, images.subarray(1), nc, n, n)).rejects.toThrow(/Inati coil maps: .* for 4 coils x 64 x 64/);
    // a one-thread pool warmed up on a dummy frame: the estimate queued behind it is the same
    const one = new ReconPool(1);
    try {
      const warm = warmInatiOnPool(one, nc, n, n);
      const after = await inatiCoilMapsOnPool(one, images, nc, n, n);
      await warm;
      expect(Buffer.from(after.buffer).equals(Buffer.from(maps.buffer))).toBe(true);
    } finally {
      await one.close();
    }
  });

  it('the maps\' own pool (coilMapsPool) runs at a background priority, so an estimate yields its core to the frame path, and gives the same maps', async () => {
    // the bug: the maps' thread ran at the session's priority and shared the second core with the frame thread
    expect(backgroundNiceIncrement('linux')).toBe(10);
    expect(backgroundNiceIncrement('darwin')).toBe(0); // nice() there is the whole process's
    const held = heldPool((script) => coilMapsPool(script));
    try {
      const own = getPriority();
      const worker = await held.priority();
      expect(worker).toBe(Math.min(19, own + backgroundNiceIncrement()));
      if (process.platform === 'linux' && own < 19) expect(worker).toBeGreaterThan(own);
      expect(getPriority()).toBe(own); // the calling thread's priority is untouched
      const fft = await getFftEngine();
      const n = 32, nc = 3;
      const images = Float32Array.from(synthetic(nc, n).images);
      const pooled = await inatiCoilMapsOnPool(held.pool, images, nc, n, n);
      expect(Buffer.from(pooled.buffer).equals(Buffer.from(inatiCoilMaps(fft, images, nc, n, n).maps.buffer))).toBe(true);
    } finally {
      await held.close();
    }
  });
});
