/**
 * Finds MRD message boundaries in a byte stream without decoding the messages: for a relay that
 * only moves bytes (the mrd-server main thread between a client socket and the session's worker
 * or process) but must know where each message ends, whether CLOSE went by, and whether the
 * stream is at a message boundary (to add an ERROR text and CLOSE of its own).
 *
 * Sizes are computed from each message's fixed-size prefix with the decoder's `frameLength`, so
 * the scanner accepts and rejects exactly what the decoder does (same `MrdProtocolError`s, same
 * size limit). It keeps at most one message prefix (< 512 bytes); payload bytes are only counted.
 */
import { describeMessageId, MessageId } from '../constants/index.js';
import { DEFAULT_MAX_MESSAGE_SIZE, frameLength } from './decoder.js';
import { MrdProtocolError } from './errors.js';

const PREFIX_CAPACITY = 512;

export class MrdFrameScanner {
  /** Bytes pushed so far. */
  private pushed = 0;
  /** Stream offset where the message being scanned starts (= end of the last complete message). */
  private start = 0;
  /** Total size of the current message once known, else 0. */
  private total = 0;
  private readonly prefix = new Uint8Array(PREFIX_CAPACITY);
  private readonly prefixView = new DataView(this.prefix.buffer);
  private prefixFill = 0;
  private failed: MrdProtocolError | null = null;
  /** Complete messages seen. */
  messages = 0;
  /** Whether a CLOSE message has been completed. */
  closeSeen = false;
  /** Stream offset just after the first CLOSE (or -1). */
  closeEnd = -1;

  constructor(private readonly maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE) {}

  /** Bytes pushed so far. */
  get offset(): number {
    return this.pushed;
  }

  /** Stream offset of the last message boundary (the end of the last complete message). */
  get boundary(): number {
    return this.start;
  }

  /** Whether the stream so far ends exactly at a message boundary. */
  get atBoundary(): boolean {
    return this.pushed === this.start;
  }

  /** The id of the message in progress, once its two id bytes are in. */
  get pendingId(): number | undefined {
    return this.prefixFill >= 2 || this.total > 0 ? this.prefix[0]! | (this.prefix[1]! << 8) : undefined;
  }

  /**
   * Scans `chunk`; returns the number of messages it completed. Throws MrdProtocolError (the
   * decoder's) on an unsupported id, an invalid size field or a message above the size limit;
   * the scanner is unusable afterwards.
   */
  push(chunk: Uint8Array): number {
    if (this.failed) throw this.failed;
    const before = this.messages;
    let p = 0;
    const n = chunk.length;
    let dv: DataView | null = null;
    while (p < n) {
      if (this.total > 0) {
        // Skip the rest of a message whose size is known.
        const take = Math.min(this.start + this.total - this.pushed, n - p);
        p += take;
        this.pushed += take;
        if (this.pushed === this.start + this.total) this.complete();
        continue;
      }
      if (this.prefixFill === 0) {
        // A message starts here: size it in place when its prefix is in this chunk.
        dv ??= new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        const len = this.size(chunk, dv, p, n - p);
        if (len > 0) {
          this.prefix[0] = chunk[p]!;
          this.prefix[1] = chunk[p + 1]!;
          this.prefixFill = 2;
          this.total = len;
          continue;
        }
      }
      // Collect the prefix until the size can be computed.
      const take = Math.min(PREFIX_CAPACITY - this.prefixFill, n - p);
      this.prefix.set(chunk.subarray(p, p + take), this.prefixFill);
      this.prefixFill += take;
      const len = this.size(this.prefix, this.prefixView, 0, this.prefixFill);
      if (len < 0) {
        // All of it is prefix still; need more bytes.
        p += take;
        this.pushed += take;
        continue;
      }
      // The message is `len` bytes (those from earlier chunks are counted): skip on from p.
      this.total = len;
    }
    return this.messages - before;
  }

  private size(u8: Uint8Array, dv: DataView, p: number, avail: number): number {
    try {
      return frameLength(u8, dv, p, avail, this.start, this.maxMessageSize);
    } catch (e) {
      if (e instanceof MrdProtocolError) this.failed = e;
      throw e;
    }
  }

  private complete(): void {
    const id = this.prefix[0]! | (this.prefix[1]! << 8);
    this.start += this.total;
    this.total = 0;
    this.prefixFill = 0;
    this.messages++;
    if (id === MessageId.CLOSE && !this.closeSeen) {
      this.closeSeen = true;
      this.closeEnd = this.start;
    }
  }

  /**
   * The error for a stream that ends now: null at a message boundary, else the decoder's
   * 'truncated' MrdProtocolError.
   */
  endError(): MrdProtocolError | null {
    if (this.failed) return this.failed;
    if (this.atBoundary) return null;
    const id = this.pendingId;
    const buffered = this.pushed - this.start;
    const expected = this.total > 0 ? ` of ${this.total}` : '';
    const name = id !== undefined ? `message ${describeMessageId(id)}` : 'a message id';
    return new MrdProtocolError(`stream ended inside ${name} at stream offset ${this.start} (${buffered}${expected} bytes received)`, {
      reason: 'truncated', messageId: id, offset: this.start,
    });
  }
}
