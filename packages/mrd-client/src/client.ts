/**
 * The mrd-client session (reference `client.py` with the upstream additions): reads an MRD
 * file, streams it to a server and stores what comes back.
 *
 * Order on the wire: CONFIG_TEXT (`-C`) or CONFIG_FILE, the XML header (or the reference's
 * placeholder when the file has none), the JSON additional config as TEXT (see
 * additional-config.ts), waveforms (only with `-w`), acquisitions, images (groups `image_*` /
 * `images_*`), CLOSE. Results are received concurrently and written to the output group; the
 * XML header is written last. Returns the summary counts.
 *
 * The output group's writer (results-writer.ts with mrd-core's HDF5 writer) is loaded once the
 * first batch of the input is on its way (or when a result arrives first), not before the first
 * byte is sent, and its code then run once in memory (no file) while the input streams, so that
 * the output's creation on the run's tail does not wait for it; an output that already exists,
 * or `--fix-transposed`, still has it ready before connecting (its checks fail the run before
 * anything is sent).
 */
import { basename, extname } from 'node:path';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { logger } from '@mrd-tools/core/logging';
import { SocketConnection } from '@mrd-tools/core/connection';
import { TextProgressBar as ProgressBar } from '@mrd-tools/tool-kit/progress-bar';
import type { MrdConnection } from '@mrd-tools/core/connection';
import type { Socket } from 'node:net';
import { chooseAdditionalConfig } from './additional-config.js';
import { type InputReaderInfo, type InputSource } from './input-source.js';
import { WORKER_READ_MIN_BYTES, openLargeInput, type EarlyInputReader } from './early-input.js';
import { connectWithRetries } from './connect.js';
import type { ResultsWriter } from './results-writer.js';
import { SessionFailedError } from './session-failure.js';
import { BatchWriter, ServerEndedSession } from './batch-writer.js';
import { isMrdV2Input, outputFormatFor, type OutputFormat } from './output-format.js';
// MRD v2 sessions and outputs (v2-session.ts, the v2 codecs) and reading on this thread
// (input-file-reader.ts, the HDF5 reader) are loaded when a run needs them: the CLI's start-up
// loads neither.
import type { V2ResultsWriter } from './v2-session.js';

/** Where a session's results go: an HDF5 group (ResultsWriter) or an MRD v2 file (v2-session.ts). */
type Results = ResultsWriter | V2ResultsWriter;

let resultsWriterModule: Promise<typeof import('./results-writer.js')> | null = null;
/** results-writer.ts and the HDF5 writer, loaded once (see the file header). */
function loadResultsWriter(): Promise<typeof import('./results-writer.js')> {
  return (resultsWriterModule ??= import('./results-writer.js'));
}

/**
 * A session's results: ready, or made on first use (`get`). `warm` starts making them without
 * waiting (a failure surfaces at the next `get`).
 */
class SessionResults {
  private ready: Promise<Results> | null;
  constructor(results: Results | null, private readonly make: () => Promise<Results>) {
    this.ready = results ? Promise.resolve(results) : null;
  }
  get(): Promise<Results> {
    return (this.ready ??= this.make());
  }
  warm(): void {
    this.get().catch(() => undefined);
  }
}

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
  /** Script to start the input-reader worker from (the bundled cli.js); reading on this thread without it. */
  readerEntry?: string;
  /**
   * An input reader already being started for `filename` (see `startInputReaderEarly`): used
   * when it is for this run's file, closed otherwise.
   */
  earlyReader?: EarlyInputReader | null;
  /** `--output-format`; default: from the output name (.mrd, .ndjson: MRD v2; else HDF5). */
  outputFormat?: OutputFormat;
}

/**
 * Where a run's time went (ms; phases overlap, as reading, sending and receiving run at once):
 * reading the input file and encoding it (input-source.ts; on the reader thread for large
 * files), waiting for the socket to take the bytes written (the server's pace), decoding what
 * came back, storing it (results-writer.ts), and the whole run. On this thread's time line:
 * setting up (the input open, its reader booted, described, the connection made), waiting for
 * the reader's next batch (the socket may still be sending earlier ones meanwhile), the socket
 * idle for want of the next batch (batch-writer.ts), and finishing (from the last byte sent to
 * the end of the run). `startMs`: when the run began, from the process's start (Node's own
 * start, module loading, argument parsing).
 */
export interface ClientPhases {
  startMs: number;
  readMs: number;
  encodeMs: number;
  sendWaitMs: number;
  decodeMs: number;
  resultsMs: number;
  wallMs: number;
  setupMs: number;
  readerWaitMs: number;
  socketIdleMs: number;
  finishMs: number;
}

