import { describe, expect, it } from 'vitest';
import { getFftEngine } from '../fft/engine.js';
import {
  addPowerPlanes, centredFftn, centredIfft2, centredIfft2PowerPlanes, centredIfft2RootSumOfSquares, centredIfft2RootSumOfSquaresAt, centredIfft2RootSumOfSquaresAtPoints,
  centredIfft2RootSumOfSquaresCropped, fftshift, ifftshift, powerSums, rootSumOfSquaresFromSums, xShiftIsSign, type CropWindow,
} from './centred-fft.js';
import { cropCentre } from '../image/crop.js';

function random(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; a[i] = s / 2147483648 - 0.5; }
  return a;
}

describe('fftshift / ifftshift (numpy)', () => {
  it('match numpy on odd and even lengths', () => {
    expect([...fftshift(Float64Array.from([0, 1, 2, 3, 4]), [5])]).toEqual([3, 4, 0, 1, 2]);
    expect([...ifftshift(Float64Array.from([0, 1, 2, 3, 4]), [5])]).toEqual([2, 3, 4, 0, 1]);
    expect([...fftshift(Float64Array.from([0, 1, 2, 3]), [4])]).toEqual([2, 3, 0, 1]);
    // 2-D, only axis 0, complex elements
    const a = Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60]); // [3][2] complex
    expect([...fftshift(a, [3, 2], [0], 2)]).toEqual([5, 50, 6, 60, 1, 10, 2, 20, 3, 30, 4, 40]);
  });
});

describe('centred 2-D inverse FFT', () => {
  for (const [b, ny, nx] of [[2, 8, 16], [1, 5, 7], [3, 6, 9], [2, 16, 48]]) {
    it(`equals ifftshift(ifft2(fftshift(x))) * scale for ${b} x ${ny} x ${nx}`, async () => {
      const fft = await getFftEngine();
      const x = random(2 * b * ny * nx, ny * nx + b);
      // independent path: generic shifts + fftn
      const shape = [b, ny, nx];
      const ref = fftshift(x, shape, [1, 2], 2);
      fft.fftn(ref, shape, [1, 2], true);
      const expected = ifftshift(ref, shape, [1, 2], 2);
      const got = x.slice();
      centredIfft2(fft, got, b, ny, nx, 3);
      let err = 0, mag = 0;
      for (let i = 0; i < got.length; i++) { err = Math.max(err, Math.abs(got[i] - 3 * expected[i])); mag = Math.max(mag, Math.abs(3 * expected[i])); }
      expect(err / mag).toBeLessThan(1e-5);
      // fused root sum of squares over the batch
      const rss = centredIfft2RootSumOfSquares(fft, x, b, ny, nx, 3);
      for (let p = 0; p < ny * nx; p++) {
        let s = 0;
        for (let c = 0; c < b; c++) { const o = 2 * (c * ny * nx + p); s += got[o] ** 2 + got[o + 1] ** 2; }
        expect(rss[p]).toBeCloseTo(Math.sqrt(s), 4);
      }
      // the same from a row accessor
      const rows = centredIfft2RootSumOfSquares(fft, (c, yy) => x.subarray(2 * (c * ny + yy) * nx, 2 * (c * ny + yy + 1) * nx), b, ny, nx, 3);
      expect([...rows]).toEqual([...rss]);
      // float64 single pixel
      const y = ny - 1, xx = Math.floor(nx / 3);
      expect(centredIfft2RootSumOfSquaresAt(x, b, ny, nx, 3, y, xx)).toBeCloseTo(rss[y * nx + xx], 4);
    });
  }
});

