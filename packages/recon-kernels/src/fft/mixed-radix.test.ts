import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FftEngine, getFftEngine, isPffftSize } from './engine.js';
import { MAX_RADIX, MixedRadixKernel, mixedRadixFactors } from './mixed-radix.js';
import { pffftWasmPath, type CreateModule } from './pffft-memory.js';
import type { PffftModule } from './pffft-module.js';
import { RECON_FFT_SIZES } from './recon-sizes.js';

/** Deterministic values in [-0.5, 0.5). */
function random(count: number, seed: number): Float32Array {
  const a = new Float32Array(count);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = s / 2147483648 - 0.5;
  }
  return a;
}

/**
 * Float64 DFTs along one axis of a [outer][n][inner] interleaved complex array, both directions
 * from one pass: forward e^{-i}, inverse e^{+i} divided by n (numpy's ifft).
 */
function dft64(x: Float64Array, outer: number, n: number, inner: number): { fwd: Float64Array; inv: Float64Array } {
  const cos = new Float64Array(n), sin = new Float64Array(n);
  for (let q = 0; q < n; q++) { cos[q] = Math.cos((2 * Math.PI * q) / n); sin[q] = Math.sin((2 * Math.PI * q) / n); }
  const fwd = new Float64Array(x.length), inv = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    for (let k = 0; k < n; k++) {
      // C = sum x_j cos(theta), S = sum x_j sin(theta), theta = 2 pi j k / n
      let cr = 0, ci = 0, sr = 0, si = 0;
      for (let j = 0, q = 0; j < n; j++, q += k, q >= n && (q -= n)) {
        const at = 2 * ((o * n + j) * inner + i);
        const xr = x[at], xi = x[at + 1];
        cr += xr * cos[q]; ci += xi * cos[q];
        sr += xr * sin[q]; si += xi * sin[q];
      }
      const out = 2 * ((o * n + k) * inner + i);
      // forward: C - i S; inverse: (C + i S) / n
      fwd[out] = cr + si; fwd[out + 1] = ci - sr;
      inv[out] = (cr - si) / n; inv[out + 1] = (ci + sr) / n;
    }
  }
  return { fwd, inv };
}

/** max |got - want| / max |want| over the whole array. */
function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let err = 0, mag = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= err)) err = e; // NaN counts as an error
    mag = Math.max(mag, Math.abs(want[i]));
  }
  return err / mag;
}

const LINES = 6; // one full group of four lines and a partial one

