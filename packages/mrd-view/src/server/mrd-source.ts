/**
 * One MRD file opened by mrd-view and everything the page asks of it, read lazily with
 * mrd-core: the file tree from dataset shapes (no data read), headers as JSON, one readout /
 * image / waveform id at a time as binary envelopes, the acquisition column index only when a
 * filter, the k-space view or the counter ranges need it, and a series' window (mrd2gif's median
 * of percentiles over every frame) streamed in the background. Nothing is read twice: the
 * index, windows and filter results are cached per group/series.
 *
 * MRD v2 files (binary or NDJSON, by their first bytes) are opened with mrd-core's mrd-v2-file:
 * decoded once into memory (files up to 1 GiB for now) and shown as the group `dataset` of their
 * v1 conversion, so every view and endpoint works the same on them.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import type { WindowRange } from '@mrd-tools/mrd2gif/preview';
import { openMrdFile, type MrdFileReader } from '@mrd-tools/core/mrd-v2-file';
import { parseMeta } from '@mrd-tools/core/meta';
import type { AcquisitionHeader, ImageHeader } from '@mrd-tools/core/headers';
import type { Image } from '@mrd-tools/core/messages';
import { applyRescale, framesOfImage, SeriesWindowAccumulator } from '@mrd-tools/mrd2gif/source-frames';
import { encodeEnvelope, type TypedArray } from '../protocol/envelope.js';
import { colourTableLookup, imageEnvelope, jsonHeader } from './image-envelope.js';
import { AcquisitionIndex, COUNTER_NAMES, type AcquisitionFilter } from './acquisition-index.js';
import type { FileTree, GroupTree } from '../protocol/file-tree.js';

/** A request the page got wrong (unknown group, index out of range): HTTP 400/404 with this message. */
export class RequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export { jsonHeader };

const TICK_MS = 2.5;
const WAVEFORM_ID_NAMES = ['ECG', 'PULSE', 'RESPIRATORY', 'EXT1', 'EXT2'];

/** The image header fields the page navigates by (read for every image of a series). */
const SERIES_FIELDS = ['slice', 'contrast', 'phase', 'repetition', 'set', 'average', 'image_index', 'channels', 'matrix_size', 'data_type', 'image_type'] as const;
type SeriesHead = Pick<ImageHeader, (typeof SERIES_FIELDS)[number]>;


export class MrdSource {
  private readonly indexes = new Map<string, Promise<AcquisitionIndex>>();
  private readonly filters = new Map<string, Promise<Uint32Array>>();
  private readonly windows = new Map<string, Promise<(WindowRange | null)[]>>();
  private readonly windowsDone = new Map<string, (WindowRange | null)[]>();
  /** Recently read images (the page steps back and forth; cine loops), about 64 MB at most. */
  private readonly recent = new Map<string, Promise<Image>>();
  private recentBytes = 0;
  /** Image headers of each series (read once: navigation and frame offsets need them all). */
  private readonly imageHeads = new Map<string, Promise<SeriesHead[]>>();

  /** Colour tables named by the images' meta (mrd2gif's search, from the tool's folder too). */
  private readonly palette: (name: string | undefined) => Uint8Array | null;

  private constructor(readonly id: number, readonly path: string, readonly file: MrdFileReader, toolDir: string | undefined) {
    this.palette = colourTableLookup(toolDir);
  }

  static async open(id: number, path: string, toolDir?: string): Promise<MrdSource> {
    return new MrdSource(id, path, await openMrdFile(path), toolDir);
  }

  close(): void {
    this.file.close();
  }

  tree(): FileTree {
    const groups = this.file.groups().map((g): GroupTree => {
      const series = this.file.imageSeries(g);
      const known = new Set(['xml', 'data', 'waveforms', ...series]);
      const datasets: GroupTree['datasets'] = [];
      for (const name of this.file.list(g)) {
        if (known.has(name)) continue;
        const d = this.file.describe(`/${g}/${name}`);
        if (d?.kind === 'dataset') datasets.push({ name, shape: d.shape, type: d.type });
      }
      return {
        name: g,
        xml: this.file.has(`/${g}/xml`),
        acquisitions: this.file.acquisitionCount(g),
        waveforms: this.file.waveformCount(g),
        series: series.map((s) => ({ name: s, count: this.file.imageCount(g, s) })),
        datasets,
      };
    });
    return { id: this.id, name: basename(this.path), path: this.path, size: statSync(this.path).size, groups };
  }

