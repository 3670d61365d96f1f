import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMeta } from '@mrd-tools/core/meta';
import { DataType } from '@mrd-tools/core/constants';
import type { Image } from '@mrd-tools/core/messages';
import type { IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { ReplayConnection } from '@mrd-tools/recon-api/testing';
import { imageSymmetry, readSessionMessages } from '@mrd-tools/core/testing';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { closeReconPools, ReconPool } from '@mrd-tools/recon-kernels/pool';
import { writeSpiralPhantom, type SpiralPhantomResult } from '@mrd-tools/phantom-gen/spiral';
import { motionAt, renderPhantom } from '@mrd-tools/phantom-gen/spiral';
import { findMetafile, readSpiralMetafile, sequenceHash } from '../metafile.js';
import { allArmsMetafile, bufferSpiralSession } from '../rtspiral-bart-tvrecon/index.js';
import { cardiacBins, cyclicRespiratoryBins, pilotToneTriggers, waveformChannel } from './binning.js';
import { binGroups, process as xdgrasp, reconstructXdGrasp, zeroFilledBins } from './index.js';
import { nativeCoilMaps, nativeDataScale, nativeSolve } from '../rtspiral-bart-tvrecon/series.js';

let dir: string;
let phantom: SpiralPhantomResult;
let header: IsmrmrdHeader;
let messages: MrdMessage[];
const motion = { cardiacHz: 1.25, respHz: 0.3, respAmplitude: 0.15, cardiacAmplitude: 0.4 };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'xdgrasp-'));
  phantom = await writeSpiralPhantom({
    metafileDir: dir,
    output: join(dir, 'raw.h5'), interleaves: 12, fovCm: 24, resolutionMm: 6, arms: 560, coils: 4, seed: 4, noiseLevel: 0.002,
    trMs: 18, motion, pilotTone: true, ecg: true,
  });
  ({ header, messages } = await readSessionMessages(phantom.output));
});

describe('XD-GRASP on the moving spiral phantom (pilot tone)', () => {
  it('respiratory bins recover the respiratory positions and cardiac bins the cardiac phases', async () => {
    const fft = await getFftEngine();
    const meta = allArmsMetafile(readSpiralMetafile(findMetafile(sequenceHash(header), [dir], dir)));
    const s = await bufferSpiralSession(new ReplayConnection(messages), fft, header, meta, 1, undefined);
    const nr = 4, nc = 4;
    const resp = cyclicRespiratoryBins(waveformChannel(s.waveforms, 1025, 0).values, nr, 0.05);
    const card = cardiacBins(pilotToneTriggers(s.waveforms, 2, 0), nc);
    const img = await reconstructXdGrasp(fft, {
      series: s.series, arms: s.arms, respBins: resp, cardBins: card, nResp: nr, nCard: nc, fillSmallBins: true,
      lambdaResp: 0.02, lambdaCard: 0.02, iterations: 60, backend: 'native',
    });
    const n = s.series.msize, npix = n * n, tr = phantom.trMs / 1000;
    // truth per bin: the phantom averaged over (up to 12 of) the bin's arm times; bin mean motion
    const groups = binGroups(s.arms.map((a, i) => ({ ...a, angle: i })), resp, card, nr, nc, true);
    const truth = groups.map((g) => {
      const pick = g.filter((_, k) => k % Math.max(1, Math.floor(g.length / 12)) === 0);
      const acc = new Float64Array(npix);
      for (const a of pick) renderPhantom(0.24, n, phantom.motion, a.angle * tr, 2).forEach((v, i) => { acc[i] += v / pick.length; });
      return acc;
    });
    const dyMean = groups.map((g) => g.reduce((acc, a) => acc + motionAt(phantom.motion, a.angle * tr, 0.24).dy, 0) / g.length);
    const hsMean = groups.map((g) => g.reduce((acc, a) => acc + motionAt(phantom.motion, a.angle * tr, 0.24).heartScale, 0) / g.length);
    const rec = groups.map((_, g) => Float64Array.from({ length: npix }, (_, i) => Math.hypot(img[2 * (g * npix + i)], img[2 * (g * npix + i) + 1])));
    // orientation: the symmetry that best matches the series
    let best = 0, bestE = Infinity;
    for (let t = 0; t < 8; t++) {
      let e = 0;
      rec.forEach((r, g) => { const tt = imageSymmetry(truth[g], n, t); let num = 0, den = 0; r.forEach((v, i) => { num += v * tt[i]; den += v * v; }); const k = num / den; r.forEach((v, i) => { e += (k * v - tt[i]) ** 2; }); });
      if (e < bestE) { bestE = e; best = t; }
    }
    const tr8 = truth.map((t) => imageSymmetry(t, n, best));
    // dynamic part along one bin axis (averaged over the other), correlated with the truth's
    const along = (series: Float64Array[], axis: 0 | 1): Float64Array[] => {
      const len = axis === 0 ? nr : nc, other = axis === 0 ? nc : nr;
      const out = Array.from({ length: len }, () => new Float64Array(npix));
      for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
        const k = axis === 0 ? r : c;
        series[r * nc + c].forEach((v, i) => { out[k][i] += v / other; });
      }
      const mean = new Float64Array(npix);
      out.forEach((o) => o.forEach((v, i) => { mean[i] += v / len; }));
      return out.map((o) => o.map((v, i) => v - mean[i]));
    };
    const corr = (a: Float64Array[], b: Float64Array[]): number => {
      let num = 0, aa = 0, bb = 0;
      a.forEach((x, k) => x.forEach((v, i) => { num += v * b[k][i]; aa += v * v; bb += b[k][i] ** 2; }));
      return num / Math.sqrt(aa * bb);
    };
    const cResp = corr(along(rec, 0), along(tr8, 0)), cCard = corr(along(rec, 1), along(tr8, 1));
    const respDy = Array.from({ length: nr }, (_, r) => dyMean.slice(r * nc, (r + 1) * nc).reduce((a, b) => a + b, 0) / nc);
    const cardHs = Array.from({ length: nc }, (_, c) => hsMean.filter((_, g) => g % nc === c).reduce((a, b) => a + b, 0) / nr);
    console.log(`XD-GRASP ${nr}x${nc} bins (${n}x${n}): respiratory bins' mean shift ${respDy.map((v) => (v * 1000).toFixed(1)).join(', ')} mm, `
      + `cardiac bins' mean heart scale ${cardHs.map((v) => v.toFixed(3)).join(', ')}; dynamic correlation with the truth: respiratory ${cResp.toFixed(3)}, cardiac ${cCard.toFixed(3)}`);
    // the bins separate the motion states...
    expect(Math.max(...respDy) - Math.min(...respDy)).toBeGreaterThan(0.5 * 2 * motion.respAmplitude * 0.12);
    expect(Math.max(...cardHs) - Math.min(...cardHs)).toBeGreaterThan(0.3 * motion.cardiacAmplitude);
    // ...and the recon's bin images follow them
    expect(cResp).toBeGreaterThan(0.5);
    expect(cCard).toBeGreaterThan(0.3);
  });
});

