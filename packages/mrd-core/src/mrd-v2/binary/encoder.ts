/**
 * MRD v2 binary stream writer, laid out as upstream's Python writer does (`BinaryMrdWriter` with
 * `write_data(generator)`): the preamble (magic, version 1, MRD 2.2.1's schema), the optional
 * header (0, or 1 + Header), then each item in a block of its own (`01` + StreamItem), then the
 * end marker `00`. Files written by upstream's Python tools are reproduced byte for byte.
 *
 * Each call returns the chunks it produced, in order (see BinaryWriter: large float arrays are
 * views of the caller's arrays, not copies, so those must not change until the chunks are
 * written). `encodeMrdV2` builds a whole stream in one buffer.
 */
import { BinaryWriter, concatChunks } from '../codec/binary-writer.js';
import { ValueFault } from '../codec/codec.js';
import { OptionalHeader, StreamItem } from '../model/codecs.js';
import type { Header, StreamItem as StreamItemValue } from '../model/types.js';
import { MRD_PREAMBLE } from './preamble.js';

/** A value that does not fit the MRD v2 model, named by its field path. */
export class MrdV2ValueError extends RangeError {
  override name = 'MrdV2ValueError';
}

export function valueError(e: unknown, root: string): unknown {
  return e instanceof ValueFault ? new MrdV2ValueError(`MRD v2 ${e.describe(root)}`) : e;
}

export class MrdV2StreamEncoder {
  private readonly w = new BinaryWriter();
  private state: 'start' | 'items' | 'ended' = 'start';
  private count = 0;

  /** Items written so far. */
  get itemCount(): number {
    return this.count;
  }

  /** The preamble and the header step (undefined: no header). Must come first, once. */
  header(header: Header | undefined): Uint8Array[] {
    if (this.state !== 'start') throw new Error('MRD v2 writer: the header is written once, before any item');
    this.w.raw(MRD_PREAMBLE);
    try {
      OptionalHeader.write(this.w, header);
    } catch (e) {
      this.w.take();
      throw valueError(e, 'header');
    }
    this.state = 'items';
    return this.w.take();
  }

  /** Items, each in a block of its own (as upstream's Python writer streams them). On a value error nothing of the call is written. */
  items(items: StreamItemValue | readonly StreamItemValue[]): Uint8Array[] {
    if (this.state !== 'items') throw new Error(this.state === 'start' ? 'MRD v2 writer: write the header (or undefined) first' : 'MRD v2 writer: the stream has ended');
    const list = Array.isArray(items) ? items : [items as StreamItemValue];
    const first = this.count;
    for (const item of list) {
      this.w.byte(1);
      try {
        StreamItem.write(this.w, item);
      } catch (e) {
        // Nothing of this call is written: the stream stays valid up to the previous call.
        this.w.take();
        const at = this.count;
        this.count = first;
        throw valueError(e, `StreamItem #${at}`);
      }
      this.count++;
    }
    return this.w.take();
  }

  /** The end marker (a block of 0 items). */
  end(): Uint8Array[] {
    if (this.state === 'start') throw new Error('MRD v2 writer: write the header (or undefined) first');
    if (this.state === 'ended') return [];
    this.w.byte(0);
    this.state = 'ended';
    return this.w.take();
  }
}

/** A whole MRD v2 binary stream in one buffer. */
export function encodeMrdV2(header: Header | undefined, items: Iterable<StreamItemValue>): Uint8Array {
  const enc = new MrdV2StreamEncoder();
  const chunks = [...enc.header(header)];
  for (const it of items) chunks.push(...enc.items(it));
  chunks.push(...enc.end());
  return concatChunks(chunks);
}

/** One stream item as its StreamItem encoding (case index + value), without the block count. */
export function encodeStreamItem(item: StreamItemValue): Uint8Array {
  const w = new BinaryWriter();
  try {
    StreamItem.write(w, item);
  } catch (e) {
    throw valueError(e, 'StreamItem');
  }
  return w.takeContiguous();
}
