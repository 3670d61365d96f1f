/**
 * Saves the data a client sends (`-s/--savedata`, or config `savedataonly`), as the reference
 * server does: `MRD_input_<date-time>_<n>.h5` in the save folder, group `dataset`, with the
 * `config_file` / `config` / `configAdditional` text datasets, the XML header, acquisitions,
 * waveforms and images (`image_<series>`; an image whose size does not fit its series goes to a
 * sibling group, with a warning). At the end the file is closed and renamed to start with the
 * sanitised protocol name; it never replaces an existing file and never leaves the folder.
 *
 * The file is created only once a config and the MRD header have arrived: a connection that
 * never sends both (a port scan, a reset, garbage) leaves nothing behind.
 *
 * Acquisitions, waveforms and images are buffered (copied, since decoded payloads may be views
 * into the socket's buffers) and appended in batches, so HDF5 writes stay few and large; a batch
 * is appended at the latest `FLUSH_AFTER_MS` after its first message, and the writer commits
 * what it was given at least every half second (it is crash-consistent), so a server killed
 * outright loses at most about the last second of data.
 */
import { mkdirSync } from 'node:fs';
import { renameSync, existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { logger } from '@mrd-tools/core/logging';
import { ImageSeriesGroups } from '@mrd-tools/tool-kit/image-series-groups';
import type { Acquisition, Image, Waveform } from '@mrd-tools/core/messages';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { incomingDataFileName, protocolFileName, uniquePathInFolder, measurementInfo } from './savedata-naming.js';

const BATCH_BYTES = 16 * 1024 * 1024;
const BATCH_COUNT = 4096;
/** Longest time a received message waits in a batch before it is handed to the writer. */
const FLUSH_AFTER_MS = 200;

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
  /** Config texts received before the header (saved when the file is created). */
  private early: Array<[string, string]> = [];
  private configSeen = false;
  private skipping = false;
  private flushTimer: NodeJS.Timeout | null = null;
  /** Serialises background (timed) flushes with the session's own calls. */
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  /** Called when a timed background flush fails (the session tells the client). */
  onBackgroundError: ((err: unknown) => void) | null = null;

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

  /** Runs `fn` after any background flush in progress; rethrows an earlier background failure. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(() => {
      if (this.failure) throw this.failure;
      return fn();
    });
    this.chain = p.then(() => undefined, () => undefined);
    return p;
  }

  /** Appends buffered messages at most FLUSH_AFTER_MS after the first of them arrived. */
  private scheduleFlush(): void {
    if (this.flushTimer || this.closed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.serial(() => this.flushAll()).catch((err) => {
        if (this.failure) return;
        this.failure = err;
        this.onBackgroundError?.(err);
      });
    }, FLUSH_AFTER_MS);
    this.flushTimer.unref();
  }

  private async flushAll(): Promise<void> {
    if (!this.writer) return;
    await this.flushAcquisitions();
    await this.flushWaveforms();
    await this.flushImages();
  }

  /** Records one incoming message (the observer of SessionConnection). */
  record(msg: MrdMessage): Promise<void> {
    return this.serial(() => this.recordNow(msg));
  }

  private async recordNow(msg: MrdMessage): Promise<void> {
    if (this.closed || this.skipping) return;
    if (!this.writer) {
      // Nothing is written before a config and an MRD header are in.
      if (!this.configSeen) {
        if (msg.type === 'config_file' || msg.type === 'config_text') {
          this.configSeen = true;
          this.early.push(msg.type === 'config_file' ? ['config_file', msg.name] : ['config', msg.text]);
          return;
        }
        logger.warning(`Not saving incoming data: the first message is ${msg.type}, not a config`);
        this.skipping = true;
        return;
      }
      if (msg.type === 'config_file' || msg.type === 'config_text') {
        this.early.push(msg.type === 'config_file' ? ['config_file', msg.name] : ['config', msg.text]);
        return;
      }
      if (msg.type !== 'header') {
        logger.warning(`Not saving incoming data: the message after the config is ${msg.type}, not the MRD header`);
        this.skipping = true;
        return;
      }
      await this.open();
      for (const [name, text] of this.early) await this.writer!.writeText(name, text);
      this.early = [];
    }
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
    if (this.acqs.length || this.wavs.length || this.images.size) this.scheduleFlush();
  }

  /** Saves the JSON additional config text as `configAdditional` (once the file exists). */
  recordAdditionalConfig(text: string): Promise<void> {
    return this.serial(async () => {
      if (this.closed || !this.writer) return;
      await this.writer.writeText('configAdditional', text);
    });
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
    if (this.closed) return this.writer ? this.path : null;
    this.closed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.chain;
    const w = this.writer;
    if (!w) return null;
    try {
      if (this.failure) throw this.failure;
      await this.flushAll();
    } catch (err) {
      // The writer failed: the file keeps its last commit (a valid file with what it holds).
      this.writer = null;
      await w.abandon().catch(() => undefined);
      throw err;
    }
    this.writer = null;
    await w.close();
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
