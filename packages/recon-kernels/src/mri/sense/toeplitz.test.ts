import { describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { SENSE_NUFFT_DEFAULTS, SenseNufftOperator } from './sense-nufft.js';
import { toeplitzLayout, toeplitzNormalFrames, toeplitzSpectrum } from './toeplitz.js';
import { signedRng as rng } from '../../testing/index.js';

/** a few interleaved Archimedean spiral arms per frame, reaching the k-space edge, with repeated k = 0 samples */
function spiralFrames(frames: number, arms: number, samples: number, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let f = 0; f < frames; f++) {
    const c = new Float64Array(2 * arms * samples);
    for (let a = 0; a < arms; a++) {
      const phi0 = (2 * Math.PI * (a + f * 0.37)) / arms;
      for (let k = 0; k < samples; k++) {
        const t = Math.max(0, k - 3) / (samples - 4);
        const r = (t * n) / 2, phi = phi0 + 6 * Math.PI * t;
        c[2 * (a * samples + k)] = r * Math.cos(phi);
        c[2 * (a * samples + k) + 1] = r * Math.sin(phi);
      }
    }
    out.push(c);
  }
  return out;
}

function coilMapsRect(nc: number, ny: number, nx: number): Float32Array {
  const m = new Float32Array(2 * nc * ny * nx);
  for (let c = 0; c < nc; c++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const mag = Math.exp(-(((y - ny * (0.3 + 0.4 * c)) ** 2) + (x - nx / 2) ** 2) / (ny * nx)), ph = 0.5 * c + (2 * y) / ny + x / nx;
    m[2 * (c * ny * nx + y * nx + x)] = mag * Math.cos(ph);
    m[2 * (c * ny * nx + y * nx + x) + 1] = mag * Math.sin(ph);
  }
  return m;
}

function coilMaps(nc: number, n: number): Float32Array {
  const m = new Float32Array(2 * nc * n * n);
  for (let c = 0; c < nc; c++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const mag = Math.exp(-(((y - n * (0.3 + 0.4 * c)) ** 2) + (x - n / 2) ** 2) / (n * n)), ph = 0.5 * c + (2 * y) / n;
    m[2 * (c * n * n + y * n + x)] = mag * Math.cos(ph);
    m[2 * (c * n * n + y * n + x) + 1] = mag * Math.sin(ph);
  }
  return m;
}

/** A^H A x by the exact NUDFT (float64), SigPy scaling 1/sqrt(ny nx) each way. */
function exactNormal(coords: Float64Array[], maps: Float32Array, nc: number, n: number, x: Float32Array): Float64Array {
  return exactNormalRect(coords, maps, nc, n, n, x);
}

/** exactNormal on an ny x nx image. */
function exactNormalRect(coords: Float64Array[], maps: Float32Array, nc: number, ny: number, nx: number, x: Float32Array): Float64Array {
  const out = new Float64Array(x.length), npix = ny * nx;
  coords.forEach((co, f) => {
    const np = co.length / 2;
    for (let c = 0; c < nc; c++) {
      const v = new Float64Array(2 * npix);
      for (let i = 0; i < npix; i++) {
        const sr = maps[2 * (c * npix + i)], si = maps[2 * (c * npix + i) + 1], xr = x[2 * (f * npix + i)], xi = x[2 * (f * npix + i) + 1];
        v[2 * i] = sr * xr - si * xi; v[2 * i + 1] = sr * xi + si * xr;
      }
      const w = new Float64Array(2 * npix);
      for (let p = 0; p < np; p++) {
        let yr = 0, yi = 0;
        const e = new Float64Array(2 * npix);
        for (let a = 0; a < ny; a++) for (let b = 0; b < nx; b++) {
          const ph = -2 * Math.PI * ((co[2 * p] * (a - ny / 2)) / ny + (co[2 * p + 1] * (b - nx / 2)) / nx), i = a * nx + b;
          e[2 * i] = Math.cos(ph); e[2 * i + 1] = Math.sin(ph);
          yr += v[2 * i] * e[2 * i] - v[2 * i + 1] * e[2 * i + 1];
          yi += v[2 * i] * e[2 * i + 1] + v[2 * i + 1] * e[2 * i];
        }
        for (let i = 0; i < npix; i++) { w[2 * i] += yr * e[2 * i] + yi * e[2 * i + 1]; w[2 * i + 1] += yi * e[2 * i] - yr * e[2 * i + 1]; }
      }
      for (let i = 0; i < npix; i++) {
        const sr = maps[2 * (c * npix + i)], si = maps[2 * (c * npix + i) + 1];
        out[2 * (f * npix + i)] += (sr * w[2 * i] + si * w[2 * i + 1]) / npix;
        out[2 * (f * npix + i) + 1] += (sr * w[2 * i + 1] - si * w[2 * i]) / npix;
      }
    }
  });
  return out;
}

