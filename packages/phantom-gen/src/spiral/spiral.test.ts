import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { simulateFullDisk } from '@mrd-tools/core/testing';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { parseIsmrmrdHeader, getUserParameterString } from '@mrd-tools/core/xml-header';
import { readMatFile, matField, matNumber } from '@mrd-tools/core/mat-file';
import { Nufft } from '@mrd-tools/recon-kernels/nufft';
import { GAMMA_BAR_HZ_PER_T, designSpiral, goldenAngleArms, spiralDensityWeights } from './design.js';
import { CoilModel, DEFAULT_MOTION, armCoilData, besselJ1, heartEllipse, renderPhantom, staticEllipses, staticTermTransforms } from './simulate.js';
import { ecgWaveforms, pilotToneWaveform, writeSpiralPhantom } from './dataset.js';

describe('spiral design', () => {
  const o = { interleaves: 16, fov: 0.24, resolution: 0.00375, dt: 2e-6, gmax: 0.024, smax: 120, vd: 1 };
  const d = designSpiral(o);
  it('reaches kmax = 1/(2 res) within gradient and slew limits', () => {
    expect(Math.hypot(d.kx[d.samples - 1], d.ky[d.samples - 1])).toBeGreaterThanOrEqual(d.kmax * 0.999);
    let gm = 0, sm = 0;
    for (let i = 1; i < d.samples; i++) {
      gm = Math.max(gm, Math.hypot(d.gx[i], d.gy[i]));
      sm = Math.max(sm, Math.hypot(d.gx[i] - d.gx[i - 1], d.gy[i] - d.gy[i - 1]) / o.dt);
    }
    expect(gm).toBeLessThanOrEqual(o.gmax * 1.001);
    expect(sm).toBeLessThanOrEqual(o.smax * 1.02); // sampled at the dwell: discretisation only
    expect(sm).toBeGreaterThan(o.smax * 0.98); // slew limited (at 3.75 mm the amplitude limit is not reached)
    // at 1 mm the outer part is amplitude limited
    const fine = designSpiral({ ...o, resolution: 0.001 });
    let gf = 0;
    for (let i = 1; i < fine.samples; i++) gf = Math.max(gf, Math.hypot(fine.gx[i], fine.gy[i]));
    expect(gf).toBeGreaterThan(o.gmax * 0.99);
    expect(gf).toBeLessThanOrEqual(o.gmax * 1.001);
    // gradients integrate back to the trajectory
    let kx = 0;
    for (let i = 1; i < d.samples; i++) kx += d.gx[i] * GAMMA_BAR_HZ_PER_T * o.dt;
    expect(kx).toBeCloseTo(d.kx[d.samples - 1], 6);
  });
  it('Nyquist spacing between turns: N arms cover 1/FOV radially', () => {
    // radial distance between successive turns of one arm at mid radius is N / FOV
    const S = d.samples;
    const ang = new Float64Array(S);
    let turns = 0;
    for (let i = 1; i < S; i++) {
      const a0 = Math.atan2(d.ky[i - 1], d.kx[i - 1]), a1 = Math.atan2(d.ky[i], d.kx[i]);
      if (a0 > 2 && a1 < -2) turns++;
      ang[i] = turns;
    }
    expect(turns).toBeGreaterThan(0);
    const expectedTurns = (d.kmax * o.fov) / o.interleaves;
    expect(Math.abs(turns - expectedTurns)).toBeLessThanOrEqual(1);
  });
  it('golden-angle arms are rotations; density weights positive and normalised', () => {
    const arms = goldenAngleArms(d, 3);
    const r0 = Math.hypot(arms.kx[d.samples - 1], arms.ky[d.samples - 1]);
    const r2 = Math.hypot(arms.kx[3 * d.samples - 1], arms.ky[3 * d.samples - 1]);
    expect(r2).toBeCloseTo(r0, 9);
    const w = spiralDensityWeights(d);
    expect(Math.max(...w)).toBe(1);
    expect(w[0]).toBe(0);
  });
  it('rejects impossible options', () => {
    expect(() => designSpiral({ ...o, vd: 1.5 })).toThrow(/vd/);
    expect(() => designSpiral({ ...o, gmax: 0 })).toThrow(/gmax must be a positive number/);
  });
});

