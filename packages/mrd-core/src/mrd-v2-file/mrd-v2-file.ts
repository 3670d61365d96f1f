/**
 * An MRD v2 file (binary `.mrd` or NDJSON) seen through the read interface of the v1 HDF5 reader
 * (MrdFile), so that tools built on that reader (mrd2gif, mrd-view) read v2 files unchanged.
 *
 * The file is read into memory at open and decoded once (binary bulk arrays stay views of the
 * file's bytes; NDJSON arrays are parsed), each item mapped to its MRD v1 message with mrd-core's
 * v1 mapping (`complete` header mapping). A v2 stream has no groups: it is the one group
 * `dataset` (mrd-convert's default HDF5 group) holding `xml`, `data` (acquisitions), `waveforms`
 * and the image series `image_<image_series_index>` as the v1 HDF5 writer stores them. Items
 * MRD v1 has no message for (Pulseq, buckets, arrays...) are counted in `skipped`.
 *
 * Memory: about the file's size (more for NDJSON); files above `maxBytes` (default 1 GiB) are
 * refused with a message saying so (an offset index over a streamed read is not built yet).
 */
import { open, readFile } from 'node:fs/promises';
import { MRD_V2_GROUP, mrdV2FileKind } from './file-kind.js';
import { MrdFile, MrdFileError, type HeaderReadOptions, type ReadOptions } from '../hdf5/reader/index.js';
import type { Acquisition, Image, Waveform } from '../messages/index.js';
import type { AcquisitionHeader, ImageHeader, WaveformHeader } from '../headers/index.js';
import { decodeMrdV2, decodeMrdV2Ndjson, MrdV2ToV1, type StreamItem } from '../mrd-v2/index.js';

/** The read interface MrdFile and MrdV2File share (what mrd2gif and mrd-view use). */
export type MrdFileReader = Pick<MrdFile,
  'groups' | 'has' | 'list' | 'describe' | 'readHeader' | 'acquisitionCount' | 'acquisitions' | 'acquisitionHeaderBatches'
  | 'acquisitionHeaderFieldBatches' | 'acquisition' | 'waveformCount' | 'waveform' | 'waveforms' | 'waveformHeaderBatches'
  | 'imageSeries' | 'imageCount' | 'imageHeaders' | 'imageHeaderFields' | 'image' | 'images' | 'close'>;

/** Default largest file read into memory: 1 GiB. */
export const MRD_V2_FILE_MAX_BYTES = 1024 * 1024 * 1024;

function range<T>(list: readonly T[], opts: { start?: number; end?: number } | undefined): T[] {
  const start = opts?.start ?? 0;
  const end = Math.min(opts?.end ?? list.length, list.length);
  return list.slice(start, Math.max(start, end));
}

function* batches<T>(list: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}

export class MrdV2File implements MrdFileReader {
  /** Items v1 has no message for, by StreamItem case. */
  readonly skipped = new Map<string, number>();
  private xml: string | undefined;
  private readonly acqs: Acquisition[] = [];
  private readonly waves: Waveform[] = [];
  private readonly series = new Map<string, Image[]>();
  private closed = false;

  private constructor(readonly path: string, readonly kind: 'mrd-v2' | 'mrd-v2-ndjson') {}

