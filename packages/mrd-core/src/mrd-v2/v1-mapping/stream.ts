/**
 * Streaming conversion between the two generations, one message or item at a time, so a
 * consumer of v1 messages (a recon module, an HDF5 writer) can be fed from a v2 stream and its
 * answers re-encoded in v2, and the other way round:
 *
 *   v2 events (MrdV2StreamDecoder / MrdV2NdjsonDecoder) --MrdV2ToV1--> MrdMessage[]
 *   MrdMessage --MrdV1ToV2--> v2 events (MrdV2StreamEncoder / MrdV2NdjsonEncoder)
 *
 * Order and framing follow upstream's converters: v2 -> v1 writes the header message first (XML
 * rendered as ismrmrd-python does, without the NUL a v1 client adds), the items, then CLOSE;
 * v1 -> v2 takes the header from a HEADER message that comes before any data (later headers,
 * config, text and NDArray messages have no v2 counterpart and are reported through `onSkipped`),
 * and writes no header (null) when data comes first.
 */
import type { MrdMessage } from '../../connection/types.js';
import { parseIsmrmrdHeader } from '../../xml-header/parse.js';
import type { MrdV2Event } from '../binary/decoder.js';
import type { Header, StreamItem } from '../model/types.js';
import { headerToV1, headerToV2, headerV1Xml, type HeaderMapping } from './header.js';
import {
  acquisitionToV1, acquisitionToV2, imageToV1, imageToV2, isImageItem, waveformToV1, waveformToV2,
} from './items.js';

const utf8 = new TextEncoder();

export interface MrdV2ToV1Options {
  headerMapping?: HeaderMapping;
  /**
   * What to do with items v1 has no message for (acquisitionPrototype, acquisitionBucket,
   * reconData, arrayComplexFloat, imageArray, the Pulseq items): 'error' (default, as upstream's
   * mrd_to_ismrmrd) or 'skip' (reported through onSkipped).
   */
  unsupported?: 'error' | 'skip';
  onSkipped?: (item: StreamItem) => void;
}

/** The v1 HEADER message of a v2 header, as upstream's converter frames it (no trailing NUL). */
export function headerMessageV1(header: Header, mapping: HeaderMapping = 'upstream'): MrdMessage {
  const xml = headerV1Xml(headerToV1(header, mapping));
  return { type: 'header', xml, raw: utf8.encode(xml) };
}

export class MrdV2ToV1 {
  private readonly mapping: HeaderMapping;
  private readonly unsupported: 'error' | 'skip';
  private readonly onSkipped?: (item: StreamItem) => void;
  /** Items that had no v1 message and were skipped. */
  skipped = 0;

  constructor(opts: MrdV2ToV1Options = {}) {
    this.mapping = opts.headerMapping ?? 'upstream';
    this.unsupported = opts.unsupported ?? 'error';
    this.onSkipped = opts.onSkipped;
  }

  /** The header step: a HEADER message, or none when the stream has no header. */
  header(header: Header | undefined): MrdMessage[] {
    return header ? [headerMessageV1(header, this.mapping)] : [];
  }

  /** One item: its message, or none when it is skipped. */
  item(item: StreamItem): MrdMessage[] {
    switch (item.type) {
      case 'acquisition': return [{ type: 'acquisition', acquisition: acquisitionToV1(item.value) }];
      case 'waveformUint32': return [{ type: 'waveform', waveform: waveformToV1(item.value) }];
      default:
        if (isImageItem(item)) return [{ type: 'image', image: imageToV1(item) }];
    }
    if (this.unsupported === 'error') throw new RangeError(`MRD v2 StreamItem ${item.type} has no MRD v1 message (upstream mrd_to_ismrmrd refuses it too)`);
    this.skipped++;
    this.onSkipped?.(item);
    return [];
  }

  /** The end of the stream: CLOSE. */
  end(): MrdMessage[] {
    return [{ type: 'close' }];
  }

  /** Any decoder event. */
  event(e: MrdV2Event): MrdMessage[] {
    switch (e.type) {
      case 'header': return this.header(e.header);
      case 'item': return this.item(e.item);
      default: return this.end();
    }
  }
}

export interface MrdV1ToV2Options {
  headerMapping?: HeaderMapping;
  /**
   * The header to write (answers of a server to a v2 client repeat the client's header, as
   * upstream's stream_recon does): emitted first, and HEADER messages are then skipped.
   * `null`: write no header. Undefined (default): take it from the stream.
   */
  header?: Header | null;
  /** Messages with no v2 counterpart (config, text, NDArray, a second header) and why. */
  onSkipped?: (m: MrdMessage, why: string) => void;
}

export class MrdV1ToV2 {
  private readonly mapping: HeaderMapping;
  private readonly onSkipped?: (m: MrdMessage, why: string) => void;
  private preset: Header | null | undefined;
  private state: 'header' | 'items' | 'ended' = 'header';
  /** Messages skipped. */
  skipped = 0;

  constructor(opts: MrdV1ToV2Options = {}) {
    this.mapping = opts.headerMapping ?? 'upstream';
    this.onSkipped = opts.onSkipped;
    this.preset = opts.header;
  }

  private skip(m: MrdMessage, why: string): MrdV2Event[] {
    this.skipped++;
    this.onSkipped?.(m, why);
    return [];
  }

  private startItems(out: MrdV2Event[], header: Header | undefined): void {
    out.push({ type: 'header', header });
    this.state = 'items';
  }

  /** One v1 message: the events it gives (the header event is emitted before the first item). */
  message(m: MrdMessage): MrdV2Event[] {
    const out: MrdV2Event[] = [];
    if (this.state === 'ended') return this.skip(m, 'after CLOSE');
    if (this.state === 'header' && this.preset !== undefined) this.startItems(out, this.preset ?? undefined);
    switch (m.type) {
      case 'header':
        if (this.state === 'header') {
          this.startItems(out, headerToV2(parseIsmrmrdHeader(m.xml), this.mapping));
          return out;
        }
        this.skip(m, this.preset !== undefined ? 'the v2 header is given' : 'a second header (v2 has one, upstream keeps the first)');
        return out;
      case 'acquisition':
      case 'image':
      case 'waveform': {
        if (this.state === 'header') this.startItems(out, undefined);
        let item: StreamItem;
        if (m.type === 'acquisition') item = { type: 'acquisition', value: acquisitionToV2(m.acquisition) };
        else if (m.type === 'waveform') item = { type: 'waveformUint32', value: waveformToV2(m.waveform) };
        else item = imageToV2(m.image);
        out.push({ type: 'item', item });
        return out;
      }
      case 'close':
        return [...out, ...this.end()];
      default:
        this.skip(m, `MRD v2 has no ${m.type} message`);
        return out;
    }
  }

  /** The end of the v1 stream (CLOSE or end of input): the header if none was written yet, then the end. */
  end(): MrdV2Event[] {
    if (this.state === 'ended') return [];
    const out: MrdV2Event[] = [];
    if (this.state === 'header') this.startItems(out, this.preset ?? undefined);
    this.state = 'ended';
    out.push({ type: 'end' });
    return out;
  }
}