describe('analytic phantom', () => {
  it('J1 matches tabulated values', () => {
    expect(besselJ1(1)).toBeCloseTo(0.44005058574, 8);
    expect(besselJ1(5)).toBeCloseTo(-0.32757913759, 8);
    expect(besselJ1(10)).toBeCloseTo(0.04347274617, 8);
    expect(besselJ1(-2)).toBeCloseTo(-0.57672480776, 8);
  });

  it('spiral data reconstructed by the NUFFT matches the phantom (NRMSE < 0.3 at 64 x 64, no noise; a wrong trajectory > 0.6)', async () => {
    const fov = 0.24, n = 64;
    const d = designSpiral({ interleaves: 16, fov, resolution: fov / n, dt: 2e-6, gmax: 0.024, smax: 120, vd: 1 });
    const arms = 16, S = d.samples;
    const set = goldenAngleArms(d, arms);
    const w = spiralDensityWeights(d);
    const model = new CoilModel(4, fov);
    const el = staticEllipses(fov);
    const heart = heartEllipse(DEFAULT_MOTION, fov, 1);
    const res = fov / n, scale = 1 / (res * res * n);
    const data = new Float32Array(2 * 4 * arms * S);
    const coord = new Float64Array(2 * arms * S);
    const kmaxScale = (0.5 * n) / d.kmax;
    for (let a = 0; a < arms; a++) {
      const kx = set.kx.subarray(a * S, (a + 1) * S), ky = set.ky.subarray(a * S, (a + 1) * S);
      const st = staticTermTransforms(el, model, kx, ky);
      const arm = new Float32Array(2 * 4 * S);
      armCoilData(model, st, kx, ky, heart, 0, scale, arm, 0, S);
      for (let c = 0; c < 4; c++) for (let s = 0; s < S; s++) {
        data[2 * (c * arms * S + a * S + s)] = arm[2 * (c * S + s)] * w[s];
        data[2 * (c * arms * S + a * S + s) + 1] = arm[2 * (c * S + s) + 1] * w[s];
      }
      for (let s = 0; s < S; s++) {
        coord[2 * (a * S + s)] = ky[s] * kmaxScale; // rows = y
        coord[2 * (a * S + s) + 1] = kx[s] * kmaxScale; // columns = x
      }
    }
    const nrmse = await reconNrmse(coord, data, n, fov, model);
    console.log(`spiral phantom NUFFT recon NRMSE ${nrmse.toFixed(4)}`);
    expect(nrmse).toBeLessThan(0.3);
    // negative control: the same data on transposed coordinates
    const swapped = new Float64Array(coord.length);
    for (let i = 0; i < coord.length; i += 2) { swapped[i] = coord[i + 1]; swapped[i + 1] = coord[i]; }
    expect(await reconNrmse(swapped, data, n, fov, model)).toBeGreaterThan(0.6);
  });
});

async function reconNrmse(coord: Float64Array, data: Float32Array, n: number, fov: number, model: CoilModel): Promise<number> {
    const res = fov / n;
    const plan = await Nufft.create(coord, [n, n]);
    const img = plan.adjoint(data, 4);
    plan.dispose();
    const truth = renderPhantom(fov, n, { ...DEFAULT_MOTION, cardiacAmplitude: 0, respAmplitude: 0 }, 0);
    // compare |sum_c conj(s_c) img_c| / sum |s_c|^2 with the phantom
    const rec = new Float64Array(n * n);
    for (let iy = 0; iy < n; iy++) for (let ix = 0; ix < n; ix++) {
      const x = (ix - n / 2) * res, y = (iy - n / 2) * res;
      let re = 0, im = 0, ss = 0;
      for (let c = 0; c < 4; c++) {
        const [sr, si] = model.at(c, x, y);
        const k = 2 * (c * n * n + iy * n + ix);
        re += sr * img[k] + si * img[k + 1];
        im += sr * img[k + 1] - si * img[k];
        ss += sr * sr + si * si;
      }
      rec[iy * n + ix] = Math.hypot(re, im) / ss;
    }
    // best scalar fit (density weights are relative), then NRMSE inside the FOV circle
    let num = 0, den = 0;
    for (let i = 0; i < n * n; i++) { num += rec[i] * truth[i]; den += rec[i] * rec[i]; }
    const f = num / den;
    let err = 0, ref = 0;
    for (let i = 0; i < n * n; i++) { err += (f * rec[i] - truth[i]) ** 2; ref += truth[i] ** 2; }
    return Math.sqrt(err / ref);
}

