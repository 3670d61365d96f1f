/**
 * mrd-client and MRD v2 (issue 17): v2 inputs (told by their first bytes: the yardl magic, or
 * `{"yardl":` for NDJSON) are sent as the v2 binary stream (NDJSON re-encoded on the way), the
 * client then ends its side of the connection (the v2 stream's end marker is its CLOSE); the
 * server answers in v2 (its default config runs: v2 carries no config). Outputs are written in
 * v2 when their name (-o) ends in `.mrd` / `.ndjson` or with `--output-format mrd2|ndjson`, else
 * into an HDF5 group as for v1 (the answer mapped to v1 messages); the default output (no -o)
 * has the input's generation.
 *
 * A v2 output file is written under a temporary name and published only when the session
 * completed (the server's end marker arrived, no ERROR): MRD v2 files have no "incomplete"
 * marker, so a failed session leaves no v2 file (an existing file is never replaced).
 */
import { createReadStream, existsSync, type WriteStream } from 'node:fs';
import { unlink, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Socket } from 'node:net';
import { logger } from '@mrd-tools/core/logging';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { createTemporaryFile, OutputFileError, outputError, publishFile } from '@mrd-tools/core/file-output';
import { parseIsmrmrdHeader } from '@mrd-tools/core/xml-header';
import {
  detectMrdStream, headerToV2, MrdV1ToV2, MrdV2NdjsonDecoder, MrdV2NdjsonEncoder, MrdV2StreamDecoder, MrdV2StreamEncoder, MrdV2ToV1,
  type Header, type MrdV2Event,
} from '@mrd-tools/core/mrd-v2';
import { connectWithRetries } from './connect.js';
import { ResultsWriter } from './results-writer.js';
import { SessionFailedError } from './session-failure.js';
import type { ClientOptions, ClientSummary } from './client.js';
import type { OutputFormat } from './output-format.js';

/** The v1 header XML as a v2 header (the output of a v1 session written in v2 starts with it), or none. */
function v2HeaderOf(xml: string | undefined): Header | undefined {
  if (!xml) return undefined;
  try {
    return headerToV2(parseIsmrmrdHeader(xml));
  } catch {
    return undefined;
  }
}

/**
 * Results written as an MRD v2 file (binary or NDJSON), from v2 events (a v2 session) or from v1
 * messages (a v1 session: mapped as upstream's converter, after the input's header). The same
 * surface as ResultsWriter for the client's session code.
 */
export class V2ResultsWriter {
  readonly counts = { acquisitions: 0, images: 0, waveforms: 0 };
  readonly siblingGroups = new Set<string>();
  readonly serverErrors: string[] = [];
  /** A failed session's output is not kept (MRD v2 files cannot say they are incomplete). */
  readonly keepsIncomplete = false;
  private readonly binary: MrdV2StreamEncoder | null;
  private readonly ndjson: MrdV2NdjsonEncoder | null;
  private toV2: MrdV1ToV2 | null = null;
  private tmp: string | null = null;
  private out: WriteStream | null = null;
  private opening: Promise<WriteStream> | null = null;
  private writeError: Error | null = null;
  private ended = false;
  private items = 0;

  constructor(private readonly path: string, format: 'mrd2' | 'ndjson', private readonly inputXml?: string) {
    this.binary = format === 'mrd2' ? new MrdV2StreamEncoder() : null;
    this.ndjson = format === 'ndjson' ? new MrdV2NdjsonEncoder() : null;
  }

  /** An existing file is kept: the output must be a new file. */
  async prepare(): Promise<void> {
    if (existsSync(this.path)) throw new OutputFileError(this.path, 'file exists (an MRD v2 file holds one stream: choose a new output name)', 'EEXIST');
  }

  get receivedData(): boolean {
    return this.items > 0;
  }

  /** The temporary file, created exclusively (a file that has the drawn name is never touched). */
  private async create(): Promise<WriteStream> {
    let made: { tmp: string; fh: FileHandle };
    try {
      made = await createTemporaryFile(this.path);
    } catch (err) {
      throw outputError(this.path, err);
    }
    this.tmp = made.tmp;
    const out = made.fh.createWriteStream();
    out.on('error', (e) => (this.writeError ??= e));
    this.out = out;
    return out;
  }

  private async write(chunks: (Uint8Array | string)[]): Promise<void> {
    const out = this.out ?? (await (this.opening ??= this.create()));
    for (const c of chunks) {
      if (this.writeError) throw outputError(this.path, this.writeError);
      if (!out.write(c)) await new Promise<void>((r) => out.once('drain', r).once('error', () => r()));
    }
  }

