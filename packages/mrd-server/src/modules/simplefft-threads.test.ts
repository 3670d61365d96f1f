import { afterAll, describe, expect, it } from 'vitest';
import { emptyAcquisitionHeader } from '@mrd-tools/core/headers';
import type { Acquisition } from '@mrd-tools/core/messages';
import type { IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { closeReconPools, reconPool } from '@mrd-tools/recon-kernels/pool';
import { reconstructSimpleFft, reconstructSimpleFftParallel } from './simplefft.js';

afterAll(async () => {
  await closeReconPools();
});

describe('simplefft on the worker pool', () => {
  it('a group of 8 coils x 256 x 256 gives the single-thread image bit for bit with 2 threads', async () => {
    const [cha, ro, pe] = [8, 256, 256];
    let s = 17;
    const group: Acquisition[] = Array.from({ length: pe }, (_, p) => {
      const head = emptyAcquisitionHeader();
      head.active_channels = cha;
      head.number_of_samples = ro;
      head.scan_counter = p;
      const data = new Float32Array(2 * cha * ro);
      for (let i = 0; i < data.length; i++) { s = (s * 1664525 + 1013904223) >>> 0; data[i] = s / 2 ** 32 - 0.5; }
      return { head, data, traj: new Float32Array(0) } as Acquisition;
    });
    const header = {
      encoding: [{ reconSpace: { matrixSize: { x: 128, y: 256, z: 1 }, fieldOfView_mm: { x: 300, y: 300, z: 5 } } }],
    } as unknown as IsmrmrdHeader;
    const fft = await getFftEngine();
    const one = reconstructSimpleFft(group, header, fft);
    const two = await reconstructSimpleFftParallel(group, header, fft, reconPool(2));
    expect(two.data).toEqual(one.data);
    expect(two.head).toEqual(one.head);
    expect(two.attribute).toEqual(one.attribute);
  });
});
