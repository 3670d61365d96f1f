import { describe, expect, it } from 'vitest';
import { getFftEngine } from '../fft/index.js';
import { SharedGrid } from './grid-kernel.js';
import { Nufft } from './nufft.js';

/** `arms` spiral-like arms of `samples` points (grid units for an n x n image), some points exactly on grid positions (a 5th tap) */
function coords(arms: number, samples: number, n: number, os: number): Float64Array {
  const c = new Float64Array(2 * arms * samples);
  for (let a = 0; a < arms; a++) {
    for (let k = 0; k < samples; k++) {
      const r = (k / samples) * (n / 2), t = 10 * Math.PI * Math.sqrt(k / samples) + (2 * Math.PI * a) / arms;
      c[2 * (a * samples + k)] = r * Math.sin(t);
      c[2 * (a * samples + k) + 1] = r * Math.cos(t);
    }
    // on a kernel edge along y, along x, along both (integers on the oversampled grid)
    for (let k = 5; k < samples; k += 37) {
      const i = 2 * (a * samples + k);
      if (k % 3 !== 1) c[i] = Math.round(c[i] * os) / os;
      if (k % 3 !== 0) c[i + 1] = Math.round(c[i + 1] * os) / os;
    }
  }
  return c;
}

const same = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('the wasm gridding kernel (SharedGrid)', () => {
  it('grids an arm as Nufft.gridAdd does, bit for bit: natural and internal-order grids; all coils at once, one coil at a time, a range of coils; points on a kernel edge; every arm of the plan', async () => {
    const fft = await getFftEngine();
    for (const [n, arms, samples, ncoils, internalOrderGrid] of [[256, 5, 700, 8, false], [256, 5, 700, 8, true], [32, 4, 150, 3, false], [64, 3, 200, 2, true]] as const) {
      const plan = Nufft.withEngine(fft, coords(arms, samples, n, 1.25), [n, n], { internalOrderGrid });
      expect(plan.gridInternalOrder).toBe(internalOrderGrid);
      const shared = SharedGrid.create(plan, ncoils, samples);
      expect(shared).not.toBeNull();
      const g = shared!;
      expect(g.grid.buffer).toBeInstanceOf(SharedArrayBuffer);
      const ref = new Float32Array(g.grid.length);
      const plane = 2 * plan.gridSize;
      let edges = 0;
      const t = plan.tables();
      for (let p = 0; p < t.npts; p++) edges += t.wide[p];
      expect(edges).toBeGreaterThan(arms * 3);
      for (let j = 0; j < 3 * arms; j++) {
        const p0 = ((j * 3) % arms) * samples;
        for (let i = 0; i < g.data.length; i++) g.data[i] = Math.sin(0.37 * i + j) * (1 + ((i * 7) % 5));
        const data = Float32Array.from(g.data);
        plan.gridAdd(data, ncoils, ref, p0, samples, 1);
        if (j % 3 === 0) g.gridAdd(plan, 0, ncoils, p0);
        else if (j % 3 === 1) for (let c = 0; c < ncoils; c++) g.gridAdd(plan, c, c + 1, p0);
        else { g.gridAdd(plan, 0, 1, p0); g.gridAdd(plan, 1, ncoils, p0); }
      }
      expect(ref.some((v) => v !== 0)).toBe(true);
      expect(same(g.grid, ref)).toBe(true);
      // a plan from the tables (a worker's) attached to the same memory: the same kernel, the same bits
      const other = SharedGrid.attach(g.layout, Nufft.fromTables(fft, plan.tables()));
      expect(other.grid.buffer).toBe(g.grid.buffer);
      const before = Float32Array.from(g.grid);
      plan.gridAdd(Float32Array.from(g.data), ncoils, before, 0, samples, 1);
      other.gridAdd(plan, 0, ncoils, 0);
      expect(same(g.grid, before)).toBe(true);
      expect(plane * ncoils).toBe(g.grid.length);
      plan.dispose();
    }
  });

  it('imageFromGrid with the kernel as its apodizer (out and the sum in its image slots), the later subtraction and a frame\'s sum + incomplete block (addInto): the JS passes\' block image, sum and frame, bit for bit, natural and internal-order grids', async () => {
    const fft = await getFftEngine();
    for (const [n, internalOrderGrid] of [[256, false], [64, true], [32, false]] as const) {
      const ncoils = 3, samples = 300;
      const plan = Nufft.withEngine(fft, coords(2, samples, n, 1.25), [n, n], { internalOrderGrid });
      const g = SharedGrid.create(plan, ncoils, samples)!;
      for (let i = 0; i < g.data.length; i++) g.data[i] = Math.cos(0.29 * i) * (2 + (i % 3));
      g.gridAdd(plan, 0, ncoils, 0);
      g.gridAdd(plan, 0, ncoils, samples);
      const len = 2 * ncoils * n * n;
      const sum0 = Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.013) * 1e-3);
      const outJs = new Float32Array(len), sumJs = Float32Array.from(sum0);
      plan.imageFromGrid(g.grid, ncoils, outJs, sumJs);
      const out = g.images[2], sum = g.images[0];
      expect(out.length).toBe(len);
      sum.set(sum0);
      plan.imageFromGrid(g.grid, ncoils, out, sum, g);
      expect(outJs.some((v) => v !== 0)).toBe(true);
      expect(same(out, outJs)).toBe(true);
      expect(same(sum, sumJs)).toBe(true);
      // the block shifted out later (subtract): the JS loop's float32 values, also over a length that is not a multiple of 4
      const scaled = g.images[3];
      for (let i = 0; i < len; i++) scaled[i] = outJs[i] * 0.75;
      for (let i = 0; i < len; i++) sumJs[i] -= scaled[i];
      g.subtract(sum, scaled.subarray(0, len));
      expect(same(sum, sumJs)).toBe(true);
      for (let i = 0; i < 7; i++) sumJs[i + 1] -= scaled[i + 5];
      g.subtract(sum.subarray(1, 8), scaled.subarray(5, 12));
      expect(same(sum, sumJs)).toBe(true);
      // a frame with an incomplete block (addInto: frame = sum + that block's image), also over a length that is not a multiple of 4
      const frame = g.images[1], frameJs = new Float32Array(len);
      frame.set(outJs);
      for (let i = 0; i < len; i++) frameJs[i] = sumJs[i] + outJs[i];
      g.addInto(frame, sum);
      expect(same(frame, frameJs)).toBe(true);
      for (let i = 0; i < 7; i++) frameJs[i + 2] = sumJs[i + 3] + frameJs[i + 2];
      g.addInto(frame.subarray(2, 9), sum.subarray(3, 10));
      expect(same(frame, frameJs)).toBe(true);
      plan.dispose();
    }
  });

  it('is not made where it does not apply (another kernel width): the JS gridding then', async () => {
    const fft = await getFftEngine();
    const c = coords(2, 100, 64, 1.25);
    expect(SharedGrid.create(Nufft.withEngine(fft, c, [64, 64], { width: 6 }), 2, 100)).toBeNull();
    expect(SharedGrid.create(Nufft.withEngine(fft, c, [64, 64]), 2, 100)).not.toBeNull();
  });

  it('holds its own grid, data and image slots, and no other array', async () => {
    const fft = await getFftEngine();
    const plan = Nufft.withEngine(fft, coords(2, 100, 64, 1.25), [64, 64]);
    const g = SharedGrid.create(plan, 2, 100)!;
    const other = SharedGrid.create(plan, 2, 100)!;
    for (const a of [g.grid, g.data, ...g.images]) expect(g.holds(a)).toBe(true);
    expect(g.holds(new Float32Array(new SharedArrayBuffer(4 * g.images[0]!.length)))).toBe(false);
    expect(g.holds(other.images[2]!)).toBe(false);
  });

  it('rejects coils or points outside its memory and plan', async () => {
    const fft = await getFftEngine();
    const plan = Nufft.withEngine(fft, coords(2, 100, 64, 1.25), [64, 64]);
    const g = SharedGrid.create(plan, 2, 100)!;
    expect(() => g.gridAdd(plan, 0, 3, 0)).toThrow(/coils/);
    expect(() => g.gridAdd(plan, 1, 1, 0)).toThrow(/coils/);
    expect(() => g.gridAdd(plan, 0, 2, 150)).toThrow(/points/);
  });
});