  /** Reads and decodes the file (see the module comment). Errors name the file. */
  static async open(path: string, opts: { maxBytes?: number } = {}): Promise<MrdV2File> {
    const kind = await mrdV2FileKind(path).catch((e: unknown) => {
      throw new MrdFileError(path, undefined, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message, { cause: e });
    });
    if (!kind) throw new MrdFileError(path, undefined, 'not an MRD v2 stream (it starts with neither "yardl" nor {"yardl":)');
    const fh = await open(path, 'r');
    let bytes: Uint8Array;
    try {
      const size = (await fh.stat()).size;
      const max = opts.maxBytes ?? MRD_V2_FILE_MAX_BYTES;
      if (size > max) throw new MrdFileError(path, undefined, `${size} bytes: MRD v2 files are read into memory, at most ${max} bytes`);
      bytes = new Uint8Array(await readFile(fh));
    } finally {
      await fh.close();
    }
    const f = new MrdV2File(path, kind);
    let decoded: { header: Parameters<MrdV2ToV1['header']>[0]; items: StreamItem[] };
    try {
      decoded = kind === 'mrd-v2' ? decodeMrdV2(bytes) : decodeMrdV2Ndjson(bytes);
    } catch (e) {
      throw new MrdFileError(path, undefined, (e as Error).message, { cause: e });
    }
    const toV1 = new MrdV2ToV1({ headerMapping: 'complete', unsupported: 'skip', onSkipped: (item) => f.skipped.set(item.type, (f.skipped.get(item.type) ?? 0) + 1) });
    try {
      for (const m of toV1.header(decoded.header)) if (m.type === 'header') f.xml = m.xml;
      decoded.items.forEach((item, i) => {
        try {
          for (const m of toV1.item(item)) {
            if (m.type === 'acquisition') f.acqs.push(m.acquisition);
            else if (m.type === 'waveform') f.waves.push(m.waveform);
            else if (m.type === 'image') {
              const name = `image_${m.image.head.image_series_index}`;
              let list = f.series.get(name);
              if (!list) f.series.set(name, (list = []));
              list.push(m.image);
            }
          }
        } catch (e) {
          throw new Error(`StreamItem #${i} (${item.type}): ${(e as Error).message}`, { cause: e });
        }
      });
    } catch (e) {
      throw new MrdFileError(path, undefined, (e as Error).message, { cause: e });
    }
    return f;
  }

  close(): void {
    this.closed = true;
  }

  private check(group: string): void {
    if (this.closed) throw new MrdFileError(this.path, undefined, 'the file is closed');
    if (group !== MRD_V2_GROUP && group !== `/${MRD_V2_GROUP}`) throw new MrdFileError(this.path, `/${group}`, `no such group (an MRD v2 stream is shown as the one group '${MRD_V2_GROUP}')`);
  }

  private seriesOf(group: string, series: string): Image[] {
    this.check(group);
    const list = this.series.get(series);
    if (!list) throw new MrdFileError(this.path, `/${MRD_V2_GROUP}/${series}`, 'no such image series');
    return list;
  }

  groups(): string[] {
    return [MRD_V2_GROUP];
  }

  /** The children of `/dataset` as the v1 writer would store them. */
  private children(): string[] {
    const out: string[] = [];
    if (this.acqs.length) out.push('data');
    for (const s of this.imageSeries(MRD_V2_GROUP)) out.push(s);
    if (this.waves.length) out.push('waveforms');
    if (this.xml !== undefined) out.push('xml');
    return out.sort();
  }

  has(path: string): boolean {
    const p = path.replace(/^\/+/, '').split('/').filter(Boolean);
    if (p.length === 0) return true;
    if (p[0] !== MRD_V2_GROUP) return false;
    if (p.length === 1) return true;
    if (p.length === 2) return this.children().includes(p[1]!);
    return p.length === 3 && this.series.has(p[1]!) && ['data', 'header', 'attributes'].includes(p[2]!);
  }

  list(path: string): string[] {
    const p = path.replace(/^\/+/, '').split('/').filter(Boolean);
    if (p.length === 0) return [MRD_V2_GROUP];
    if (p.length === 1 && p[0] === MRD_V2_GROUP) return this.children();
    if (p.length === 2 && this.series.has(p[1]!)) return ['attributes', 'data', 'header'];
    return [];
  }

  describe(path: string): ReturnType<MrdFile['describe']> {
    if (!this.has(path)) return undefined;
    const p = path.replace(/^\/+/, '').split('/').filter(Boolean);
    if (p.length <= 1 || this.series.has(p[1]!) && p.length === 2) return { kind: 'group' };
    const n = p[1] === 'data' ? this.acqs.length : p[1] === 'waveforms' ? this.waves.length : p[1] === 'xml' ? 1 : this.series.get(p[1]!)!.length;
    return { kind: 'dataset', shape: [n], type: p[1] === 'xml' ? 'string' : 'compound' };
  }

