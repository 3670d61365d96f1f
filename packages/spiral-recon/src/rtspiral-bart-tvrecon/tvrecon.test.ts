import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMeta } from '@mrd-tools/core/meta';
import { DataType } from '@mrd-tools/core/constants';
import type { Acquisition, Image, Waveform } from '@mrd-tools/core/messages';
import type { IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { ReplayConnection } from '@mrd-tools/recon-api/testing';
import { imageSymmetry, readSessionMessages } from '@mrd-tools/core/testing';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { Nufft } from '@mrd-tools/recon-kernels/nufft';
import { closeReconPools } from '@mrd-tools/recon-kernels/pool';
import { ProgressReport } from '@mrd-tools/recon-api/progress';
import { writeSpiralPhantom, type SpiralPhantomResult } from '@mrd-tools/phantom-gen/spiral';
import { renderPhantom } from '@mrd-tools/phantom-gen/spiral';
import { findMetafile, readSpiralMetafile, sequenceHash } from '../metafile.js';
import { allArmsMetafile, bufferSpiralSession, frameChunks, process as tvrecon, reconstructTfd } from './index.js';
import { groupCoords, type SpiralArms } from './series.js';
import type { ArmSamples } from '@mrd-tools/recon-kernels/mri/coil-maps';

let dir: string;
let phantom: SpiralPhantomResult;
let header: IsmrmrdHeader;
let messages: MrdMessage[];
const motion = { cardiacHz: 1.1, respHz: 0.6, respAmplitude: 0.12, cardiacAmplitude: 0.35 };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tvrecon-'));
  phantom = await writeSpiralPhantom({
    metafileDir: dir,
    output: join(dir, 'raw.h5'), interleaves: 12, fovCm: 24, resolutionMm: 6, arms: 96, coils: 4, seed: 3, noiseLevel: 0.002,
    trMs: 18, motion, pilotTone: true,
  });
  ({ header, messages } = await readSessionMessages(phantom.output));
});

async function session(): Promise<{ series: SpiralArms; arms: ArmSamples[] }> {
  const fft = await getFftEngine();
  const meta = allArmsMetafile(readSpiralMetafile(findMetafile(sequenceHash(header), [dir], dir)));
  const s = await bufferSpiralSession(new ReplayConnection(messages), fft, header, meta, 1, undefined);
  return { series: s.series, arms: s.arms };
}

function magnitudes(x: Float32Array, frames: number, n: number): Float64Array[] {
  return Array.from({ length: frames }, (_, f) => Float64Array.from({ length: n * n }, (_, i) => Math.hypot(x[2 * (f * n * n + i)], x[2 * (f * n * n + i) + 1])));
}

/** NRMSE of a series against the truth after one least-squares scale for the whole series */
function seriesNrmse(rec: Float64Array[], truth: Float64Array[]): number {
  let num = 0, den = 0;
  rec.forEach((r, f) => r.forEach((v, i) => { num += v * truth[f][i]; den += v * v; }));
  const k = num / den;
  let e = 0, s = 0;
  rec.forEach((r, f) => r.forEach((v, i) => { e += (k * v - truth[f][i]) ** 2; s += truth[f][i] ** 2; }));
  return Math.sqrt(e / s);
}

afterAll(async () => {
  await closeReconPools();
});

describe('TFD chunks side by side on the pool (more chunks than threads)', () => {
  it('give the --threads 1 images bit for bit with 2 and 3 threads, and the progress reports every chunk\'s last CG step', async () => {
    const fft = await getFftEngine();
    const { series, arms } = await session();
    const apf = 3, frames = Math.floor(arms.length / apf);
    const input = { series, arms, armsPerFrame: apf, frames, chunks: 4, regLambda: 0.02, iterations: 10, backend: 'native' as const, coilMaps: 'sobolev' as const };
    const one = await reconstructTfd(fft, { ...input, threads: 1 });
    for (const threads of [2, 3]) {
      const lines: string[] = [];
      const progress = new ProgressReport({ label: 'tfd', intervalMs: 0, sink: (line) => { lines.push(line); } });
      const many = await reconstructTfd(fft, { ...input, threads, progress });
      expect(many.images).toEqual(one.images);
      for (let c = 1; c <= 4; c++) expect(lines.some((l) => l.includes(`TV solve: chunk ${c} of 4, CG step 20 of 20 (`))).toBe(true); // 10 CG steps: BART's budget, 2 outer iterations
    }
  }, 120_000);
});

