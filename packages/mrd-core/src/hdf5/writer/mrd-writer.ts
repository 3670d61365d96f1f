/**
 * MrdWriter: writes MRD (ISMRMRD) HDF5 files in the layout of the ISMRMRD C library and
 * ismrmrd-python, streaming and crash-consistent (see hdf5-file-writer.ts):
 *
 * - `/<group>/xml`: the XML header, a one-element variable-length ASCII string, contiguous
 *   (dataspace (1)/(1)), exactly as `ismrmrd_write_header` writes it.
 * - `/<group>/data`: acquisitions {head, traj: vlen f32, data: vlen f32}.
 * - `/<group>/waveforms`: {head, data: vlen u32}.
 * - `/<group>/image_<series>/header`, `/attributes` (vlen UTF-8 strings) and `/data`
 *   (N, channels, z, y, x) of u16/i16/u32/i32/f32/f64 or {real, imag} (f32 or f64).
 * - server extras `config_file`, `config`, `configAdditional`: like `xml`.
 * All record datasets are chunked along an unlimited first dimension, so the ISMRMRD C library,
 * ismrmrd-python and h5py append to them.
 *
 * Calls are asynchronous and never interleave; each returns once its data is buffered or
 * written. The file on disk is a valid MRD file at every moment, holding everything appended up
 * to the last checkpoint (checkpoints start every `checkpointIntervalMs`, default 0.5 s, while data
 * comes in) and everything after
 * `close()`.
 */
import { existsSync } from 'node:fs';
import type { Acquisition, Image, Waveform } from '../../messages/types.js';
import { datatypeSize, type Datatype } from '../format/datatype.js';
import { Hdf5FileWriter, usageError, type ChunkedDataset, type Hdf5WriterOptions } from './hdf5-file-writer.js';
import {
  acquisitionEncoder,
  acquisitionType,
  acquisitionTypePacked,
  encodeImageAttribute,
  encodeImageData,
  encodeImageHeaderRecord,
  imageAttributeType,
  imageHeaderType,
  imagePixelType,
  PIXEL_ARRAY,
  waveformEncoder,
  waveformType,
} from './mrd-datatypes.js';
import type { RecordEncoder } from './hdf5-file-writer.js';

export interface MrdWriterCreateOptions extends Hdf5WriterOptions {
  /** Group to write into (default `dataset`, as the reference tools). */
  group?: string;
  /** Replace an existing file. Without it, `create` fails when the path exists. */
  overwrite?: boolean;
}

export interface MrdWriterOpenOptions extends Hdf5WriterOptions {
  /** Group to write into: created if absent, appended to if present. */
  group: string;
  /** Create the file when it does not exist (default: fail). */
  create?: boolean;
}

export interface AppendImageOptions {
  /** Image series group name (default `image_<image_series_index>`). */
  series?: string;
}

/** Chunk byte budget for record datasets (a chunk row is the writer's buffer per dataset). */
const CHUNK_BUDGET = 256 * 1024;

function rowsFor(recordBytes: number, max: number): number {
  return Math.max(1, Math.min(max, Math.floor(CHUNK_BUDGET / Math.max(1, recordBytes))));
}

function checkGroupName(group: string): string {
  const g = group.replace(/^\/+|\/+$/g, '');
  if (!g || g.split('/').some((p) => p === '' || p === '.' || p === '..')) throw new Error(`invalid MRD group name '${group}'`);
  return g;
}

interface SeriesDatasets {
  header: ChunkedDataset;
  attributes: ChunkedDataset;
  data: ChunkedDataset;
}

export class MrdWriter {
  private series = new Map<string, SeriesDatasets>();
  private acqs?: { ds: ChunkedDataset; encode: RecordEncoder<Acquisition> };
  private wfs?: { ds: ChunkedDataset; encode: RecordEncoder<Waveform> };

  private constructor(
    private readonly file: Hdf5FileWriter,
    /** The group written to. */
    readonly group: string,
  ) {}

  /** Creates a new MRD file; fails if `path` exists unless `overwrite` is set. */
  static async create(path: string, opts: MrdWriterCreateOptions = {}): Promise<MrdWriter> {
    const group = checkGroupName(opts.group ?? 'dataset');
    const file = await Hdf5FileWriter.create(path, opts, (f) => f.group(group));
    return new MrdWriter(file, group);
  }