describe('mixed-radix FFT kernel', () => {
  it('factors lengths into radices 4, 2 and odd primes up to MAX_RADIX', () => {
    expect(mixedRadixFactors(1000)).toEqual([4, 2, 5, 5, 5]);
    expect(mixedRadixFactors(507)).toEqual([3, 13, 13]);
    expect(mixedRadixFactors(8)).toEqual([4, 2]);
    expect(mixedRadixFactors(2 * MAX_RADIX)).toEqual([2, MAX_RADIX]);
    expect(mixedRadixFactors(313)).toBeNull(); // prime above MAX_RADIX: Bluestein
    expect(mixedRadixFactors(1)).toBeNull();
  });

  it('is what the engine uses for every recon size PFFFT SIMD does not take (Bluestein only for 313, a prime)', async () => {
    const fft = await getFftEngine();
    expect(fft.kernel).not.toBeNull();
    const paths = new Map(RECON_FFT_SIZES.map((n) => [n, fft.transformPath(n)]));
    // PFFFT SIMD keeps its sizes from 64 on (the reference-matched 64 x 128 planes keep their bits)
    for (const [n, path] of paths) if (isPffftSize(n) && n >= 64) expect(path, `n = ${n}`).toBe('pffft-simd');
    expect([...paths].filter(([, p]) => p === 'bluestein').map(([n]) => n)).toEqual([313]);
    expect([...paths].filter(([, p]) => p === 'mixed-radix-simd').map(([n]) => n)).toEqual(
      [8, 10, 16, 20, 32, 40, 250, 300, 375, 405, 500, 507, 600, 810, 1000],
    );
    expect(fft.transformPath(1)).toBe('none');
    expect(fft.transformPath(37 * 2)).toBe('bluestein');
    expect(MixedRadixKernel.supports(29 * 31)).toBe(true);
  });

  it('matches a float64 DFT at every length 1..1024, forward and inverse, 1-D batched (lines of shifted, scaled copies)', async () => {
    const fft = await getFftEngine();
    const failures: string[] = [];
    let worst = 0;
    for (let n = 1; n <= 1024; n++) {
      const x = random(2 * n, n);
      const { fwd: X, inv: Xi } = dft64(Float64Array.from(x), 1, n, 1);
      // line q = (1 + q) * x circularly shifted by q: its transforms are (1 + q) e^{-/+ 2 pi i k q / n} X_k
      const data = new Float32Array(2 * n * LINES);
      for (let q = 0; q < LINES; q++) for (let j = 0; j < n; j++) {
        const s = (j - q + LINES * n) % n;
        data[2 * (q * n + j)] = (1 + q) * x[2 * s];
        data[2 * (q * n + j) + 1] = (1 + q) * x[2 * s + 1];
      }
      const f = data.slice(), i = data.slice();
      fft.fft(f, n);
      fft.ifft(i, n);
      const wantF = new Float64Array(data.length), wantI = new Float64Array(data.length);
      for (let q = 0; q < LINES; q++) for (let k = 0; k < n; k++) {
        const a = (2 * Math.PI * ((k * q) % n)) / n, c = Math.cos(a), s = Math.sin(a);
        const o = 2 * (q * n + k);
        wantF[o] = (1 + q) * (X[2 * k] * c + X[2 * k + 1] * s);
        wantF[o + 1] = (1 + q) * (X[2 * k + 1] * c - X[2 * k] * s);
        wantI[o] = (1 + q) * (Xi[2 * k] * c - Xi[2 * k + 1] * s);
        wantI[o + 1] = (1 + q) * (Xi[2 * k + 1] * c + Xi[2 * k] * s);
      }
      for (let q = 0; q < LINES; q++) {
        const line = (a: ArrayLike<number>): ArrayLike<number> => Array.prototype.slice.call(a, 2 * q * n, 2 * (q + 1) * n) as number[];
        const e = Math.max(relErr(line(f), line(wantF)), relErr(line(i), line(wantI)));
        worst = Math.max(worst, e);
        if (!(e < 2e-6)) failures.push(`n = ${n}, line ${q}: ${e}`);
      }
    }
    expect(failures).toEqual([]);
    expect(worst).toBeLessThan(2e-6);
  });

  // [outer, ny, nx]: recon planes, a prime, strided lines in groups of four plus a remainder
  // (inner not a multiple of 4), PFFFT and Bluestein lengths on the strided axis too
  const shapes: [number, number, number][] = [
    [2, 250, 500], [1, 405, 507], [1, 313, 320], [3, 30, 7], [2, 10, 13], [1, 600, 6], [1, 7, 810], [2, 64, 250], [1, 1000, 9],
  ];
  for (const [outer, ny, nx] of shapes) {
    it(`2-D fftn and ifftn of ${outer} x ${ny} x ${nx} match separable float64 DFTs`, async () => {
      const fft = await getFftEngine();
      const total = outer * ny * nx;
      const x = random(2 * total, ny * 1000 + nx);
      // reference: along axis 2 then axis 1, each direction on its own data
      const rowsF = dft64(Float64Array.from(x), outer * ny, nx, 1);
      const wantF = dft64(rowsF.fwd, outer, ny, nx).fwd;
      const wantI = dft64(rowsF.inv, outer, ny, nx).inv;
      const f = x.slice(), i = x.slice();
      fft.fftn(f, [outer, ny, nx], [1, 2], false);
      fft.fftn(i, [outer, ny, nx], [1, 2], true);
      expect(relErr(f, wantF)).toBeLessThan(5e-6);
      expect(relErr(i, wantI)).toBeLessThan(5e-6);
    });
  }

  it('gives the same bits on a strided axis as on contiguous lines (column gather = row gather)', async () => {
    const fft = await getFftEngine();
    const ny = 250, nx = 12;
    const x = random(2 * ny * nx, 5);
    const cols = x.slice();
    fft.fftn(cols, [ny, nx], [0], false);
    // the same lines made contiguous
    const t = new Float32Array(x.length);
    for (let y = 0; y < ny; y++) for (let c = 0; c < nx; c++) { t[2 * (c * ny + y)] = x[2 * (y * nx + c)]; t[2 * (c * ny + y) + 1] = x[2 * (y * nx + c) + 1]; }
    fft.fftn(t, [nx, ny], [1], false);
    const back = new Float32Array(x.length);
    for (let y = 0; y < ny; y++) for (let c = 0; c < nx; c++) { back[2 * (y * nx + c)] = t[2 * (c * ny + y)]; back[2 * (y * nx + c) + 1] = t[2 * (c * ny + y) + 1]; }
    expect(cols).toEqual(back);
  });
  it('mulPairedQuads multiplies both quads of each 8-float block by the one quad of K in place as JS does', async () => {
    const fft = await getFftEngine();
    const k = fft.kernel!;
    for (const floats of [0, 8, 64, 136]) {
      const x = random(floats, 3 + floats).subarray(0, floats), w = random(floats, 11 + floats).subarray(0, floats / 2);
      const a = fft.scratchBlock(13, 4 * floats + 16), b = fft.scratchBlock(14, 2 * floats + 16);
      let h = fft.heapF32();
      h.set(x, a.ptr >> 2);
      h.set(w, b.ptr >> 2);
      k.mulPairedQuads(a.ptr, b.ptr, floats);
      h = fft.heapF32();
      const expected = new Float32Array(floats);
      for (let i = 0; i < floats; i++) expected[i] = x[i] * w[4 * (i >> 3) + (i & 3)];
      expect(h.slice(a.ptr >> 2, (a.ptr >> 2) + floats)).toEqual(expected);
    }
  });
  // the pruned transform's twiddle formulas in float32 (the separate passes' arithmetic)
  const f = Math.fround;
  const times = (ar: number, ai: number, br: number, bi: number): [number, number] => [f(f(ar * br) - f(ai * bi)), f(f(ar * bi) + f(ai * br))];
  const conjTimes = (ar: number, ai: number, br: number, bi: number): [number, number] => [f(f(ar * br) + f(ai * bi)), f(f(ar * bi) - f(ai * br))];
  it('expandSplit / joinCombine: the coil expansion with the split twiddle, the join with the coil combination, float32 as the separate passes', async () => {
    const fft = await getFftEngine();
    const k = fft.kernel!;
    const [rows, pairs, len] = [3, 5, 23]; // rows of 2 n = 20 points, 23 apart
    const n = 2 * pairs;
    const grid = random(2 * rows * len, 51), tw = random(2 * n, 53), a = random(2 * rows * n, 55), b = random(2 * rows * n, 57), acc = random(2 * rows * n, 59);
    const d = fft.scratchBlock(13, 8 * rows * len), t = fft.scratchBlock(14, 8 * n), pa = fft.scratchBlock(15, 8 * rows * n), pb = fft.scratchBlock(16, 8 * rows * n);
    let h = fft.heapF32();
    h.set(grid, d.ptr >> 2);
    h.set(tw, t.ptr >> 2);
    h.set(a, pa.ptr >> 2);
    h.set(b, pb.ptr >> 2);
    k.expandSplit(d.ptr, pa.ptr, pb.ptr, rows, pairs, 8 * len, t.ptr);
    // cmul's products into the first half of each row, the split twiddle's into its second half
    const split = grid.slice();
    for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) {
      const s = 2 * (r * len + j), o = 2 * (r * n + j);
      [split[s], split[s + 1]] = times(a[o], a[o + 1], b[o], b[o + 1]);
      [split[s + 2 * n], split[s + 2 * n + 1]] = times(tw[2 * j], tw[2 * j + 1], split[s], split[s + 1]);
    }
    h = fft.heapF32();
    expect(h.slice(d.ptr >> 2, (d.ptr >> 2) + 2 * rows * len)).toEqual(split); // the points beyond 2 n untouched
    // the join (first half + conj(tw) second half) then conjMulAcc's acc += conj(a) * joined
    h.set(grid, d.ptr >> 2);
    h.set(acc, pb.ptr >> 2);
    k.joinCombine(pb.ptr, pa.ptr, d.ptr, rows, pairs, 8 * len, t.ptr);
    const combined = acc.slice();
    for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) {
      const s = 2 * (r * len + j), o = 2 * (r * n + j);
      const [xr, xi] = conjTimes(tw[2 * j], tw[2 * j + 1], grid[s + 2 * n], grid[s + 2 * n + 1]);
      const jr = f(grid[s] + xr), ji = f(grid[s + 1] + xi);
      const [yr, yi] = conjTimes(a[o], a[o + 1], jr, ji);
      combined[o] = f(acc[o] + yr);
      combined[o + 1] = f(acc[o + 1] + yi);
    }
    h = fft.heapF32();
    expect(h.slice(pb.ptr >> 2, (pb.ptr >> 2) + 2 * rows * n)).toEqual(combined);
    expect(h.slice(d.ptr >> 2, (d.ptr >> 2) + 2 * rows * len)).toEqual(grid); // the rows only read
  });
  it('expandSplit / joinCombine give the bits of cmulPairs + the split twiddle and the join + conjMulAccPairs (the operator before the fusion)', async () => {
    const fft = await getFftEngine();
    const k = fft.kernel!;
    const [rows, pairs, len] = [4, 6, 26];
    const n = 2 * pairs;
    const grid = random(2 * rows * len, 81), tw = random(2 * n, 83), a = random(2 * rows * n, 85), b = random(2 * rows * n, 87);
    const d = fft.scratchBlock(13, 8 * rows * len), t = fft.scratchBlock(14, 8 * n), pa = fft.scratchBlock(15, 8 * rows * n), pb = fft.scratchBlock(16, 8 * rows * n);
    const run = (fused: boolean): [Float32Array, Float32Array] => {
      let h = fft.heapF32();
      h.set(grid, d.ptr >> 2);
      h.set(tw, t.ptr >> 2);
      h.set(a, pa.ptr >> 2);
      h.set(b, pb.ptr >> 2);
      if (fused) k.expandSplit(d.ptr, pa.ptr, pb.ptr, rows, pairs, 8 * len, t.ptr);
      else {
        for (let r = 0; r < rows; r++) k.cmulPairs(d.ptr + 8 * len * r, pa.ptr + 8 * n * r, pb.ptr + 8 * n * r, pairs);
        // the split twiddle as transposeInSplit applies it (one point a line, lines len apart)
        h = fft.heapF32();
        const g = d.ptr >> 2;
        for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) {
          const s = g + 2 * (r * len + j);
          [h[s + 2 * n], h[s + 2 * n + 1]] = times(tw[2 * j], tw[2 * j + 1], h[s], h[s + 1]);
        }
      }
      h = fft.heapF32();
      const rowsOut = h.slice(d.ptr >> 2, (d.ptr >> 2) + 2 * rows * len);
      if (fused) k.joinCombine(pb.ptr, pa.ptr, d.ptr, rows, pairs, 8 * len, t.ptr);
      else {
        const g = d.ptr >> 2;
        for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) {
          const s = g + 2 * (r * len + j);
          const [xr, xi] = conjTimes(tw[2 * j], tw[2 * j + 1], h[s + 2 * n], h[s + 2 * n + 1]);
          h[s] = f(h[s] + xr);
          h[s + 1] = f(h[s + 1] + xi);
        }
        for (let r = 0; r < rows; r++) k.conjMulAccPairs(pb.ptr + 8 * n * r, pa.ptr + 8 * n * r, d.ptr + 8 * len * r, pairs);
      }
      h = fft.heapF32();
      return [rowsOut, h.slice(pb.ptr >> 2, (pb.ptr >> 2) + 2 * rows * n)];
    };
    const [rowsA, accA] = run(false), [rowsB, accB] = run(true);
    expect(rowsB).toEqual(rowsA);
    expect(accB).toEqual(accA);
  });
  it('transposeInSplit / transposeOutJoin: columns of a grid in PFFFT\'s internal (quad) order to and from lines, with the split twiddle and the join in float32', async () => {
    const fft = await getFftEngine();
    const k = fft.kernel!;
    // a grid of rows x cols complex64, each row in blocks of 4 values (4 real parts, then the 4
    // imaginary parts); w columns from c0, n rows, into lines of 2 n points, len apart
    const [rows, cols, c0, w, n, len] = [12, 20, 4, 8, 10, 23];
    const grid = random(2 * rows * cols, 61), lines = random(2 * w * len, 63), tw = random(2 * n, 67);
    const at = (y: number, c: number): number => 2 * cols * y + 8 * (c >> 2) + (c & 3); // re; im 4 floats on
    const g = fft.scratchBlock(13, 8 * rows * cols), l = fft.scratchBlock(14, 8 * w * len), t = fft.scratchBlock(15, 8 * n);
    let h = fft.heapF32();
    h.set(grid, g.ptr >> 2);
    h.set(lines, l.ptr >> 2);
    h.set(tw, t.ptr >> 2);
    k.transposeInSplit(g.ptr + 8 * c0, n, 8 * cols, l.ptr, w, 8 * len, t.ptr);
    const expectedLines = lines.slice();
    for (let i = 0; i < w; i++) for (let j = 0; j < n; j++) {
      const s = 2 * (i * len + j), q = at(j, c0 + i);
      expectedLines[s] = grid[q];
      expectedLines[s + 1] = grid[q + 4];
      [expectedLines[s + 2 * n], expectedLines[s + 2 * n + 1]] = times(tw[2 * j], tw[2 * j + 1], grid[q], grid[q + 4]);
    }
    h = fft.heapF32();
    expect(h.slice(l.ptr >> 2, (l.ptr >> 2) + 2 * w * len)).toEqual(expectedLines); // the points beyond 2 n untouched
    const back = random(2 * w * len, 71);
    h.set(back, l.ptr >> 2);
    k.transposeOutJoin(l.ptr, n, 8 * cols, g.ptr + 8 * c0, w, 8 * len, t.ptr);
    const expectedGrid = grid.slice();
    for (let i = 0; i < w; i++) for (let j = 0; j < n; j++) {
      const s = 2 * (i * len + j), q = at(j, c0 + i);
      const [xr, xi] = conjTimes(tw[2 * j], tw[2 * j + 1], back[s + 2 * n], back[s + 2 * n + 1]);
      expectedGrid[q] = f(back[s] + xr);
      expectedGrid[q + 4] = f(back[s + 1] + xi);
    }
    h = fft.heapF32();
    expect(h.slice(g.ptr >> 2, (g.ptr >> 2) + 2 * rows * cols)).toEqual(expectedGrid); // the other columns and rows untouched
  });
  it('transposeInLines / transposeOutLines move n points of w columns to and from lines `lineBytes` apart, as a plain loop does', async () => {
    const fft = await getFftEngine();
    const k = fft.kernel!;
    // a grid of rows x cols complex64; w columns from c0, n rows, into lines of length len >= n
    const [rows, cols, c0, w, n, len] = [12, 20, 3, 5, 7, 11];
    const grid = random(2 * rows * cols, 41), lines = random(2 * w * len, 43);
    const g = fft.scratchBlock(13, 8 * rows * cols), l = fft.scratchBlock(14, 8 * w * len);
    let h = fft.heapF32();
    h.set(grid, g.ptr >> 2);
    h.set(lines, l.ptr >> 2);
    k.transposeInLines(g.ptr + 8 * c0, n, 8 * cols, l.ptr, w, 8 * len);
    const expectedLines = lines.slice();
    for (let i = 0; i < w; i++) for (let y = 0; y < n; y++) for (let q = 0; q < 2; q++) expectedLines[2 * (i * len + y) + q] = grid[2 * (y * cols + c0 + i) + q];
    h = fft.heapF32();
    expect(h.slice(l.ptr >> 2, (l.ptr >> 2) + 2 * w * len)).toEqual(expectedLines); // the points beyond n untouched
    const back = random(2 * w * len, 47);
    h.set(back, l.ptr >> 2);
    k.transposeOutLines(l.ptr, n, 8 * cols, g.ptr + 8 * c0, w, 8 * len);
    const expectedGrid = grid.slice();
    for (let i = 0; i < w; i++) for (let y = 0; y < n; y++) for (let q = 0; q < 2; q++) expectedGrid[2 * (y * cols + c0 + i) + q] = back[2 * (i * len + y) + q];
    h = fft.heapF32();
    expect(h.slice(g.ptr >> 2, (g.ptr >> 2) + 2 * rows * cols)).toEqual(expectedGrid);
  });
});

