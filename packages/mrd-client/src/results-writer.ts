/**
 * Stores what the server sends back, as the reference client's receiving connection: images
 * into `<out group>/image_<image_series_index>`, acquisitions and waveforms into the group,
 * TEXT messages logged, and the XML header written when the session is over.
 *
 * Where the reference loses every received image (a series mixing matrix sizes makes h5py fail
 * with "Can't broadcast"), the odd images are kept in a sibling series group, with a warning
 * saying where. With `--fix-transposed`, an image whose rows and columns are swapped relative to
 * its series is transposed back first (header sizes, field of view, read/phase directions and
 * the ImageRowDir/ImageColumnDir meta swapped), as the upstream client does.
 *
 * Writes are batched (payloads copied: decoded messages may be views into socket buffers). The
 * output file is opened only when there is data to write: a run that fails before any result
 * arrived leaves no file behind (and an existing file untouched). The writer's code is run once
 * in memory while the input streams (rehearseWriter), not on the run's serial tail. A group whose session did not
 * complete gets a text dataset `incomplete` saying why (`INCOMPLETE_DATASET`).
 */
import { existsSync } from 'node:fs';
import { logger } from '@mrd-tools/core/logging';
import { ImageSeriesGroups } from '@mrd-tools/tool-kit/image-series-groups';
// The HDF5 reader (and its runtime, h5wasm) only when an existing output is added to (prepare).
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import type { Acquisition, Image, Waveform } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import type { transposeImage } from './transpose-image.js';

const BATCH_BYTES = 16 * 1024 * 1024;

/**
 * Name of the text dataset that marks an output group as incomplete (the session failed or the
 * stream ended without CLOSE); it holds the reason. h5py: `f[group]['incomplete'][0]`; our
 * reader: `MrdFile.readText(group, 'incomplete')`. A complete group has no such dataset.
 */
export const INCOMPLETE_DATASET = 'incomplete';

export interface ReceivedCounts {
  acquisitions: number;
  images: number;
  waveforms: number;
}

let rehearsal: Promise<void> | undefined;

/**
 * Runs the HDF5 writer's code once in memory (MrdWriter.rehearse: no file), so that the output's
 * creation at the end of a run does not wait for that code's first run. For the time the client
 * waits on its input or the server; a failure only means the real output is not sped up. Once per
 * process: a batch of inputs rehearses for its first only (the code is warm after).
 */
export function rehearseWriter(): Promise<void> {
  rehearsal ??= MrdWriter.rehearse().catch((err: unknown) => logger.debug(`Writer rehearsal failed: ${(err as Error)?.message ?? String(err)}`));
  return rehearsal;
}

export class ResultsWriter {
  private writer: MrdWriter | null = null;
  private readonly groups = new ImageSeriesGroups();
  private readonly seriesShape = new Map<number, Image>();
  private acqs: Acquisition[] = [];
  private wavs: Waveform[] = [];
  private images = new Map<string, Image[]>();
  private pending = 0;
  readonly counts: ReceivedCounts = { acquisitions: 0, images: 0, waveforms: 0 };
  readonly siblingGroups = new Set<string>();
  /** ERROR / CRITICAL text messages the server sent. */
  readonly serverErrors: string[] = [];

  /** `--fix-transposed`'s transform (transpose-image.ts and the meta XML parser it needs), loaded by `prepare` when asked for. */
  private transpose: typeof transposeImage | null = null;

  constructor(private readonly path: string, private readonly group: string, private readonly fixTransposed = false) {}

  /**
   * When the output group already exists (results added to an earlier run's group), learns the
   * shapes of its image series so that images that do not fit go to sibling groups instead of
   * failing the append. Call before `record` (it also loads `--fix-transposed`'s transform).
   */
  async prepare(): Promise<void> {
    if (this.fixTransposed) this.transpose = (await import('./transpose-image.js')).transposeImage;
    if (!existsSync(this.path)) return;
    const { MrdFile } = await import('@mrd-tools/core/hdf5/reader');
    const f = await MrdFile.open(this.path);
    try {
      if (!f.groups().includes(this.group)) return;
      for (const series of f.imageSeries(this.group)) {
        for await (const img of f.images(this.group, series, { start: 0, end: 1 })) {
          this.groups.declareExisting(series, img);
          const m = /^image_(\d+)$/.exec(series);
          if (m) this.seriesShape.set(Number(m[1]), img);
        }
      }
    } finally {
      f.close();
    }
  }