  group(g: string | null): string {
    if (!g || !this.file.groups().includes(g)) throw new RequestError(404, `${this.path}: no group '${g ?? ''}' (groups: ${this.file.groups().join(', ') || 'none'})`);
    return g;
  }

  series(g: string, s: string | null): string {
    if (!s || !this.file.imageSeries(g).includes(s)) throw new RequestError(404, `${this.path}: /${g} has no image series '${s ?? ''}'`);
    return s;
  }

  xml(g: string): string {
    return this.file.readHeader(this.group(g)) ?? '';
  }

  // ------------------------------------------------------------------ acquisitions

  index(g: string): Promise<AcquisitionIndex> {
    let p = this.indexes.get(g);
    if (!p) {
      p = AcquisitionIndex.build(this.file, g);
      this.indexes.set(g, p);
    }
    return p;
  }

  private selection(g: string, filter: AcquisitionFilter | null): Promise<Uint32Array> | null {
    if (!filter) return null;
    const key = `${g}\n${JSON.stringify(filter)}`;
    let p = this.filters.get(key);
    if (!p) {
      p = this.index(g).then((ix) => ix.select(filter));
      this.filters.set(key, p);
      if (this.filters.size > 32) this.filters.delete(this.filters.keys().next().value!);
    }
    return p;
  }

  /** Rows [start, end) of the table (of the filtered readouts with a filter): index and header of each. */
  async acquisitionRows(g: string, start: number, end: number, filter: AcquisitionFilter | null): Promise<{ total: number; rows: { i: number; h: Record<string, unknown> }[] }> {
    g = this.group(g);
    const sel = await this.selection(g, filter);
    const total = sel ? sel.length : this.file.acquisitionCount(g);
    start = Math.max(0, Math.min(start, total));
    end = Math.max(start, Math.min(end, total, start + 2000));
    const rows: { i: number; h: Record<string, unknown> }[] = [];
    const indices = sel ? Array.from(sel.subarray(start, end)) : Array.from({ length: end - start }, (_, k) => start + k);
    // consecutive runs are read with one header read each
    for (let k = 0; k < indices.length; ) {
      let n = 1;
      while (k + n < indices.length && indices[k + n] === indices[k]! + n) n++;
      let at = indices[k]!;
      for await (const batch of this.file.acquisitionHeaderBatches(g, { start: at, end: at + n })) {
        for (const h of batch as AcquisitionHeader[]) rows.push({ i: at++, h: jsonHeader(h) });
      }
      k += n;
    }
    return { total, rows };
  }

  async acquisitionSummary(g: string): Promise<ReturnType<AcquisitionIndex['summary']> & { count: number }> {
    const ix = await this.index(this.group(g));
    return { count: ix.count, ...ix.summary() };
  }

  async readout(g: string, i: number): Promise<Uint8Array> {
    g = this.group(g);
    const n = this.file.acquisitionCount(g);
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RequestError(404, `${this.path}: /${g}/data has no acquisition ${i} (it holds ${n})`);
    const a = await this.file.acquisition(g, i);
    return encodeEnvelope({ head: jsonHeader(a.head), index: i }, { data: a.data, traj: a.traj });
  }