  /**
   * Runs the writer's code once on a file held in memory (a group, the XML header, a text
   * dataset, the commits of create and close) and keeps nothing: a process that will write an
   * output can call it while it waits for other work, so that its first real file is not delayed
   * by the code's first run (compiled on first use). No file is created or touched.
   */
  static async rehearse(): Promise<void> {
    const group = checkGroupName('dataset');
    const file = await Hdf5FileWriter.inMemory((f) => f.group(group));
    const w = new MrdWriter(file, group);
    try {
      await w.writeHeader('<ismrmrdHeader/>');
      await w.writeText('incomplete', 'rehearsal');
    } finally {
      await w.close();
    }
  }

  /**
   * Opens an existing HDF5/MRD file (written by this project, ismrmrd-python/h5py or the ISMRMRD
   * C++ library) to add `group` or append to its datasets. Existing objects are never modified.
   */
  static async open(path: string, opts: MrdWriterOpenOptions): Promise<MrdWriter> {
    const group = checkGroupName(opts.group);
    if (opts.create && !existsSync(path)) {
      try {
        return await MrdWriter.create(path, { ...opts, overwrite: false });
      } catch (e) {
        // lost a race with another creator: fall through to appending
        if (!existsSync(path)) throw e;
      }
    }
    const file = await Hdf5FileWriter.open(path, opts);
    try {
      await file.run(() => file.group(group));
    } catch (e) {
      await file.abandon();
      throw e;
    }
    return new MrdWriter(file, group);
  }

  /** Adds a new group to an existing file; fails if the group exists. */
  static async addGroup(path: string, opts: MrdWriterOpenOptions): Promise<MrdWriter> {
    const group = checkGroupName(opts.group);
    const file = await Hdf5FileWriter.open(path, opts);
    try {
      if (await file.hasChild(group)) throw new Error(`${path}: group '${group}' already exists`);
      await file.run(() => file.group(group));
    } catch (e) {
      await file.abandon();
      throw e;
    }
    return new MrdWriter(file, group);
  }

  private op<T>(fn: () => Promise<T>): Promise<T> {
    return this.file.run(async () => {
      const r = await fn();
      await this.file.maybeCheckpoint();
      return r;
    });
  }

  /** Writes the XML header (`<group>/xml`), replacing an earlier one as the C library does. */
  writeHeader(xml: string): Promise<void> {
    return this.op(() => this.file.writeString(`${this.group}/xml`, xml, 'ascii'));
  }

  /** Writes a server-side text dataset (`config_file`, `config`, `configAdditional`, ...). */
  writeText(name: string, text: string): Promise<void> {
    if (!name || name.includes('/')) return Promise.reject(new Error(`invalid dataset name '${name}'`));
    return this.op(() => this.file.writeString(`${this.group}/${name}`, text, 'ascii'));
  }

  appendAcquisition(acq: Acquisition): Promise<void> {
    return this.appendAcquisitions([acq]);
  }

  appendAcquisitions(acqs: readonly Acquisition[]): Promise<void> {
    return this.op(async () => {
      acqs.forEach((a, i) => {
        const h = a.head;
        if (a.data.length !== 2 * h.number_of_samples * h.active_channels) {
          throw usageError(`acquisition ${i} (scan_counter ${h.scan_counter}): data has ${a.data.length} floats, header says 2 x ${h.number_of_samples} samples x ${h.active_channels} channels`);
        }
        if (a.traj.length !== h.number_of_samples * h.trajectory_dimensions) {
          throw usageError(`acquisition ${i} (scan_counter ${h.scan_counter}): traj has ${a.traj.length} floats, header says ${h.number_of_samples} samples x ${h.trajectory_dimensions} dimensions`);
        }
      });
      if (!this.acqs) {
        const ds = await this.file.chunkedDataset(`${this.group}/data`, [acquisitionType, acquisitionTypePacked], [], rowsFor(datatypeSize(acquisitionType), 4096));
        this.acqs = { ds, encode: acquisitionEncoder(ds.type) };
      }
      await this.acqs.ds.append(acqs, this.acqs.encode);
    });
  }

  appendWaveform(wf: Waveform): Promise<void> {
    return this.appendWaveforms([wf]);
  }

