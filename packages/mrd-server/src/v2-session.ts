/**
 * MRD v2 sessions in mrd-server: a client whose stream starts with the yardl magic (binary) or
 * `{"yardl":` (NDJSON) is served by the same modules as a v1 client. `sniffSessionStream` tells
 * the generation from the first bytes of the session's byte stream (and puts them back);
 * `MrdV2Wire` is then the session's wire instead of the v1 SocketConnection:
 *
 * - in: the v2 decoder's events, mapped to v1 messages (MrdV2ToV1), after a CONFIG_FILE naming
 *   the server's default config (v2 has no config message; upstream's v2 tools run one recon
 *   each). So a module reads config, header, acquisitions ... exactly as from a v1 client;
 * - out: the module's acquisitions, images and waveforms mapped back (MrdV1ToV2) and written in
 *   the client's encoding (binary or NDJSON), after the client's own header (upstream's
 *   stream_recon repeats it); CLOSE is the end of the stream (the binary end marker);
 * - texts (logging, config, a second header) have no v2 counterpart: they go to the server log.
 *   A session that sent an ERROR ends its v2 output WITHOUT the end marker, so every v2 reader
 *   (upstream's included) reports an incomplete stream instead of a short result passing as
 *   complete.
 */
import { Duplex, PassThrough } from 'node:stream';
import { logger } from '@mrd-tools/core/logging';
import type { Acquisition, Image, Waveform } from '@mrd-tools/core/messages';
import type { MrdConnection, MrdMessage, TextLogLevel } from '@mrd-tools/core/connection';
import { encodedMessageLength } from '@mrd-tools/core/stream';
import {
  detectMrdStream, MrdV1ToV2, MrdV2NdjsonDecoder, MrdV2NdjsonEncoder, MrdV2StreamDecoder, MrdV2StreamEncoder, MrdV2ToV1,
  type Header, type MrdStreamKind, type MrdV2Event,
} from '@mrd-tools/core/mrd-v2';

/** The session's byte stream once its generation is known (the first bytes put back). */
export interface SniffedStream {
  kind: MrdStreamKind;
  io: Duplex;
}

/**
 * Reads the first bytes of `io` until they tell v1 from v2 (at most 9), then puts them back and
 * leaves `io` paused. A stream that ends before they tell (empty, or a strict prefix of a v2
 * magic) is replayed from a copy: the v1 path then reports it as it does any short stream.
 */
export function sniffSessionStream(io: Duplex): Promise<SniffedStream> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const cleanup = () => {
      settled = true;
      io.off('data', onData);
      io.off('end', onEnd);
      io.off('close', onEnd);
      io.off('error', onEnd);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      const kind = detectMrdStream(head);
      if (!kind || settled) return;
      cleanup();
      io.pause();
      io.unshift(head);
      resolve({ kind, io });
    };
    const onEnd = () => {
      if (settled) return;
      cleanup();
      const replay = new PassThrough();
      replay.end(Buffer.concat(chunks));
      resolve({ kind: 'mrd-v1', io: Duplex.from({ readable: replay, writable: io }) });
    };
    io.on('data', onData);
    io.once('end', onEnd);
    io.once('close', onEnd);
    io.once('error', onEnd);
  });
}

/** Decoded-but-unconsumed bytes at which the wire stops reading (as the v1 wire). */
const READ_HIGH_WATER = 16 * 1024 * 1024;

type Decoder = { push(chunk: Uint8Array, out: MrdV2Event[]): MrdV2Event[]; end(out?: MrdV2Event[]): unknown };