  /**
   * The Cartesian readouts of one (slice, contrast, phase, repetition, set, average, kz) as a
   * magnitude image per coil: rows by kspace_encode_step_1, columns the samples. Noise,
   * navigator and phase-correction readouts are left out; a later readout of the same line
   * replaces an earlier one.
   */
  async kspace(g: string, sel: Partial<Record<(typeof COUNTER_NAMES)[number], number>>): Promise<Uint8Array> {
    g = this.group(g);
    const ix = await this.index(g);
    const rows: number[] = [];
    for (let i = 0; i < ix.count; i++) {
      if (ix.hasFlag(i, AcquisitionFlag.IS_NOISE_MEASUREMENT) || ix.hasFlag(i, AcquisitionFlag.IS_NAVIGATION_DATA) || ix.hasFlag(i, AcquisitionFlag.IS_PHASECORR_DATA)) continue;
      let ok = true;
      for (const [k, v] of Object.entries(sel)) if (v !== undefined && k !== 'kspace_encode_step_1' && ix.counters[k as (typeof COUNTER_NAMES)[number]][i] !== v) ok = false;
      if (ok) rows.push(i);
    }
    let ny = 0;
    let nx = 0;
    let coils = 0;
    for (const i of rows) {
      ny = Math.max(ny, ix.counters.kspace_encode_step_1[i]! + 1);
      nx = Math.max(nx, ix.samples[i]!);
      coils = Math.max(coils, ix.channels[i]!);
    }
    const mag = new Float32Array(coils * ny * nx);
    const filled = new Uint8Array(ny);
    for (let k = 0; k < rows.length; ) {
      let n = 1;
      while (k + n < rows.length && rows[k + n] === rows[k]! + n) n++;
      for await (const a of this.file.acquisitions(g, { start: rows[k]!, end: rows[k]! + n })) {
        const ky = a.head.idx.kspace_encode_step_1;
        const ns = a.head.number_of_samples;
        filled[ky] = 1;
        for (let c = 0; c < a.head.active_channels; c++) {
          const base = (c * ny + ky) * nx;
          for (let s = 0; s < ns; s++) mag[base + s] = Math.hypot(a.data[2 * (c * ns + s)]!, a.data[2 * (c * ns + s) + 1]!);
        }
      }
      k += n;
    }
    return encodeEnvelope({ coils, ny, nx, readouts: rows.length, lines: filled.reduce((x, y) => x + y, 0) }, { mag });
  }

  /** The k-space positions (first two trajectory dimensions) of the readouts that carry a trajectory, at most `maxPoints`. */
  async trajectory(g: string, maxPoints = 1_000_000): Promise<Uint8Array> {
    g = this.group(g);
    const ix = await this.index(g);
    const withTraj: number[] = [];
    let points = 0;
    for (let i = 0; i < ix.count; i++) {
      if (ix.trajDims[i]! >= 2 && !ix.hasFlag(i, AcquisitionFlag.IS_NOISE_MEASUREMENT)) {
        withTraj.push(i);
        points += ix.samples[i]!;
      }
    }
    const step = Math.max(1, Math.ceil(points / maxPoints));
    const picked = withTraj.filter((_, k) => k % step === 0);
    const kx: number[] = [];
    const ky: number[] = [];
    for (const i of picked) {
      const a = await this.file.acquisition(g, i);
      const d = a.head.trajectory_dimensions;
      for (let s = 0; s < a.head.number_of_samples; s++) {
        kx.push(a.traj[s * d]!);
        ky.push(a.traj[s * d + 1]!);
      }
    }
    return encodeEnvelope({ readouts: withTraj.length, shown: picked.length }, { kx: Float32Array.from(kx), ky: Float32Array.from(ky) });
  }

  // ------------------------------------------------------------------ waveforms

  async waveformIds(g: string): Promise<{ id: number; name: string | null; count: number; channels: number; samples: number }[]> {
    g = this.group(g);
    const ids = new Map<number, { count: number; channels: number; samples: number }>();
    if (this.file.waveformCount(g) === 0) return [];
    for await (const batch of this.file.waveformHeaderBatches(g)) {
      for (const h of batch) {
        const e = ids.get(h.waveform_id) ?? { count: 0, channels: 0, samples: 0 };
        e.count++;
        e.channels = Math.max(e.channels, h.channels);
        e.samples += h.number_of_samples;
        ids.set(h.waveform_id, e);
      }
    }
    return [...ids.entries()].sort((a, b) => a[0] - b[0]).map(([id, e]) => ({ id, name: WAVEFORM_ID_NAMES[id] ?? null, ...e }));
  }

