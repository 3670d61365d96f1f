/**
 * The `savedata` config (reference `savedata.py`): stores the incoming acquisitions and
 * waveforms, with the XML header, in `<save folder>/meas_MID<id>_<protocol>_<HHMMSS>.h5`
 * (`meas_MID<id>_UnknownProtocol_<date-time>.h5` without a protocol name), group `dataset`,
 * then answers CLOSE. The protocol name is sanitised and the file never replaces another.
 *
 * Received data reaches the writer within `FLUSH_AFTER_MS` (or every 16 MB), and the writer
 * commits at least every half second, so a server killed outright loses at most about the last
 * second. A write that fails ends the session with an ERROR naming the file.
 */
import { mkdirSync } from 'node:fs';
import { logger } from '@mrd-tools/core/logging';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import type { Acquisition, Waveform } from '@mrd-tools/core/messages';
import type { ReconModule } from '@mrd-tools/recon-api/module';
import { measFileName, uniquePathInFolder } from './savedata-naming.js';

const BATCH_BYTES = 16 * 1024 * 1024;
const FLUSH_AFTER_MS = 200;

class SaveFailure extends Error {}

/** `saved`: told the path of the file once it is closed (the session's facts). */
export function savedataModule(folder: string, headerXml: string | null, saved?: (path: string) => void): ReconModule {
  return {
    async process(connection, config, header) {
      logger.info(`Config: \n${typeof config === 'string' ? config : JSON.stringify(config, null, 2)}`);
      // A session without an MRD header creates no file (the client is told why).
      if (headerXml === null) throw new Error('no MRD header received; nothing saved');
      mkdirSync(folder, { recursive: true });
      const path = uniquePathInFolder(folder, measFileName(header, new Date()));
      const start = performance.now();
      // A failure to write is reported naming the file; a failure to read keeps what arrived.
      const failed = (err: unknown): SaveFailure => err instanceof SaveFailure ? err : new SaveFailure(`saving to ${path} failed: ${(err as Error)?.message ?? String(err)}`);
      const writing = async (fn: () => Promise<void>) => {
        try {
          await fn();
        } catch (err) {
          throw failed(err);
        }
      };
      let writer!: MrdWriter;
      await writing(async () => {
        writer = await MrdWriter.create(path, { group: 'dataset', overwrite: false });
      });
      let acqCount = 0;
      let wavCount = 0;
      let acqs: Acquisition[] = [];
      let wavs: Waveform[] = [];
      let bytes = 0;
      let batchStart = 0;
      const flush = () => writing(async () => {
        const a = acqs;
        const w = wavs;
        acqs = [];
        wavs = [];
        bytes = 0;
        if (a.length) await writer.appendAcquisitions(a);
        if (w.length) await writer.appendWaveforms(w);
      });
      // Data that stops coming (a paused client) is still handed over within FLUSH_AFTER_MS.
      let pending: Promise<void> = Promise.resolve();
      let timer: NodeJS.Timeout | null = null;
      let timedFailure: unknown = null;
      const flushSoon = () => {
        if (timer) return;
        timer = setTimeout(() => {
          timer = null;
          pending = pending.then(flush).catch((err) => {
            timedFailure ??= err;
          });
        }, FLUSH_AFTER_MS);
        timer.unref();
      };
      const settle = async () => {
        if (timer) clearTimeout(timer);
        timer = null;
        await pending;
        if (timedFailure) throw timedFailure;
      };
      try {
        await writing(() => writer.writeHeader(headerXml));
        for await (const msg of connection) {
          if (msg.type !== 'acquisition' && msg.type !== 'waveform') continue;
          if (acqs.length + wavs.length === 0) batchStart = performance.now();
          if (msg.type === 'acquisition') {
            const a = msg.acquisition;
            acqs.push({ head: a.head, traj: a.traj.slice(), data: a.data.slice() });
            bytes += a.data.byteLength + a.traj.byteLength;
            acqCount++;
            if (acqCount % 1000 === 0) logger.info(`Received acquisition ${acqCount} at time ${((performance.now() - start) / 1000).toFixed(6)} secs.`);
          } else {
            wavs.push({ head: msg.waveform.head, data: msg.waveform.data.slice() });
            bytes += msg.waveform.data.byteLength;
            wavCount++;
          }
          if (timedFailure) throw timedFailure;
          if (bytes >= BATCH_BYTES || performance.now() - batchStart >= FLUSH_AFTER_MS) {
            await settle();
            await flush();
          } else {
            flushSoon();
          }
        }
        await settle();
        await flush();
      } catch (err) {
        await settle().catch(() => undefined);
        if (err instanceof SaveFailure || timedFailure) {
          await writer.abandon().catch(() => undefined);
          throw failed(timedFailure ?? err);
        }
        // Reading failed (client gone, protocol error): keep what arrived, then report.
        await flush().catch(() => undefined);
        await writer.close().catch(() => undefined);
        throw err;
      }
      await writing(() => writer.close());
      logger.info(`Received ${acqCount} acquisitions and ${wavCount} waveforms.`);
      logger.info(`Total time for receiving data: ${((performance.now() - start) / 1000).toFixed(6)} secs.`);
      logger.info(`Data saved at ${path}`);
      saved?.(path);
    },
  };
}