/** The session wire of an MRD v2 client: v1 messages in and out, v2 on the socket. */
export class MrdV2Wire implements MrdConnection {
  private readonly decoder: Decoder;
  private readonly toV1 = new MrdV2ToV1();
  private readonly binary: MrdV2StreamEncoder | null;
  private readonly ndjson: MrdV2NdjsonEncoder | null;
  private toV2: MrdV1ToV2 | null = null;
  private clientHeader: Header | undefined;
  private queue: MrdMessage[] = [];
  private queuedBytes = 0;
  private paused = false;
  private ended = false;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];
  private writeChain: Promise<void> = Promise.resolve();
  private closeWritten = false;
  /** An ERROR was sent: the output ends without the end marker. */
  private failed = false;
  /** Items received / written, for the session log. */
  itemsIn = 0;
  itemsOut = 0;

  constructor(private readonly io: Duplex, readonly kind: 'mrd-v2' | 'mrd-v2-ndjson', configName: string) {
    this.decoder = kind === 'mrd-v2' ? new MrdV2StreamDecoder() : new MrdV2NdjsonDecoder();
    this.binary = kind === 'mrd-v2' ? new MrdV2StreamEncoder() : null;
    this.ndjson = kind === 'mrd-v2' ? null : new MrdV2NdjsonEncoder();
    logger.info(`MRD v2 client (${kind === 'mrd-v2' ? 'binary' : 'NDJSON'} stream): running the default config '${configName}'`);
    this.enqueue([{ type: 'config_file', name: configName }]);
    io.on('data', (chunk: Buffer) => this.onData(chunk));
    io.on('end', () => this.onEnd());
    io.on('close', () => this.onEnd());
    io.on('error', (err: Error) => this.onError(err));
    io.resume();
  }

  // ------------------------------------------------------------------ reading

  private enqueue(msgs: MrdMessage[]): void {
    for (const m of msgs) {
      this.queue.push(m);
      this.queuedBytes += encodedMessageLength(m);
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private map(events: MrdV2Event[]): void {
    for (const e of events) {
      if (e.type === 'header') this.clientHeader = e.header;
      if (e.type === 'item') this.itemsIn++;
      if (e.type === 'end') logger.info(`<-- Received the end of the MRD v2 stream (${this.itemsIn} items)`);
      this.enqueue(this.toV1.event(e));
    }
  }

  private onData(chunk: Buffer): void {
    if (this.failure || this.ended) return;
    const before = this.queue.length;
    try {
      this.map(this.decoder.push(chunk, []));
    } catch (e) {
      this.failure = e as Error;
      this.io.pause();
      this.wake();
      return;
    }
    if (this.queuedBytes > READ_HIGH_WATER && !this.paused) {
      this.paused = true;
      this.io.pause();
    }
    if (this.queue.length > before) this.wake();
  }

  private onEnd(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.failure) {
      try {
        const out: MrdV2Event[] = [];
        this.decoder.end(out);
        this.map(out);
      } catch (e) {
        this.failure = e as Error;
      }
    }
    this.wake();
  }

  private onError(err: Error): void {
    if (!this.failure && !this.ended) this.failure = err;
    this.wake();
  }

  /** The next message (CLOSE at the end marker); undefined when the stream ended without one. */
  async receive(): Promise<MrdMessage | undefined> {
    for (;;) {
      if (this.queue.length) {
        const m = this.queue.shift()!;
        this.queuedBytes -= encodedMessageLength(m);
        if (this.paused && this.queuedBytes <= READ_HIGH_WATER / 2) {
          this.paused = false;
          this.io.resume();
        }
        return m;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<MrdMessage> {
    let done = false;
    return {
      next: async (): Promise<IteratorResult<MrdMessage>> => {
        if (done) return { done: true, value: undefined };
        const m = await this.receive();
        if (!m || m.type === 'close') {
          done = true;
          return { done: true, value: undefined };
        }
        return { done: false, value: m };
      },
      return: async (): Promise<IteratorResult<MrdMessage>> => {
        done = true;
        return { done: true, value: undefined };
      },
    };
  }

  // ------------------------------------------------------------------ writing

  /** Maps v1 messages to v2 events and writes them in order; resolves when the socket took them. */
  private send(msgs: MrdMessage[]): Promise<void> {
    const p = this.writeChain.then(() => this.writeNow(msgs));
    this.writeChain = p.catch(() => undefined);
    return p;
  }

  private mapper(): MrdV1ToV2 {
    // Created at the first answer, when the client's header is in: it starts the output.
    this.toV2 ??= new MrdV1ToV2({
      header: this.clientHeader ?? null,
      onSkipped: (m, why) => logger.debug(`MRD v2 client: ${m.type} not sent (${why})`),
    });
    return this.toV2;
  }

  private encode(events: MrdV2Event[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const e of events) {
      if (e.type === 'header') {
        if (this.binary) out.push(...this.binary.header(e.header));
        else out.push(Buffer.from(this.ndjson!.header(e.header)));
      } else if (e.type === 'item') {
        this.itemsOut++;
        if (this.binary) out.push(...this.binary.items(e.item));
        else out.push(Buffer.from(this.ndjson!.items(e.item)));
      } else if (this.binary && !this.failed) {
        out.push(...this.binary.end());
      }
    }
    return out;
  }

  private async writeNow(msgs: MrdMessage[]): Promise<void> {
    const events: MrdV2Event[] = [];
    const mapper = this.mapper();
    for (const m of msgs) events.push(...(m.type === 'close' ? mapper.end() : mapper.message(m)));
    const chunks = this.encode(events);
    const s = this.io;
    for (const c of chunks) {
      if (s.destroyed || s.writableEnded) throw new Error('cannot send MRD v2 data: the connection is closed');
      if (!s.write(c)) await this.drained();
    }
  }

  private drained(): Promise<void> {
    const s = this.io;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        s.off('drain', onDrain);
        s.off('close', onClose);
        s.off('error', onDrain);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (err?: Error) => done(err);
      const onClose = () => done(new Error('connection closed while sending MRD v2 data'));
      s.on('drain', onDrain);
      s.on('close', onClose);
      s.on('error', onDrain);
    });
  }

  sendConfigFile(name: string): Promise<void> {
    logger.debug(`MRD v2 client: config '${name}' not sent (MRD v2 has no config message)`);
    return Promise.resolve();
  }
  sendConfigText(): Promise<void> {
    logger.debug('MRD v2 client: config text not sent (MRD v2 has no config message)');
    return Promise.resolve();
  }
  sendHeader(xml: string): Promise<void> {
    return this.send([{ type: 'header', xml }]);
  }
  sendText(text: string): Promise<void> {
    logger.info(`MRD v2 client (no text messages in MRD v2): ${text}`);
    return Promise.resolve();
  }
  sendLogging(level: TextLogLevel, text: string): Promise<void> {
    const line = `MRD v2 client (no text messages in MRD v2): ${level} ${text}`;
    if (level === 'ERROR') {
      if (!this.failed) logger.error('MRD v2 client: the session failed; its output ends without the end-of-stream marker');
      this.failed = true;
      logger.error(line);
    } else if (level === 'WARNING') logger.warning(line);
    else if (level === 'INFO') logger.info(line);
    else logger.debug(line);
    return Promise.resolve();
  }
  sendAcquisition(acq: Acquisition | Acquisition[]): Promise<void> {
    return this.send((Array.isArray(acq) ? acq : [acq]).map((acquisition) => ({ type: 'acquisition', acquisition }) as MrdMessage));
  }
  sendImage(img: Image | Image[]): Promise<void> {
    return this.send((Array.isArray(img) ? img : [img]).filter((i) => i != null).map((image) => ({ type: 'image', image }) as MrdMessage));
  }
  sendWaveform(wav: Waveform | Waveform[]): Promise<void> {
    return this.send((Array.isArray(wav) ? wav : [wav]).map((waveform) => ({ type: 'waveform', waveform }) as MrdMessage));
  }
  /** The end of the v2 output: the end marker (none after an ERROR, see the file header). */
  sendClose(): Promise<void> {
    if (this.closeWritten) return this.writeChain;
    this.closeWritten = true;
    const p = this.send([{ type: 'close' }]).then(() => {
      logger.info(`--> Sent ${this.itemsOut} MRD v2 items${this.failed ? ', stream left without its end marker (session failed)' : ' and the end of the stream'}`);
    });
    return p;
  }

  /** Resolves when every send issued so far has been accepted by the socket (or failed). */
  flush(): Promise<void> {
    return this.writeChain;
  }
}