describe('float64 pixels of the centred 2-D inverse FFT + root sum of squares', () => {
  // The direct DFT as first written (one loop over u with modulo indices, one pixel at a time):
  // the values invertcontrast's printed maximum was checked against.
  function direct(k: Float32Array, coils: number, ny: number, nx: number, scale: number, y: number, x: number): number {
    const ny2 = Math.floor(ny / 2), nx2 = Math.floor(nx / 2);
    const a = (y + ny2) % ny, b = (x + nx2) % nx;
    const cu = new Float64Array(nx), su = new Float64Array(nx);
    for (let u = 0; u < nx; u++) { const t = (2 * Math.PI * ((b * u) % nx)) / nx; cu[u] = Math.cos(t); su[u] = Math.sin(t); }
    const cv = new Float64Array(ny), sv = new Float64Array(ny);
    for (let v = 0; v < ny; v++) { const t = (2 * Math.PI * ((a * v) % ny)) / ny; cv[v] = Math.cos(t); sv[v] = Math.sin(t); }
    let sum = 0;
    for (let c = 0; c < coils; c++) {
      let re = 0, im = 0;
      for (let v = 0; v < ny; v++) {
        const row = 2 * ((c * ny + ((v - ny2 + ny) % ny)) * nx);
        let rr = 0, ri = 0;
        for (let u = 0; u < nx; u++) {
          const s = row + 2 * ((u - nx2 + nx) % nx);
          rr += k[s] * cu[u] - k[s + 1] * su[u];
          ri += k[s] * su[u] + k[s + 1] * cu[u];
        }
        re += rr * cv[v] - ri * sv[v];
        im += rr * sv[v] + ri * cv[v];
      }
      sum += re * re + im * im;
    }
    return Math.abs(scale / (ny * nx)) * Math.sqrt(sum);
  }
  for (const [b, ny, nx] of [[3, 8, 16], [2, 7, 9], [2, 16, 5]]) {
    it(`several pixels at once (shared row sums) give the one-pixel direct DFT's bits, ${b} x ${ny} x ${nx}`, () => {
      const x = random(2 * b * ny * nx, 3 * ny + nx);
      const points: [number, number][] = [[0, 0], [ny - 1, 2], [1, 2], [ny >> 1, nx >> 1], [2, nx - 1], [ny - 1, 2]];
      const got = centredIfft2RootSumOfSquaresAtPoints(x, b, ny, nx, 5, points);
      expect(got).toEqual(points.map(([py, px]) => direct(x, b, ny, nx, 5, py, px)));
      expect(centredIfft2RootSumOfSquaresAt(x, b, ny, nx, 5, 1, 2)).toBe(got[2]);
    });
  }
  // ny = 8, 16 (rows four at a time), 7 (four, two, one), 33 (four at a time and one), 10 (four, two)
  for (const [b, ny, nx] of [[3, 8, 16], [2, 7, 9], [2, 16, 5], [4, 33, 64], [2, 10, 12]]) {
    it(`one column, or an odd count of them (rows four, two and one at a time), gives the direct DFT's bits, ${b} x ${ny} x ${nx}`, () => {
      const x = random(2 * b * ny * nx, 5 * ny + nx);
      for (const points of [[[ny >> 1, nx >> 1]], [[0, 1], [ny - 1, 1]], [[1, 0], [2, 3], [ny - 1, nx - 1]]] as [number, number][][]) {
        const got = centredIfft2RootSumOfSquaresAtPoints(x, b, ny, nx, 3, points);
        const expected = points.map(([py, px]) => direct(x, b, ny, nx, 3, py, px));
        expect(new Float64Array(got)).toEqual(new Float64Array(expected));
        got.forEach((v, i) => expect(Object.is(v, expected[i])).toBe(true));
      }
    });
  }
  // the engine's SIMD kernel path: 1 to 3 columns, rows four at a time and one, several chunks
  // of rows copied into the heap (nx = 2048: eight rows a chunk) with the fftshift's wrap inside one
  for (const [b, ny, nx] of [[3, 8, 16], [2, 7, 9], [2, 16, 5], [4, 33, 64], [2, 10, 12], [2, 21, 2048], [2, 5, 2], [3, 6, 3]]) {
    it(`the row sums on the engine's kernel give the direct DFT's bits, ${b} x ${ny} x ${nx}`, async () => {
      const engine = await getFftEngine();
      expect(engine.kernel).not.toBeNull();
      const x = random(2 * b * ny * nx, 7 * ny + nx);
      for (const points of [[[ny >> 1, nx >> 1]], [[0, 1 % nx], [ny - 1, 1 % nx], [1, 0]], [[1, 0], [2 % ny, nx - 1], [ny - 1, nx >> 1]]] as [number, number][][]) {
        const got = centredIfft2RootSumOfSquaresAtPoints(x, b, ny, nx, 3, points, engine);
        const expected = points.map(([py, px]) => direct(x, b, ny, nx, 3, py, px));
        got.forEach((v, i) => expect(Object.is(v, expected[i])).toBe(true));
        expect(got).toEqual(centredIfft2RootSumOfSquaresAtPoints(x, b, ny, nx, 3, points));
      }
    });
  }
});

