/**
 * The NDJSON encoding of the MRD v2 protocol (yardl docs/reference/ndjson.md), byte for byte as
 * upstream's Python writer (`NDJsonMrdWriter`) produces it:
 *
 *   {"yardl":{"version":1,"schema":<the schema JSON>}}
 *   {"header":<Header or null>}
 *   {"data":{"<StreamItem case>":<value>}}      one line per item, no end marker
 *
 * Reading is incremental (push byte chunks, lines may span chunks) and checks what upstream's
 * reader checks: the version and the schema (structurally equal to MRD 2.2.1's), then a header
 * line, then data lines. A line longer than `maxLineSize` is a protocol error before it is
 * buffered whole. Errors are MrdProtocolError naming the line, its byte offset and the field.
 * NDJSON has no views: every array is built from the text.
 */
import { MrdProtocolError } from '../../stream/errors.js';
import { ValueFault } from '../codec/codec.js';
import { JsonSyntaxError, jsonEqual, parseJson, type JsonValue } from '../codec/json.js';
import { OptionalHeader, StreamItem } from '../model/codecs.js';
import { MRD_SCHEMA } from '../model/schema.js';
import type { Header, StreamItem as StreamItemValue } from '../model/types.js';
import { collectMrdV2Events, type MrdV2Event } from '../binary/decoder.js';
import { valueError } from '../binary/encoder.js';

/** The first line upstream writes (without its newline). */
export const NDJSON_FIRST_LINE = `{"yardl":{"version":1,"schema":${MRD_SCHEMA}}}`;

/** Default longest line accepted: 512 MiB (V8 strings hold at most about 2^29 characters). */
export const DEFAULT_MAX_LINE_SIZE = 512 * 1024 * 1024;

export class MrdV2NdjsonEncoder {
  private state: 'start' | 'items' = 'start';
  private count = 0;

  /** The yardl line and the header line (undefined: `{"header":null}`). */
  header(header: Header | undefined): string {
    if (this.state !== 'start') throw new Error('MRD v2 NDJSON writer: the header is written once, before any item');
    let h: string;
    try {
      h = OptionalHeader.json(header);
    } catch (e) {
      throw valueError(e, 'header');
    }
    this.state = 'items';
    return `${NDJSON_FIRST_LINE}\n{"header":${h}}\n`;
  }

  /** One line per item. On a value error nothing of the call is returned. */
  items(items: StreamItemValue | readonly StreamItemValue[]): string {
    if (this.state !== 'items') throw new Error('MRD v2 NDJSON writer: write the header (or undefined) first');
    const list = Array.isArray(items) ? items : [items as StreamItemValue];
    let s = '';
    for (let i = 0; i < list.length; i++) {
      try {
        s += `{"data":${StreamItem.json(list[i]!)}}\n`;
      } catch (e) {
        throw valueError(e, `StreamItem #${this.count + i}`);
      }
    }
    this.count += list.length;
    return s;
  }

  /** NDJSON has no end marker. */
  end(): string {
    return '';
  }
}

/** A whole NDJSON stream as text. */
export function encodeMrdV2Ndjson(header: Header | undefined, items: Iterable<StreamItemValue>): string {
  const enc = new MrdV2NdjsonEncoder();
  let s = enc.header(header);
  for (const it of items) s += enc.items(it);
  return s;
}

let schemaJson: JsonValue | undefined;

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export interface MrdV2NdjsonDecoderOptions {
  /** Longest line accepted, in bytes. Default 512 MiB. */
  maxLineSize?: number;
}

export class MrdV2NdjsonDecoder {
  readonly maxLineSize: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Byte offset of the start of the line being received. */
  private lineStart = 0;
  private lineNo = 0;
  private stage: 'yardl' | 'header' | 'items' | 'done' = 'yardl';
  private itemCount = 0;
  private failed: MrdProtocolError | null = null;

  constructor(opts: MrdV2NdjsonDecoderOptions = {}) {
    this.maxLineSize = opts.maxLineSize ?? DEFAULT_MAX_LINE_SIZE;
  }

  get items(): number {
    return this.itemCount;
  }

  /** Feeds bytes; returns the events of the lines they complete. */
  push(chunk: Uint8Array, out: MrdV2Event[] = []): MrdV2Event[] {
    if (this.failed) throw this.failed;
    try {
      let p = 0;
      for (;;) {
        const nl = chunk.indexOf(10, p);
        if (nl < 0) break;
        let line: Uint8Array;
        if (this.pendingBytes > 0) {
          this.checkLength(this.pendingBytes + nl - p);
          line = new Uint8Array(this.pendingBytes + nl - p);
          let o = 0;
          for (const c of this.pending) {
            line.set(c, o);
            o += c.length;
          }
          line.set(chunk.subarray(p, nl), o);
          this.pending = [];
          this.pendingBytes = 0;
        } else {
          this.checkLength(nl - p);
          line = chunk.subarray(p, nl);
        }
        this.line(line, out);
        this.lineStart += line.length + 1;
        p = nl + 1;
      }
      if (p < chunk.length) {
        this.checkLength(this.pendingBytes + chunk.length - p);
        // Copied: the caller may reuse the chunk.
        this.pending.push(chunk.slice(p));
        this.pendingBytes += chunk.length - p;
      }
    } catch (e) {
      throw (this.failed = this.toProtocolError(e));
    }
    return out;
  }

