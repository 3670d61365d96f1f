import { describe, expect, it } from 'vitest';
import { linspaceGrid, sheppLoganPhantom, SHEPP_LOGAN_ELLIPSES } from './shepp-logan.js';
import { birdcageSensitivities } from './birdcage.js';
import { GaussianNoise } from './gaussian-noise.js';

// Golden values below were computed with ismrmrd-python-tools' simulation.phantom /
// generate_birdcage_sensitivities (numpy 1.24), the reference the generator must match.
describe('sheppLoganPhantom', () => {
  it('numpy mgrid axis', () => {
    const g = linspaceGrid(5);
    expect(Array.from(g)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(() => linspaceGrid(1)).toThrow(/matrix size/);
  });

  it.each([
    [64, 1988, 500.4],
    [65, 2039, 500.7],
    [256, 32412, 8044.0],
  ])('n=%i covers the same pixels as the reference', (n, nonZero, sum) => {
    const p = sheppLoganPhantom(n);
    let nz = 0;
    let s = 0;
    for (const v of p) {
      if (v !== 0) nz++;
      s += v;
    }
    expect(nz).toBe(nonZero);
    expect(s).toBeCloseTo(sum, 2);
    expect(p[(n >> 1) * n + (n >> 1)]).toBeCloseTo(0.2, 6);
    // float32 accumulation as numpy: 1 - 0.8 + 0.1 and friends
    const levels = new Set(Array.from(p, (v) => Math.round(v * 1e6) / 1e6));
    expect([...levels].sort((a, b) => a - b)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 1]);
  });

  it('is symmetric left-right apart from the small off-centre ellipses', () => {
    const n = 128;
    const p = sheppLoganPhantom(n);
    // The outer skull ring (intensity 1) is symmetric about the vertical axis.
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        if (p[y * n + x] === 1) expect(p[y * n + (n - 1 - x)]).toBe(1);
      }
    }
  });

  it('takes another ellipse set', () => {
    const p = sheppLoganPhantom(64, SHEPP_LOGAN_ELLIPSES);
    expect(p[32 * 64 + 32]).toBeCloseTo(1.02, 5);
  });
});

describe('birdcageSensitivities', () => {
  it('matches the reference values', () => {
    const n = 64;
    const c = birdcageSensitivities(n, 4);
    const at = (coil: number, y: number, x: number) => [c[2 * (coil * n * n + y * n + x)], c[2 * (coil * n * n + y * n + x) + 1]];
    const expectClose = (got: number[], want: number[]) => {
      expect(got[0]).toBeCloseTo(want[0], 6);
      expect(got[1]).toBeCloseTo(want[1], 6);
    };
    expectClose(at(0, 10, 20), [0.11421634, -0.31149912]);
    expectClose(at(1, 32, 32), [0, -0.5]);
    expectClose(at(3, 63, 0), [0.1022189, -0.25235292]);
    const raw = birdcageSensitivities(7, 3, { normalize: false });
    expect(raw[2 * (2 * 49 + 3 * 7 + 1)]).toBeCloseTo(0.40893033, 6);
    expect(raw[2 * (2 * 49 + 3 * 7 + 1) + 1]).toBeCloseTo(-0.7616715, 6);
  });

  it('normalised maps have unit root sum of squares', () => {
    const n = 32;
    const nc = 8;
    const c = birdcageSensitivities(n, nc);
    for (let p = 0; p < n * n; p += 37) {
      let s = 0;
      for (let k = 0; k < nc; k++) s += c[2 * (k * n * n + p)] ** 2 + c[2 * (k * n * n + p) + 1] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 5);
    }
  });

  it('rejects bad sizes', () => {
    expect(() => birdcageSensitivities(0, 2)).toThrow(/matrix size/);
    expect(() => birdcageSensitivities(8, 0)).toThrow(/coils/);
  });
});

describe('GaussianNoise', () => {
  it('is reproducible from a seed and differs between seeds', () => {
    const a = new Float32Array(1000);
    const b = new Float32Array(1000);
    const c = new Float32Array(1000);
    new GaussianNoise(7).fill(a, 1);
    new GaussianNoise(7).fill(b, 1);
    new GaussianNoise(8).fill(c, 1);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('has the requested standard deviation, zero mean and normal tails', () => {
    const sigma = 0.05;
    const a = new Float64Array(2_000_000);
    new GaussianNoise(1234).fill(a, sigma);
    let m = 0;
    for (const v of a) m += v;
    m /= a.length;
    let v2 = 0;
    let v4 = 0;
    let beyond2 = 0;
    for (const v of a) {
      const d = v - m;
      v2 += d * d;
      v4 += d ** 4;
      if (Math.abs(v) > 2 * sigma) beyond2++;
    }
    v2 /= a.length;
    v4 /= a.length;
    expect(Math.abs(m)).toBeLessThan(5 * sigma / Math.sqrt(a.length));
    expect(Math.sqrt(v2) / sigma).toBeGreaterThan(0.998);
    expect(Math.sqrt(v2) / sigma).toBeLessThan(1.002);
    expect(v4 / (v2 * v2)).toBeCloseTo(3, 1); // kurtosis of a normal
    expect(beyond2 / a.length).toBeCloseTo(0.0455, 3);
  });

  it('adds to existing values over a sub-range', () => {
    const a = new Float32Array(10).fill(1);
    new GaussianNoise(3).fill(a, 0.1, 2, 4, true);
    expect(a[0]).toBe(1);
    expect(a[9]).toBe(1);
    expect(a.slice(2, 6).some((v) => v !== 1)).toBe(true);
    expect(() => new GaussianNoise(3).fill(a, 1, 8, 4)).toThrow(/range/);
    expect(() => new GaussianNoise(-1)).toThrow(/seed/);
  });
});