describe('centred 2-D inverse FFT, in-heap column pass', () => {
  // The transposing pipeline the in-heap strided column pass replaced: rows, a JS transpose,
  // the columns as contiguous lines, shifts on the way in and out. Same per-line arithmetic, so
  // the same bits (PFFFT sizes, the mixed-radix kernel's strided columns, Bluestein).
  function transposed(fft: Awaited<ReturnType<typeof getFftEngine>>, x: Float32Array, b: number, ny: number, nx: number, scale: number): Float32Array {
    const shape = [b, ny, nx];
    const s = fftshift(x, shape, [1, 2], 2);
    fft.prepare(nx); fft.prepare(ny);
    const blk = fft.malloc(8 * ny * nx);
    const out = new Float32Array(s.length);
    for (let c = 0; c < b; c++) {
      const plane = s.subarray(2 * c * ny * nx, 2 * (c + 1) * ny * nx);
      fft.heapF32().set(plane, blk.ptr >> 2);
      fft.transformLinesInHeap(blk.ptr, ny, nx, true);
      const h = fft.heapF32(), t = new Float32Array(2 * ny * nx);
      for (let y = 0; y < ny; y++) for (let xx = 0; xx < nx; xx++) { t[2 * (xx * ny + y)] = h[(blk.ptr >> 2) + 2 * (y * nx + xx)]; t[2 * (xx * ny + y) + 1] = h[(blk.ptr >> 2) + 2 * (y * nx + xx) + 1]; }
      fft.heapF32().set(t, blk.ptr >> 2);
      fft.transformLinesInHeap(blk.ptr, nx, ny, true);
      const g = fft.heapF32();
      for (let y = 0; y < ny; y++) for (let xx = 0; xx < nx; xx++) {
        out[2 * (c * ny * nx + y * nx + xx)] = g[(blk.ptr >> 2) + 2 * (xx * ny + y)];
        out[2 * (c * ny * nx + y * nx + xx) + 1] = g[(blk.ptr >> 2) + 2 * (xx * ny + y) + 1];
      }
    }
    fft.free(blk);
    const r = ifftshift(out, shape, [1, 2], 2);
    const f = scale / (ny * nx);
    for (let i = 0; i < r.length; i++) r[i] *= f;
    return r;
  }
  for (const [b, ny, nx] of [[2, 64, 128], [2, 250, 500], [2, 97, 300], [3, 5, 7]]) {
    it(`gives the transposing pipeline's bits for ${b} x ${ny} x ${nx}`, async () => {
      const fft = await getFftEngine();
      const x = random(2 * b * ny * nx, ny + nx);
      const got = x.slice();
      centredIfft2(fft, got, b, ny, nx, 3);
      expect(got).toEqual(transposed(fft, x, b, ny, nx, 3));
    });
  }
});

describe('centredFftn', () => {
  it('inverse over the last two axes equals centredIfft2; forward undoes it', async () => {
    const fft = await getFftEngine();
    const shape = [2, 6, 5];
    const x = random(2 * 60, 11);
    const a = x.slice();
    centredFftn(fft, a, shape, [1, 2], true, 2);
    const b = x.slice();
    centredIfft2(fft, b, 2, 6, 5, 2);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 6);
    // round trip on even sizes (for odd sizes the reference's inverse shift order is not the
    // exact inverse of the centred forward transform, as in numpy)
    const even = [2, 6, 4];
    const y = random(2 * 48, 5);
    const z = y.slice();
    centredFftn(fft, z, even, [1, 2], true, 2);
    centredFftn(fft, z, even, [1, 2], false, 0.5);
    for (let i = 0; i < z.length; i++) expect(z[i]).toBeCloseTo(y[i], 5);
  });

  it('even trailing axes (the modulation path) give numpy\'s shifted transforms; \'ortho\' is unitary', async () => {
    const fft = await getFftEngine();
    const shape = [3, 8, 6];
    const x = random(2 * 144, 7);
    for (const inverse of [false, true]) {
      const a = x.slice();
      centredFftn(fft, a, shape, [1, 2], inverse, 'ortho');
      // the definition: shift, transform, shift back (the odd-length path's copies)
      const pre = inverse ? fftshift(x, shape, [1, 2], 2) : ifftshift(x, shape, [1, 2], 2);
      fft.fftn(pre, shape, [1, 2], inverse);
      const post = inverse ? ifftshift(pre, shape, [1, 2], 2) : fftshift(pre, shape, [1, 2], 2);
      const f = inverse ? Math.sqrt(48) : 1 / Math.sqrt(48);
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(post[i] * f, 4);
      let e0 = 0, e1 = 0;
      for (let i = 0; i < a.length; i++) { e0 += x[i] ** 2; e1 += a[i] ** 2; }
      expect(e1 / e0).toBeCloseTo(1, 5);
    }
  });
});

