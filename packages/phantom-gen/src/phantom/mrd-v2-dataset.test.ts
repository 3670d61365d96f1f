import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACQUISITION_FLAGS, decodeMrdV2, encodeMrdV2 } from '@mrd-tools/core/mrd-v2';
import { reference } from '@mrd-tools/core/testing';
import { mrdV2PhantomDifferences } from '../testing/same-phantom.js';
import { MrdV2PhantomDataset, mrdV2PhantomLines, resolveMrdV2PhantomOptions, type MrdV2PhantomOptions } from './mrd-v2-dataset.js';

async function ours(o: MrdV2PhantomOptions) {
  const ds = await MrdV2PhantomDataset.create(o);
  return { header: ds.header, items: [...ds.items()] };
}

describe('mrd-phantom --format mrd2 against upstream mrd.tools.phantom (reference files)', () => {
  it('-m 64 -c 4 -r 2 -n 0 equals phantom_m64_c4_r2_n0.mrd: every header field, data within 1e-5 relative, same stream size', async () => {
    const bytes = readFileSync(reference('mrd-v2/phantom_m64_c4_r2_n0.mrd'));
    const ref = decodeMrdV2(new Uint8Array(bytes));
    const o = await ours({ matrixSize: 64, coils: 4, repetitions: 2, noiseLevel: 0 });
    const d = mrdV2PhantomDifferences(o, ref);
    expect(d.problems).toEqual([]);
    expect(d.worstRelative).toBeLessThan(1e-5);
    expect(encodeMrdV2(o.header, o.items).length).toBe(bytes.length);
  });

  it('-m 16 -c 2 -n 0 --store-coordinates equals phantom_m16_c2_n0_traj.mrd (trajectory [2, samples] exactly)', async () => {
    const ref = decodeMrdV2(new Uint8Array(readFileSync(reference('mrd-v2/phantom_m16_c2_n0_traj.mrd'))));
    expect(mrdV2PhantomDifferences(await ours({ matrixSize: 16, coils: 2, repetitions: 1, noiseLevel: 0, storeCoordinates: true }), ref).problems).toEqual([]);
  });

  it('the comparison fails on a readout off by 1e-4 of its largest value', async () => {
    const ref = decodeMrdV2(new Uint8Array(readFileSync(reference('mrd-v2/phantom_m16_c2_n0_traj.mrd'))));
    const o = await ours({ matrixSize: 16, coils: 2, noiseLevel: 0, storeCoordinates: true });
    const acq = o.items[3]!.value as { data: { data: Float32Array } };
    const d = acq.data.data;
    let at = 0;
    for (let k = 1; k < d.length; k++) if (Math.abs(d[k]!) > Math.abs(d[at]!)) at = k;
    d[at] = d[at]! * (1 + 1e-4);
    expect(mrdV2PhantomDifferences(o, ref).problems).toEqual([expect.stringContaining('item 3: data differs')]);
  });

  it('T-SENSE layout: repetition r samples lines (line - r % R) % R == 0 plus the calibration region, flagged as upstream', () => {
    const o = resolveMrdV2PhantomOptions({ matrixSize: 8, repetitions: 2, acceleration: 2, calibrationWidth: 2, seed: 1 });
    const F = ACQUISITION_FLAGS;
    const lines = mrdV2PhantomLines(o);
    expect(lines.map((l) => `${l.repetition}:${l.line}`)).toEqual(['0:0', '0:2', '0:3', '0:4', '0:6', '1:1', '1:3', '1:4', '1:5', '1:7']);
    expect(lines[0]!.flags).toBe(F.firstInEncodeStep1 | F.firstInSlice | F.firstInRepetition);
    expect(lines[2]!.flags).toBe(F.isParallelCalibration);
    expect(lines[3]!.flags).toBe(F.isParallelCalibrationAndImaging);
    expect(lines[4]!.flags).toBe(F.lastInEncodeStep1 | F.lastInSlice | F.lastInRepetition);
  });

  it('noise: seeded runs repeat, noise readouts with -C come first', async () => {
    const a = await ours({ matrixSize: 8, coils: 2, noiseCalibration: true, seed: 7 });
    const b = await ours({ matrixSize: 8, coils: 2, noiseCalibration: true, seed: 7 });
    expect(encodeMrdV2(a.header, a.items)).toEqual(encodeMrdV2(b.header, b.items));
    expect(a.items.length).toBe(32 + 8);
    expect((a.items[0]!.value as { head: { flags: bigint } }).head.flags).toBe(ACQUISITION_FLAGS.isNoiseMeasurement);
    expect(() => resolveMrdV2PhantomOptions({ matrixSize: 7, oversampling: 2 })).toThrow(/must be even/);
  });
});
