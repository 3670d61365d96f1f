import { afterAll, describe, expect, it, beforeAll, vi } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { parseIsmrmrdHeader, serializeIsmrmrdHeader, type IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { parseMeta } from '@mrd-tools/core/meta';
import { DataType } from '@mrd-tools/core/constants';
import type { Acquisition, Image } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { ReplayConnection } from '@mrd-tools/recon-api/testing';
import { THREADS_ENV } from '@mrd-tools/recon-api/threads';
import { closeReconPools } from '@mrd-tools/recon-kernels/pool';
import { SharedGrid } from '@mrd-tools/recon-kernels/nufft';
import { writeSpiralPhantom, type SpiralPhantomResult } from '@mrd-tools/phantom-gen/spiral';
import { process as simplenufft1arm } from './simplenufft1arm.js';
import { int16Percentiles } from './percentile.js';

let dir: string;
let phantom: SpiralPhantomResult;
let header: IsmrmrdHeader;
let acqs: Acquisition[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nufft1arm-'));
  phantom = await writeSpiralPhantom({ output: join(dir, 'raw.h5'), metafileDir: dir, interleaves: 12, fovCm: 24, resolutionMm: 4, arms: 60, coils: 4, seed: 5, noiseLevel: 0.01 });
  const f = await MrdFile.open(phantom.output);
  try {
    header = parseIsmrmrdHeader(f.readHeader('dataset')!);
    acqs = [];
    for await (const a of f.acquisitions('dataset')) acqs.push({ head: a.head, traj: a.traj, data: a.data.slice() });
  } finally {
    f.close();
  }
});

function configDir(toml: string): string {
  const d = mkdtempSync(join(dir, 'cfg-'));
  writeFileSync(join(d, 'rtspiral_vs_config.toml'), toml);
  return d;
}

async function run(toml: string, h: IsmrmrdHeader = header, input: Acquisition[] = acqs): Promise<Image[]> {
  const conn = new ReplayConnection(input.map((a): MrdMessage => ({ type: 'acquisition', acquisition: a })));
  await simplenufft1arm(conn, 'simplenufft1arm', h, { configSearchPath: [configDir(toml)], cwd: dir });
  return conn.sent.filter((m): m is Extract<MrdMessage, { type: 'image' }> => m.type === 'image').map((m) => m.image);
}

/** a meta value as its list of strings */
const mv = (attr: string, key: string): string[] => parseMeta(attr).getAll(key) ?? [];

const base = (extra = '') => `metafile_paths = ["${dir}"]\n[reconstruction]\n${extra}`;