describe('FFT engine without the kernel (the fallback if it cannot load)', () => {
  it('still matches float64 DFTs on PFFFT SIMD, PFFFT scalar and Bluestein lengths, 1-D and strided', async () => {
    const simd = (await import('@echogarden/pffft-wasm/simd')).default;
    const scalar = (await import('@echogarden/pffft-wasm')).default;
    const fft = new FftEngine((await simd()) as PffftModule, true, (await scalar()) as PffftModule);
    expect(fft.kernel).toBeNull();
    expect([16, 100, 97].map((n) => fft.transformPath(n))).toEqual(['pffft-simd', 'pffft-scalar', 'bluestein']);
    for (const [outer, ny, nx] of [[1, 16, 100], [2, 97, 12], [1, 1000, 5]] as [number, number, number][]) {
      const x = random(2 * outer * ny * nx, ny + nx);
      const rows = dft64(Float64Array.from(x), outer * ny, nx, 1);
      const want = dft64(rows.inv, outer, ny, nx).inv;
      const got = x.slice();
      fft.fftn(got, [outer, ny, nx], [1, 2], true);
      expect(relErr(got, want), `${outer} x ${ny} x ${nx}`).toBeLessThan(2e-6);
    }
  });
});

describe('PFFFT loading', () => {
  it('finds pffft.wasm through the glue when the package cannot be resolved from here (bundles with rewritten imports)', async () => {
    const create = (await import('@echogarden/pffft-wasm/simd')).default as CreateModule;
    const viaGlue = await pffftWasmPath(create, () => { throw new Error('not resolvable'); });
    expect(viaGlue).toBe(await pffftWasmPath(create));
    expect(existsSync(viaGlue)).toBe(true);
  });
});