  /** One event of the server's v2 answer. */
  async event(e: MrdV2Event): Promise<void> {
    if (e.type === 'header') {
      await this.write(this.binary ? this.binary.header(e.header) : [this.ndjson!.header(e.header)]);
    } else if (e.type === 'item') {
      this.items++;
      const t = e.item.type;
      if (t === 'acquisition') this.counts.acquisitions++;
      else if (t === 'waveformUint32') this.counts.waveforms++;
      else if (t.startsWith('image')) this.counts.images++;
      await this.write(this.binary ? this.binary.items(e.item) : [this.ndjson!.items(e.item)]);
    } else if (!this.ended) {
      this.ended = true;
      await this.write(this.binary ? this.binary.end() : [this.ndjson!.end()]);
    }
  }

  /** One v1 message of a v1 session's answer. */
  async record(msg: MrdMessage): Promise<void> {
    if (msg.type === 'text') {
      if (/^(ERROR|CRITICAL)\b/.test(msg.text)) {
        logger.error(`    ${msg.text}`);
        this.serverErrors.push(msg.text);
      } else if (/^WARNING\b/.test(msg.text)) logger.warning(`    ${msg.text}`);
      else logger.info(`    ${msg.text}`);
      return;
    }
    this.toV2 ??= new MrdV1ToV2({ header: v2HeaderOf(this.inputXml) ?? null, onSkipped: (m, why) => logger.debug(`Not written to ${this.path}: ${m.type} (${why})`) });
    for (const e of this.toV2.message(msg)) await this.event(e);
  }

  /** Completes the file (the end marker) and publishes it; with `incomplete`, removes it instead. */
  async finish(_xml?: string, incomplete?: string): Promise<void> {
    if (incomplete) return this.close();
    // a v1 session's answer ends here (a complete one that answered nothing: the header, no items)
    if (!this.ended) {
      this.toV2 ??= new MrdV1ToV2({ header: v2HeaderOf(this.inputXml) ?? null });
      for (const e of this.toV2.end()) await this.event(e);
    }
    const out = this.out!;
    await new Promise<void>((resolve) => out.end(resolve));
    try {
      if (this.writeError) throw this.writeError;
      await publishFile(this.tmp!, this.path, false);
      this.tmp = null;
    } catch (err) {
      await this.close();
      throw outputError(this.path, err);
    }
  }

  /** Drops the temporary file (nothing is published). */
  async close(): Promise<void> {
    if (this.out && !this.out.closed) await new Promise<void>((resolve) => this.out!.end(resolve));
    if (this.tmp) await unlink(this.tmp).catch(() => undefined);
    this.tmp = null;
  }
}

/** Writes the v2 input to the socket as a binary v2 stream (NDJSON re-encoded), then ends the client's side. */
async function sendV2Input(filename: string, socket: Socket): Promise<ClientSummary['sent']> {
  const write = async (c: Uint8Array) => {
    if (socket.destroyed || socket.writableEnded) throw new Error('connection closed');
    if (!socket.write(c)) await new Promise<void>((resolve, reject) => {
      socket.once('drain', resolve);
      socket.once('close', () => reject(new Error('connection closed while sending')));
    });
  };
  let head: Uint8Array | null = new Uint8Array(0);
  let ndjson: MrdV2NdjsonDecoder | null = null;
  let enc: MrdV2StreamEncoder | null = null;
  const sent = { acquisitions: 0, images: 0, waveforms: 0 };
  const count = (e: MrdV2Event) => {
    if (e.type !== 'item') return;
    const t = e.item.type;
    if (t === 'acquisition') sent.acquisitions++;
    else if (t === 'waveformUint32') sent.waveforms++;
    else if (t.startsWith('image')) sent.images++;
  };
  const encode = async (events: MrdV2Event[]) => {
    for (const e of events) {
      count(e);
      const chunks = e.type === 'header' ? enc!.header(e.header) : e.type === 'item' ? enc!.items(e.item) : enc!.end();
      for (const c of chunks) await write(c);
    }
  };
  const binary = new MrdV2StreamDecoder({ copyArrays: false });
  for await (const chunk of createReadStream(filename)) {
    const c = chunk as Buffer;
    if (head) {
      // NDJSON or binary, by the first bytes
      head = Buffer.concat([head, c]);
      const kind = detectMrdStream(head);
      if (!kind) continue;
      if (kind === 'mrd-v1') throw new Error(`${filename} is not an MRD v2 stream (it does not start with the yardl magic)`);
      if (kind === 'mrd-v2-ndjson') {
        ndjson = new MrdV2NdjsonDecoder();
        enc = new MrdV2StreamEncoder();
      }
      const first = head;
      head = null;
      if (ndjson) await encode(ndjson.push(first, []));
      else {
        binary.push(first, []).forEach(count);
        await write(first);
      }
      continue;
    }
    if (ndjson) await encode(ndjson.push(c, []));
    else {
      // checked on the way (a bad input is named here, not by the server's log)
      binary.push(c, []).forEach(count);
      await write(c);
    }
  }
  if (head) throw new Error(`${filename} is not an MRD v2 stream (${head.length} bytes)`);
  if (ndjson) await encode(ndjson.end([]));
  else binary.end();
  socket.end();
  return sent;
}

