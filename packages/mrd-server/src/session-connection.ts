/**
 * The MrdConnection a recon module receives in mrd-server: wraps the wire connection with
 * - put-back of messages the dispatcher has already read (the reference peeks at the message
 *   after the XML header to see whether it is the JSON additional config);
 * - the incoming-data recorder (`-s` / `savedataonly`), fed every message as it is read;
 * - bookkeeping: whether the module sent CLOSE itself, counts of messages sent.
 *
 * Iterating yields every message up to, not including, CLOSE. A module may break out of its
 * loop and iterate again later; breaking does not close the connection.
 */
import type { Acquisition, Image, Waveform } from '@mrd-tools/core/messages';
import type { MrdConnection, MrdMessage, TextLogLevel } from '@mrd-tools/core/connection';

export interface IncomingObserver {
  (msg: MrdMessage): void | Promise<void>;
}

export class SessionConnection implements MrdConnection {
  private readonly putBack: MrdMessage[] = [];
  private readonly source: AsyncIterator<MrdMessage>;
  private exhausted = false;
  private pulling: Promise<IteratorResult<MrdMessage>> | null = null;
  closeSent = false;
  sentImages = 0;
  sentAcquisitions = 0;
  sentWaveforms = 0;
  received = 0;
  /** ERROR texts sent (by the dispatcher or the module). */
  errorTexts = 0;
  /** Time (ms) spent waiting for the next input message / for sends to be taken, for phase timings. */
  readonly timing = { inputWaitMs: 0, sendWaitMs: 0 };

  /**
   * `canDiscard`: whether messages may be dropped unseen (no observer needs them now); `drain`
   * then lets the wire skip data messages without building them.
   */
  constructor(private readonly wire: MrdConnection, private readonly observe?: IncomingObserver, private readonly canDiscard?: () => boolean) {
    this.source = wire[Symbol.asyncIterator]();
  }

  /** True once CLOSE or the end of the stream was read. */
  get isExhausted(): boolean {
    return this.exhausted && this.putBack.length === 0;
  }

  /** The next message, or null at CLOSE / end of stream. */
  async next(): Promise<MrdMessage | null> {
    if (this.putBack.length) return this.putBack.shift()!;
    if (this.exhausted) return null;
    // Serialise concurrent pulls (two iterators used at once must not interleave reads).
    while (this.pulling) await this.pulling.catch(() => undefined);
    if (this.putBack.length) return this.putBack.shift()!;
    if (this.exhausted) return null;
    this.pulling = this.source.next();
    let r: IteratorResult<MrdMessage>;
    const t0 = performance.now();
    try {
      r = await this.pulling;
    } catch (err) {
      this.exhausted = true;
      throw err;
    } finally {
      this.pulling = null;
      this.timing.inputWaitMs += performance.now() - t0;
    }
    if (r.done || r.value.type === 'close') {
      this.exhausted = true;
      if (!r.done) await this.observe?.(r.value);
      return null;
    }
    this.received++;
    await this.observe?.(r.value);
    return r.value;
  }

  /**
   * The module is done with each message once it asks for the next (see
   * `MrdConnection.borrowPayloads`): the wire may reuse their memory. The recorder copies what
   * it keeps before the module gets the message, and a message put back was already taken from
   * the wire, so both stay compatible.
   */
  borrowPayloads(): void {
    this.wire.borrowPayloads?.();
  }

  /** Returns a message so the next read yields it again. */
  unread(msg: MrdMessage): void {
    this.putBack.unshift(msg);
  }

  [Symbol.asyncIterator](): AsyncIterator<MrdMessage> {
    let done = false;
    return {
      next: async () => {
        if (done) return { done: true, value: undefined };
        const m = await this.next();
        if (m === null) {
          done = true;
          return { done: true, value: undefined };
        }
        return { done: false, value: m };
      },
      return: async () => {
        done = true;
        return { done: true, value: undefined };
      },
    };
  }

  /** Reads and discards everything up to CLOSE or the end of the stream (recording it if enabled). */
  async drain(): Promise<void> {
    const wire = this.wire as MrdConnection & { discardUntilClose?: () => Promise<number> };
    if (typeof wire.discardUntilClose === 'function' && this.canDiscard?.()) {
      while (this.pulling) await this.pulling.catch(() => undefined);
      // Messages already put back are read (and observed) as usual first.
      while (this.putBack.length) await this.next();
      if (!this.exhausted) {
        const t0 = performance.now();
        try {
          this.received += await wire.discardUntilClose();
        } finally {
          this.exhausted = true;
          this.timing.inputWaitMs += performance.now() - t0;
        }
      }
      return;
    }
    while ((await this.next()) !== null) {
      /* discard */
    }
  }

  sendConfigFile(name: string): Promise<void> { return this.wire.sendConfigFile(name); }
  sendConfigText(text: string): Promise<void> { return this.wire.sendConfigText(text); }
  sendHeader(xml: string): Promise<void> { return this.wire.sendHeader(xml); }
  sendText(text: string): Promise<void> { return this.wire.sendText(text); }
  sendLogging(level: TextLogLevel, text: string): Promise<void> {
    if (level === 'ERROR') this.errorTexts++;
    return this.wire.sendLogging(level, text);
  }
  private timed(p: Promise<void>): Promise<void> {
    const t0 = performance.now();
    return p.finally(() => {
      this.timing.sendWaitMs += performance.now() - t0;
    });
  }
  sendAcquisition(acq: Acquisition | Acquisition[]): Promise<void> {
    this.sentAcquisitions += Array.isArray(acq) ? acq.length : 1;
    return this.timed(this.wire.sendAcquisition(acq));
  }
  sendImage(img: Image | Image[]): Promise<void> {
    this.sentImages += Array.isArray(img) ? img.filter((i) => i != null).length : 1;
    return this.timed(this.wire.sendImage(img));
  }
  sendWaveform(wav: Waveform | Waveform[]): Promise<void> {
    this.sentWaveforms += Array.isArray(wav) ? wav.length : 1;
    return this.timed(this.wire.sendWaveform(wav));
  }
  async sendClose(): Promise<void> {
    if (this.closeSent) return;
    this.closeSent = true;
    await this.wire.sendClose();
  }
}