describe('mixed-radix FFT results per line', () => {
  it('do not depend on the other lines, the batch or the axis (same bits alone, in a batch, strided)', async () => {
    const fft = await getFftEngine();
    for (const n of [250, 13, 1000]) {
      const count = 4 * Math.ceil(4096 / n) + 3; // more than one batch, a partial group
      const x = random(2 * n * count, n + 7);
      const batch = x.slice();
      fft.fftn(batch, [count, n], [1], true);
      for (const q of [0, 5, count - 1]) {
        const alone = x.slice(2 * n * q, 2 * n * (q + 1));
        fft.ifft(alone, n);
        expect(alone, `n = ${n}, line ${q}`).toEqual(batch.subarray(2 * n * q, 2 * n * (q + 1)));
      }
    }
  });
});

describe('inverse normalisation in the kernel', () => {
  it('gives the bits of the float64 multiply in JS (x * s rounded once to float32)', async () => {
    const fft = await getFftEngine();
    const kernel = fft.kernel!;
    const count = 4099; // not a multiple of 4
    const bits = new Uint32Array(count);
    let s = 12345;
    for (let i = 0; i < count; i++) { s = (s * 1103515245 + 12345) % 2147483648; bits[i] = (s * 2 + (i & 1)) >>> 0; }
    const x = new Float32Array(bits.buffer).map((v) => (Number.isFinite(v) ? v : 1.5));
    x[0] = 1e-40; x[1] = -3.4e38; x[2] = 0; x[3] = -0;
    for (const scale of [1 / (250 * 500), 1 / 7, 1 / 3, 1 / 1024]) {
      const want = x.map((v) => v * scale);
      const block = fft.malloc(4 * count);
      try {
        fft.heapF32().set(x, block.ptr >> 2);
        kernel.scale(block.ptr, count, scale);
        const got = fft.heapF32().slice(block.ptr >> 2, (block.ptr >> 2) + count);
        expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
      } finally {
        fft.free(block);
      }
    }
  });
});