  /**
   * All samples of one waveform id against time, per channel: t = (time_stamp - first
   * time_stamp) x 2.5 ms + sample x sample_time_us (MRD time stamps are 2.5 ms ticks), plus
   * the trigger times: the R-wave instants the readouts' physiology time stamps point at
   * (acquisition_time_stamp - physiology_time_stamp[0]).
   */
  async waveform(g: string, id: number): Promise<Uint8Array> {
    g = this.group(g);
    const heads: { i: number; t: number; n: number; c: number; dt: number }[] = [];
    let i = 0;
    for await (const batch of this.file.waveformHeaderBatches(g)) {
      for (const h of batch) {
        if (h.waveform_id === id) heads.push({ i, t: h.time_stamp, n: h.number_of_samples, c: h.channels, dt: h.sample_time_us });
        i++;
      }
    }
    if (heads.length === 0) throw new RequestError(404, `${this.path}: /${g} has no waveform with id ${id}`);
    heads.sort((a, b) => a.t - b.t || a.i - b.i);
    const t0 = heads[0]!.t;
    const channels = Math.max(...heads.map((h) => h.c));
    const total = heads.reduce((s, h) => s + h.n, 0);
    const time = new Float64Array(total);
    const ch = Array.from({ length: channels }, () => new Float32Array(total).fill(NaN));
    let o = 0;
    for (const h of heads) {
      const w = await this.file.waveform(g, h.i);
      for (let s = 0; s < h.n; s++) {
        time[o + s] = (h.t - t0) * TICK_MS + (s * h.dt) / 1000;
        for (let c = 0; c < h.c; c++) ch[c]![o + s] = w.data[c * h.n + s]!;
      }
      o += h.n;
    }
    // samples in time order (waveforms of one id could overlap in time)
    const order = Array.from(time.keys()).sort((a, b) => time[a]! - time[b]!);
    const sorted = Float64Array.from(order, (k) => time[k]!);
    const arrays: Record<string, TypedArray> = { time: sorted };
    ch.forEach((c, k) => (arrays[`ch${k}`] = Float32Array.from(order, (j) => c[j]!)));
    const triggers = new Set<number>();
    if (this.file.acquisitionCount(g) > 0) {
      const ix = await this.index(g);
      for (let k = 0; k < ix.count; k++) if (ix.physio0[k]! > 0) triggers.add((ix.timeStamp[k]! - ix.physio0[k]! - t0) * TICK_MS);
    }
    arrays.triggers = Float64Array.from([...triggers].sort((a, b) => a - b));
    return encodeEnvelope({ id, channels, points: total, waveforms: heads.length, t0 }, arrays);
  }

  // ------------------------------------------------------------------ images

  async seriesInfo(g: string, s: string): Promise<{ count: number; columns: Record<string, number[]> }> {
    g = this.group(g);
    s = this.series(g, s);
    const heads = await this.heads(g, s);
    const pick = (f: (h: SeriesHead) => number) => heads.map(f);
    return {
      count: heads.length,
      columns: {
        slice: pick((h) => h.slice), contrast: pick((h) => h.contrast), phase: pick((h) => h.phase),
        repetition: pick((h) => h.repetition), set: pick((h) => h.set), average: pick((h) => h.average),
        image_index: pick((h) => h.image_index), channels: pick((h) => h.channels),
        nx: pick((h) => h.matrix_size[0]!), ny: pick((h) => h.matrix_size[1]!), nz: pick((h) => h.matrix_size[2]!),
        data_type: pick((h) => h.data_type), image_type: pick((h) => h.image_type),
      },
    };
  }

  private heads(g: string, s: string): Promise<SeriesHead[]> {
    const key = `${g}/${s}`;
    let h = this.imageHeads.get(key);
    if (!h) {
      h = this.file.imageHeaderFields(g, s, SERIES_FIELDS);
      this.imageHeads.set(key, h);
      h.catch(() => this.imageHeads.delete(key));
    }
    return h;
  }

