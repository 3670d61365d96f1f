/**
 * `save_raw = true`: the incoming raw data is also written to an MRD file, as the reference's
 * data_acquisition_with_save_worker does, named as it names it:
 * meas_MID<measurement number, 5 digits>_<protocolName>_<HHMMSS>.h5, or
 * meas_MID<n>_UnknownProtocol_<YYYY-mm-dd-HHMMSS>.h5 without a protocol name, in the savedata
 * folder (MRD_SAVEDATA_FOLDER, default the server's default /tmp/share/saved_data). Writes are
 * queued in arrival order so that saving never delays the reconstruction.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { logger } from '@mrd-tools/core/logging';
import { serializeIsmrmrdHeader, type IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import type { Acquisition, Waveform } from '@mrd-tools/core/messages';

const pad2 = (n: number): string => String(n).padStart(2, '0');

function rawFileName(header: IsmrmrdHeader, now = new Date()): string {
  const mi = header.measurementInformation;
  const id = Number.parseInt((mi?.measurementID ?? '').split('_').pop() ?? '', 10);
  const mid = String(Number.isFinite(id) ? id : 0).padStart(5, '0');
  const hms = `${pad2(now.getHours())}${pad2(now.getMinutes())}${pad2(now.getSeconds())}`;
  if (mi?.protocolName) return `meas_MID${mid}_${mi.protocolName}_${hms}.h5`;
  return `meas_MID${mid}_UnknownProtocol_${now.getFullYear()}-${pad2(now.getMonth() + 1)}-${pad2(now.getDate())}-${hms}.h5`;
}

export class RawRecorder {
  private chain: Promise<void>;
  private failed: Error | null = null;
  private constructor(private readonly writer: MrdWriter, readonly path: string) {
    this.chain = Promise.resolve();
  }

  static async create(header: IsmrmrdHeader, folder = process.env.MRD_SAVEDATA_FOLDER ?? '/tmp/share/saved_data'): Promise<RawRecorder> {
    mkdirSync(folder, { recursive: true });
    const path = join(folder, rawFileName(header));
    const writer = await MrdWriter.create(path, { group: 'dataset' });
    await writer.writeHeader(serializeIsmrmrdHeader(header));
    logger.info(`Saving the raw data to ${path}`);
    return new RawRecorder(writer, path);
  }

  private queue(task: () => Promise<void>): void {
    this.chain = this.chain.then(async () => {
      if (this.failed) return;
      try {
        await task();
      } catch (e) {
        this.failed = e as Error;
        logger.error(`save_raw: writing ${this.path} failed: ${(e as Error).message}`);
      }
    });
  }

  acquisition(a: Acquisition): void {
    const copy: Acquisition = { head: { ...a.head }, traj: a.traj.slice(), data: a.data.slice() };
    this.queue(() => this.writer.appendAcquisition(copy));
  }

  waveform(w: Waveform): void {
    const copy: Waveform = { head: { ...w.head }, data: w.data.slice() };
    this.queue(() => this.writer.appendWaveform(copy));
  }

  async close(): Promise<void> {
    await this.chain;
    await this.writer.close();
  }
}