describe('power sums in the kernel', () => {
  it('gives the bits of JS\'s `acc[i] += re * re + im * im` (float64 sums of float32 values), any count, repeated', async () => {
    const fft = await getFftEngine();
    const kernel = fft.kernel!;
    // float32 values over 40 binary orders of magnitude, and sums started at values of the same
    // orders, so that the two additions' roundings show any other order
    const z = Float32Array.from(random(2 * 1001, 777), (v, i) => v * 2 ** ((i % 40) - 20));
    z[0] = 3.4e38; z[1] = -1e-45; z[2] = 0; z[3] = -0;
    for (const count of [0, 1, 2, 7, 1001]) {
      const start = Float64Array.from({ length: count }, (_, i) => (i % 3) * 2 ** ((i % 37) - 30));
      const want = start.slice();
      const src = fft.malloc(8 * count + 8), dst = fft.malloc(8 * count + 8);
      try {
        fft.heapF32().set(z.subarray(0, 2 * count), src.ptr >> 2);
        new Float64Array(fft.heapF32().buffer, dst.ptr, count).set(start);
        for (let round = 0; round < 3; round++) {
          kernel.powerSums(src.ptr, dst.ptr, count);
          for (let i = 0; i < count; i++) { const re = z[2 * i], im = z[2 * i + 1]; want[i] += re * re + im * im; }
        }
        const got = new Float64Array(fft.heapF32().buffer, dst.ptr, count).slice();
        expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
      } finally {
        fft.free(src);
        fft.free(dst);
      }
    }
  });
});

