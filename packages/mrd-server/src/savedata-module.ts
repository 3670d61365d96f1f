/**
 * The `savedata` config (reference `savedata.py`): stores the incoming acquisitions and
 * waveforms, with the XML header, in `<save folder>/meas_MID<id>_<protocol>_<HHMMSS>.h5`
 * (`meas_MID<id>_UnknownProtocol_<date-time>.h5` without a protocol name), group `dataset`,
 * then answers CLOSE. The protocol name is sanitised and the file never replaces another.
 */
import { mkdirSync } from 'node:fs';
import { logger, MrdWriter } from '@mrd-tools/core';
import type { Acquisition, ReconModule, Waveform } from '@mrd-tools/core';
import { measFileName, uniquePathInFolder } from './savedata-naming.js';

const BATCH_BYTES = 16 * 1024 * 1024;

export function savedataModule(folder: string, headerXml: string | null): ReconModule {
  return {
    async process(connection, config, header) {
      logger.info(`Config: \n${typeof config === 'string' ? config : JSON.stringify(config, null, 2)}`);
      mkdirSync(folder, { recursive: true });
      const path = uniquePathInFolder(folder, measFileName(header, new Date()));
      const start = performance.now();
      const writer = await MrdWriter.create(path, { group: 'dataset', overwrite: false });
      let acqCount = 0;
      let wavCount = 0;
      let acqs: Acquisition[] = [];
      let wavs: Waveform[] = [];
      let bytes = 0;
      const flush = async () => {
        if (acqs.length) await writer.appendAcquisitions(acqs);
        if (wavs.length) await writer.appendWaveforms(wavs);
        acqs = [];
        wavs = [];
        bytes = 0;
      };
      try {
        if (headerXml !== null) await writer.writeHeader(headerXml);
        for await (const msg of connection) {
          if (msg.type === 'acquisition') {
            const a = msg.acquisition;
            acqs.push({ head: a.head, traj: a.traj.slice(), data: a.data.slice() });
            bytes += a.data.byteLength + a.traj.byteLength;
            acqCount++;
            if (acqCount % 1000 === 0) logger.info(`Received acquisition ${acqCount} at time ${((performance.now() - start) / 1000).toFixed(6)} secs.`);
          } else if (msg.type === 'waveform') {
            wavs.push({ head: msg.waveform.head, data: msg.waveform.data.slice() });
            bytes += msg.waveform.data.byteLength;
            wavCount++;
          }
          if (bytes >= BATCH_BYTES) await flush();
        }
        await flush();
      } finally {
        await writer.close();
      }
      logger.info(`Received ${acqCount} acquisitions and ${wavCount} waveforms.`);
      logger.info(`Total time for receiving data: ${((performance.now() - start) / 1000).toFixed(6)} secs.`);
      logger.info(`Data saved at ${path}`);
    },
  };
}
