/**
 * The mrd-client session (reference `client.py` with the upstream additions): reads an MRD
 * file, streams it to a server and stores what comes back.
 *
 * Order on the wire: CONFIG_TEXT (`-C`) or CONFIG_FILE, the XML header (or the reference's
 * placeholder when the file has none), the JSON additional config as TEXT (see
 * additional-config.ts), waveforms (only with `-w`), acquisitions, images (groups `image_*` /
 * `images_*`), CLOSE. Results are received concurrently and written to the output group; the
 * XML header is written last. Returns the summary counts.
 */
import { basename, extname } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import { logger, MrdFile, SocketConnection, TextProgressBar as ProgressBar } from '@mrd-tools/core';
import type { MrdConnection } from '@mrd-tools/core';
import type { Socket } from 'node:net';
import { chooseAdditionalConfig } from './additional-config.js';
import { encodedAcquisitionBatches } from './acquisition-reader.js';
import { connectWithRetries } from './connect.js';
import { ResultsWriter } from './results-writer.js';

/** The reference's placeholder when the input file has no XML header. */
export const PLACEHOLDER_XML = 'Dummy XML header';

export interface ClientOptions {
  filename: string;
  address: string;
  port: number;
  outfile?: string;
  inGroup?: string;
  outGroup: string;
  config: string;
  configLocal?: string;
  sendWaveforms: boolean;
  ignoreJsonConfig: boolean;
  fixTransposed: boolean;
  /** Show a progress bar (only drawn when stdout is a TTY). */
  progress?: boolean;
  connectAttempts?: number;
  connectDelayMs?: number;
  /** Script to start the acquisition-reader worker from (the bundled cli.js); in-thread reading without it. */
  readerEntry?: string;
}

export interface ClientSummary {
  sent: { acquisitions: number; images: number; waveforms: number };
  received: { acquisitions: number; images: number; waveforms: number };
  outfile: string;
  outGroup: string;
  siblingGroups: string[];
}

/** Exit-worthy problem with the inputs, reported as one clear line. */
export class ClientInputError extends Error {}

export function defaultOutfile(filename: string): string {
  const ext = extname(filename);
  const base = ext ? filename.slice(0, -ext.length) : filename;
  return base + '_results' + ext;
}

const BATCH = 64;
const WORKER_READ_MIN_BYTES = 32 * 1024 * 1024;

/** Writes bytes to the socket; resolves when the socket accepted them (waits for 'drain'). */
function writeRaw(socket: Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed || socket.writableEnded) return reject(new Error('connection closed'));
    if (socket.write(bytes)) return resolve();
    const done = (err?: Error) => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('connection closed'));
    socket.on('drain', onDrain);
    socket.on('close', onClose);
  });
}

async function* batches<T>(items: AsyncIterable<T>, n: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= n) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

