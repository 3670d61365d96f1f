/**
 * Reading the input: what each format gives, one message or event at a time, so files of any
 * size convert in bounded memory.
 *
 * - v1 stream and v2 binary/NDJSON files are read in 1 MiB chunks through the incremental
 *   decoders of mrd-core.
 * - HDF5 is read as upstream's `ismrmrd_to_mrd --dataset` reads it: the groups holding
 *   acquisitions or waveforms first (with both, merged by time stamp: acquisition_time_stamp vs
 *   time_stamp, an acquisition first on a tie, as heapq.merge), then every image series (by group,
 *   then series name). Upstream takes the header from the first group with acquisitions or
 *   waveforms only, so an images-only file converts without one; `complete` takes it from the
 *   first group that has one. Upstream visits the groups in Python set order (it varies from run
 *   to run); here they go by name.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { decodeMessages } from '@mrd-tools/core/stream';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import type { MrdMessage } from '@mrd-tools/core/connection';
import type { Acquisition, Waveform } from '@mrd-tools/core/messages';
import { MrdV2NdjsonDecoder, MrdV2StreamDecoder, type MrdV2Event } from '@mrd-tools/core/mrd-v2';
import type { Format } from './formats.js';
import { removeQuietly, reserveTemporaryFile } from './output-file.js';

export type Source =
  | { generation: 1; messages: AsyncIterable<MrdMessage>; close(): Promise<void> }
  | { generation: 2; events: AsyncIterable<MrdV2Event>; close(): Promise<void> };

export interface SourceOptions {
  /** HDF5: the one group to read (default: every group). */
  group?: string;
  /** HDF5: take the header from any group that has one (not only from groups with data). */
  complete?: boolean;
  /** Progress: units done of total (bytes, or records for HDF5). */
  onProgress?: (done: number, total: number) => void;
  /** Warnings for the user. */
  warn: (message: string) => void;
}

const CHUNK = 1 << 20;

async function* readChunks(path: string, onProgress?: (done: number, total: number) => void): AsyncGenerator<Uint8Array> {
  const total = path === '-' ? 0 : (await stat(path)).size;
  const stream = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: CHUNK });
  let done = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    done += chunk.length;
    onProgress?.(done, total);
    yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
  }
}

async function* v2Events(chunks: AsyncIterable<Uint8Array>, ndjson: boolean): AsyncGenerator<MrdV2Event> {
  const out: MrdV2Event[] = [];
  if (ndjson) {
    const d = new MrdV2NdjsonDecoder();
    for await (const c of chunks) {
      d.push(c, out);
      yield* out;
      out.length = 0;
    }
    yield* d.end();
    return;
  }
  const d = new MrdV2StreamDecoder();
  for await (const c of chunks) {
    d.push(c, out);
    yield* out;
    out.length = 0;
  }
  d.end();
}

type Timed = { kind: 'acquisition'; v: Acquisition } | { kind: 'waveform'; v: Waveform };

/** heapq.merge(acquisitions, waveforms, key=time stamp): the smaller stamp first, acquisitions on ties. */
async function* mergeByTime(acqs: AsyncIterator<Acquisition>, wavs: AsyncIterator<Waveform>): AsyncGenerator<Timed> {
  let a = await acqs.next();
  let w = await wavs.next();
  while (!a.done || !w.done) {
    if (!a.done && (w.done || a.value.head.acquisition_time_stamp <= w.value.head.time_stamp)) {
      yield { kind: 'acquisition', v: a.value };
      a = await acqs.next();
    } else if (!w.done) {
      yield { kind: 'waveform', v: w.value };
      w = await wavs.next();
    }
  }
}

async function hdf5Source(path: string, opts: SourceOptions): Promise<Source> {
  let spooled: string | undefined;
  let file: MrdFile;
  if (path === '-') {
    // h5wasm reads files: spool standard input to a temporary file first.
    const spool = reserveTemporaryFile('mrd-convert-stdin.h5');
    spooled = spool.tmp;
    try {
      await pipeline(process.stdin, createWriteStream(spooled, { fd: spool.fd }));
      file = await MrdFile.open(spooled);
    } catch (e) {
      await removeQuietly(spooled);
      throw e;
    }
  } else {
    file = await MrdFile.open(path);
  }
  const close = async () => {
    file.close();
    if (spooled) await removeQuietly(spooled);
  };
  try {
    let groups = file.groups().sort();
    if (opts.group !== undefined) {
      const g = opts.group.replace(/^\/+|\/+$/g, '');
      if (!groups.includes(g)) throw new Error(`${path}: no group '${g}' (groups: ${groups.join(', ') || 'none'})`);
      groups = [g];
    }
    const dataGroups = groups.filter((g) => file.has(`/${g}/data`) || file.has(`/${g}/waveforms`));
    const series = groups.flatMap((g) => file.imageSeries(g).sort().map((s) => [g, s] as const));
    let headerGroup: string | undefined = dataGroups[0];
    if (opts.complete) headerGroup = [...dataGroups, ...groups].find((g) => file.readHeader(g) !== undefined);
    else if (headerGroup === undefined && groups.some((g) => file.readHeader(g) !== undefined)) {
      opts.warn(`${path}: no group has acquisitions or waveforms, so (as upstream's ismrmrd_to_mrd) no header is converted; --complete keeps it`);
    }
    let total = 0;
    for (const g of dataGroups) total += file.acquisitionCount(g) + file.waveformCount(g);
    for (const [g, s] of series) total += file.imageCount(g, s);
    const messages = async function* (): AsyncGenerator<MrdMessage> {
      let done = 0;
      const tick = () => opts.onProgress?.(++done, total);
      const xml = headerGroup !== undefined ? file.readHeader(headerGroup) : undefined;
      if (xml !== undefined) yield { type: 'header', xml };
      for (const g of dataGroups) {
        const hasAcq = file.has(`/${g}/data`);
        const hasWav = file.has(`/${g}/waveforms`);
        if (hasAcq && hasWav) {
          for await (const t of mergeByTime(file.acquisitions(g), file.waveforms(g))) {
            tick();
            yield t.kind === 'acquisition' ? { type: 'acquisition', acquisition: t.v } : { type: 'waveform', waveform: t.v };
          }
        } else if (hasAcq) {
          for await (const a of file.acquisitions(g)) {
            tick();
            yield { type: 'acquisition', acquisition: a };
          }
        } else {
          for await (const w of file.waveforms(g)) {
            tick();
            yield { type: 'waveform', waveform: w };
          }
        }
      }
      for (const [g, s] of series) {
        for await (const image of file.images(g, s)) {
          tick();
          yield { type: 'image', image };
        }
      }
    };
    return { generation: 1, messages: messages(), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Opens the input (`-` for standard input) as the messages or events it holds. */
export async function openSource(format: Format, path: string, opts: SourceOptions): Promise<Source> {
  const close = async () => undefined;
  switch (format) {
    case 'h5':
      return hdf5Source(path, opts);
    case 'ismrmrd':
      return { generation: 1, messages: decodeMessages(readChunks(path, opts.onProgress)), close };
    case 'mrd':
      return { generation: 2, events: v2Events(readChunks(path, opts.onProgress), false), close };
    case 'ndjson':
      return { generation: 2, events: v2Events(readChunks(path, opts.onProgress), true), close };
  }
}
