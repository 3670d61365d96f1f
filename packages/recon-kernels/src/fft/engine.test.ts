import { describe, expect, it } from 'vitest';
import { getFftEngine, isPffftSize, isScalarPffftSize, nextPffftSize, pffftPasses } from './engine.js';

/** Naive float64 DFT of one line: sign -1 forward, +1 inverse (unnormalised). */
function dft(x: Float64Array, sign: number): Float64Array {
  const n = x.length / 2;
  const out = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    let re = 0, im = 0;
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      const c = Math.cos(a), s = Math.sin(a);
      re += x[2 * j] * c - x[2 * j + 1] * s;
      im += x[2 * j] * s + x[2 * j + 1] * c;
    }
    out[2 * k] = re;
    out[2 * k + 1] = im;
  }
  return out;
}

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(2 * n);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    a[i] = s / 2147483648 - 0.5;
  }
  return a;
}

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0, mag = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    mag = Math.max(mag, Math.abs(b[i]));
  }
  return err / mag;
}

describe('FFT engine', () => {
  it("counts PFFFT's radix passes as its decomposition of n / 4 into 5, 3, 4, 2 does", () => {
    // 384: 96 = 3 * 4 * 4 * 2; 192: 48 = 3 * 4 * 4; 256: 64 = 4 * 4 * 4; 128: 32 = 4 * 4 * 2; 480: 120 = 5 * 3 * 4 * 2
    expect([384, 192, 256, 128, 480, 240, 16].map(pffftPasses)).toEqual([4, 3, 3, 3, 4, 3, 1]);
    expect(() => pffftPasses(200)).toThrow(/not a PFFFT size/);
  });
  it('knows the PFFFT sizes', () => {
    expect(isPffftSize(16)).toBe(true);
    expect(isPffftSize(48)).toBe(true);
    expect(isPffftSize(8)).toBe(false);
    expect(isPffftSize(16 * 7)).toBe(false);
    expect(nextPffftSize(2 * 97 - 1)).toBe(240);
    expect([4, 12, 20, 100, 500, 1000].every(isScalarPffftSize)).toBe(true);
    // sizes whose last PFFFT factor would be 3 or 5 (the scalar build asserts on them)
    expect([2, 3, 5, 6, 10, 30, 250, 7 * 4].some(isScalarPffftSize)).toBe(false);
  });

  for (const n of [1, 2, 3, 4, 5, 6, 7, 10, 12, 16, 17, 30, 48, 64, 97, 100, 128, 250, 256, 500, 1000, 1009]) {
    it(`matches a float64 DFT for n = ${n}, both directions, as numpy (ifft divides by n)`, async () => {
      const fft = await getFftEngine();
      const x = random(n * 3, n);
      const f = x.slice();
      fft.fft(f, n);
      const i = x.slice();
      fft.ifft(i, n);
      for (let r = 0; r < 3; r++) {
        const line = Float64Array.from(x.subarray(2 * n * r, 2 * n * (r + 1)));
        const ref = dft(line, -1);
        expect(maxRelErr(f.subarray(2 * n * r, 2 * n * (r + 1)), ref)).toBeLessThan(2e-6);
        const refInv = dft(line, +1).map((v) => v / n);
        expect(maxRelErr(i.subarray(2 * n * r, 2 * n * (r + 1)), refInv)).toBeLessThan(2e-6);
      }
    });
  }

  it('handles every length from 1 to 260 (no PFFFT assertion can abort the engine)', async () => {
    const fft = await getFftEngine();
    for (let n = 1; n <= 260; n++) {
      const x = random(n, n + 1);
      const f = x.slice();
      fft.fft(f, n);
      const err = maxRelErr(f, dft(Float64Array.from(x), -1));
      expect(err, `n = ${n}`).toBeLessThan(5e-6);
    }
  });

  it('fftn over non-contiguous axes equals successive 1-D DFTs', async () => {
    const fft = await getFftEngine();
    const shape = [3, 5, 6];
    const total = 90;
    const x = random(total, 7);
    const got = x.slice();
    fft.fftn(got, shape, [0, 2], true);
    // reference: ifft along axis 2 then axis 0 in float64
    const ref = Float64Array.from(x);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 5; b++) {
      const line = new Float64Array(12);
      for (let c = 0; c < 6; c++) { const o = 2 * ((a * 5 + b) * 6 + c); line[2 * c] = ref[o]; line[2 * c + 1] = ref[o + 1]; }
      const t = dft(line, 1);
      for (let c = 0; c < 6; c++) { const o = 2 * ((a * 5 + b) * 6 + c); ref[o] = t[2 * c] / 6; ref[o + 1] = t[2 * c + 1] / 6; }
    }
    for (let b = 0; b < 5; b++) for (let c = 0; c < 6; c++) {
      const line = new Float64Array(6);
      for (let a = 0; a < 3; a++) { const o = 2 * ((a * 5 + b) * 6 + c); line[2 * a] = ref[o]; line[2 * a + 1] = ref[o + 1]; }
      const t = dft(line, 1);
      for (let a = 0; a < 3; a++) { const o = 2 * ((a * 5 + b) * 6 + c); ref[o] = t[2 * a] / 3; ref[o + 1] = t[2 * a + 1] / 3; }
    }
    expect(maxRelErr(got, ref)).toBeLessThan(2e-6);
  });

  it('rejects a data length that does not match the shape', async () => {
    const fft = await getFftEngine();
    expect(() => fft.fftn(new Float32Array(10), [2, 3], [1], false)).toThrow(/shape/);
  });
});