function nrmse(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let e = 0, r = 0;
  for (let i = 0; i < ref.length; i++) { e += (a[i] - ref[i]) ** 2; r += ref[i] ** 2; }
  return Math.sqrt(e / r);
}

describe('Toeplitz normal operator of the SENSE model', () => {
  it('agrees with the exact NUDFT normal operator and with NUFFT forward-then-adjoint to 1e-3, and stays self-adjoint', async () => {
    const fft = await getFftEngine();
    const n = 24, nc = 2, frames = 2;
    const coords = spiralFrames(frames, 3, 120, n);
    const maps = coilMaps(nc, n);
    const r = rng(7);
    const x = new Float32Array(2 * frames * n * n).map(() => r());
    const z = new Float32Array(x.length).map(() => r());
    const nufftOp = new SenseNufftOperator(fft, coords, maps, nc, n, n);
    const toepOp = new SenseNufftOperator(fft, coords, maps, nc, n, n, { ...SENSE_NUFFT_DEFAULTS, toeplitz: true });
    const a = new Float32Array(x.length), b = new Float32Array(x.length);
    nufftOp.normal(x, a);
    toepOp.normal(x, b);
    const exact = exactNormal(coords, maps, nc, n, x);
    const eToep = nrmse(b, exact), eNufft = nrmse(a, exact);
    expect(eToep).toBeLessThan(5e-4);
    expect(eNufft).toBeLessThan(1e-3);
    expect(nrmse(b, a)).toBeLessThan(1e-3);
    // <z, N x> = conj <x, N z>: the real part of both inner products agrees (Hermitian operator)
    const nz = new Float32Array(x.length);
    toepOp.normal(z, nz);
    let zx = 0, xz = 0, scale = 0;
    for (let i = 0; i < x.length; i++) { zx += z[i] * b[i]; xz += x[i] * nz[i]; scale += Math.abs(z[i] * b[i]); }
    expect(Math.abs(zx - xz) / scale).toBeLessThan(1e-5);
    // forward and adjoint are untouched (the NUFFT's)
    const y1 = new Float32Array(2 * nufftOp.outputLength), y2 = new Float32Array(2 * toepOp.outputLength);
    nufftOp.forward(x, y1);
    toepOp.forward(x, y2);
    expect(y2).toEqual(y1);
    nufftOp.dispose();
    toepOp.dispose();
  }, 60_000);
});

describe('Toeplitz column spectra in the FFT internal order', () => {
  it('give the bits of the ordered column transforms (2n = 80 and 96: PFFFT lengths)', async () => {
    const fft = await getFftEngine();
    for (const n of [40, 48]) {
      const nc = 3, frames = 2;
      const coords = spiralFrames(frames, 4, 100, n);
      const maps = coilMaps(nc, n);
      const r = rng(5);
      const x = new Float32Array(2 * frames * n * n).map(() => r());
      const ordered = coords.map((c) => toeplitzSpectrum(fft, c, n, n, SENSE_NUFFT_DEFAULTS, 'ordered'));
      const internal = coords.map((c) => toeplitzSpectrum(fft, c, n, n, SENSE_NUFFT_DEFAULTS));
      expect(ordered[0].layout).toBe('ordered');
      expect(internal[0].layout).toBe('internal-compact');
      const a = new Float32Array(x.length), b = new Float32Array(x.length);
      const scratch = { acc: new Float64Array(2 * n * n) };
      toeplitzNormalFrames(fft, ordered, maps, nc, n, n, x, a, 0, frames, scratch);
      toeplitzNormalFrames(fft, internal, maps, nc, n, n, x, b, 0, frames, scratch);
      expect(b).toEqual(a);
      expect(nrmse(b, exactNormal(coords, maps, nc, n, x))).toBeLessThan(5e-4);
    }
  }, 60_000);
});