/** A v2 input's session (see the file header). */
export async function runV2Client(o: ClientOptions & { outputFormat: OutputFormat }, outfile: string): Promise<ClientSummary> {
  if (!existsSync(o.filename)) throw new Error(`Input file not found: ${o.filename}`);
  const format = o.outputFormat;
  logger.info(`File ${o.filename} is an MRD v2 stream: sending it as MRD v2 (the server runs its default config; -c, -C and the JSON config apply to MRD v1 inputs only)`);
  const v2out = format === 'hdf5' ? null : new V2ResultsWriter(outfile, format);
  const h5 = format === 'hdf5' ? new ResultsWriter(outfile, o.outGroup, o.fixTransposed) : null;
  await (v2out ?? h5!).prepare();
  logger.info(`Connecting to MRD server at ${o.address}:${o.port}`);
  const socket = await connectWithRetries(o.address, o.port, o.connectAttempts ?? 5, o.connectDelayMs ?? 1000);
  const toV1 = new MrdV2ToV1({ unsupported: 'skip', onSkipped: (it) => logger.warning(`Not written to ${outfile}: MRD v2 ${it.type} has no MRD v1 message`) });
  let xml = '';
  let failure: string | null = null;
  let sent: ClientSummary['sent'] = { acquisitions: 0, images: 0, waveforms: 0 };
  const sending = sendV2Input(o.filename, socket).then((n) => {
    sent = n;
  }, (err: Error) => {
    failure ??= `sending ${basename(o.filename)} failed: ${err.message}`;
    socket.end();
  });
  const decoder = new MrdV2StreamDecoder();
  let complete = false;
  try {
    for await (const chunk of socket) {
      for (const e of decoder.push(chunk as Buffer, [])) {
        if (v2out) await v2out.event(e);
        else {
          for (const m of toV1.event(e)) {
            if (m.type === 'header') xml = m.xml;
            else if (m.type !== 'close') await h5!.record(m);
          }
        }
      }
    }
    decoder.end();
    complete = true;
  } catch (err) {
    failure ??= `receiving results failed: ${(err as Error).message}${decoder.finished ? '' : ' (the server ends its MRD v2 answer without the end marker when the session failed: see its log)'}`;
  } finally {
    socket.destroy();
  }
  await sending;
  if (complete && failure === null && v2out === null && h5!.serverErrors.length) failure = 'the server reported an error';
  const counts = (v2out ?? h5!).counts;
  const got = `${counts.images} images, ${counts.acquisitions} acquisitions${counts.waveforms ? `, ${counts.waveforms} waveforms` : ''}`;
  let kept = false;
  if (v2out) {
    if (failure) await v2out.close();
    else await v2out.finish();
  } else if (!failure || h5!.receivedData) {
    await h5!.finish(xml || 'Dummy XML header', failure ? `${failure} (received ${got})` : undefined);
    kept = !!failure;
  } else await h5!.close();
  logger.info('---------------------- Summary ----------------------');
  logger.info(`Sent ${String(sent.acquisitions).padStart(5)} acquisitions  |  Received ${String(counts.acquisitions).padStart(5)} acquisitions`);
  logger.info(`Sent ${String(sent.images).padStart(5)} images        |  Received ${String(counts.images).padStart(5)} images`);
  logger.info(`Sent ${String(sent.waveforms).padStart(5)} waveforms     |  Received ${String(counts.waveforms).padStart(5)} waveforms`);
  if (failure) {
    const where = kept ? `what arrived is in ${outfile}, group '${o.outGroup}', marked incomplete` : `nothing was written to ${outfile}`;
    throw new SessionFailedError(`${failure} after ${got}; ${where}`, { closeReceived: complete, serverErrors: [], receivedData: (v2out ?? h5!).receivedData });
  }
  logger.info(`Results written to ${outfile}`);
  logger.info('Session complete');
  return { sent, received: { ...counts }, outfile, outGroup: o.outGroup, siblingGroups: [] };
}