export interface ClientSummary {
  /** where the time went (MRD v1 sessions; the v2 path does not time its phases) */
  phases?: ClientPhases;
  sent: { acquisitions: number; images: number; waveforms: number };
  received: { acquisitions: number; images: number; waveforms: number };
  outfile: string;
  outGroup: string;
  siblingGroups: string[];
  /** how the input was read (MRD v1 sessions): thread, and whether that thread loaded h5wasm */
  inputReader?: InputReaderInfo;
}

/** Exit-worthy problem with the inputs, reported as one clear line. */
export class ClientInputError extends Error {}

export function defaultOutfile(filename: string): string {
  const ext = extname(filename);
  const base = ext ? filename.slice(0, -ext.length) : filename;
  return base + '_results' + ext;
}

export async function runClient(o: ClientOptions): Promise<ClientSummary> {
  const outfile = o.outfile ?? defaultOutfile(o.filename);
  if (o.configLocal && !existsSync(o.configLocal)) throw new ClientInputError(`Could not find local config file ${o.configLocal}`);
  if (!existsSync(o.filename)) throw new ClientInputError(`Input file not found: ${o.filename}`);
  const outputFormat = outputFormatFor(outfile, o.outputFormat);
  if (isMrdV2Input(o.filename)) {
    if (o.earlyReader) void o.earlyReader.source.then((s) => s.close(), () => undefined);
    const { runV2Client } = await import('./v2-session.js');
    return runV2Client({ ...o, outputFormat }, outfile);
  }
  const phases: ClientPhases = { startMs: performance.now(), readMs: 0, encodeMs: 0, sendWaitMs: 0, decodeMs: 0, resultsMs: 0, wallMs: 0, setupMs: 0, readerWaitMs: 0, socketIdleMs: 0, finishMs: 0 };
  const started = performance.now();
  const file = await openInput(o);
  let closing: Promise<void> | null = null;
  try {
    // start-up: what to send, the connection, the output group
    const plan = await planInput(file, o);
    const { socket, conn, results } = await connectSession(o, outfile, outputFormat, plan.xml);
    // dispatch: results are received while the input is sent
    phases.setupMs = performance.now() - started;
    const receiver = startReceiving(conn, results, phases);
    const sending = await sendInput(o, file, plan, socket, conn, receiver, phases, results);
    const sentAt = performance.now();
    // clean-up: everything is read, the input reader shuts down while the results come in
    closing = file.close();
    logger.debug('Waiting for threads to finish');
    await receiver.done;
    conn.destroy();
    logger.info('Socket closed (writer)');
    phases.decodeMs = conn.timing.decodeMs;
    phases.readMs = file.timing.readMs;
    phases.encodeMs = file.timing.encodeMs + conn.timing.encodeMs;
    const t0 = performance.now();
    try {
      const summary = await finishResults(o, outfile, plan.xml, results, sending, receiver, phases);
      summary.inputReader = { ...file.reader };
      logger.debug(`Input read on the ${file.reader.thread} thread, ${file.reader.hdf5Runtime ? 'through HDF5 (h5wasm)' : "with mrd-core's HDF5 decoders (h5wasm not loaded)"}`);
      return summary;
    } finally {
      phases.resultsMs += performance.now() - t0;
      phases.wallMs = performance.now() - started;
      phases.finishMs = performance.now() - sentAt;
    }
  } finally {
    await (closing ?? file.close());
  }
}

// ------------------------------------------------------------------------------------ start-up

/**
 * Opens the input: large files with `openLargeInput` (read ahead on this thread where all bulk
 * reads can go to libuv's thread pool, else by a worker: sends never wait behind synchronous
 * HDF5 reads), small ones on this thread, which is quicker than booting a worker.
 */
async function openInput(o: ClientOptions): Promise<InputSource> {
  try {
    const large = statSync(o.filename).size >= WORKER_READ_MIN_BYTES;
    const early = o.earlyReader && o.earlyReader.filename === o.filename && o.readerEntry && large ? o.earlyReader : null;
    if (o.earlyReader && !early) void o.earlyReader.source.then((s) => s.close(), () => undefined);
    if (early) return await early.source;
    if (o.readerEntry && large) return await openLargeInput(o.filename, o.readerEntry);
    const { LocalInputSource } = await import('./input-file-reader.js');
    return await LocalInputSource.open(o.filename);
  } catch (err) {
    throw new ClientInputError(`Not a valid dataset: ${o.filename} (${(err as Error).message})`);
  }
}

/** What is sent: the input group and what it holds, the XML header, the additional config. */
interface InputPlan {
  group: string;
  hasRaw: boolean;
  hasWaveforms: boolean;
  imageSeries: string[];
  acquisitionCount: number;
  waveformCount: number;
  xml: string;
  additionalText: string | null;
}

