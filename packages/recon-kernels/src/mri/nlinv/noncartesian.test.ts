import { describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { Nufft } from '../../nufft/index.js';
import { estimateImageShape, nlinvNonCartesian, nlinvNonCartesianAsync } from './noncartesian.js';
import { normalisedMagnitudes, nrmseInside, syntheticCoilObject } from '../../testing/synthetic-coil-object.js';

describe('estimateImageShape (BART estimate_im_dims)', () => {
  it('is 2 ceil(max |k|) per axis', () => {
    expect(estimateImageShape([0, 0, 15.5, -3, -16, 20.2])).toEqual([32, 42]);
    expect(estimateImageShape([0, 0, 0, 5])).toEqual([1, 10]);
  });
});

describe('nlinvNonCartesian', () => {
  it('recovers the normalised coil-map magnitudes of a radially sampled object', async () => {
    const fft = await getFftEngine();
    const n = 32, nc = 4, npix = n * n, spokes = 48, samples = 2 * n;
    const { rho, maps, inside } = syntheticCoilObject(n, nc);
    const img = new Float32Array(2 * nc * npix);
    for (let c = 0; c < nc; c++) for (let p = 0; p < npix; p++) {
      img[2 * (c * npix + p)] = rho[2 * p] * maps[2 * (c * npix + p)];
      img[2 * (c * npix + p) + 1] = rho[2 * p] * maps[2 * (c * npix + p) + 1];
    }
    // radial spokes through the centre, |k| < n/2 (so the estimated image size is n)
    const coord = new Float64Array(2 * spokes * samples);
    for (let s = 0; s < spokes; s++) for (let k = 0; k < samples; k++) {
      const r = ((k - samples / 2) / samples) * (n - 0.5), t = (Math.PI * s) / spokes;
      coord[2 * (s * samples + k)] = r * Math.cos(t);
      coord[2 * (s * samples + k) + 1] = r * Math.sin(t);
    }
    const plan = Nufft.withEngine(fft, coord, [n, n]);
    const ksp = plan.forward(img, nc);
    plan.dispose();
    const newton: Array<[number, number]> = [];
    const res = nlinvNonCartesian(fft, coord, ksp, new Float32Array(spokes * samples).fill(1), nc, { iterations: 10, onProgress: (d, t) => newton.push([d, t]) });
    expect(newton).toEqual(Array.from({ length: 10 }, (_, i) => [i + 1, 10]));
    // the cooperative run (event loop turns between CG iterations) computes the same maps
    const again = await nlinvNonCartesianAsync(fft, coord, ksp, new Float32Array(spokes * samples).fill(1), nc, { iterations: 10, yieldEveryMs: 0 });
    expect(Array.from(again.sens)).toEqual(Array.from(res.sens));
    expect(res.shape).toEqual([2 * n, 2 * n]);
    // the central n x n of the 2x-FOV sensitivities
    const g = 2 * n, crop = new Float32Array(2 * nc * npix);
    for (let c = 0; c < nc; c++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const s = 2 * (c * g * g + (i + n / 2) * g + j + n / 2), d = 2 * (c * npix + i * n + j);
      crop[d] = res.sens[s];
      crop[d + 1] = res.sens[s + 1];
    }
    const e = nrmseInside(normalisedMagnitudes(crop, nc, npix), normalisedMagnitudes(maps, nc, npix), inside, nc);
    expect(e).toBeLessThan(0.08);
    // the image outside the restrict-FOV box (central half of the 2x grid) vanishes
    expect(Math.hypot(res.image[0], res.image[1])).toBeLessThan(1e-6);
  });

  it('rejects data of the wrong length', async () => {
    const fft = await getFftEngine();
    expect(() => nlinvNonCartesian(fft, [0, 1, 2, 3], new Float32Array(6), new Float32Array(2), 2)).toThrow(/nlinv/);
  });
});