describe('transformAxisInHeap', () => {
  it('transforms a strided axis in the heap as fftn does (same bits), for kernel and PFFFT lengths', async () => {
    const fft = await getFftEngine();
    for (const shape of [[3, 250, 10], [2, 64, 7], [97, 6]]) {
      const total = shape.reduce((a, b) => a * b, 1);
      const x = random(2 * total, total);
      const want = x.slice();
      fft.fftn(want, shape, [shape.length - 2], false);
      const block = fft.malloc(8 * total);
      try {
        fft.heapF32().set(x, block.ptr >> 2);
        fft.transformAxisInHeap(block.ptr, shape, shape.length - 2, false);
        expect(fft.heapF32().slice(block.ptr >> 2, (block.ptr >> 2) + 2 * total)).toEqual(want);
      } finally {
        fft.free(block);
      }
    }
    expect(() => fft.transformAxisInHeap(0, [4, 4], 2, false)).toThrow(/axis 2 out of range/);
  });
});

describe('row sums in the kernel (the exact maximum of centredIfft2PowersAtPoints)', () => {
  it('gives the bits of the JS row loop `re += kr * cv - ki * sv; im += kr * sv + ki * cv` over the two segments, any row count', async () => {
    const fft = await getFftEngine();
    const kernel = fft.kernel!;
    for (const nx of [2, 3, 8, 17]) {
      for (const rows of [1, 3, 4, 5, 9]) {
        const n1 = Math.floor(nx / 2), n2 = nx - n1;
        // float32 samples over 40 binary orders of magnitude, so that any other order of the
        // additions (or a fused multiply-add) changes some sums' bits
        const k = Float32Array.from(random(2 * rows * nx, 31 * nx + rows), (v, i) => v * 2 ** ((i % 40) - 20));
        k[0] = 3e30; k[1] = -0;
        const cu = Float64Array.from({ length: nx }, (_, u) => Math.cos((2 * Math.PI * ((3 * u) % nx)) / nx));
        const su = Float64Array.from({ length: nx }, (_, u) => Math.sin((2 * Math.PI * ((3 * u) % nx)) / nx));
        const want = new Float64Array(2 * rows);
        for (let r = 0; r < rows; r++) {
          let re = 0, im = 0;
          for (let u = 0; u < nx; u++) {
            const s = 2 * (r * nx + (u < n1 ? n2 + u : u - n1));
            const kr = k[s], ki = k[s + 1];
            re += kr * cu[u] - ki * su[u];
            im += kr * su[u] + ki * cu[u];
          }
          want[2 * r] = re;
          want[2 * r + 1] = im;
        }
        const src = fft.malloc(8 * rows * nx), tab = fft.malloc(32 * nx), out = fft.malloc(16 * rows);
        try {
          fft.heapF32().set(k, src.ptr >> 2);
          const t = new Float64Array(fft.heapF32().buffer, tab.ptr, 4 * nx);
          for (let u = 0; u < nx; u++) t.set([cu[u], su[u], -su[u], cu[u]], 4 * u);
          kernel.rowSums(src.ptr, rows, 8 * nx, tab.ptr, n1, n2, 8 * n2, out.ptr);
          const got = new Float64Array(fft.heapF32().buffer, out.ptr, 2 * rows).slice();
          expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
        } finally {
          fft.free(src);
          fft.free(tab);
          fft.free(out);
        }
      }
    }
    expect(() => kernel.rowSums(0, 1, 8, 0, 0, 1, 0, 0)).toThrow(/at least 1 each/);
  });
});

