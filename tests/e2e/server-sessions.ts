/**
 * Helpers of the mrd-server session tests: synthetic sessions (no reference data needed), a raw
 * TCP client with the behaviours real clients have (half-close after CLOSE, slow reading,
 * resetting), and a tolerant reading of what the server answered (a truncated answer is a
 * finding, not an exception).
 */
import { connect, type Socket } from 'node:net';
import { createImage } from '@mrd-tools/core/messages';
import { DataType, ImageType } from '@mrd-tools/core/constants';
import { encodeMessages, MrdStreamDecoder } from '@mrd-tools/core/stream';
import type { MrdMessage } from '@mrd-tools/core/connection';

export const SMALL_HEADER = '<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"><experimentalConditions><H1resonanceFrequency_Hz>63500000</H1resonanceFrequency_Hz></experimentalConditions><encoding><encodedSpace><matrixSize><x>4</x><y>4</y><z>1</z></matrixSize><fieldOfView_mm><x>100</x><y>100</y><z>5</z></fieldOfView_mm></encodedSpace><reconSpace><matrixSize><x>4</x><y>4</y><z>1</z></matrixSize><fieldOfView_mm><x>100</x><y>100</y><z>5</z></fieldOfView_mm></reconSpace><trajectory>cartesian</trajectory></encoding></ismrmrdHeader>';

/** Magnitude images (uint16, `size` x `size`) of one series, with a recognisable pattern. */
export function images(count: number, size = 64): MrdMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const img = createImage({ dataType: DataType.USHORT, matrixSize: [size, size, 1], head: { image_type: ImageType.MAGNITUDE, image_index: i, image_series_index: 1 } });
    const d = img.data as Uint16Array;
    for (let k = 0; k < d.length; k++) d[k] = (k * 7 + i * 13) % 4096;
    return { type: 'image', image: img } as MrdMessage;
  });
}

/** A whole client stream: config, header, `body`, CLOSE (unless `close` is false). */
export function sessionBytes(config: string, body: MrdMessage[] = [], close = true, header = SMALL_HEADER): Uint8Array {
  const msgs: MrdMessage[] = [{ type: 'config_file', name: config }, { type: 'header', xml: header }, ...body];
  if (close) msgs.push({ type: 'close' });
  return encodeMessages(msgs);
}

export interface Answer {
  /** Messages decoded from what the server sent. */
  messages: MrdMessage[];
  /** Bytes after the last complete message (a truncated message), or -1 if the bytes were not MRD. */
  leftover: number;
  bytes: number;
  /** Whether the last message is CLOSE and nothing follows it. */
  endsWithClose: boolean;
  texts: string[];
  types: string[];
}

export function readAnswer(buf: Uint8Array): Answer {
  const d = new MrdStreamDecoder();
  let messages: MrdMessage[] = [];
  let leftover = 0;
  try {
    messages = d.push(buf);
    leftover = d.bufferedBytes;
  } catch {
    leftover = -1;
  }
  const types = messages.map((m) => m.type);
  return {
    messages, leftover, bytes: buf.length, types,
    endsWithClose: leftover === 0 && types.at(-1) === 'close' && types.indexOf('close') === types.length - 1,
    texts: messages.filter((m) => m.type === 'text').map((m) => (m as { text: string }).text),
  };
}

export interface TalkOptions {
  /** Shut the write side (SHUT_WR, as `nc -N`) once everything is written. */
  halfClose?: boolean;
  /** Read nothing for this long after connecting (a busy client). */
  readDelayMs?: number;
  timeoutMs?: number;
}

/** Sends `bytes` and collects the answer until the server closes (or the timeout). */
export function talk(port: number, bytes: Uint8Array, o: TalkOptions = {}): Promise<Answer & { timedOut: boolean; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s: Socket = connect({ host: '127.0.0.1', port });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      s.destroy();
    }, o.timeoutMs ?? 60_000);
    if (o.readDelayMs) {
      s.pause();
      setTimeout(() => s.resume(), o.readDelayMs);
    }
    s.on('connect', () => {
      s.write(bytes, () => {
        if (o.halfClose) s.end();
      });
    });
    s.on('data', (c) => chunks.push(c));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ ...readAnswer(Buffer.concat(chunks)), timedOut, ms: Date.now() - t0 });
    });
  });
}

/** Opens a connection that sends `bytes` (maybe nothing) and then stays open, silent. */
export function openIdle(port: number, bytes?: Uint8Array): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('error', reject);
    s.on('connect', () => {
      s.off('error', reject);
      s.on('error', () => undefined);
      if (bytes?.length) s.write(bytes);
      resolve(s);
    });
  });
}