  /** Declares the end of the input (a last line without newline is read); returns the final events. */
  end(out: MrdV2Event[] = []): MrdV2Event[] {
    if (this.failed) throw this.failed;
    try {
      if (this.pendingBytes > 0) {
        const line = new Uint8Array(this.pendingBytes);
        let o = 0;
        for (const c of this.pending) {
          line.set(c, o);
          o += c.length;
        }
        this.pending = [];
        this.pendingBytes = 0;
        this.line(line, out);
      }
      if (this.stage === 'yardl' || this.stage === 'header') {
        throw new MrdProtocolError(`MRD v2 NDJSON: the stream ended before its ${this.stage === 'yardl' ? 'first (yardl) line' : 'header line'}`, {
          reason: 'truncated', offset: this.lineStart, messageName: this.stage,
        });
      }
      if (this.stage === 'items') {
        this.stage = 'done';
        out.push({ type: 'end' });
      }
    } catch (e) {
      throw (this.failed = this.toProtocolError(e));
    }
    return out;
  }

  private checkLength(n: number): void {
    if (n > this.maxLineSize) {
      throw new MrdProtocolError(`MRD v2 NDJSON line ${this.lineNo + 1} (byte offset ${this.lineStart}): longer than the maximum line size of ${this.maxLineSize} bytes`, {
        reason: 'message-too-large', offset: this.lineStart,
      });
    }
  }

  private toProtocolError(e: unknown): MrdProtocolError {
    if (e instanceof MrdProtocolError) return e;
    const where = `MRD v2 NDJSON line ${this.lineNo} (byte offset ${this.lineStart})`;
    if (e instanceof ValueFault) {
      const root = this.stage === 'header' ? 'header' : `data (StreamItem #${this.itemCount})`;
      return new MrdProtocolError(`${where}: ${e.describe(root)}`, { reason: 'invalid-field', offset: this.lineStart, messageName: root });
    }
    if (e instanceof JsonSyntaxError) return new MrdProtocolError(`${where}: not JSON: ${e.message}`, { reason: 'invalid-field', offset: this.lineStart });
    if (e instanceof TypeError) return new MrdProtocolError(`${where}: not valid UTF-8`, { reason: 'invalid-field', offset: this.lineStart });
    throw e;
  }

  private line(bytes: Uint8Array, out: MrdV2Event[]): void {
    this.lineNo++;
    const text = decoder.decode(bytes);
    const j = parseJson(text);
    if (!(j instanceof Map)) throw new ValueFault(`expected a JSON object per line`);
    switch (this.stage) {
      case 'yardl': {
        const y = j.get('yardl');
        if (!(y instanceof Map)) throw new ValueFault('not a yardl NDJSON stream (the first line has no "yardl" object)');
        if (y.get('version') !== 1) throw new ValueFault(`unsupported yardl NDJSON version ${String(y.get('version'))} (this reader knows version 1)`);
        schemaJson ??= parseJson(MRD_SCHEMA);
        const s = y.get('schema');
        if (s === undefined || !jsonEqual(s, schemaJson)) throw new ValueFault('the protocol schema is not the one of MRD 2.2.1; upstream readers refuse such a stream too');
        this.stage = 'header';
        return;
      }
      case 'header': {
        if (!j.has('header')) throw new ValueFault('expected the header line {"header": ...}');
        out.push({ type: 'header', header: OptionalHeader.fromJson(j.get('header')) });
        this.stage = 'items';
        return;
      }
      case 'items': {
        if (!j.has('data')) throw new ValueFault('expected a data line {"data": ...}');
        out.push({ type: 'item', item: StreamItem.fromJson(j.get('data')) });
        this.itemCount++;
        return;
      }
      default:
        throw new ValueFault('a line after the end of the stream');
    }
  }
}

/** Decodes a whole NDJSON stream held in memory. */
export function decodeMrdV2Ndjson(bytes: Uint8Array | string, opts: MrdV2NdjsonDecoderOptions = {}): { header: Header | undefined; items: StreamItemValue[] } {
  const d = new MrdV2NdjsonDecoder(opts);
  const events = d.push(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
  d.end(events);
  return collectMrdV2Events(events);
}
