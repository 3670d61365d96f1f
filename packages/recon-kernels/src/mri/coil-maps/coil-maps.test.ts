import { describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { Nufft } from '../../nufft/index.js';
import { coilMapsFromArms, sobolevLowpass, type ArmSamples } from './coil-maps.js';

describe('sobolevLowpass (nlinv Sobolev weight on coil images)', () => {
  it('keeps a constant and scales a cosine of j cycles by (1 + a (j/n)^2)^(-l/2)', async () => {
    const fft = await getFftEngine();
    const n = 32, a = 32, l = 16;
    const img = new Float32Array(2 * 2 * n * n);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      img[2 * (y * n + x)] = 3;
      img[2 * (n * n + y * n + x)] = Math.cos((2 * Math.PI * 3 * x) / n) + Math.cos((2 * Math.PI * 2 * y) / n);
    }
    const orig = img.slice();
    sobolevLowpass(fft, img, 2, n, a, l);
    const g3 = Math.pow(1 + a * (3 / n) ** 2, -l / 2), g2 = Math.pow(1 + a * (2 / n) ** 2, -l / 2);
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      expect(img[2 * (y * n + x)]).toBeCloseTo(3, 4);
      const want = g3 * Math.cos((2 * Math.PI * 3 * x) / n) + g2 * Math.cos((2 * Math.PI * 2 * y) / n);
      expect(img[2 * (n * n + y * n + x)]).toBeCloseTo(want, 4);
      expect(Math.abs(img[2 * (n * n + y * n + x) + 1])).toBeLessThan(1e-4);
    }
    expect(orig[2 * n * n]).not.toBeCloseTo(img[2 * n * n], 2);
  });
});

describe('coilMapsFromArms', () => {
  // radial arms of a disc object seen by 4 smooth coils; the maps should match the true
  // (unit-RSS) sensitivities in the object up to a per-pixel phase
  async function simulate(n: number) {
    const fft = await getFftEngine();
    const nc = 4, spokes = 64, samples = 2 * n;
    const coord = new Float64Array(2 * spokes * samples);
    for (let s = 0; s < spokes; s++) for (let k = 0; k < samples; k++) {
      const r = (k - samples / 2) / 2, t = (Math.PI * s) / spokes;
      coord[2 * (s * samples + k)] = r * Math.cos(t);
      coord[2 * (s * samples + k) + 1] = r * Math.sin(t);
    }
    const w = Float64Array.from({ length: samples }, (_, k) => Math.max(0.25, Math.abs(k - samples / 2)));
    const npix = n * n;
    const truth = new Float32Array(2 * nc * npix), obj = new Float32Array(npix), img = new Float32Array(2 * nc * npix);
    const centres = [[-0.6, 0], [0.6, 0], [0, -0.6], [0, 0.6]];
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      const u = (x - n / 2) / (n / 2), v = (y - n / 2) / (n / 2), i = y * n + x;
      obj[i] = u * u + v * v < 0.5 ? 1 + 0.5 * (u > 0.2 ? 1 : 0) : 0;
      let rss = 0;
      const c = centres.map(([cx, cy]) => Math.exp(-((u - cx) ** 2 + (v - cy) ** 2)));
      c.forEach((q) => { rss += q * q; });
      c.forEach((q, j) => {
        const ph = 0.5 * j * u;
        truth[2 * (j * npix + i)] = (q / Math.sqrt(rss)) * Math.cos(ph);
        truth[2 * (j * npix + i) + 1] = (q / Math.sqrt(rss)) * Math.sin(ph);
        img[2 * (j * npix + i)] = truth[2 * (j * npix + i)] * obj[i];
        img[2 * (j * npix + i) + 1] = truth[2 * (j * npix + i) + 1] * obj[i];
      });
    }
    const plan = Nufft.withEngine(fft, coord, [n, n]);
    const ksp = plan.forward(img, nc); // [coil][spoke][sample]
    plan.dispose();
    const arms: ArmSamples[] = Array.from({ length: spokes }, (_, s) => {
      const data = new Float32Array(2 * nc * samples);
      for (let c = 0; c < nc; c++) data.set(ksp.subarray(2 * (c * spokes * samples + s * samples), 2 * (c * spokes * samples + (s + 1) * samples)), 2 * c * samples);
      return { data, angle: s };
    });
    return { fft, arms, coord, samples, w, nc, truth, obj };
  }

  function mismatch(maps: Float32Array, truth: Float32Array, obj: Float32Array, nc: number): { inObject: number; rss: number } {
    const npix = obj.length;
    let m = 0, cnt = 0, rssErr = 0;
    for (let i = 0; i < npix; i++) {
      let re = 0, im = 0, na = 0;
      for (let c = 0; c < nc; c++) {
        const q = 2 * (c * npix + i);
        re += maps[q] * truth[q] + maps[q + 1] * truth[q + 1];
        im += maps[q] * truth[q + 1] - maps[q + 1] * truth[q];
        na += maps[q] ** 2 + maps[q + 1] ** 2;
      }
      rssErr = Math.max(rssErr, Math.abs(Math.sqrt(na) - 1));
      if (obj[i] > 0) { m += 1 - Math.hypot(re, im) / Math.sqrt(na); cnt++; }
    }
    return { inObject: m / cnt, rss: rssErr };
  }

  it('default (Sobolev low-resolution) maps: unit RSS everywhere, true sensitivities in the object', async () => {
    const n = 32;
    const { fft, arms, coord, samples, w, nc, truth, obj } = await simulate(n);
    const maps = coilMapsFromArms(fft, arms, coord, samples, w, nc, n);
    const m = mismatch(maps, truth, obj, nc);
    expect(m.rss).toBeLessThan(1e-4);
    expect(m.inObject).toBeLessThan(0.01);
    const inati = coilMapsFromArms(fft, arms, coord, samples, w, nc, n, { method: 'inati' });
    expect(mismatch(inati, truth, obj, nc).rss).toBeLessThan(1e-4);
    // the methods differ (the default is not Inati's)
    let d = 0;
    for (let i = 0; i < maps.length; i++) d += Math.abs(Math.abs(maps[i]) - Math.abs(inati[i]));
    expect(d / maps.length).toBeGreaterThan(1e-3);
  });
});