export async function runClient(o: ClientOptions): Promise<ClientSummary> {
  const outfile = o.outfile ?? defaultOutfile(o.filename);
  if (o.configLocal && !existsSync(o.configLocal)) throw new ClientInputError(`Could not find local config file ${o.configLocal}`);
  if (!existsSync(o.filename)) throw new ClientInputError(`Input file not found: ${o.filename}`);

  let file: MrdFile;
  try {
    file = await MrdFile.open(o.filename);
  } catch (err) {
    throw new ClientInputError(`Not a valid dataset: ${o.filename} (${(err as Error).message})`);
  }
  try {
    const groups = file.groups();
    logger.info(`File ${o.filename} contains ${groups.length} groups:\n  ${groups.join('\n  ')}`);
    let group = o.inGroup;
    if (!group) {
      if (groups.length === 1) group = groups[0];
      else throw new ClientInputError(`Input group not specified and multiple groups are present in ${o.filename}: ${groups.join(', ')} (choose one with -g)`);
    }
    if (!groups.includes(group)) throw new ClientInputError(`Could not find group ${group} in ${o.filename} (groups: ${groups.join(', ') || 'none'})`);
    logger.info(`Reading data from group '${group}' in file '${o.filename}'`);

    const members = file.list(`/${group}`);
    const hasRaw = members.includes('data');
    // As the reference: every member named image_* / images_*, in HDF5 (name) order.
    const imageSeries = file.imageSeries(group).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const hasImage = imageSeries.length > 0;
    const hasWaveforms = members.includes('waveforms');
    if (!hasRaw && !hasImage) throw new ClientInputError(`File ${o.filename} does not contain properly formatted MRD raw or image data (group '${group}')`);
    const acquisitionCount = hasRaw ? file.acquisitionCount(group) : 0;
    const waveformCount = hasWaveforms ? file.waveformCount(group) : 0;

    const fileConfigAdditional = members.includes('configAdditional') ? (file.readText(group, 'configAdditional') ?? null) : null;
    const additional = chooseAdditionalConfig({
      config: o.config, configLocal: o.configLocal, ignoreJsonConfig: o.ignoreJsonConfig,
      fileConfigAdditional, inputFile: o.filename,
    });

    let xml = members.includes('xml') ? file.readHeader(group) : undefined;
    if (xml === undefined) {
      logger.warning('Could not find MRD metadata xml in file');
      xml = PLACEHOLDER_XML;
    }

    logger.info(`Connecting to MRD server at ${o.address}:${o.port}`);
    const socket = await connectWithRetries(o.address, o.port, o.connectAttempts ?? 5, o.connectDelayMs ?? 1000);
    const conn = new SocketConnection(socket);
    const results = new ResultsWriter(outfile, o.outGroup, o.fixTransposed);
    try {
      await results.prepare();
    } catch (err) {
      throw new ClientInputError(`Cannot add results to ${outfile}: ${(err as Error).message}`);
    }
    if (o.fixTransposed) logger.warning('fix-transposed is True -- received images may be transposed if needed to ensure uniform dimensions across all images in a series');

    // Receive concurrently with sending.
    let closeReceived = false;
    let receiveFailed: Error | null = null;
    const receiving = (async () => {
      try {
        for await (const msg of conn) await results.record(msg);
        closeReceived = conn.closeReceived;
      } catch (err) {
        receiveFailed = err as Error;
        logger.error(`Receiving from the server failed: ${receiveFailed.message}`);
      }
    })();

    const sent = { acquisitions: 0, images: 0, waveforms: 0 };
    const c: MrdConnection = conn;
    let sendFailed: Error | null = null;
    try {
      if (o.configLocal) {
        const text = readFileSync(o.configLocal, 'utf8');
        logger.info(`Sending local config file '${o.configLocal}' with text:`);
        logger.info(text);
        await c.sendConfigText(text);
      } else {
        logger.info(`Sending remote config file name '${o.config}'`);
        await c.sendConfigFile(o.config);
      }
      await c.sendHeader(xml);
      if (additional.text !== null) await c.sendText(additional.text);

      if (hasWaveforms) {
        if (o.sendWaveforms) {
          logger.info('Sending waveform data');
          logger.info(`Found ${waveformCount} waveforms`);
          const bar = o.progress ? new ProgressBar('Sending waveforms', waveformCount) : null;
          for await (const batch of batches(file.waveforms(group), BATCH)) {
            await c.sendWaveform(batch);
            sent.waveforms += batch.length;
            bar?.update(sent.waveforms);
          }
          bar?.finish();
        } else {
          logger.info('Waveform data present, but send-waveforms option turned off');
        }
      }
      if (hasRaw) {
        logger.info('Starting raw data session');
        logger.info(`Found ${acquisitionCount} raw data readouts`);
        const bar = o.progress ? new ProgressBar('Sending acquisitions', acquisitionCount) : null;
        // A reader worker pays off on large inputs only (it takes ~50 ms to start).
        let firstBytes = 0;
        for await (const first of file.acquisitionBatches(group, { start: 0, end: 1 })) {
          if (first[0]) firstBytes = 342 + first[0].data.byteLength + first[0].traj.byteLength;
        }
        if (o.readerEntry && firstBytes * acquisitionCount >= WORKER_READ_MIN_BYTES) {
          // Read and encode in a worker; this thread only writes the bytes (see acquisition-reader.ts).
          await conn.flush();
          for await (const chunk of encodedAcquisitionBatches(o.readerEntry, o.filename, group)) {
            await writeRaw(socket, chunk.bytes);
            sent.acquisitions += chunk.count;
            bar?.update(sent.acquisitions);
          }
        } else {
          for await (const batch of file.acquisitionBatches(group)) {
            await c.sendAcquisition(batch);
            sent.acquisitions += batch.length;
            bar?.update(sent.acquisitions);
          }
        }
        bar?.finish();
      }
      if (hasImage) {
        logger.info('Starting image data session');
        for (const series of imageSeries) {
          logger.info(`Reading images from '/${group}/${series}'`);
          for await (const batch of batches(file.images(group, series), BATCH)) {
            await c.sendImage(batch);
            sent.images += batch.length;
          }
        }
      }
      await c.sendClose();
    } catch (err) {
      sendFailed = err as Error;
      logger.error(`Failed to send data -- aborting! (${sendFailed.message})`);
      if (!socket.destroyed) socket.end();
    }

    logger.debug('Waiting for threads to finish');
    await receiving;
    conn.destroy();
    logger.info('Socket closed (writer)');
    await results.finish(xml);

    const summary: ClientSummary = {
      sent, received: { ...results.counts }, outfile, outGroup: o.outGroup, siblingGroups: [...results.siblingGroups],
    };
    logger.info('---------------------- Summary ----------------------');
    logger.info(`Sent ${String(sent.acquisitions).padStart(5)} acquisitions  |  Received ${String(summary.received.acquisitions).padStart(5)} acquisitions`);
    logger.info(`Sent ${String(sent.images).padStart(5)} images        |  Received ${String(summary.received.images).padStart(5)} images`);
    logger.info(`Sent ${String(sent.waveforms).padStart(5)} waveforms     |  Received ${String(summary.received.waveforms).padStart(5)} waveforms`);
    logger.info(`Results written to ${outfile}`);
    if (sendFailed) throw new Error(`sending ${basename(o.filename)} failed: ${sendFailed.message}`);
    if (receiveFailed) throw new Error(`receiving results failed: ${(receiveFailed as Error).message} (what arrived is in ${outfile})`);
    if (!closeReceived) throw new Error(`the server closed the connection without a CLOSE message: results may be incomplete (what arrived is in ${outfile}; see the server log)`);
    if (results.serverErrors.length) throw new Error(`the server reported ${results.serverErrors.length} error(s): ${results.serverErrors[0].replace(/^ERROR\s+/, '').split('\n')[0]} (what arrived is in ${outfile})`);
    logger.info('Session complete');
    return summary;
  } finally {
    file.close();
  }
}