describe('spectra in PFFFT internal order (the Toeplitz column pass)', () => {
  it('internalOrderSlots: a permutation of a line\'s float slots that is toInternalOrder\'s, each bin\'s imaginary slot 4 after its real one (the NUFFT\'s internal-order grid relies on it)', async () => {
    const fft = await getFftEngine();
    for (const n of [64, 80, 320]) {
      const slots = fft.internalOrderSlots(n);
      expect([...slots].sort((p, q) => p - q)).toEqual(Array.from({ length: 2 * n }, (_, i) => i));
      const x = random(n, 3 * n);
      const a = fft.scratchBlock(13, 8 * n), c = fft.scratchBlock(15, 8 * n);
      let h = fft.heapF32();
      h.set(x, a.ptr >> 2);
      fft.toInternalOrder(n, a.ptr, c.ptr);
      h = fft.heapF32();
      for (let s = 0; s < 2 * n; s++) expect(h[(c.ptr >> 2) + slots[s]]).toBe(x[s]);
      for (let k = 0; k < n; k++) expect(slots[2 * k + 1]).toBe(slots[2 * k] + 4);
    }
  });

  it('the internal-order forward is the ordered forward permuted (toInternalOrder), the internal-order inverse takes it back, bit for bit', async () => {
    const fft = await getFftEngine();
    for (const n of [64, 80, 384, 480]) {
      expect(fft.hasInternalOrder(n)).toBe(true);
      const lines = 3;
      const x = random(lines * n, n);
      fft.prepare(n);
      const a = fft.scratchBlock(13, 8 * lines * n), b = fft.scratchBlock(14, 8 * lines * n), c = fft.scratchBlock(15, 8 * n);
      let h = fft.heapF32();
      h.set(x, a.ptr >> 2);
      h.set(x, b.ptr >> 2);
      fft.transformLinesInHeap(a.ptr, lines, n, false);
      fft.transformLinesInHeapInternal(b.ptr, lines, n, false);
      for (let l = 0; l < lines; l++) {
        fft.toInternalOrder(n, a.ptr + 8 * n * l, c.ptr);
        h = fft.heapF32();
        expect(h.slice(c.ptr >> 2, (c.ptr >> 2) + 2 * n)).toEqual(h.slice((b.ptr >> 2) + 2 * n * l, (b.ptr >> 2) + 2 * n * (l + 1)));
      }
      // a pointwise product in either order, then the matching inverse: the same bits
      const k = random(n, 7 * n).subarray(0, n);
      h = fft.heapF32();
      for (let l = 0; l < lines; l++) for (let i = 0; i < n; i++) {
        const q = (a.ptr >> 2) + 2 * (n * l + i);
        h[q] *= k[i];
        h[q + 1] *= k[i];
      }
      const kc = new Float32Array(2 * n);
      for (let i = 0; i < n; i++) kc[2 * i] = kc[2 * i + 1] = k[i];
      h.set(kc, c.ptr >> 2);
      const kd = fft.scratchBlock(16, 8 * n);
      fft.toInternalOrder(n, c.ptr, kd.ptr);
      h = fft.heapF32();
      const ki = h.slice(kd.ptr >> 2, (kd.ptr >> 2) + 2 * n);
      for (let l = 0; l < lines; l++) for (let i = 0; i < 2 * n; i++) h[(b.ptr >> 2) + 2 * n * l + i] *= ki[i];
      fft.transformLinesInHeap(a.ptr, lines, n, true);
      fft.transformLinesInHeapInternal(b.ptr, lines, n, true);
      h = fft.heapF32();
      const back = h.slice(b.ptr >> 2, (b.ptr >> 2) + 2 * lines * n);
      expect(back).toEqual(h.slice(a.ptr >> 2, (a.ptr >> 2) + 2 * lines * n));
      // and it is the transform: against a float64 DFT of the product
      const X = dft(Float64Array.from(x.subarray(0, 2 * n)), -1);
      for (let i = 0; i < n; i++) { X[2 * i] *= k[i]; X[2 * i + 1] *= k[i]; }
      const y = dft(X, 1);
      let e = 0, r = 0;
      for (let i = 0; i < 2 * n; i++) { e += (back[i] - y[i]) ** 2; r += y[i] ** 2; }
      expect(Math.sqrt(e / r)).toBeLessThan(1e-5);
    }
    expect(fft.hasInternalOrder(48)).toBe(false); // below 64: the mixed-radix kernel
  });
  it('transformColumnsInHeap transforms the columns [c0, c1) as transformAxisInHeap does, bit for bit, and leaves the others', async () => {
    const fft = await getFftEngine();
    // PFFFT columns (transposed in blocks), mixed-radix columns (groups of four in place), Bluestein
    for (const [n0, n1, c0, c1] of [[384, 40, 9, 31], [48, 24, 5, 22], [37, 12, 0, 12], [64, 16, 3, 4], [64, 16, 6, 6]]) {
      const x = random(n0 * n1, n0 + n1);
      const a = fft.scratchBlock(13, 8 * n0 * n1), b = fft.scratchBlock(14, 8 * n0 * n1);
      fft.prepare(n0);
      let h = fft.heapF32();
      h.set(x, a.ptr >> 2);
      h.set(x, b.ptr >> 2);
      fft.transformAxisInHeap(a.ptr, [n0, n1], 0, true);
      fft.transformColumnsInHeap(b.ptr, n0, n1, true, c0, c1);
      h = fft.heapF32();
      let differ = 0;
      for (let r = 0; r < n0; r++) for (let c = 0; c < n1; c++) for (let k = 0; k < 2; k++) {
        const i = 2 * (r * n1 + c) + k, got = h[(b.ptr >> 2) + i];
        if (!Object.is(got, c >= c0 && c < c1 ? h[(a.ptr >> 2) + i] : x[i])) differ++;
      }
      expect(differ, `${n0}x${n1} [${c0}, ${c1})`).toBe(0);
    }
    expect(() => fft.transformColumnsInHeap(0, 4, 4, false, 3, 5)).toThrow(/columns \[3, 5\)/);
  });
});

