import { afterAll, describe, expect, it, vi } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { closeReconPools, ReconPool, reconPool } from '../../pool/index.js';
import { coilMapsFromArms, sobolevLowpass, type ArmSamples } from './coil-maps.js';
import { coilMapsFromArmsAsync, sobolevLowpassParallel } from './parallel-coil-maps.js';
import { randomFloat32 as random } from '../../testing/index.js';

afterAll(async () => {
  await closeReconPools();
});

describe('coil maps from arms with the per-coil work on the pool', () => {
  const n = 40, nc = 5, angles = 24, samples = 2 * n;
  const coord = new Float64Array(2 * angles * samples);
  for (let s = 0; s < angles; s++) for (let k = 0; k < samples; k++) {
    const r = (k - samples / 2) / 2, t = (Math.PI * s) / angles;
    coord[2 * (s * samples + k)] = r * Math.cos(t);
    coord[2 * (s * samples + k) + 1] = r * Math.sin(t);
  }
  const w = Float64Array.from({ length: samples }, (_, k) => Math.max(0.25, Math.abs(k - samples / 2)));
  // 40 arms on 24 angles: some angles twice (summed per angle first)
  const arms: ArmSamples[] = Array.from({ length: 40 }, (_, i) => ({ angle: (i * 7) % angles, data: random(2 * nc * samples, i + 1) }));

  for (const method of ['sobolev', 'inati'] as const) {
    it(`${method}: the same map bits with 2 and 3 threads as on one`, async () => {
      const fft = await getFftEngine();
      const single = coilMapsFromArms(fft, arms, coord, samples, w, nc, n, { method });
      const spy = vi.spyOn(ReconPool.prototype, 'runAll');
      try {
        for (const threads of [2, 3]) {
          expect(await coilMapsFromArmsAsync(fft, reconPool(threads), arms, coord, samples, w, nc, n, { method })).toEqual(single);
        }
        // the work went to the pool: the NUFFT (both methods) and the low-pass (sobolev)
        expect(spy).toHaveBeenCalledTimes(method === 'sobolev' ? 4 : 2);
      } finally {
        spy.mockRestore();
      }
      expect(await coilMapsFromArmsAsync(fft, null, arms, coord, samples, w, nc, n, { method })).toEqual(single);
    });
  }

  it('the Sobolev low-pass over coils on the pool is the single-thread one', async () => {
    const fft = await getFftEngine();
    const img = random(2 * nc * n * n, 77);
    const expected = sobolevLowpass(fft, img.slice(), nc, n, 32, 16);
    const got = img.slice();
    expect(await sobolevLowpassParallel(fft, reconPool(2), got, nc, n, 32, 16)).toBe(got);
    expect(got).toEqual(expected);
  });
});