describe('fill_small_bins zero-fill (the reference pads small bins with k = 0 arms of zero data)', () => {
  it('zeroFilledBins pads to the largest bin on an all-zero trajectory; the native solve uses the padded bins', async () => {
    const fft = await getFftEngine();
    const meta = allArmsMetafile(readSpiralMetafile(findMetafile(sequenceHash(header), [dir], dir)));
    const s = await bufferSpiralSession(new ReplayConnection(messages), fft, header, meta, 1, undefined);
    const arms = s.arms.slice(0, 40);
    const resp = Int32Array.from({ length: 40 }, (_, i) => (i % 5 < 2 ? 0 : 1));
    const card = Int32Array.from({ length: 40 }, (_, i) => Math.floor(i / 3) % 2);
    const groups = binGroups(arms, resp, card, 2, 2, true);
    const z = zeroFilledBins(s.series, groups);
    const max = Math.max(...groups.map((g) => g.length));
    expect(Math.min(...groups.map((g) => g.length))).toBeLessThan(max);
    expect(z.groups.every((g) => g.length === max)).toBe(true);
    const S = s.series.samples, zeroAngle = s.series.uniqueCoord.length / (2 * S);
    expect(z.series.uniqueCoord.length).toBe(s.series.uniqueCoord.length + 2 * S);
    expect(z.series.uniqueCoord.subarray(2 * S * zeroAngle).every((v) => v === 0)).toBe(true);
    z.groups.forEach((g, k) => g.slice(groups[k].length).forEach((a) => {
      expect(a.angle).toBe(zeroAngle);
      expect(a.data.every((v) => v === 0)).toBe(true);
    }));
    const p = { series: s.series, arms, respBins: resp, cardBins: card, nResp: 2, nCard: 2, fillSmallBins: true, lambdaResp: 0.01, lambdaCard: 0.01, iterations: 8, backend: 'native' as const };
    const img = await reconstructXdGrasp(fft, p);
    const maps = await nativeCoilMaps(fft, s.series, arms, 'nlinv', 14); // the module's maps: nlinv, 14 Newton steps as the reference
    const scale = nativeDataScale(fft, s.series, groups, maps);
    const tv = [{ axis: 0, lambda: 0.01 }, { axis: 1, lambda: 0.01 }];
    const padded = await nativeSolve(fft, z.series, z.groups, maps, [2, 2], tv, 8, scale);
    const unpadded = await nativeSolve(fft, s.series, groups, maps, [2, 2], tv, 8, scale);
    const diff = (a: Float32Array, b: Float32Array) => {
      let e = 0, n = 0;
      for (let i = 0; i < a.length; i++) { e += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
      return Math.sqrt(e / n);
    };
    expect(diff(img, padded)).toBeLessThan(1e-6);
    // the k = 0 zero samples change the problem: without them the images differ clearly
    expect(diff(unpadded, padded)).toBeGreaterThan(0.05);
  });
});

describe('native coil maps with threads (the recons\' `threads`, mrd-server --threads)', () => {
  afterAll(async () => {
    await closeReconPools();
  });

  it('threads 2 gives the maps of threads 1, bit for bit, with the per-coil work on the worker pool', async () => {
    const fft = await getFftEngine();
    const meta = allArmsMetafile(readSpiralMetafile(findMetafile(sequenceHash(header), [dir], dir)));
    const s = await bufferSpiralSession(new ReplayConnection(messages), fft, header, meta, 1, undefined);
    const arms = s.arms.slice(0, 120);
    const spy = vi.spyOn(ReconPool.prototype, 'runAll');
    try {
      for (const method of ['nlinv', 'sobolev'] as const) {
        const one = await nativeCoilMaps(fft, s.series, arms, method, 3);
        expect(spy).not.toHaveBeenCalled();
        const two = await nativeCoilMaps(fft, s.series, arms, method, 3, undefined, 2);
        expect(spy).toHaveBeenCalled();
        spy.mockClear();
        expect(two).toEqual(one);
      }
    } finally {
      spy.mockRestore();
    }
  });
});

describe('spiral_xdgrasp_recon module', () => {
  function configDir(toml: string): string {
    const d = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(d, 'spiral_xdgrasp_config.toml'), toml);
    return d;
  }
  it('bins as images: image_index = set = respiratory bin, phase = cardiac bin, Keep_image_geometry, waveforms echoed', async () => {
    const conn = new ReplayConnection(messages);
    await xdgrasp(conn, 'spiral_xdgrasp_recon', header, {
      configSearchPath: [configDir(`metafile_paths = ["${dir}"]\n[reconstruction]\narm_discard_pre = 0.5\narm_discard_post = 0\nnum_iter = 10\n[binning]\nn_respiratory_bins = 2\nn_cardiac_bins = 3\ntrigger_source = "ecg"\n`)],
      cwd: dir,
    });
    const images = conn.sent.filter((m): m is Extract<MrdMessage, { type: 'image' }> => m.type === 'image').map((m) => m.image);
    expect(images.length).toBe(6);
    expect(images.map((i: Image) => [i.head.image_index, i.head.set, i.head.phase])).toEqual([[0, 0, 0], [0, 0, 1], [0, 0, 2], [1, 1, 0], [1, 1, 1], [1, 1, 2]]);
    expect(images.every((i) => i.head.data_type === DataType.SHORT)).toBe(true);
    expect(Math.max(...images.map((i) => Math.max(...(i.data as Int16Array))))).toBe(4095);
    const meta = parseMeta(images[0].attribute);
    expect(meta.getAll('Keep_image_geometry')).toEqual(['1']);
    expect(meta.getAll('WindowWidth')).toEqual(['4096']);
    const wIn = messages.filter((m) => m.type === 'waveform').length;
    expect(conn.sent.filter((m) => m.type === 'waveform').length).toBe(wIn);
  });
  it('discards that leave fewer arms than bins (the defaults on a short acquisition): an error naming the settings and the config file', async () => {
    const conn = new ReplayConnection(messages);
    const cfg = configDir(`metafile_paths = ["${dir}"]\n[binning]\ntrigger_source = "ecg"\n`);
    await expect(xdgrasp(conn, 'x', header, { configSearchPath: [cfg], cwd: dir }))
      .rejects.toThrow(new RegExp(`^560 arms \\(10\\.1 s at TR 18 ms\\) arrived; arm_discard_pre = 5 s and arm_discard_post = 5 s leave \\d, fewer than the 12 x 20 = 240 respiratory x cardiac bins\\. Lower \\[reconstruction\\] arm_discard_pre / arm_discard_post .* in ${cfg}/spiral_xdgrasp_config\\.toml`));
  });

  it('sends progress as INFO texts: coil maps and the TV solve, CG step k of N', async () => {
    const conn = new ReplayConnection(messages);
    await xdgrasp(conn, 'spiral_xdgrasp_recon', header, {
      configSearchPath: [configDir(`metafile_paths = ["${dir}"]\n[reconstruction]\narm_discard_pre = 0.5\narm_discard_post = 0\nnum_iter = 10\n[binning]\nn_respiratory_bins = 2\nn_cardiac_bins = 3\ntrigger_source = "ecg"\n`)],
      cwd: dir, progressIntervalMs: 0,
    });
    const texts = conn.sent.filter((m): m is Extract<MrdMessage, { type: 'text' }> => m.type === 'text').map((m) => m.text);
    expect(texts.some((t) => /^INFO {5}spiral_xdgrasp_recon: coil maps: Newton step 14 of 14 \(100%\), elapsed/.test(t))).toBe(true);
    expect(texts.some((t) => /^INFO {5}spiral_xdgrasp_recon: TV solve: CG step \d+ of 20 \(\d+%\), elapsed \d+s, about \d+s left in this stage$/.test(t))).toBe(true);
  });

  it('a bad trigger_source is an error naming the key', async () => {
    const conn = new ReplayConnection(messages);
    await expect(xdgrasp(conn, 'x', header, { configSearchPath: [configDir(`[binning]\ntrigger_source = "pulse"\n`)], cwd: dir })).rejects.toThrow(/binning\.trigger_source must be/);
  });
});