describe('the compact real multiply in PFFFT internal order (Toeplitz K, one float per bin)', () => {
  it('mulPairedQuads on a compact K gives the bits of mulReal in natural order, products and lines (192, 256, 384)', async () => {
    const fft = await getFftEngine();
    const kernel = fft.kernel;
    expect(kernel).not.toBeNull();
    for (const n of [192, 256, 384]) {
      expect(fft.hasInternalOrder(n)).toBe(true);
      const lines = 5;
      const x = random(lines * n, 3 * n + 1);
      const k = random(lines * n, 5 * n + 2).subarray(0, lines * n); // per line its n real values
      fft.prepare(n);
      const b = fft.scratchBlock(14, 8 * lines * n), c = fft.scratchBlock(15, 8 * lines * n), p = fft.scratchBlock(16, 8 * lines * n);
      const kc = fft.scratchBlock(17, 4 * lines * n), ko = fft.scratchBlock(18, 4 * lines * n);
      const t = fft.scratchBlock(19, 16 * n);
      // the compact K: each bin's value at its re and im slot, permuted to the internal order, its real slots kept
      const compact = new Float32Array(lines * n);
      for (let l = 0; l < lines; l++) {
        let h = fft.heapF32();
        for (let i = 0; i < n; i++) h[(t.ptr >> 2) + 2 * i] = h[(t.ptr >> 2) + 2 * i + 1] = k[l * n + i];
        const d = (t.ptr >> 2) + 2 * n;
        fft.toInternalOrder(n, t.ptr, t.ptr + 8 * n);
        h = fft.heapF32();
        for (let m = 0; m < 2 * n; m += 8) for (let j = 0; j < 4; j++) {
          expect(h[d + m + 4 + j]).toBe(h[d + m + j]); // a bin's re and im slots: matching lanes of neighbouring quads
          compact[l * n + m / 2 + j] = h[d + m + j];
        }
      }
      let h = fft.heapF32();
      h.set(compact, kc.ptr >> 2);
      h.set(k, ko.ptr >> 2);
      for (const blk of [b, c]) h.set(x, blk.ptr >> 2);
      fft.transformLinesInHeapInternal(b.ptr, lines, n, false);
      fft.transformLinesInHeap(c.ptr, lines, n, false);
      kernel!.mulPairedQuads(b.ptr, kc.ptr, 2 * lines * n);
      kernel!.mulReal(c.ptr, ko.ptr, lines * n);
      // the ordered products permuted to the internal order are the compact products
      for (let l = 0; l < lines; l++) fft.toInternalOrder(n, c.ptr + 8 * n * l, p.ptr + 8 * n * l);
      h = fft.heapF32();
      const pb = h.slice(b.ptr >> 2, (b.ptr >> 2) + 2 * lines * n), pp = h.slice(p.ptr >> 2, (p.ptr >> 2) + 2 * lines * n);
      expect(pb).toEqual(pp);
      expect(pb.some((v) => v !== 0)).toBe(true);
      fft.transformLinesInHeapInternal(b.ptr, lines, n, true);
      fft.transformLinesInHeap(c.ptr, lines, n, true);
      h = fft.heapF32();
      expect(h.slice(b.ptr >> 2, (b.ptr >> 2) + 2 * lines * n)).toEqual(h.slice(c.ptr >> 2, (c.ptr >> 2) + 2 * lines * n));
    }
  });
  it('mulPairedQuads refuses a length that is not whole 8-float blocks', async () => {
    const fft = await getFftEngine();
    const blk = fft.scratchBlock(13, 256);
    expect(() => fft.kernel!.mulPairedQuads(blk.ptr, blk.ptr + 128, 12)).toThrow(/8-float blocks/);
  });
});