describe('TFD native solve with the Toeplitz normal operator', () => {
  it('gives the images of the NUFFT-pair normal operator to 1 % complex NRMSE (same data, maps, scale, chunks, iterations)', async () => {
    const fft = await getFftEngine();
    const { series, arms } = await session();
    const apf = 3, frames = Math.floor(arms.length / apf);
    const input = { series, arms, armsPerFrame: apf, frames, chunks: 2, regLambda: 0.02, iterations: 25, backend: 'native' as const, coilMaps: 'sobolev' as const };
    const toep = await reconstructTfd(fft, { ...input, toeplitz: true });
    const pair = await reconstructTfd(fft, { ...input, toeplitz: false });
    let e = 0, r = 0;
    for (let i = 0; i < pair.images.length; i++) { e += (toep.images[i] - pair.images[i]) ** 2; r += pair.images[i] ** 2; }
    const err = Math.sqrt(e / r);
    console.log(`TFD Toeplitz vs NUFFT-pair normal operator: complex NRMSE ${(100 * err).toFixed(3)} %`);
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThan(0.01);
  });
});

describe('frameChunks', () => {
  it('splits as the reference with 3 frames of overlap inside, the remainder to the last chunk', () => {
    expect(frameChunks(10, 1)).toEqual([{ start: 0, end: 10, keepStart: 0, keepEnd: 10 }]);
    expect(frameChunks(12, 3)).toEqual([
      { start: 0, end: 7, keepStart: 0, keepEnd: 4 },
      { start: 1, end: 11, keepStart: 4, keepEnd: 8 },
      { start: 5, end: 12, keepStart: 8, keepEnd: 12 },
    ]);
    expect(frameChunks(7, 2)).toEqual([{ start: 0, end: 6, keepStart: 0, keepEnd: 3 }, { start: 0, end: 7, keepStart: 3, keepEnd: 7 }]);
  });
});

describe('TFD recon on the moving spiral phantom', () => {
  it('frames follow the true motion, with lower NRMSE than view sharing at the same temporal resolution', async () => {
    const fft = await getFftEngine();
    const { series, arms } = await session();
    const n = series.msize, apf = 3, frames = Math.floor(arms.length / apf);
    const { images, maps } = await reconstructTfd(fft, {
      series, arms, armsPerFrame: apf, frames, chunks: 2, regLambda: 0.02, iterations: 25, backend: 'native',
    });
    const tfd = magnitudes(images, frames, n);
    // view sharing: density-compensated adjoint of the same 3 arms per frame, combined with the same maps
    const vs: Float64Array[] = [];
    for (let f = 0; f < frames; f++) {
      const g = arms.slice(f * apf, (f + 1) * apf);
      const plan = Nufft.withEngine(fft, groupCoords(series, g), [n, n]);
      const S = series.samples, d = new Float32Array(2 * series.ncoils * apf * S);
      g.forEach((a, k) => { for (let c = 0; c < series.ncoils; c++) for (let s = 0; s < S; s++) {
        const o = 2 * (c * apf * S + k * S + s);
        d[o] = a.data[2 * (c * S + s)] * series.w[s];
        d[o + 1] = a.data[2 * (c * S + s) + 1] * series.w[s];
      } });
      const ci = plan.adjoint(d, series.ncoils);
      plan.dispose();
      const img = new Float64Array(n * n);
      for (let i = 0; i < n * n; i++) {
        let re = 0, im = 0;
        for (let c = 0; c < series.ncoils; c++) {
          const k = 2 * (c * n * n + i);
          re += maps[k] * ci[k] + maps[k + 1] * ci[k + 1];
          im += maps[k] * ci[k + 1] - maps[k + 1] * ci[k];
        }
        img[i] = Math.hypot(re, im);
      }
      vs.push(img);
    }
    // truth at each frame's middle arm time, in our orientation (the best of 8 symmetries, chosen on view sharing)
    const tr = phantom.trMs / 1000;
    const truthRaw = Array.from({ length: frames }, (_, f) => renderPhantom(0.24, n, phantom.motion, (f * apf + (apf - 1) / 2) * tr));
    let best = 0, bestErr = Infinity;
    for (let t = 0; t < 8; t++) {
      const e = seriesNrmse(vs, truthRaw.map((im) => imageSymmetry(im, n, t)));
      if (e < bestErr) { bestErr = e; best = t; }
    }
    const truth = truthRaw.map((im) => imageSymmetry(im, n, best));
    const eTfd = seriesNrmse(tfd, truth), eVs = seriesNrmse(vs, truth);
    // eslint-disable-next-line no-console
    console.log(`TFD NRMSE ${eTfd.toFixed(3)} vs view sharing ${eVs.toFixed(3)} (${frames} frames of ${apf} arms, ${n}x${n})`);
    // (absolute NRMSEs include what no recon at this matrix removes: Gibbs ringing against the
    // sharp-edged truth and the coil-sensitivity shading of unit-RSS maps; the comparison is relative)
    expect(eTfd).toBeLessThan(0.85 * eVs);
    // the motion: per-frame difference from the series mean correlates with the truth's
    const mean = (ims: Float64Array[]): Float64Array => { const m = new Float64Array(n * n); ims.forEach((im) => im.forEach((v, i) => { m[i] += v / ims.length; })); return m; };
    const mt = mean(truth);
    const dynamicCorrelation = (rec: Float64Array[]): number => {
      const mr = mean(rec);
      let num = 0, a2 = 0, b2 = 0;
      for (let f = 0; f < frames; f++) for (let i = 0; i < n * n; i++) {
        const a = truth[f][i] - mt[i], b = rec[f][i] - mr[i];
        num += a * b; a2 += a * a; b2 += b * b;
      }
      return num / Math.sqrt(a2 * b2);
    };
    const corr = dynamicCorrelation(tfd), corrVs = dynamicCorrelation(vs);
    console.log(`dynamic-part correlation with the truth: TFD ${corr.toFixed(3)}, view sharing ${corrVs.toFixed(3)}`);
    expect(corr).toBeGreaterThan(0.4);
    expect(corr).toBeGreaterThan(corrVs);
  });
});