/** The window of the whole [ny][nx] image, cropped as the reference recons crop (a copy). */
function cropOf(image: Float32Array, ny: number, nx: number, w: CropWindow): Float32Array {
  const out = new Float32Array((w.y1 - w.y0) * (w.x1 - w.x0));
  for (let y = w.y0; y < w.y1; y++) out.set(image.subarray(y * nx + w.x0, y * nx + w.x1), (y - w.y0) * (w.x1 - w.x0));
  return out;
}

describe('centred 2-D inverse FFT + root sum of squares of a window (the crop of the oversampling)', () => {
  // columns: PFFFT (64, 128), the mixed-radix kernel (48: groups of four columns and a rest), odd
  // lengths (Bluestein / shift copies); windows: the readout crop (wrapping ranges), odd offsets, rows too, everything
  const cases: [number, number, number, CropWindow][] = [
    [3, 64, 128, { y0: 0, y1: 64, x0: 32, x1: 96 }],
    [2, 48, 96, { y0: 0, y1: 48, x0: 24, x1: 72 }],
    [2, 48, 64, { y0: 5, y1: 40, x0: 3, x1: 30 }],
    [2, 15, 21, { y0: 2, y1: 13, x0: 5, x1: 16 }],
    [2, 16, 16, { y0: 0, y1: 16, x0: 9, x1: 10 }],
    [2, 16, 32, { y0: 0, y1: 16, x0: 0, x1: 32 }],
    // columns handed over as lines (engine.transformColumnsToLines: PFFFT 64, Bluestein 37), rows cropped too
    [2, 64, 80, { y0: 5, y1: 50, x0: 3, x1: 70 }],
    [3, 37, 40, { y0: 3, y1: 30, x0: 10, x1: 31 }],
  ];
  for (const [coils, ny, nx, w] of cases) {
    it(`gives the bits of the whole image's crop: ${coils} x ${ny} x ${nx}, rows [${w.y0}, ${w.y1}) x columns [${w.x0}, ${w.x1})`, async () => {
      const fft = await getFftEngine();
      if (ny === 64 || ny === 37) expect(fft.hasColumnLines(ny)).toBe(true);
      const k = random(2 * coils * ny * nx, 7 * ny + nx);
      const scale = coils * ny * nx;
      const expected = cropOf(centredIfft2RootSumOfSquares(fft, k, coils, ny, nx, scale), ny, nx, w);
      const got = centredIfft2RootSumOfSquaresCropped(fft, k, coils, ny, nx, scale, w);
      expect(got.length).toBe(expected.length);
      expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(expected.buffer));
      // its scratch reused (stale sums from a bigger window must not leak in)
      const acc = new Float64Array(ny * nx).fill(1e9);
      expect(new Uint32Array(centredIfft2RootSumOfSquaresCropped(fft, k, coils, ny, nx, scale, w, undefined, acc).buffer)).toEqual(new Uint32Array(expected.buffer));
      // the pool's share of it: power planes of the window, added in coil order, then the window's image
      const power = new Float64Array(coils * ny * nx).fill(Number.NaN);
      centredIfft2PowerPlanes(fft, k, 0, coils, ny, nx, power, 0, w);
      const sums = new Float64Array(ny * nx);
      addPowerPlanes(sums, power, coils, ny * nx, w, nx);
      expect(new Uint32Array(rootSumOfSquaresFromSums(sums, ny, nx, scale, undefined, w).buffer)).toEqual(new Uint32Array(expected.buffer));
      // the reference's crop (recon-kernels/image) is the same window
      if (w.x0 > 0 && w.y0 === 0) expect(cropCentre(expected, w.y1 - w.y0, w.x1 - w.x0, 0, 0).data).toEqual(expected);
    });
  }
  it('refuses a window outside the plane', async () => {
    const fft = await getFftEngine();
    const k = random(2 * 16 * 16, 3);
    expect(() => centredIfft2RootSumOfSquaresCropped(fft, k, 1, 16, 16, 1, { y0: 0, y1: 16, x0: 4, x1: 17 })).toThrow(/window/);
    expect(() => centredIfft2RootSumOfSquaresCropped(fft, k, 1, 16, 16, 1, { y0: 5, y1: 4, x0: 0, x1: 16 })).toThrow(/window/);
  });
});