describe('physiological waveforms consistent with the motion', () => {
  const m = { ...DEFAULT_MOTION, cardiacHz: 1.25, respHz: 0.3 };
  it('ECG (id 0): one trigger on channel 4 per heartbeat, at the cycle start', () => {
    const wfs = ecgWaveforms(m, 4);
    expect(wfs.every((w) => w.head.waveform_id === 0 && w.head.channels === 5 && w.head.sample_time_us === 2500)).toBe(true);
    const trig: number[] = [];
    let n0 = 0;
    for (const w of wfs) {
      const len = w.head.number_of_samples;
      for (let i = 0; i < len; i++) if (w.data[4 * len + i] > 0) trig.push((n0 + i) * 2.5e-3);
      n0 += len;
    }
    expect(trig.length).toBe(5); // t = 0, 0.8, 1.6, 2.4, 3.2 s
    for (let k = 1; k < trig.length; k++) expect(Math.abs(trig[k] - trig[k - 1] - 0.8)).toBeLessThanOrEqual(2.5e-3);
  });
  it('pilot tone (id 1025): channel 0 follows the breathing shift, channel 2 marks heartbeats', () => {
    const tr = 5, arms = 800;
    const w = pilotToneWaveform(m, arms, tr, 0.24);
    expect([w.head.waveform_id, w.head.channels, w.head.number_of_samples]).toEqual([1025, 5, arms]);
    let ab = 0, aa = 0, bb = 0, trig = 0;
    for (let j = 0; j < arms; j++) {
      const a = w.data[j] - 2 ** 31, b = Math.sin(2 * Math.PI * m.respHz * (j * tr) / 1000);
      ab += a * b; aa += a * a; bb += b * b;
      if (w.data[2 * arms + j] - 2 ** 31 !== 0) trig++;
    }
    expect(ab / Math.sqrt(aa * bb)).toBeGreaterThan(0.999);
    expect(trig).toBe(Math.ceil((arms * tr) / 1000 * m.cardiacHz));
  });
});

describe('spiral phantom file', () => {
  it('writes the MRD file and the metafile the recon reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spiral-'));
    const r = await writeSpiralPhantom({
      output: join(dir, 'raw.h5'), interleaves: 8, fovCm: 24, resolutionMm: 6, arms: 20, coils: 3, seed: 1, ecg: true, pilotTone: true,
    });
    expect(r.msize).toBe(40);
    const m = readMatFile(r.metafile);
    expect(m.variables.get('kx')!.dims).toEqual([r.design.samples, 8]);
    expect(m.variables.get('w')!.dims).toEqual([1, r.design.samples]);
    const p = m.variables.get('param')!;
    expect(['fov', 'spatial_resolution', 'interleaves', 'pre_discard'].map((k) => matNumber(matField(p, k)!))).toEqual([24, 6, 8, 10]);
    const f = await MrdFile.open(r.output);
    try {
      const h = parseIsmrmrdHeader(f.readHeader('dataset')!);
      expect(getUserParameterString(h, 'tSequenceVariant')).toBe(r.hash);
      expect(h.sequenceParameters?.TR?.[0]).toBe(r.trMs);
      expect(h.acquisitionSystemInformation?.receiverChannels).toBe(3);
      expect(h.measurementInformation?.patientPosition).toBe('HFS');
      expect(f.acquisitionCount('dataset')).toBe(20);
    } finally {
      f.close();
    }
    // by default the metafile goes to seq_meta/ beside the output, where the recons look
    expect(r.metafile).toBe(join(dir, 'seq_meta', `${r.hash}.mat`));
    expect(r.metafileReused).toBe(false);
  });

  it('keeps an identical metafile, never replaces a different one without force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spiral-meta-'));
    const o = { interleaves: 8, fovCm: 24, resolutionMm: 6, coils: 2, seed: 1 };
    const r1 = await writeSpiralPhantom({ ...o, output: join(dir, 'a.h5'), arms: 20 });
    const r2 = await writeSpiralPhantom({ ...o, output: join(dir, 'b.h5'), arms: 40 });
    expect(r2.metafile).toBe(r1.metafile);
    expect(r2.metafileReused).toBe(true);
    writeFileSync(r1.metafile, 'a file of my own');
    await expect(writeSpiralPhantom({ ...o, output: join(dir, 'c.h5'), arms: 20 })).rejects.toThrow(`cannot write ${r1.metafile}: a different metafile`);
    expect(readFileSync(r1.metafile, 'utf8')).toBe('a file of my own');
    expect(existsSync(join(dir, 'c.h5'))).toBe(false);
  });

  it('on a full disk: the error names the file; neither the MRD file nor a new metafile is left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spiral-full-'));
    const disk = simulateFullDisk(dir, 200_000);
    try {
      await expect(writeSpiralPhantom({ output: join(dir, 'sp.h5'), interleaves: 8, resolutionMm: 3, arms: 200, coils: 4, seed: 1 }))
        .rejects.toThrow(`cannot write ${join(dir, 'sp.h5')}: no space left on device`);
    } finally {
      disk.uninstall();
    }
    // seq_meta/ was made by this run for the metafile: it goes with it
    expect(readdirSync(dir)).toEqual([]);
  });
});