async function planInput(file: InputSource, o: ClientOptions): Promise<InputPlan> {
  const groups = file.groups();
  logger.info(`File ${o.filename} contains ${groups.length} groups:\n  ${groups.join('\n  ')}`);
  let group = o.inGroup;
  if (!group) {
    if (groups.length === 1) group = groups[0];
    else throw new ClientInputError(`Input group not specified and multiple groups are present in ${o.filename}: ${groups.join(', ')} (choose one with -g)`);
  }
  if (!groups.includes(group)) throw new ClientInputError(`Could not find group ${group} in ${o.filename} (groups: ${groups.join(', ') || 'none'})`);
  logger.info(`Reading data from group '${group}' in file '${o.filename}'`);

  const info = await file.describe(group);
  const hasRaw = info.members.includes('data');
  if (!hasRaw && info.imageSeries.length === 0) throw new ClientInputError(`File ${o.filename} does not contain properly formatted MRD raw or image data (group '${group}')`);
  const additional = chooseAdditionalConfig({
    config: o.config, configLocal: o.configLocal, ignoreJsonConfig: o.ignoreJsonConfig,
    fileConfigAdditional: info.configAdditional ?? null, inputFile: o.filename,
  });
  let xml = info.xml;
  if (xml === undefined) {
    logger.warning('Could not find MRD metadata xml in file');
    xml = PLACEHOLDER_XML;
  }
  return {
    group, hasRaw, hasWaveforms: info.members.includes('waveforms'), imageSeries: info.imageSeries,
    acquisitionCount: info.acquisitionCount, waveformCount: info.waveformCount, xml, additionalText: additional.text,
  };
}

/** Connects to the server and prepares the output group. */
async function connectSession(o: ClientOptions, outfile: string, format: OutputFormat, xml: string): Promise<{ socket: Socket; conn: SocketConnection; results: SessionResults }> {
  logger.info(`Connecting to MRD server at ${o.address}:${o.port}`);
  const socket = await connectWithRetries(o.address, o.port, o.connectAttempts ?? 5, o.connectDelayMs ?? 1000);
  const conn = new SocketConnection(socket);
  // A new HDF5 output without --fix-transposed has nothing to prepare: its writer is made later.
  const later = format === 'hdf5' && !o.fixTransposed && !existsSync(outfile);
  let results: Results | null = null;
  if (!later) {
    results = format === 'hdf5' ? new (await loadResultsWriter()).ResultsWriter(outfile, o.outGroup, o.fixTransposed) : new (await import('./v2-session.js')).V2ResultsWriter(outfile, format, xml);
    try {
      await results.prepare();
    } catch (err) {
      socket.destroy();
      throw new ClientInputError(`Cannot add results to ${outfile}: ${(err as Error).message}`);
    }
  }
  if (o.fixTransposed) logger.warning('fix-transposed is True -- received images may be transposed if needed to ensure uniform dimensions across all images in a series');
  const make = async (): Promise<Results> => {
    const m = await loadResultsWriter();
    void m.rehearseWriter();
    return new m.ResultsWriter(outfile, o.outGroup, o.fixTransposed);
  };
  return { socket, conn, results: new SessionResults(results, make) };
}

// ------------------------------------------------------------------------------------ dispatch

/** The receiving side: every message from the server into the results, until CLOSE. */
interface Receiver {
  done: Promise<void>;
  closeReceived: boolean;
  failed: Error | null;
  /** The server has ended the session (e.g. "server busy", or an ERROR): the rest is not sent. */
  serverEnded: boolean;
}

function startReceiving(conn: SocketConnection, session: SessionResults, phases: ClientPhases): Receiver {
  const r: Receiver = { done: Promise.resolve(), closeReceived: false, failed: null, serverEnded: false };
  r.done = (async () => {
    try {
      for await (const msg of conn) {
        const t0 = performance.now();
        const results = await session.get();
        await results.record(msg);
        phases.resultsMs += performance.now() - t0;
      }
      r.closeReceived = conn.closeReceived;
    } catch (err) {
      r.failed = err as Error;
      logger.error(`Receiving from the server failed: ${r.failed.message}`);
    } finally {
      r.serverEnded = true;
    }
  })();
  return r;
}