  appendWaveforms(wfs: readonly Waveform[]): Promise<void> {
    return this.op(async () => {
      wfs.forEach((w, i) => {
        if (w.data.length !== w.head.number_of_samples * w.head.channels) {
          throw usageError(`waveform ${i} (waveform_id ${w.head.waveform_id}): data has ${w.data.length} values, header says ${w.head.number_of_samples} samples x ${w.head.channels} channels`);
        }
      });
      if (!this.wfs) {
        const ds = await this.file.chunkedDataset(`${this.group}/waveforms`, waveformType, [], rowsFor(datatypeSize(waveformType), 8192));
        this.wfs = { ds, encode: waveformEncoder(ds.type) };
      }
      await this.wfs.ds.append(wfs, this.wfs.encode);
    });
  }

  appendImage(img: Image, opts: AppendImageOptions = {}): Promise<void> {
    return this.appendImages([img], opts);
  }

  appendImages(imgs: readonly Image[], opts: AppendImageOptions = {}): Promise<void> {
    return this.op(async () => {
      // validate everything first, then group consecutive images of the same series
      const runs: Array<{ series: string; images: Image[]; type: Datatype; shape: number[] }> = [];
      imgs.forEach((img, i) => {
        const h = img.head;
        const series = opts.series ?? `image_${h.image_series_index}`;
        if (!series || series.includes('/')) throw usageError(`image ${i}: invalid series name '${series}'`);
        let type: Datatype;
        try {
          type = imagePixelType(h.data_type);
        } catch (e) {
          throw usageError(`image ${i} (image_index ${h.image_index}): ${(e as Error).message}`);
        }
        const want = PIXEL_ARRAY[h.data_type];
        if (!(img.data instanceof want)) {
          throw usageError(`image ${i} (image_index ${h.image_index}): data_type ${h.data_type} needs a ${want.name}, got a ${img.data.constructor.name}`);
        }
        const shape = [h.channels, h.matrix_size[2], h.matrix_size[1], h.matrix_size[0]];
        if (shape.some((d) => !(d >= 1))) throw usageError(`image ${i} (image_index ${h.image_index}): channels and matrix_size must be at least 1 (got channels ${h.channels}, matrix_size ${h.matrix_size.join('x')})`);
        const complex = type.kind === 'compound' ? 2 : 1;
        const n = shape.reduce((a, b) => a * b, 1) * complex;
        if (img.data.length !== n) throw usageError(`image ${i} (image_index ${h.image_index}): data has ${img.data.length} values, header says ${n}`);
        const last = runs[runs.length - 1];
        if (last && last.series === series) last.images.push(img);
        else runs.push({ series, images: [img], type, shape });
      });
      for (const run of runs) {
        const ds = await this.seriesDatasets(run.series, run.type, run.shape);
        await ds.data.append(run.images, encodeImageData);
        await ds.header.append(run.images, encodeImageHeaderRecord);
        await ds.attributes.append(run.images, encodeImageAttribute);
      }
    });
  }

  private async seriesDatasets(series: string, type: Datatype, shape: number[]): Promise<SeriesDatasets> {
    const base = `${this.group}/${series}`;
    let s = this.series.get(series);
    if (s) {
      // the data dataset checks that the pixel type and shape match
      await this.file.chunkedDataset(`${base}/data`, type, shape, 1);
      return s;
    }
    const imageBytes = shape.reduce((a, b) => a * b, 1) * datatypeSize(type);
    const data = await this.file.chunkedDataset(`${base}/data`, type, shape, rowsFor(imageBytes, 64));
    const header = await this.file.chunkedDataset(`${base}/header`, imageHeaderType, [], rowsFor(datatypeSize(imageHeaderType), 4096));
    const attributes = await this.file.chunkedDataset(`${base}/attributes`, imageAttributeType, [], rowsFor(16, 8192));
    if (header.count !== data.count || attributes.count !== data.count) {
      throw usageError(`${this.file.path}:${base}: header (${header.count}), attributes (${attributes.count}) and data (${data.count}) hold different numbers of images; not appending`);
    }
    s = { header, attributes, data };
    this.series.set(series, s);
    return s;
  }

  /** Commits everything appended so far to the file now. */
  checkpoint(): Promise<void> {
    return this.file.run(() => this.file.checkpointNow());
  }

  /** Final checkpoint, then closes the file. */
  close(): Promise<void> {
    return this.file.close();
  }

  /** Closes without a final checkpoint: the file keeps its last committed state. */
  async abandon(): Promise<void> {
    await this.file.abandon();
  }
}