  private async open(): Promise<MrdWriter> {
    if (!this.writer) {
      this.writer = existsSync(this.path)
        ? await MrdWriter.open(this.path, { group: this.group })
        : await MrdWriter.create(this.path, { group: this.group, overwrite: false });
    }
    return this.writer;
  }

  async record(msg: MrdMessage): Promise<void> {
    switch (msg.type) {
      case 'acquisition': {
        const a = msg.acquisition;
        this.counts.acquisitions++;
        this.acqs.push({ head: a.head, traj: a.traj.slice(), data: a.data.slice() });
        this.pending += a.data.byteLength + a.traj.byteLength;
        break;
      }
      case 'waveform':
        this.counts.waveforms++;
        this.wavs.push({ head: msg.waveform.head, data: msg.waveform.data.slice() });
        this.pending += msg.waveform.data.byteLength;
        break;
      case 'image':
        this.counts.images++;
        this.addImage({ head: msg.image.head, attribute: msg.image.attribute, data: msg.image.data.slice() });
        this.pending += msg.image.data.byteLength;
        break;
      case 'text':
        if (/^ERROR\b/.test(msg.text) || /^CRITICAL\b/.test(msg.text)) {
          logger.error(`    ${msg.text}`);
          this.serverErrors.push(msg.text);
        } else if (/^WARNING\b/.test(msg.text)) {
          logger.warning(`    ${msg.text}`);
        } else {
          logger.info(`    ${msg.text}`);
        }
        return;
      default:
        return;
    }
    if (this.pending >= BATCH_BYTES) await this.flush();
  }

  private addImage(img: Image): void {
    const series = img.head.image_series_index;
    const first = this.seriesShape.get(series);
    if (!first) this.seriesShape.set(series, img);
    else if (this.transpose && ImageSeriesGroups.shapeOf(first) !== ImageSeriesGroups.shapeOf(img)) {
      const [fx, fy] = first.head.matrix_size;
      const [ix, iy] = img.head.matrix_size;
      if (fx === iy && fy === ix && first.head.matrix_size[2] === img.head.matrix_size[2] && first.head.channels === img.head.channels && first.head.data_type === img.head.data_type) {
        logger.warning(`    Incoming image for series ${series} has shape ${ix}x${iy}, where the rows and columns are transposed of current data in the series with shape ${fx}x${fy} -- Will transpose the image before storing!`);
        img = this.transpose(img);
      }
    }
    const choice = this.groups.choose(img);
    if (choice.sibling && choice.firstInGroup) {
      this.siblingGroups.add(choice.group);
      logger.warning(
        `Image ${img.head.image_index} of series ${series} has matrix size/type ${ImageSeriesGroups.shapeOf(img)}, unlike the series (${ImageSeriesGroups.shapeOf(first!)}): ` +
          `it and any like it are stored in '${this.group}/${choice.group}' in ${this.path}` +
          (this.fixTransposed ? '' : ' (if rows and columns are only swapped, --fix-transposed stores them in the series transposed)'),
      );
    }
    let list = this.images.get(choice.group);
    if (!list) this.images.set(choice.group, (list = []));
    list.push(img);
  }

  async flush(): Promise<void> {
    if (!this.acqs.length && !this.wavs.length && !this.images.size) return;
    const w = await this.open();
    if (this.acqs.length) await w.appendAcquisitions(this.acqs);
    if (this.wavs.length) await w.appendWaveforms(this.wavs);
    for (const [series, imgs] of this.images) await w.appendImages(imgs, { series });
    this.acqs = [];
    this.wavs = [];
    this.images = new Map();
    this.pending = 0;
  }

  /** Whether any image, acquisition or waveform came back. */
  get receivedData(): boolean {
    return this.counts.images + this.counts.acquisitions + this.counts.waveforms > 0;
  }

  /**
   * Writes what is left and the XML header, and closes the file. `incomplete`: the reason the
   * session did not complete, stored as the group's `incomplete` text dataset.
   */
  async finish(xmlHeader: string, incomplete?: string): Promise<void> {
    try {
      await this.flush();
      const w = await this.open();
      logger.debug('Writing MRD metadata to file');
      await w.writeHeader(xmlHeader);
      if (incomplete !== undefined) await w.writeText(INCOMPLETE_DATASET, incomplete);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.writer) {
      const w = this.writer;
      this.writer = null;
      await w.close();
    }
  }
}
