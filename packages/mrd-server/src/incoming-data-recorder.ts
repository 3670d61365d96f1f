/**
 * Saves the data a client sends (`-s/--savedata`, or config `savedataonly`), as the reference
 * server does: `MRD_input_<date-time>_<n>.h5` in the save folder, group `dataset`, with the
 * `config_file` / `config` / `configAdditional` text datasets, the XML header, acquisitions,
 * waveforms and images (`image_<series>`; an image whose size does not fit its series goes to a
 * sibling group, with a warning). At the end the file is closed and renamed to start with the
 * sanitised protocol name; it never replaces an existing file and never leaves the folder.
 *
 * Acquisitions, waveforms and images are buffered (copied, since decoded payloads may be views
 * into the socket's buffers) and appended in batches, so HDF5 writes stay few and large.
 */
import { mkdirSync } from 'node:fs';
import { renameSync, existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { logger, ImageSeriesGroups } from '@mrd-tools/core';
import type { Acquisition, Image, MrdMessage, Waveform } from '@mrd-tools/core';
import { MrdWriter } from '@mrd-tools/core';
import { incomingDataFileName, protocolFileName, uniquePathInFolder, measurementInfo } from './savedata-naming.js';

const BATCH_BYTES = 16 * 1024 * 1024;
const BATCH_COUNT = 4096;

function cloneAcquisition(a: Acquisition): Acquisition {
  return { head: a.head, traj: a.traj.slice(), data: a.data.slice() };
}
function cloneWaveform(w: Waveform): Waveform {
  return { head: w.head, data: w.data.slice() };
}
function cloneImage(i: Image): Image {
  return { head: i.head, attribute: i.attribute, data: i.data.slice() };
}

export class IncomingDataRecorder {
  private writer: MrdWriter | null = null;
  path: string | null = null;
  private acqs: Acquisition[] = [];
  private acqBytes = 0;
  private wavs: Waveform[] = [];
  private wavBytes = 0;
  private images = new Map<string, Image[]>();
  private imageBytes = 0;
  private readonly groups = new ImageSeriesGroups();
  private headerXml: string | null = null;
  private closed = false;

  constructor(private readonly folder: string, private readonly group = 'dataset') {}

  get isOpen(): boolean {
    return this.writer !== null;
  }

  /** Creates the file (once). */
  async open(): Promise<void> {
    if (this.writer || this.closed) return;
    mkdirSync(this.folder, { recursive: true });
    const now = new Date();
    // The reference adds random.randint(0, 100); we pick one not yet used in the folder.
    let name = incomingDataFileName(now, Math.floor(Math.random() * 101));
    for (let i = 0; i < 200 && existsSync(`${this.folder}/${name}`); i++) name = incomingDataFileName(now, Math.floor(Math.random() * 101));
    this.path = uniquePathInFolder(this.folder, name);
    logger.info(`Incoming data will be saved to: '${this.path}' in group '${this.group}'`);
    this.writer = await MrdWriter.create(this.path, { group: this.group, overwrite: false });
  }

  /** Records one incoming message (the observer of SessionConnection). */
  async record(msg: MrdMessage): Promise<void> {
    if (this.closed) return;
    await this.open();
    const w = this.writer!;
    switch (msg.type) {
      case 'config_file':
        await w.writeText('config_file', msg.name);
        break;
      case 'config_text':
        await w.writeText('config', msg.text);
        break;
      case 'header':
        this.headerXml = msg.xml;
        await w.writeHeader(msg.xml);
        break;
      case 'acquisition':
        this.acqs.push(cloneAcquisition(msg.acquisition));
        this.acqBytes += msg.acquisition.data.byteLength + msg.acquisition.traj.byteLength + 340;
        if (this.acqBytes >= BATCH_BYTES || this.acqs.length >= BATCH_COUNT) await this.flushAcquisitions();
        break;
      case 'waveform':
        this.wavs.push(cloneWaveform(msg.waveform));
        this.wavBytes += msg.waveform.data.byteLength + 40;
        if (this.wavBytes >= BATCH_BYTES || this.wavs.length >= BATCH_COUNT) await this.flushWaveforms();
        break;
      case 'image': {
        const choice = this.groups.choose(msg.image);
        if (choice.sibling && choice.firstInGroup) {
          logger.warning(`Image of series ${msg.image.head.image_series_index} has a different size or type (${ImageSeriesGroups.shapeOf(msg.image)}) than the series; saved in group '${this.group}/${choice.group}'`);
        }
        let list = this.images.get(choice.group);
        if (!list) this.images.set(choice.group, (list = []));
        list.push(cloneImage(msg.image));
        this.imageBytes += msg.image.data.byteLength;
        if (this.imageBytes >= BATCH_BYTES) await this.flushImages();
        break;
      }
      default:
        break;
    }
  }

  /** Saves the JSON additional config text as `configAdditional`. */
  async recordAdditionalConfig(text: string): Promise<void> {
    if (this.closed) return;
    await this.open();
    await this.writer!.writeText('configAdditional', text);
  }

  private async flushAcquisitions(): Promise<void> {
    if (!this.acqs.length) return;
    const batch = this.acqs;
    this.acqs = [];
    this.acqBytes = 0;
    await this.writer!.appendAcquisitions(batch);
  }
  private async flushWaveforms(): Promise<void> {
    if (!this.wavs.length) return;
    const batch = this.wavs;
    this.wavs = [];
    this.wavBytes = 0;
    await this.writer!.appendWaveforms(batch);
  }
  private async flushImages(): Promise<void> {
    const all = this.images;
    this.images = new Map();
    this.imageBytes = 0;
    for (const [series, imgs] of all) await this.writer!.appendImages(imgs, { series });
  }

  /**
   * Writes what is buffered, closes the file and renames it to the protocol name.
   * `parsedHeader` is the parsed XML header (or null). Returns the final path, or null if no file.
   */
  async close(parsedHeader: unknown): Promise<string | null> {
    if (this.closed) return this.path;
    this.closed = true;
    if (!this.writer) return null;
    try {
      await this.flushAcquisitions();
      await this.flushWaveforms();
      await this.flushImages();
    } finally {
      await this.writer.close();
      this.writer = null;
    }
    if (this.path && this.headerXml !== null && parsedHeader) {
      const { protocolName } = measurementInfo(parsedHeader);
      const renamed = protocolFileName(basename(this.path), protocolName);
      if (renamed) {
        try {
          const target = uniquePathInFolder(dirname(this.path), renamed);
          renameSync(this.path, target);
          this.path = target;
        } catch (err) {
          logger.warning(`Could not rename saved data to the protocol name: ${(err as Error).message}`);
        }
      }
    }
    return this.path;
  }
}
