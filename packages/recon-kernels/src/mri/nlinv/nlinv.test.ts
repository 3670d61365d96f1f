import { describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { nlinv, sobolevWeight } from './nlinv.js';
import { centredFftn } from '../../centred-fft/index.js';
import { normalisedMagnitudes, nrmseInside, syntheticCoilObject } from '../../testing/synthetic-coil-object.js';

describe('nlinv model', () => {
  it('its unitary centred FFT (centredFftn, ortho) puts a constant image at the centre of k-space', async () => {
    const fft = await getFftEngine();
    const F = { apply: (d: Float32Array, count: number, inverse: boolean) => centredFftn(fft, d, [count, 8, 12], [1, 2], inverse, 'ortho') };
    const a = new Float32Array(2 * 96);
    for (let i = 0; i < 96; i++) a[2 * i] = 1;
    F.apply(a, 1, false);
    expect(a[2 * (4 * 12 + 6)]).toBeCloseTo(Math.sqrt(96), 4);
    let rest = 0;
    for (let i = 0; i < 96; i++) if (i !== 4 * 12 + 6) rest += Math.abs(a[2 * i]) + Math.abs(a[2 * i + 1]);
    expect(rest).toBeLessThan(1e-4);
    const b = new Float32Array(2 * 96).map((_, i) => Math.sin(i * 0.37));
    const c = b.slice();
    F.apply(c, 1, false);
    let nb = 0, nc = 0;
    for (let i = 0; i < b.length; i++) { nb += b[i] ** 2; nc += c[i] ** 2; }
    expect(nc).toBeCloseTo(nb, 3);
    F.apply(c, 1, true);
    for (let i = 0; i < b.length; i++) expect(c[i]).toBeCloseTo(b[i], 4);
  });

  it('sobolevWeight is 1 at the k-space centre and decays with (1 + a k^2)^(-b/2)', () => {
    const w = sobolevWeight(16, 16, 220, 32);
    expect(w[8 * 16 + 8]).toBe(1);
    expect(w[8 * 16 + 9]).toBeCloseTo(Math.pow(1 + 220 / 256, -16), 6);
  });
});

describe('nlinv (native, BART 0.8 algorithm)', () => {
  const n = 48, nc = 4, npix = n * n;

  async function simulate(pattern: Float32Array) {
    const fft = await getFftEngine();
    const { rho, maps, inside } = syntheticCoilObject(n, nc);
    const y = new Float32Array(2 * nc * npix);
    for (let c = 0; c < nc; c++) for (let p = 0; p < npix; p++) {
      const d = 2 * (c * npix + p);
      y[d] = rho[2 * p] * maps[d];
      y[d + 1] = rho[2 * p] * maps[d + 1];
    }
    centredFftn(fft, y, [nc, n, n], [1, 2], false, 'ortho');
    for (let c = 0; c < nc; c++) for (let p = 0; p < npix; p++) { y[2 * (c * npix + p)] *= pattern[p]; y[2 * (c * npix + p) + 1] *= pattern[p]; }
    return { fft, rho, maps, inside, y };
  }

  it('recovers the normalised coil-map magnitudes and the image of a fully sampled object', async () => {
    const pattern = new Float32Array(npix).fill(1);
    const { fft, rho, maps, inside, y } = await simulate(pattern);
    const res = nlinv(fft, y, pattern, nc, n, n, { iterations: 8 });
    const eMaps = nrmseInside(normalisedMagnitudes(res.sens, nc, npix), normalisedMagnitudes(maps, nc, npix), inside, nc);
    // image: |rho| rss(true maps) against |image| up to a scale
    const truth = new Float64Array(npix), got = new Float64Array(npix);
    let sg = 0, st = 0;
    for (let p = 0; p < npix; p++) {
      let s = 0;
      for (let c = 0; c < nc; c++) s += maps[2 * (c * npix + p)] ** 2 + maps[2 * (c * npix + p) + 1] ** 2;
      truth[p] = Math.abs(rho[2 * p]) * Math.sqrt(s);
      got[p] = Math.hypot(res.image[2 * p], res.image[2 * p + 1]);
      if (inside[p]) { sg += got[p] * truth[p]; st += got[p] * got[p]; }
    }
    for (let p = 0; p < npix; p++) got[p] *= sg / st;
    const eImg = nrmseInside(got, truth, inside, 1);
    expect(eMaps).toBeLessThan(0.06);
    expect(eImg).toBeLessThan(0.05);
    // the estimate is not the trivial start (rho 1, maps 0)
    expect(res.sens.some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it('recovers the maps from 2x undersampled data with a fully sampled centre', async () => {
    const pattern = new Float32Array(npix);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pattern[i * n + j] = i % 2 === 0 || Math.abs(i - n / 2) < 8 ? 1 : 0;
    const { fft, maps, inside, y } = await simulate(pattern);
    const res = nlinv(fft, y, pattern, nc, n, n, { iterations: 10 });
    const eMaps = nrmseInside(normalisedMagnitudes(res.sens, nc, npix), normalisedMagnitudes(maps, nc, npix), inside, nc);
    expect(eMaps).toBeLessThan(0.05);
  });

  it('rejects mismatched sizes', async () => {
    const fft = await getFftEngine();
    expect(() => nlinv(fft, new Float32Array(10), new Float32Array(4), 1, 2, 2)).toThrow(/nlinv/);
  });
});