describe('rtspiral_bart_tvrecon module', () => {
  function configDir(toml: string): string {
    const d = mkdtempSync(join(dir, 'cfg-'));
    writeFileSync(join(d, 'rtspiral_bart_tvrecon_config.toml'), toml);
    return d;
  }
  async function run(toml: string, progressIntervalMs?: number): Promise<{ images: Image[]; waveforms: Waveform[]; sent: MrdMessage[] }> {
    const conn = new ReplayConnection(messages);
    await tvrecon(conn, 'rtspiral_bart_tvrecon', header, { configSearchPath: [configDir(toml)], cwd: dir, progressIntervalMs });
    return {
      sent: conn.sent,
      images: conn.sent.filter((m): m is Extract<MrdMessage, { type: 'image' }> => m.type === 'image').map((m) => m.image),
      waveforms: conn.sent.filter((m): m is Extract<MrdMessage, { type: 'waveform' }> => m.type === 'waveform').map((m) => m.waveform),
    };
  }

  it('fewer arms than num_recon_frames asks for: fewer frames; headers, int16 scaling, meta and waveforms as the reference', async () => {
    const { images, waveforms, sent } = await run(`metafile_paths = ["${dir}"]\n[reconstruction]\narms_per_frame = 8\nnum_recon_frames = 40\nnum_chunks = 2\nfov_oversampling = 1.0\nnum_iter = 5\nreg_lambda = 0.001\n`);
    expect(images.length).toBe(12); // 96 arms / 8
    const acqs = messages.filter((m): m is Extract<MrdMessage, { type: 'acquisition' }> => m.type === 'acquisition').map((m) => m.acquisition);
    const t0 = acqs[0].head.acquisition_time_stamp;
    images.forEach((im, f) => {
      expect(im.head.image_index).toBe(f);
      expect(im.head.repetition).toBe(f);
      expect(im.head.acquisition_time_stamp).toBe(t0 + Math.trunc((f * 8 * phantom.trMs) / 2.5));
      expect(im.head.data_type).toBe(DataType.SHORT);
      expect(im.head.matrix_size).toEqual([40, 40, 1]);
      expect(Math.max(...(im.data as Int16Array))).toBe(4095);
    });
    const meta = parseMeta(images[0].attribute);
    expect(meta.getAll('WindowCenter')).toEqual(['2048.0']);
    expect(meta.getAll('WindowWidth')).toEqual(['4096']);
    expect(meta.getAll('ImageProcessingHistory')).toEqual(['FIRE', 'PYTHON']);
    expect(meta.getAll('ImageRowDir')?.length).toBe(3);
    const inWaveforms = messages.filter((m) => m.type === 'waveform').length;
    expect(inWaveforms).toBeGreaterThan(0);
    expect(waveforms.length).toBe(inWaveforms);
    expect(sent[sent.length - 1].type).toBe('waveform'); // after the images
  });

  it('speaks while it works: stages, Newton steps, chunk and CG step k of N with elapsed time and estimate, as INFO texts before the images', async () => {
    const { sent } = await run(`metafile_paths = ["${dir}"]\n[reconstruction]\narms_per_frame = 8\nnum_recon_frames = 12\nnum_chunks = 2\nfov_oversampling = 1.0\nnum_iter = 5\nreg_lambda = 0.001\n`, 0);
    const texts = sent.filter((m): m is Extract<MrdMessage, { type: 'text' }> => m.type === 'text').map((m) => m.text);
    expect(texts.every((t) => t.startsWith('INFO     rtspiral_bart_tvrecon: '))).toBe(true);
    const has = (re: RegExp) => expect(texts.some((t) => re.test(t)), String(re)).toBe(true);
    has(/: receiving data: started, elapsed \d+s$/);
    has(/: coil maps \(nlinv, 96 arms\): started/);
    has(/: coil maps: Newton step 13 of 13 \(100%\), elapsed \d+s, about 0s left in this stage$/);
    has(/: TV solve \(12 frames in 2 chunk\(s\), 5 CG steps each\): started/);
    has(/: TV solve: chunk 1 of 2, CG step 1 of 10 \(5%\), elapsed \d+s, about \d+s left in this stage$/);
    has(/: TV solve: chunk 2 of 2, CG step 10 of 10 \(100%\)/);
    has(/: reconstruction of 12 frames finished, sending them in \d+s$/);
    // all of it before the first image
    const firstImage = sent.findIndex((m) => m.type === 'image');
    expect(sent.findLastIndex((m) => m.type === 'text')).toBeLessThan(firstImage);
    // with the default interval a short run sends only its stage lines
    const quiet = (await run(`metafile_paths = ["${dir}"]\n[reconstruction]\narms_per_frame = 8\nnum_recon_frames = 12\nnum_chunks = 2\nfov_oversampling = 1.0\nnum_iter = 5\nreg_lambda = 0.001\n`)).sent
      .filter((m): m is Extract<MrdMessage, { type: 'text' }> => m.type === 'text').map((m) => m.text);
    expect(quiet.filter((t) => /CG step|Newton step/.test(t)).length).toBeLessThanOrEqual(2);
  });

  it('apply_girf works (the reference crashes): an identity-like GIRF gives the same frames up to the ADC-delay shift', async () => {
    const { encodeMatFile } = await import('@mrd-tools/core/mat-file');
    const { mkdirSync } = await import('node:fs');
    const n = 3800;
    const gdir = join(dir, 'girf');
    mkdirSync(gdir, { recursive: true });
    writeFileSync(join(gdir, 'g.mat'), encodeMatFile({ GIRF: { kind: 'numeric', class: 'single', dims: [n, 3], real: new Float32Array(n * 3).fill(1), imag: new Float32Array(n * 3) } }));
    const base = `[reconstruction]\narms_per_frame = 12\nnum_recon_frames = 8\nnum_chunks = 1\nfov_oversampling = 1.0\nnum_iter = 10\n`;
    const withGirf = await run(`metafile_paths = ["${dir}"]\ngirf_file = "${join(gdir, 'g.mat')}"\n` + base + 'apply_girf = true\n');
    const without = await run(`metafile_paths = ["${dir}"]\n` + base);
    expect(withGirf.images.length).toBe(8);
    const a = withGirf.images[3].data as Int16Array, b = without.images[3].data as Int16Array;
    let sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
    for (let i = 0; i < a.length; i++) { sa += a[i]; sb += b[i]; }
    for (let i = 0; i < a.length; i++) { const x = a[i] - sa / a.length, y = b[i] - sb / a.length; sab += x * y; saa += x * x; sbb += y * y; }
    expect(sab / Math.sqrt(saa * sbb)).toBeGreaterThan(0.9);
    await expect(run(`metafile_paths = ["${dir}"]\n` + base + 'apply_girf = true\n')).rejects.toThrow(/config key girf_file is not set/);
  });

  it('backend "bart" without bart installed: an error saying how to install it', async () => {
    const path = globalThis.process.env.PATH, tb = globalThis.process.env.BART_TOOLBOX_PATH;
    globalThis.process.env.PATH = dir;
    delete globalThis.process.env.BART_TOOLBOX_PATH;
    try {
      await expect(run(`metafile_paths = ["${dir}"]\n[reconstruction]\nbackend = "bart"\n`)).rejects.toThrow(/BART executable not found.*apt-get install bart/);
    } finally {
      globalThis.process.env.PATH = path;
      if (tb !== undefined) globalThis.process.env.BART_TOOLBOX_PATH = tb;
    }
  });

  it('a wrong key type is an error naming the key', async () => {
    await expect(run(`[reconstruction]\nnum_iter = "many"\n`)).rejects.toThrow(/reconstruction\.num_iter must be a positive integer/);
    await expect(run(`[reconstruction]\nbackend = "gpu"\n`)).rejects.toThrow(/reconstruction\.backend must be "native" or "bart"/);
  });
});