describe('simplenufft1arm', () => {
  it('frames every window_shift arms once arms_per_frame are in; counters and meta as the reference', async () => {
    const imgs = await run(base('arms_per_frame = 12\nwindow_shift = 6\n'));
    // triggers at scan_counter 12, 18, ..., 60
    expect(imgs.length).toBe(9);
    expect(imgs.map((i) => i.head.image_index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(imgs.map((i) => i.head.repetition)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const first = imgs[0];
    expect(first.head.data_type).toBe(DataType.SHORT);
    expect(first.head.matrix_size).toEqual([60, 60, 1]);
    // header from the frame's last arm (scan counter 12)
    expect(first.head.acquisition_time_stamp).toBe(acqs[11].head.acquisition_time_stamp);
    expect(first.head.field_of_view).toEqual([240, 240, 8]);
    expect(mv(first.attribute, 'NumArmsPerFrame')).toEqual(['12']);
    expect(mv(first.attribute, 'GriddingWindowShift')).toEqual(['6']);
    expect(mv(first.attribute, 'ImageProcessingHistory')).toEqual(['FIRE', 'PYTHON', 'simplenufft1arm']);
    const data = first.data as Int16Array;
    expect(Math.max(...data)).toBe(4095); // BitsStored 12
    const scale = Number(mv(first.attribute, 'ImageScaleFactor')[0]);
    expect(scale).toBeGreaterThan(0);
    const [p1, p99] = int16Percentiles(data, [1, 99]);
    expect(Number(mv(first.attribute, 'WindowWidth')[0])).toBeCloseTo(p99 - p1, 9);
    expect(Number(mv(first.attribute, 'WindowCenter')[0])).toBe(Math.floor((p99 + p1) / 2));
    expect(mv(first.attribute, 'WindowCenter')[0]).toMatch(/\.0$/); // a Python float
    expect(mv(first.attribute, 'ImageRowDir')).toEqual(['1.000000000000000000', '0.000000000000000000', '0.000000000000000000']);
  });

  it('a frame holds every arm since the last shift: arms_per_frame 10, window_shift 4 -> 12-arm frames at 12, 16, ...', async () => {
    const a = await run(base('arms_per_frame = 10\nwindow_shift = 4\n'));
    expect(a.length).toBe((60 - 12) / 4 + 1);
    // equal to arms_per_frame 12 window_shift 4 (same arms per frame), pixel for pixel
    const b = await run(base('arms_per_frame = 12\nwindow_shift = 4\n'));
    expect(b.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) expect([...(a[i].data as Int16Array)]).toEqual([...(b[i].data as Int16Array)]);
  });

  it('the running grid equals gridding each frame from scratch (arm removal is exact)', async () => {
    const sliding = await run(base('arms_per_frame = 12\nwindow_shift = 12\n'));
    // the last frame recomputed alone from its 12 arms (scan counters 49..60, renumbered)
    const last = acqs.slice(48).map((x, i) => ({ ...x, head: { ...x.head, scan_counter: i + 1 } }));
    // the arm counter must start at 48 % 12 = 0 as in the full run: it does (48 is a multiple of 12)
    const alone = await run(base('arms_per_frame = 12\nwindow_shift = 12\n'), header, last);
    const x = sliding[sliding.length - 1].data as Int16Array, y = alone[0].data as Int16Array;
    let maxd = 0;
    for (let i = 0; i < x.length; i++) maxd = Math.max(maxd, Math.abs(x[i] - y[i]));
    expect(maxd).toBeLessThanOrEqual(1);
  });

  it('a missing scan counter (irregular stream): triggers still follow scan_counter, frames keep the arms held', async () => {
    const cfg = base('arms_per_frame = 12\nwindow_shift = 6\n');
    const full = await run(cfg);
    // every arm arrives (the trajectory follows arrival order, as the reference's arm counter), but the
    // counters jump from 12 to 14: the trigger at counter 18 comes one arm early, mid-block
    const gap = acqs.map((a) => (a.head.scan_counter <= 12 ? a : { ...a, head: { ...a.head, scan_counter: a.head.scan_counter + 1 } }));
    const imgs = await run(cfg, header, gap);
    expect(imgs.length).toBe(full.length); // counters 12, 18, ..., 60 (the last arm is 61)
    // the frame at counter 18 holds arrivals 7..17 (11 arms) where the regular stream has 7..18: nearly the same image
    const a = imgs[1].data as Int16Array, b = full[1].data as Int16Array;
    let sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
    for (let i = 0; i < a.length; i++) { sa += a[i]; sb += b[i]; }
    for (let i = 0; i < a.length; i++) { const x = a[i] - sa / a.length, y = b[i] - sb / b.length; sab += x * y; saa += x * x; sbb += y * y; }
    const r = sab / Math.sqrt(saa * sbb);
    expect(r).toBeGreaterThan(0.95);
    expect(r).toBeLessThan(1);
  });

  it('frames do not depend on the thread count (the window split over coils on the pool): bit for bit, incl. mid-block frames', async () => {
    const saved = globalThis.process.env[THREADS_ENV];
    const gap = acqs.map((a) => (a.head.scan_counter <= 12 ? a : { ...a, head: { ...a.head, scan_counter: a.head.scan_counter + 1 } }));
    const cases: [string, Acquisition[]][] = [
      [base('arms_per_frame = 12\nwindow_shift = 4\n'), acqs],
      [base('arms_per_frame = 12\nwindow_shift = 6\n'), gap],
      [base('arms_per_frame = 12\nwindow_shift = 4\ncoil_combine = "adaptive"\nasync_coil_maps = false\n'), acqs],
      [base('arms_per_frame = 12\nwindow_shift = 4\ncoil_combine = "adaptive"\nasync_coil_maps = false\nsave_complex = true\n'), acqs],
    ];
    try {
      for (const [cfg, input] of cases) {
        const byThreads: Image[][] = [];
        for (const t of ['1', '2', '3']) {
          globalThis.process.env[THREADS_ENV] = t;
          byThreads.push(await run(cfg, header, input));
        }
        expect(byThreads[0].length).toBeGreaterThan(5);
        expect(byThreads[1]).toEqual(byThreads[0]);
        expect(byThreads[2]).toEqual(byThreads[0]);
      }
    } finally {
      if (saved === undefined) delete globalThis.process.env[THREADS_ENV];
      else globalThis.process.env[THREADS_ENV] = saved;
      await closeReconPools();
    }
  });

  it('the magnitude frames are combined by the window\'s gridding memory\'s kernel (rssq, and with the maps): the frames of the JS combination, bit for bit, at 1 and 2 threads', async () => {
    const saved = globalThis.process.env[THREADS_ENV];
    try {
      for (const t of ['1', '2']) {
        globalThis.process.env[THREADS_ENV] = t;
        for (const cfg of [base('arms_per_frame = 12\nwindow_shift = 4\n'), base('arms_per_frame = 12\nwindow_shift = 4\ncoil_combine = "adaptive"\nasync_coil_maps = false\n')]) {
          const spy = vi.spyOn(SharedGrid.prototype, 'combineRange');
          let withKernel: Image[];
          try {
            withKernel = await run(cfg);
            // (at 2 threads the pool's thread may take every chunk: this thread's calls are only counted at 1)
            if (t === '1') expect(spy.mock.results.filter((r) => r.value === true).length).toBeGreaterThan(5);
            spy.mockReturnValue(false); // the JS range kernels
            expect(await run(cfg)).toEqual(withKernel);
          } finally {
            spy.mockRestore();
          }
          expect(withKernel.length).toBeGreaterThan(5);
        }
      }
    } finally {
      if (saved === undefined) delete globalThis.process.env[THREADS_ENV];
      else globalThis.process.env[THREADS_ENV] = saved;
      await closeReconPools();
    }
  });

  it('ignore_arms_per_frame: frames of `interleaves` arms', async () => {
    const imgs = await run(base('arms_per_frame = 5\nwindow_shift = 2\nignore_arms_per_frame = true\n'));
    expect(imgs.length).toBe(60 / 12);
    expect(mv(imgs[0].attribute, 'NumArmsPerFrame')).toEqual(['5']); // the reference reports the config value
  });

  it('save_complex with adaptive maps: complex double images; rssq: real double', async () => {
    const c = await run(base('arms_per_frame = 12\nwindow_shift = 12\nsave_complex = true\ncoil_combine = "adaptive"\n'));
    expect(c[0].head.data_type).toBe(DataType.CXDOUBLE);
    expect(c[0].data.length).toBe(2 * 60 * 60);
    expect(mv(c[0].attribute, 'WindowCenter')[0]).toMatch(/^\(.*j\)$/);
    const r = await run(base('arms_per_frame = 12\nwindow_shift = 12\nsave_complex = true\n'));
    expect(r[0].head.data_type).toBe(DataType.DOUBLE);
  });

  it('adaptive and rssq magnitudes agree in shape (correlation > 0.95)', async () => {
    const a = (await run(base('arms_per_frame = 12\nwindow_shift = 12\ncoil_combine = "adaptive"\nasync_coil_maps = false\n')))[0].data as Int16Array;
    const r = (await run(base('arms_per_frame = 12\nwindow_shift = 12\n')))[0].data as Int16Array;
    let sa = 0, sr = 0, sar = 0, saa = 0, srr = 0;
    const n = a.length;
    for (let i = 0; i < n; i++) { sa += a[i]; sr += r[i]; }
    for (let i = 0; i < n; i++) { const x = a[i] - sa / n, y = r[i] - sr / n; sar += x * y; saa += x * x; srr += y * y; }
    expect(sar / Math.sqrt(saa * srr)).toBeGreaterThan(0.95);
  });

  it('readouts without their 2x oversampling use every other trajectory sample', async () => {
    const half = acqs.map((x) => {
      const ns = x.head.number_of_samples, c = x.head.active_channels;
      const n2 = (ns) / 2; // (pre_discard + S) / 2
      const d = new Float32Array(2 * c * n2);
      for (let ch = 0; ch < c; ch++) for (let s = 0; s < n2; s++) {
        d[2 * (ch * n2 + s)] = x.data[2 * (ch * ns + 2 * s)];
        d[2 * (ch * n2 + s) + 1] = x.data[2 * (ch * ns + 2 * s) + 1];
      }
      return { ...x, head: { ...x.head, number_of_samples: n2 }, data: d };
    });
    if (acqs[0].head.number_of_samples % 2 !== 0) return; // layout needs an even readout
    const imgs = await run(base('arms_per_frame = 12\nwindow_shift = 12\n'), header, half);
    expect(imgs.length).toBe(5);
  });

  it('save_raw records the incoming readouts and waveforms, named as the reference', async () => {
    const saved = join(dir, 'saved');
    process.env.MRD_SAVEDATA_FOLDER = saved;
    try {
      const wf = { head: { version: 1, flags: 0n, measurement_uid: 0, scan_counter: 1, time_stamp: 0, number_of_samples: 2, channels: 1, sample_time_us: 2500, waveform_id: 0 }, data: Uint32Array.from([5, 6]) };
      const conn = new ReplayConnection([{ type: 'waveform', waveform: wf }, ...acqs.slice(0, 12).map((a): MrdMessage => ({ type: 'acquisition', acquisition: a }))]);
      await simplenufft1arm(conn, 'simplenufft1arm', header, { configSearchPath: [configDir('save_raw = true\n' + base('arms_per_frame = 12\nwindow_shift = 12\n'))], cwd: dir });
      const { readdirSync } = await import('node:fs');
      const files = readdirSync(saved);
      expect(files.length).toBe(1);
      expect(files[0]).toMatch(/^meas_MID00001_mrd_phantom_spiral_\d{6}\.h5$/);
      const f = await MrdFile.open(join(saved, files[0]));
      try {
        expect(f.acquisitionCount('dataset')).toBe(12);
        expect(f.waveformCount('dataset')).toBe(1);
        expect(parseIsmrmrdHeader(f.readHeader('dataset')!).userParameters?.userParameterString?.[0].value).toBe(phantom.hash);
      } finally {
        f.close();
      }
    } finally {
      delete process.env.MRD_SAVEDATA_FOLDER;
    }
  });

  it('errors: missing metafile names the hash and paths; apply_girf without girf_file names the key; wrong-type key', async () => {
    await expect(run(`metafile_paths = ["${join(dir, 'nowhere')}"]\n`)).rejects.toThrow(new RegExp(`${phantom.hash}\\.mat not found in specified paths: ${join(dir, 'nowhere')}`));
    await expect(run(base('apply_girf = true\n'))).rejects.toThrow(/config key girf_file is not set/);
    await expect(run(`girf_file = "missing.mat"\n` + base('apply_girf = true\n'))).rejects.toThrow(/config key girf_file names .*missing.mat, which does not exist/);
    await expect(run(base('window_shift = "17"\n'))).rejects.toThrow(/key reconstruction.window_shift must be a positive integer/);
    const noHash = parseIsmrmrdHeader(serializeIsmrmrdHeader({ ...header, userParameters: {} }));
    await expect(run(base(), noHash)).rejects.toThrow(/tSequenceVariant/);
    // a readout with fewer values than its header's channels x samples (the readout is copied whole to the frame threads' memory)
    const short = acqs.map((a, j) => (j === 2 ? { ...a, data: a.data.subarray(0, a.data.length - 2) } : a));
    await expect(run(base(), header, short)).rejects.toThrow(/readout 3 has \d+ complex values for 4 channels x \d+ samples/);
  });

  it('apply_girf with an identity-like GIRF file runs and still gives the phantom', async () => {
    const { encodeMatFile } = await import('@mrd-tools/core/mat-file');
    const n = 3800;
    const re = new Float32Array(n * 3).fill(1), im = new Float32Array(n * 3);
    const gdir = join(dir, 'girf');
    mkdirSync(gdir, { recursive: true });
    writeFileSync(join(gdir, 'g.mat'), encodeMatFile({ GIRF: { kind: 'numeric', class: 'single', dims: [n, 3], real: re, imag: im } }));
    const withGirf = await run(`girf_file = "${join(gdir, 'g.mat')}"\n` + base('apply_girf = true\narms_per_frame = 12\nwindow_shift = 12\n'));
    const without = await run(base('arms_per_frame = 12\nwindow_shift = 12\n'));
    expect(withGirf.length).toBe(without.length);
    const a = withGirf[0].data as Int16Array, b = without[0].data as Int16Array;
    // an all-ones GIRF leaves the ADC delay (0.85 us + dt/2 + 3 us) as the only change: same image, slightly shifted k-space
    let sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
    const np = a.length;
    for (let i = 0; i < np; i++) { sa += a[i]; sb += b[i]; }
    for (let i = 0; i < np; i++) { const x = a[i] - sa / np, y = b[i] - sb / np; sab += x * y; saa += x * x; sbb += y * y; }
    expect(sab / Math.sqrt(saa * sbb)).toBeGreaterThan(0.9);
    void copyFileSync;
  });
});

/** A replay whose arms wait for `gate(scan_counter)` before they are delivered (the test's pace). */
class GatedConnection extends ReplayConnection {
  constructor(private readonly arms: readonly Acquisition[], private readonly gate: (scanCounter: number) => Promise<void>) {
    super([]);
  }

  override async *[Symbol.asyncIterator](): AsyncIterator<MrdMessage> {
    for (const a of this.arms) {
      await this.gate(a.head.scan_counter);
      yield { type: 'acquisition', acquisition: a };
    }
  }
}

/** The stream as two slices: slice 1 from scan_counter `from` on. */
function twoSlices(from: number): Acquisition[] {
  return acqs.map((a) => (a.head.scan_counter < from ? a : { ...a, head: { ...a.head, idx: { ...a.head.idx, slice: 1 } } }));
}

describe('simplenufft1arm: adaptive maps off the frame path (async_coil_maps)', () => {
  // 60 arms, a frame every 4 arms from 12 on: 13 frames
  const adaptive = 'arms_per_frame = 12\nwindow_shift = 4\ncoil_combine = "adaptive"\n';
  const savedThreads = globalThis.process.env[THREADS_ENV];
  beforeAll(() => { globalThis.process.env[THREADS_ENV] = '2'; });
  afterAll(async () => {
    if (savedThreads === undefined) delete globalThis.process.env[THREADS_ENV];
    else globalThis.process.env[THREADS_ENV] = savedThreads;
    await closeReconPools();
  });

  /** index of the first frame equal to the synchronous one; every frame before it equals the rssq one, every frame from it the synchronous one */
  function splitPoint(got: Image[], sync: Image[], rssq: Image[]): number {
    expect(got.length).toBe(sync.length);
    let k = 0;
    while (k < got.length && !sameImage(got[k], sync[k])) {
      expect(got[k]).toEqual(rssq[k]);
      k++;
    }
    for (let j = k; j < got.length; j++) expect(got[j]).toEqual(sync[j]);
    return k;
  }
  const sameImage = (a: Image, b: Image): boolean => {
    try { expect(a).toEqual(b); return true; } catch { return false; }
  };

  it('all at once: frames without maps are the rssq frames (at most max_frames_before_maps of them when set), then the synchronous frames bit for bit', async () => {
    const sync = await run(base(adaptive + 'async_coil_maps = false\n'));
    const rssq = await run(base('arms_per_frame = 12\nwindow_shift = 4\n'));
    expect(sync.length).toBe(13);
    // the adaptive frames are not the rssq ones (else this test could not tell them apart)
    expect(sync.every((im, i) => !sameImage(im, rssq[i]))).toBe(true);
    // the default (no limit): no frame waits; delivered all at once, the stream may end before the maps are there
    expect(splitPoint(await run(base(adaptive)), sync, rssq)).toBeGreaterThanOrEqual(1);
    const k = splitPoint(await run(base(adaptive + 'max_frames_before_maps = 8\n')), sync, rssq);
    expect(k).toBeGreaterThanOrEqual(1); // the first frame never waits
    expect(k).toBeLessThanOrEqual(8);
    const k2 = splitPoint(await run(base(adaptive + 'max_frames_before_maps = 2\n')), sync, rssq);
    expect(k2).toBeGreaterThanOrEqual(1);
    expect(k2).toBeLessThanOrEqual(2);
  });

  it('frames keep flowing while the maps are computed; from the next frame on the maps of their own slice are used (two slices)', async () => {
    const input = twoSlices(37); // slice 0: frames at 12..36 (7 frames); slice 1: frames at 40..60 (6 frames)
    const syncConn = new ReplayConnection(input.map((a): MrdMessage => ({ type: 'acquisition', acquisition: a })));
    const syncMaps: number[] = [];
    await simplenufft1arm(syncConn, 'simplenufft1arm', header, { configSearchPath: [configDir(base(adaptive + 'async_coil_maps = false\n'))], cwd: dir, onCoilMaps: (f) => syncMaps.push(f) });
    const sync = syncConn.sent.flatMap((m) => (m.type === 'image' ? [m.image] : []));
    expect(syncMaps).toEqual([1, 8]); // the first frame of each slice
    const rssqConn = new ReplayConnection(input.map((a): MrdMessage => ({ type: 'acquisition', acquisition: a })));
    await simplenufft1arm(rssqConn, 'simplenufft1arm', header, { configSearchPath: [configDir(base('arms_per_frame = 12\nwindow_shift = 4\n'))], cwd: dir });
    const rssq = rssqConn.sent.flatMap((m) => (m.type === 'image' ? [m.image] : []));

    // the arms after a slice's first frame are held back until its maps are computed (a bounded wait)
    const events: string[] = [];
    const mapsFrom = new Set<number>();
    const gate = async (scan: number): Promise<void> => {
      const waitFor = scan === 13 ? 1 : scan === 41 ? 8 : 0;
      for (let i = 0; waitFor > 0 && !mapsFrom.has(waitFor) && i < 3000; i++) await new Promise((r) => setTimeout(r, 10));
    };
    const conn = new GatedConnection(input, gate);
    await simplenufft1arm(conn, 'simplenufft1arm', header, {
      configSearchPath: [configDir(base(adaptive))], cwd: dir,
      onFrame: (f) => events.push(`frame ${f}`),
      onCoilMaps: (f) => { mapsFrom.add(f); events.push(`maps from ${f}`); },
    });
    const got = conn.sent.flatMap((m) => (m.type === 'image' ? [m.image] : []));
    // the first frame of each slice is sent before its maps are there, and combined without them
    expect(events.indexOf('frame 1')).toBeLessThan(events.indexOf('maps from 1'));
    expect(events.indexOf('frame 8')).toBeLessThan(events.indexOf('maps from 8'));
    expect(got.length).toBe(13);
    for (let i = 0; i < 13; i++) {
      if (i === 0 || i === 7) expect(got[i]).toEqual(rssq[i]); // not slice 0's maps for slice 1's first frame
      else expect(got[i]).toEqual(sync[i]);
    }
  });

  it('save_complex: frames without maps keep the complex type (constant coil weights), then the synchronous frames', async () => {
    const sync = await run(base(adaptive + 'save_complex = true\nasync_coil_maps = false\n'));
    const got = await run(base(adaptive + 'save_complex = true\nmax_frames_before_maps = 3\n'));
    expect(got.length).toBe(sync.length);
    expect(got.every((im) => im.head.data_type === DataType.CXDOUBLE)).toBe(true);
    expect(got[0]).not.toEqual(sync[0]);
    // from the 4th frame on at the latest the maps are used
    for (let i = 3; i < got.length; i++) expect(got[i]).toEqual(sync[i]);
  });

  it('threads 1: the synchronous path (maps on the frame path), the same frames as async_coil_maps = false', async () => {
    const sync = await run(base(adaptive + 'async_coil_maps = false\n'));
    globalThis.process.env[THREADS_ENV] = '1';
    try {
      expect(await run(base(adaptive))).toEqual(sync);
    } finally {
      globalThis.process.env[THREADS_ENV] = '2';
    }
  });
});