describe('transformColumnsToLines', () => {
  it('hands over the columns transformColumnsInHeap would write (same bits), the plane left as it was', async () => {
    const fft = await getFftEngine();
    for (const [n0, n1, c0, c1] of [[64, 40, 3, 29], [37, 12, 0, 12], [256, 20, 17, 18]]) {
      expect(fft.hasColumnLines(n0)).toBe(true);
      const x = random(2 * n0 * n1, n0 + n1);
      const want = fft.malloc(8 * n0 * n1), plane = fft.malloc(8 * n0 * n1);
      try {
        fft.heapF32().set(x, want.ptr >> 2);
        fft.heapF32().set(x, plane.ptr >> 2);
        fft.transformColumnsInHeap(want.ptr, n0, n1, true, c0, c1);
        const w = fft.heapF32().slice(want.ptr >> 2, (want.ptr >> 2) + 2 * n0 * n1);
        const seen = new Set<number>();
        fft.transformColumnsToLines(plane.ptr, n0, n1, true, c0, c1, (lines, i, count) => {
          const h = fft.heapF32();
          for (let j = 0; j < count; j++) {
            seen.add(i + j);
            for (let r = 0; r < n0; r++) {
              const got = h.slice((lines >> 2) + 2 * (j * n0 + r), (lines >> 2) + 2 * (j * n0 + r) + 2);
              expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(w.slice(2 * (r * n1 + i + j), 2 * (r * n1 + i + j) + 2).buffer));
            }
          }
        });
        expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: c1 - c0 }, (_, j) => c0 + j));
        expect(fft.heapF32().slice(plane.ptr >> 2, (plane.ptr >> 2) + 2 * n0 * n1)).toEqual(x);
      } finally {
        fft.free(want);
        fft.free(plane);
      }
    }
    expect(fft.hasColumnLines(48)).toBe(false); // the kernel's own length: transformed in place
    expect(() => fft.transformColumnsToLines(0, 48, 8, true, 0, 8, () => undefined)).toThrow(/no kernel transposes/);
  });
});