describe('the root sum of squares\' power sums with and without the SIMD kernel', () => {
  it('give the same float64 bits (the kernel\'s sums in the wasm heap, the JS loop without it), whole rows and windows', async () => {
    const fft = await getFftEngine();
    expect(fft.kernel).not.toBeNull();
    const [planes, ny, nx] = [3, 15, 40];
    // transformed planes as the heap holds them: values over 40 binary orders of magnitude
    const data = Float32Array.from(random(2 * planes * ny * nx, 99), (v, i) => v * 2 ** ((i % 40) - 20));
    const block = fft.malloc(4 * data.length);
    try {
      fft.heapF32().set(data, block.ptr >> 2);
      const cases: [number, number][][][] = [[[[0, ny]], [[0, nx]]], [[[0, ny]], [[30, 40], [0, 11]]], [[[2, 9], [12, 15]], [[5, 6], [7, 38]]]];
      for (const [rows, cols] of cases) {
        const sums = (kernel: typeof fft.kernel): Float64Array => {
          const acc = new Float64Array(ny * nx).fill(0.25);
          const s = powerSums(fft, kernel, acc, ny, nx, rows, cols);
          for (let c = 0; c < planes; c++) s.add(c, block.ptr + 8 * c * ny * nx);
          return s.done();
        };
        const js = sums(null), simd = sums(fft.kernel);
        expect(new Uint32Array(simd.buffer), JSON.stringify([rows, cols])).toEqual(new Uint32Array(js.buffer));
        // the cells outside the ranges untouched, the ones inside summed from zero
        expect(js.filter((v) => v === 0.25).length).toBe(ny * nx - rows.reduce((n, [a, b]) => n + b - a, 0) * cols.reduce((n, [a, b]) => n + b - a, 0));
      }
    } finally {
      fft.free(block);
    }
  });
});

describe('the root sum of squares without the fftshift along x (xShiftIsSign)', () => {
  /** The root sum of squares from the shifted path's complex images (centredIfft2 keeps the shift copies): the pre-change bits. */
  function viaShiftedImages(fft: Awaited<ReturnType<typeof getFftEngine>>, k: Float32Array, coils: number, ny: number, nx: number, scale: number): Float32Array {
    const images = k.slice();
    centredIfft2(fft, images, coils, ny, nx, ny * nx); // numpy's 1 / (ny nx) undone: the unscaled transform's values
    const acc = new Float64Array(ny * nx);
    for (let c = 0; c < coils; c++) {
      for (let i = 0; i < ny * nx; i++) { const re = images[2 * (c * ny * nx + i)], im = images[2 * (c * ny * nx + i) + 1]; acc[i] += re * re + im * im; }
    }
    const f = Math.abs(scale / (ny * nx));
    return Float32Array.from(acc, (v) => f * Math.sqrt(v));
  }

  it('holds for PFFFT powers of two only', async () => {
    const fft = await getFftEngine();
    expect([64, 128, 256, 512, 1024].every((n) => xShiftIsSign(fft, n))).toBe(true);
    expect([48, 96, 100, 8, 7, 1].some((n) => xShiftIsSign(fft, n))).toBe(false);
  });

  // 32 x 256 x 512 is invertcontrast's bench input; the others PFFFT powers of two with odd and even ny;
  // wide-range values (a k-space centre many orders above its edge) and exact zeros
  const cases: [number, number, number][] = [[32, 256, 512], [3, 64, 128], [2, 15, 64], [4, 33, 1024], [2, 16, 256]];
  for (const [coils, ny, nx] of cases) {
    it(`gives the shifted path's bits: ${coils} x ${ny} x ${nx}`, async () => {
      const fft = await getFftEngine();
      expect(xShiftIsSign(fft, nx)).toBe(true);
      const k = random(2 * coils * ny * nx, 11 * ny + nx);
      for (let i = 0; i < k.length; i += 7) k[i] *= 1e6 * Math.exp(-(((i % (2 * nx)) - nx) ** 2) / ((nx * nx) / 8));
      for (let i = 0; i < k.length; i += 97) k[i] = 0;
      const scale = coils * ny * nx;
      const expected = viaShiftedImages(fft, k, coils, ny, nx, scale);
      const got = centredIfft2RootSumOfSquares(fft, k, coils, ny, nx, scale);
      expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(expected.buffer));
      const w: CropWindow = { y0: 0, y1: ny, x0: nx / 4, x1: (3 * nx) / 4 };
      const cropped = centredIfft2RootSumOfSquaresCropped(fft, k, coils, ny, nx, scale, w);
      expect(new Uint32Array(cropped.buffer)).toEqual(new Uint32Array(cropOf(expected, ny, nx, w).buffer));
    }, 60_000);
  }
});