  readHeader(group: string): string | undefined {
    this.check(group);
    return this.xml;
  }

  acquisitionCount(group: string): number {
    this.check(group);
    return this.acqs.length;
  }

  async acquisition(group: string, index: number): Promise<Acquisition> {
    this.check(group);
    const a = this.acqs[index];
    if (!a) throw new MrdFileError(this.path, `/${MRD_V2_GROUP}/data`, `no acquisition ${index} (it holds ${this.acqs.length})`);
    return a;
  }

  async *acquisitions(group: string, opts?: ReadOptions): AsyncGenerator<Acquisition, void, undefined> {
    this.check(group);
    yield* range(this.acqs, opts);
  }

  async *acquisitionHeaderBatches(group: string, opts?: HeaderReadOptions): AsyncGenerator<AcquisitionHeader[], void, undefined> {
    this.check(group);
    yield* batches(range(this.acqs, opts).map((a) => a.head), opts?.batchSize ?? 4096);
  }

  async *acquisitionHeaderFieldBatches<K extends keyof AcquisitionHeader>(group: string, _fields: readonly K[], opts?: HeaderReadOptions): AsyncGenerator<Pick<AcquisitionHeader, K>[], void, undefined> {
    yield* this.acquisitionHeaderBatches(group, opts);
  }

  waveformCount(group: string): number {
    this.check(group);
    return this.waves.length;
  }

  async waveform(group: string, index: number): Promise<Waveform> {
    this.check(group);
    const w = this.waves[index];
    if (!w) throw new MrdFileError(this.path, `/${MRD_V2_GROUP}/waveforms`, `no waveform ${index} (it holds ${this.waves.length})`);
    return w;
  }

  async *waveforms(group: string, opts?: ReadOptions): AsyncGenerator<Waveform, void, undefined> {
    this.check(group);
    yield* range(this.waves, opts);
  }

  async *waveformHeaderBatches(group: string, opts?: HeaderReadOptions): AsyncGenerator<WaveformHeader[], void, undefined> {
    this.check(group);
    yield* batches(range(this.waves, opts).map((w) => w.head), opts?.batchSize ?? 4096);
  }

  imageSeries(group: string): string[] {
    this.check(group);
    return [...this.series.keys()].sort();
  }

  imageCount(group: string, series: string): number {
    return this.seriesOf(group, series).length;
  }

  async imageHeaders(group: string, series: string, opts?: { start?: number; end?: number }): Promise<ImageHeader[]> {
    return range(this.seriesOf(group, series), opts).map((i) => i.head);
  }

  async imageHeaderFields<K extends keyof ImageHeader>(group: string, series: string, _fields: readonly K[], opts?: { start?: number; end?: number }): Promise<Pick<ImageHeader, K>[]> {
    return this.imageHeaders(group, series, opts);
  }

  async image(group: string, series: string, index: number): Promise<Image> {
    const list = this.seriesOf(group, series);
    const img = list[index];
    if (!img) throw new MrdFileError(this.path, `/${MRD_V2_GROUP}/${series}`, `no image ${index} (it holds ${list.length})`);
    return img;
  }

  async *images(group: string, series: string, opts?: ReadOptions): AsyncGenerator<Image, void, undefined> {
    yield* range(this.seriesOf(group, series), opts);
  }
}

/** Opens an MRD file of either generation for reading: MRD v2 (binary or NDJSON, by its first bytes) or HDF5. */
export async function openMrdFile(path: string, opts: { maxBytes?: number } = {}): Promise<MrdFileReader> {
  const kind = await mrdV2FileKind(path).catch(() => undefined);
  return kind ? MrdV2File.open(path, opts) : MrdFile.open(path);
}
