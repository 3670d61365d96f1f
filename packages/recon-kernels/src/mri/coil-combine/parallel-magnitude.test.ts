import { afterAll, describe, expect, it } from 'vitest';
import { closeReconPools, reconPool, sharedFloat32 } from '../../pool/index.js';
import { combineWithMaps, rootSumOfSquares } from './coil-combine.js';
import { combineMagnitudeOnPool } from './parallel-magnitude.js';
import { signedRng } from '../../testing/index.js';

afterAll(async () => {
  await closeReconPools();
});

describe('magnitude coil combination on the pool', () => {
  it('root sum of squares and combination with maps: the single-thread bits at 1, 2 and 3 threads', async () => {
    const ncoils = 5, npix = 37 * 41;
    const images = sharedFloat32(2 * ncoils * npix);
    const maps = new Float64Array(new SharedArrayBuffer(16 * ncoils * npix));
    const rnd = signedRng(7);
    for (let i = 0; i < images.length; i++) images[i] = rnd();
    for (let i = 0; i < maps.length; i++) maps[i] = rnd();
    const rss = rootSumOfSquares(images, ncoils, npix);
    const withMaps = combineWithMaps(images, maps, ncoils, npix);
    expect(rss).not.toEqual(withMaps);
    for (const threads of [1, 2, 3]) {
      const pool = reconPool(threads);
      expect(await combineMagnitudeOnPool(pool, images, null, ncoils, npix, sharedFloat32(npix))).toEqual(rss);
      expect(await combineMagnitudeOnPool(pool, images, maps, ncoils, npix, sharedFloat32(npix))).toEqual(withMaps);
    }
  });

  it('on the pool, arrays not on shared memory are an error (a worker could not write them)', async () => {
    await expect(combineMagnitudeOnPool(reconPool(2), new Float32Array(8), null, 2, 2, new Float32Array(2))).rejects.toThrow(/SharedArrayBuffers/);
  });
});