/** The sending side, in the reference's order (see the file header); stops when the server ends the session. */
async function sendInput(
  o: ClientOptions, file: InputSource, plan: InputPlan, socket: Socket, conn: SocketConnection, receiver: Receiver, phases: ClientPhases,
  results: SessionResults,
): Promise<{ sent: ClientSummary['sent']; failed: Error | null }> {
  const sent = { acquisitions: 0, images: 0, waveforms: 0 };
  const writer = new BatchWriter(socket, () => receiver.serverEnded, phases);
  const c: MrdConnection = conn;
  const { group } = plan;
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
    await c.sendHeader(plan.xml);
    if (plan.additionalText !== null) await c.sendText(plan.additionalText);

    if (plan.hasWaveforms) {
      if (o.sendWaveforms) {
        logger.info('Sending waveform data');
        logger.info(`Found ${plan.waveformCount} waveforms`);
        const bar = o.progress ? new ProgressBar('Sending waveforms', plan.waveformCount) : null;
        await conn.flush();
        await writer.sendAll(file.stream('waveforms', group), (n) => { results.warm(); sent.waveforms += n; bar?.update(sent.waveforms); });
        bar?.finish();
      } else {
        logger.info('Waveform data present, but send-waveforms option turned off');
      }
    }
    if (plan.hasRaw) {
      logger.info('Starting raw data session');
      logger.info(`Found ${plan.acquisitionCount} raw data readouts`);
      const bar = o.progress ? new ProgressBar('Sending acquisitions', plan.acquisitionCount) : null;
      // Read and encoded off this thread (see input-source.ts); this thread only writes bytes.
      await conn.flush();
      await writer.sendAll(file.stream('acquisitions', group), (n) => { results.warm(); sent.acquisitions += n; bar?.update(sent.acquisitions); });
      bar?.finish();
    }
    if (plan.imageSeries.length > 0) {
      logger.info('Starting image data session');
      for (const series of plan.imageSeries) {
        logger.info(`Reading images from '/${group}/${series}'`);
        await conn.flush();
        await writer.sendAll(file.stream('images', group, series), (n) => { results.warm(); sent.images += n; });
      }
    }
    if (!receiver.serverEnded) await c.sendClose();
    return { sent, failed: null };
  } catch (err) {
    let failed: Error | null = null;
    if (err instanceof ServerEndedSession) {
      logger.warning('The server ended the session before the whole input was sent; not sending the rest');
    } else {
      failed = err as Error;
      logger.error(`Failed to send data -- aborting! (${failed.message})`);
    }
    if (!socket.destroyed) socket.end();
    return { sent, failed };
  }
}

// ------------------------------------------------------------------------------------ clean-up

/**
 * A session that did not complete is a failure, whatever arrived; what arrived is kept in the
 * output group, marked incomplete. When nothing arrived, no file is written (or touched). A
 * session the server ended with CLOSE and no ERROR is complete, even if it did not take all the
 * input (the rest was not sent).
 */
async function finishResults(
  o: ClientOptions, outfile: string, xml: string, session: SessionResults,
  sending: { sent: ClientSummary['sent']; failed: Error | null }, receiver: Receiver, phases: ClientPhases,
): Promise<ClientSummary> {
  const results = await session.get();
  const { sent } = sending;
  const got = results.counts;
  const what = `${got.images} images, ${got.acquisitions} acquisitions${got.waveforms ? `, ${got.waveforms} waveforms` : ''}`;
  let failure: string | null = null;
  if (sending.failed && !receiver.closeReceived) failure = `sending ${basename(o.filename)} failed: ${sending.failed.message} (received ${what})`;
  else if (receiver.failed) failure = `receiving results failed after ${what}: ${receiver.failed.message}`;
  else if (!receiver.closeReceived) failure = `connection closed by the server before CLOSE after ${what}`;
  else if (results.serverErrors.length) failure = `the server reported ${results.serverErrors.length} error(s): ${results.serverErrors[0]!.replace(/^ERROR\s+/, '').split('\n')[0]}`;
  // an HDF5 group keeps what arrived, marked incomplete; an MRD v2 file has no such mark
  const keep = !failure || (results.receivedData && results instanceof (await loadResultsWriter()).ResultsWriter);
  if (keep) await results.finish(xml, failure ?? undefined);
  else await results.close();

  const summary: ClientSummary = {
    phases, sent, received: { ...results.counts }, outfile, outGroup: o.outGroup, siblingGroups: [...results.siblingGroups],
  };
  logger.info('---------------------- Summary ----------------------');
  logger.info(`Sent ${String(sent.acquisitions).padStart(5)} acquisitions  |  Received ${String(summary.received.acquisitions).padStart(5)} acquisitions`);
  logger.info(`Sent ${String(sent.images).padStart(5)} images        |  Received ${String(summary.received.images).padStart(5)} images`);
  logger.info(`Sent ${String(sent.waveforms).padStart(5)} waveforms     |  Received ${String(summary.received.waveforms).padStart(5)} waveforms`);
  if (failure) {
    throw new SessionFailedError(keep
      ? `${failure}; what arrived is in ${outfile}, group '${o.outGroup}', marked incomplete`
      : `${failure}; nothing was written to ${outfile}`, { closeReceived: receiver.closeReceived, serverErrors: [...results.serverErrors], receivedData: results.receivedData });
  }
  logger.info(`Results written to ${outfile}`);
  logger.info('Session complete');
  return summary;
}