describe('Toeplitz compact spectra (one float per bin in the FFT internal order)', () => {
  it('give the bits of the ordered spectra (2n = 192, 256, 384); the flag tells the layout; a wrong length or engine is refused', async () => {
    const fft = await getFftEngine();
    for (const n of [96, 128, 192]) {
      const nc = 2;
      const coords = spiralFrames(1, 3, 80, n);
      const maps = coilMaps(nc, n);
      const r = rng(11 + n);
      const x = new Float32Array(2 * n * n).map(() => r());
      const ordered = toeplitzSpectrum(fft, coords[0], n, n, SENSE_NUFFT_DEFAULTS, 'ordered');
      const compact = toeplitzSpectrum(fft, coords[0], n, n, SENSE_NUFFT_DEFAULTS, 'internal-compact');
      expect(ordered.layout).toBe('ordered');
      expect(compact.layout).toBe('internal-compact');
      expect(compact.values.length).toBe(ordered.values.length);
      expect(compact.values).not.toEqual(ordered.values); // the same values, permuted
      const a = new Float32Array(x.length), b = new Float32Array(x.length);
      const scratch = { acc: new Float64Array(2 * n * n) };
      toeplitzNormalFrames(fft, [ordered], maps, nc, n, n, x, a, 0, 1, scratch);
      toeplitzNormalFrames(fft, [compact], maps, nc, n, n, x, b, 0, 1, scratch);
      expect(b).toEqual(a);
      expect(b.some((v) => v !== 0)).toBe(true);
      // the flag, not the length, tells the layout: the compact values read as ordered are another operator
      const d = new Float32Array(x.length);
      toeplitzNormalFrames(fft, [{ layout: 'ordered', values: compact.values }], maps, nc, n, n, x, d, 0, 1, scratch);
      expect(d).not.toEqual(b);
      const short = { layout: 'internal-compact' as const, values: compact.values.subarray(8) };
      expect(() => toeplitzNormalFrames(fft, [short], maps, nc, n, n, x, d, 0, 1, scratch)).toThrow(/'internal-compact' spectrum of \d+ floats/);
    }
    // an engine without the SIMD kernel has no internal-order columns: it gets the ordered K and refuses a compact one
    const n = 96, coords = spiralFrames(1, 3, 80, n), maps = coilMaps(1, n);
    const plain = Object.create(fft, { kernel: { value: null } }) as typeof fft;
    expect(toeplitzSpectrum(plain, coords[0], n, n, SENSE_NUFFT_DEFAULTS).layout).toBe('ordered');
    const compact = toeplitzSpectrum(fft, coords[0], n, n, SENSE_NUFFT_DEFAULTS, 'internal-compact');
    const x = new Float32Array(2 * n * n), out = new Float32Array(x.length);
    expect(() => toeplitzNormalFrames(plain, [compact], maps, 1, n, n, x, out, 0, 1, { acc: new Float64Array(2 * n * n) })).toThrow(/'internal-compact' spectrum on an engine \(or image size\) without that layout/);
  }, 120_000);
});