  /**
   * One image: its frames (channels x slices) as mrd2gif takes them (complex as magnitude,
   * rescale slope/intercept applied, RGB passed through), the complex values for the other
   * complex modes, its header, meta attributes, ROI polylines, meta window, colour table, and
   * the index of its first frame in the series with the series window when already known.
   */
  async image(g: string, s: string, i: number): Promise<Uint8Array> {
    g = this.group(g);
    s = this.series(g, s);
    const n = this.file.imageCount(g, s);
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RequestError(404, `${this.path}: /${g}/${s} has no image ${i} (it holds ${n})`);
    const img: Image = await this.readImage(g, s, i);
    // frame offset of this image in the series (frames = channels x slices of every image before it)
    const heads = (await this.heads(g, s)).slice(0, i);
    const firstFrame = heads.reduce((k, h) => k + (h.image_type === 6 && h.channels === 3 ? Math.max(1, h.matrix_size[2]!) : Math.max(1, h.channels) * Math.max(1, h.matrix_size[2]!)), 0);
    const done = this.windowsDone.get(`${g}/${s}`);
    const frameCount = img.head.image_type === 6 && img.head.channels === 3 ? Math.max(1, img.head.matrix_size[2]!) : Math.max(1, img.head.channels) * Math.max(1, img.head.matrix_size[2]!);
    return imageEnvelope(img, {
      index: i,
      where: `${this.path}: /${g}/${s} image ${i}`,
      palette: this.palette,
      firstFrame,
      seriesWindows: done ? done.slice(firstFrame, firstFrame + frameCount) : null,
    });
  }

  private readImage(g: string, s: string, i: number): Promise<Image> {
    const key = `${g}/${s}/${i}`;
    let p = this.recent.get(key);
    if (p) {
      this.recent.delete(key);
      this.recent.set(key, p);
      return p;
    }
    p = this.file.image(g, s, i);
    this.recent.set(key, p);
    p.then((img) => {
      this.recentBytes += img.data.byteLength;
      while (this.recentBytes > 64 * 1024 * 1024 && this.recent.size > 1) {
        const [oldest, q] = this.recent.entries().next().value!;
        this.recent.delete(oldest);
        void q.then((x) => (this.recentBytes -= x.data.byteLength), () => undefined);
      }
    }, () => this.recent.delete(key));
    return p;
  }

  /**
   * Reads ahead what the page shows first (the first image with its series' counters, or the
   * first table rows), so that it is ready when the browser asks; failures are left for the
   * page's own request to report.
   */
  async warm(): Promise<void> {
    const first = this.initialView();
    if (!first) return;
    if (first.view === 'images' && first.s) {
      await Promise.all([this.readImage(first.g, first.s, 0), this.heads(first.g, first.s)]);
    } else if (first.view === 'acquisitions') {
      await this.acquisitionRows(first.g, 0, 100, null);
    }
  }

  /** mrd2gif's window of every frame of a series (streamed over the images, kept once computed). */
  seriesWindows(g: string, s: string): Promise<(WindowRange | null)[]> {
    g = this.group(g);
    s = this.series(g, s);
    const key = `${g}/${s}`;
    let p = this.windows.get(key);
    if (!p) {
      p = (async () => {
        const acc = new SeriesWindowAccumulator();
        let k = 0;
        for await (const img of this.file.images(g, s, { batchSize: 16 })) {
          const where = `${this.path}: /${g}/${s} image ${k++}`;
          for (const f of framesOfImage(img, where)) {
            applyRescale(f, where);
            acc.add(f);
          }
        }
        const w = acc.windows(false);
        this.windowsDone.set(key, w);
        return w;
      })();
      this.windows.set(key, p);
      p.catch(() => this.windows.delete(key));
    }
    return p;
  }

  /** What a file holding images shows first: the last group (by name) that has image series, its last series, image 0; else the acquisitions of the last group that has some. */
  initialView(): { view: string; g: string; s?: string } | null {
    const groups = [...this.file.groups()].sort();
    for (let k = groups.length - 1; k >= 0; k--) {
      const series = this.file.imageSeries(groups[k]!).filter((s) => this.file.imageCount(groups[k]!, s) > 0);
      if (series.length) return { view: 'images', g: groups[k]!, s: series[series.length - 1]! };
    }
    for (let k = groups.length - 1; k >= 0; k--) if (this.file.acquisitionCount(groups[k]!) > 0) return { view: 'acquisitions', g: groups[k]! };
    for (let k = groups.length - 1; k >= 0; k--) if (this.file.waveformCount(groups[k]!) > 0) return { view: 'waveforms', g: groups[k]! };
    return groups.length ? { view: 'header', g: groups[groups.length - 1]! } : null;
  }
}
