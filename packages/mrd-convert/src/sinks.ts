/**
 * Writing the output, one message or event at a time with backpressure: a v1 stream (mrd-core's
 * v1 encoder), an HDF5 file (mrd-core's MrdWriter: header, acquisitions, waveforms, images by
 * series `image_<image_series_index>`), a v2 binary stream (MrdV2StreamEncoder, one block per
 * item as upstream writes) or NDJSON (MrdV2NdjsonEncoder). File outputs go through OutputFile
 * (temporary name, moved into place when complete); `-` writes standard output (HDF5 is
 * assembled in a temporary file first, then copied out).
 */
import { closeSync, createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished, pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { encodeMessage } from '@mrd-tools/core/stream';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { MrdV2NdjsonEncoder, MrdV2StreamEncoder, type MrdV2Event } from '@mrd-tools/core/mrd-v2';
import type { Format } from './formats.js';
import { OutputFile, removeQuietly, reserveTemporaryFile } from './output-file.js';

export type Sink =
  | { generation: 1; write(m: MrdMessage): Promise<void>; finish(): Promise<void>; abort(): Promise<void> }
  | { generation: 2; write(e: MrdV2Event): Promise<void>; finish(): Promise<void>; abort(): Promise<void> };

export interface SinkOptions {
  /** HDF5 output group (default `dataset`). */
  group?: string;
  /** Replace an existing output file. */
  force: boolean;
}

/** Bytes to a file (through OutputFile) or to standard output. */
class ByteOutput {
  private readonly stream: Writable;
  private readonly file: OutputFile | undefined;
  /** A write error (disk full, folder gone), reported by the next write or finish. */
  private error: Error | undefined;

  constructor(path: string, force: boolean) {
    if (path === '-') {
      this.stream = process.stdout;
      this.file = undefined;
    } else {
      this.file = new OutputFile(path, force);
      this.stream = createWriteStream(this.file.tmp, { fd: this.file.takeDescriptor() });
    }
    this.stream.on('error', (e: Error) => {
      this.error ??= e;
    });
  }

  async write(chunks: Uint8Array[] | string): Promise<void> {
    if (this.error) throw this.error;
    if (typeof chunks === 'string') {
      if (chunks && !this.stream.write(chunks)) await once(this.stream, 'drain');
      return;
    }
    for (const c of chunks) if (!this.stream.write(c)) await once(this.stream, 'drain');
  }

  async finish(): Promise<void> {
    if (this.error) throw this.error;
    if (!this.file) {
      if (this.stream.writableNeedDrain) await once(this.stream, 'drain');
      return;
    }
    this.stream.end();
    await finished(this.stream);
    await this.file.commit();
  }

  async abort(): Promise<void> {
    if (!this.file) return;
    this.stream.destroy();
    await this.file.abandon();
  }
}

function hdf5Sink(path: string, opts: SinkOptions): Sink {
  const file = path === '-' ? undefined : new OutputFile(path, opts.force);
  let tmp: string;
  if (file) tmp = file.tmp;
  else {
    const spool = reserveTemporaryFile('mrd-convert-stdout.h5');
    closeSync(spool.fd);
    tmp = spool.tmp;
  }
  // The writer replaces the (empty) temporary file this process created: never another file.
  let writer: Promise<MrdWriter> | undefined;
  const w = () => (writer ??= MrdWriter.create(tmp, { group: opts.group ?? 'dataset', overwrite: true }));
  return {
    generation: 1,
    async write(m) {
      const mw = await w();
      switch (m.type) {
        case 'header': return mw.writeHeader(m.xml);
        case 'acquisition': return mw.appendAcquisition(m.acquisition);
        case 'waveform': return mw.appendWaveform(m.waveform);
        case 'image': return mw.appendImage(m.image);
        default:
      }
    },
    async finish() {
      await (await w()).close();
      if (file) await file.commit();
      else {
        await pipeline(createReadStream(tmp), process.stdout, { end: false });
        await removeQuietly(tmp);
      }
    },
    async abort() {
      if (writer) await (await writer).abandon().catch(() => undefined);
      if (file) await file.abandon();
      else await removeQuietly(tmp);
    },
  };
}

/** Opens the output (`-` for standard output) in `format`. */
export function openSink(format: Format, path: string, opts: SinkOptions): Sink {
  if (format === 'h5') return hdf5Sink(path, opts);
  const out = new ByteOutput(path, opts.force);
  if (format === 'ismrmrd') {
    return {
      generation: 1,
      write: (m) => out.write([encodeMessage(m)]),
      finish: () => out.finish(),
      abort: () => out.abort(),
    };
  }
  if (format === 'mrd') {
    const enc = new MrdV2StreamEncoder();
    return {
      generation: 2,
      write: (e) => out.write(e.type === 'header' ? enc.header(e.header) : e.type === 'item' ? enc.items(e.item) : enc.end()),
      finish: () => out.finish(),
      abort: () => out.abort(),
    };
  }
  const enc = new MrdV2NdjsonEncoder();
  return {
    generation: 2,
    write: (e) => out.write(e.type === 'header' ? enc.header(e.header) : e.type === 'item' ? enc.items(e.item) : enc.end()),
    finish: () => out.finish(),
    abort: () => out.abort(),
  };
}