describe('Toeplitz pruned line transforms (each line of the 2x grid as its even and odd bins)', () => {
  it('agree with the unpruned transforms to float32 rounding (n = 96, 128, 192; 96 x 128, 192 x 256); the default layout where they pay', async () => {
    const fft = await getFftEngine();
    for (const [ny, nx, pays] of [[96, 96, false], [128, 128, false], [192, 192, true], [96, 128, false], [192, 256, true]] as const) {
      const nc = 2;
      const coords = spiralFrames(1, 3, 80, Math.max(ny, nx));
      const maps = coilMapsRect(nc, ny, nx);
      const r = rng(7 + ny + nx);
      const x = new Float32Array(2 * ny * nx).map(() => r());
      const compact = toeplitzSpectrum(fft, coords[0], ny, nx, SENSE_NUFFT_DEFAULTS, 'internal-compact');
      const pruned = toeplitzSpectrum(fft, coords[0], ny, nx, SENSE_NUFFT_DEFAULTS, 'pruned');
      expect(toeplitzLayout(fft, ny, nx)).toBe(pays ? 'pruned' : 'internal-compact');
      expect(toeplitzSpectrum(fft, coords[0], ny, nx, SENSE_NUFFT_DEFAULTS).layout).toBe(toeplitzLayout(fft, ny, nx));
      expect(pruned.values.length).toBe(compact.values.length);
      const a = new Float32Array(x.length), b = new Float32Array(x.length);
      const scratch = { acc: new Float64Array(2 * ny * nx) };
      toeplitzNormalFrames(fft, [compact], maps, nc, ny, nx, x, a, 0, 1, scratch);
      toeplitzNormalFrames(fft, [pruned], maps, nc, ny, nx, x, b, 0, 1, scratch);
      expect(b.some((v) => v !== 0)).toBe(true);
      expect(nrmse(b, a)).toBeLessThan(1e-6);
      if (ny === 192 && nx === 192) {
        // both within the bound against the exact NUDFT normal operator
        const exact = exactNormal(coords, maps, nc, ny, x);
        const [ea, eb] = [nrmse(a, exact), nrmse(b, exact)];
        console.log(`Toeplitz 192 x 192 vs the exact NUDFT normal operator: NRMSE unpruned ${ea.toExponential(6)}, pruned ${eb.toExponential(6)}`);
        expect(ea).toBeLessThan(5e-4);
        expect(eb).toBeLessThan(5e-4);
      }
      // the flag tells the layout: the pruned values read as compact are another operator
      const d = new Float32Array(x.length);
      toeplitzNormalFrames(fft, [{ layout: 'internal-compact', values: pruned.values }], maps, nc, ny, nx, x, d, 0, 1, scratch);
      expect(nrmse(d, a)).toBeGreaterThan(1e-2);
    }
  }, 120_000);

  it('are not used where they cannot run: odd widths, short columns, an engine without the SIMD kernel (the fallback paths)', async () => {
    const fft = await getFftEngine();
    const plain = Object.create(fft, { kernel: { value: null } }) as typeof fft;
    const coords = spiralFrames(1, 3, 60, 48);
    for (const [ny, nx] of [[48, 48], [192, 191], [40, 40]]) {
      expect(toeplitzLayout(fft, ny, nx)).not.toBe('pruned');
      expect(() => toeplitzSpectrum(fft, coords[0], ny, nx, SENSE_NUFFT_DEFAULTS, 'pruned')).toThrow(/no 'pruned' spectrum/);
    }
    expect(toeplitzLayout(plain, 192, 192)).toBe('ordered');
    expect(() => toeplitzSpectrum(plain, coords[0], 192, 192, SENSE_NUFFT_DEFAULTS, 'pruned')).toThrow(/no 'pruned' spectrum/);
    const pruned = toeplitzSpectrum(fft, coords[0], 192, 192, SENSE_NUFFT_DEFAULTS);
    const x = new Float32Array(2 * 192 * 192), out = new Float32Array(x.length);
    expect(() => toeplitzNormalFrames(plain, [pruned], coilMaps(1, 192), 1, 192, 192, x, out, 0, 1, { acc: new Float64Array(x.length) })).toThrow(/'pruned' spectrum on an engine \(or image size\) without that layout/);
    // an odd-width image on the JS fallback columns: the ordered K, within the NUDFT bound
    const ny = 24, nx = 23, nc = 2, c2 = spiralFrames(1, 4, 60, 24);
    const maps = coilMapsRect(nc, ny, nx), r = rng(17);
    const x2 = new Float32Array(2 * ny * nx).map(() => r());
    const k = toeplitzSpectrum(fft, c2[0], ny, nx, SENSE_NUFFT_DEFAULTS);
    expect(k.layout).toBe('ordered');
    const y = new Float32Array(x2.length);
    toeplitzNormalFrames(fft, [k], maps, nc, ny, nx, x2, y, 0, 1, { acc: new Float64Array(x2.length) });
    expect(nrmse(y, exactNormalRect(c2, maps, nc, ny, nx, x2))).toBeLessThan(5e-4);
  }, 120_000);
});

describe('Toeplitz normal operator without the FFT kernel (no WebAssembly SIMD)', () => {
  it('agrees to float32 rounding with the JS path (checks the SIMD path: transposes, products, multiply by K)', async () => {
    const fft = await getFftEngine();
    const n = 32, nc = 3; // 2n = 64: PFFFT lines, which need no kernel
    const coords = spiralFrames(1, 4, 90, n);
    const maps = coilMaps(nc, n);
    const r = rng(3);
    const x = new Float32Array(2 * n * n).map(() => r());
    const op = new SenseNufftOperator(fft, coords, maps, nc, n, n, { ...SENSE_NUFFT_DEFAULTS, toeplitz: true });
    const a = new Float32Array(x.length), b = new Float32Array(x.length);
    op.normal(x, a);
    const plain = Object.create(fft, { kernel: { value: null } }) as typeof fft;
    const op2 = SenseNufftOperator.fromShared(plain, op.shared());
    op2.normal(x, b);
    expect(fft.kernel).not.toBeNull();
    expect(b).not.toEqual(a); // float32 SIMD products against float64 JS sums: not the same bits
    expect(nrmse(b, a)).toBeLessThan(1e-6);
    op.dispose();
    op2.dispose();
  });
});
