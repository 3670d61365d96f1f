/**
 * Writing MRD v2's phantom (`mrd.tools.phantom`) as a v2 binary stream (upstream's bytes layout:
 * one block per item) or as NDJSON, to a file or to stdout (`-` or no output, as upstream, so it
 * can be piped into a v2 server or recon).
 *
 * A file appears complete or not at all: it is written under a temporary name beside it and
 * published once finished; an existing file is replaced only with `force`.
 */
import { open, unlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { asOutputError, checkOutputPath, createTemporaryFile, OutputFileError, outputError, publishFile } from '@mrd-tools/core/file-output';
import { MrdV2NdjsonEncoder, MrdV2StreamEncoder } from '@mrd-tools/core/mrd-v2';
import { MrdV2PhantomDataset, type MrdV2PhantomOptions } from './phantom/mrd-v2-dataset.js';

export type MrdV2PhantomEncoding = 'binary' | 'ndjson';

export interface MrdV2PhantomFileOptions extends MrdV2PhantomOptions {
  /** Output file; `-` or undefined: stdout. */
  output?: string;
  encoding?: MrdV2PhantomEncoding;
  /** Replace an existing output file (and existing array files). */
  force?: boolean;
  /** Upstream's --output-phantom / --output-csm / --output-coils: the simulation's arrays, each a v2 binary stream of the header and one ArrayComplexFloat. */
  outputPhantom?: string;
  outputCsm?: string;
  outputCoils?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface MrdV2PhantomFileResult {
  /** The file written, or '-' for stdout. */
  output: string;
  readouts: number;
  seed: number;
}

/** Chunks of the encoded stream, header first, items in order. */
function* encodedChunks(ds: MrdV2PhantomDataset, encoding: MrdV2PhantomEncoding, onItem: () => void): Generator<Uint8Array | string> {
  if (encoding === 'ndjson') {
    const enc = new MrdV2NdjsonEncoder();
    yield enc.header(ds.header);
    for (const item of ds.items()) {
      yield enc.items(item);
      onItem();
    }
    return;
  }
  const enc = new MrdV2StreamEncoder();
  yield* enc.header(ds.header);
  for (const item of ds.items()) {
    yield* enc.items(item);
    onItem();
  }
  yield* enc.end();
}

async function toStdout(chunks: Iterable<Uint8Array | string>): Promise<void> {
  const out = process.stdout;
  let failure: Error | undefined;
  const onError = (e: Error) => (failure = e);
  out.on('error', onError);
  try {
    for (const c of chunks) {
      if (failure) break;
      if (!out.write(c)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            out.off('drain', done);
            out.off('error', done);
            out.off('close', done);
            resolve();
          };
          out.on('drain', done);
          out.on('error', done);
          out.on('close', done);
        });
      }
    }
    if (!failure) await new Promise<void>((resolve) => out.write('', () => resolve()));
  } finally {
    out.off('error', onError);
  }
  if (failure) throw new Error(`stdout: ${(failure as NodeJS.ErrnoException).code === 'EPIPE' ? 'the reading end of the pipe was closed' : failure.message}`);
}

async function toFile(path: string, chunks: Iterable<Uint8Array | string>, force: boolean): Promise<void> {
  let tmp = '';
  let created = false;
  try {
    const made = await createTemporaryFile(path);
    tmp = made.tmp;
    const fh = made.fh;
    created = true;
    try {
      // Batched writes: the binary encoder returns many small chunks per item.
      let pending: Uint8Array[] = [];
      let size = 0;
      const flush = async () => {
        if (size === 0) return;
        await fh.writev(pending);
        pending = [];
        size = 0;
      };
      for (const c of chunks) {
        const b = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
        pending.push(b);
        size += b.length;
        if (size >= 1 << 20 || pending.length >= 512) await flush();
      }
      await flush();
    } finally {
      await fh.close();
    }
    await publishFile(tmp, path, force);
    created = false;
  } catch (e) {
    if (created) await unlink(tmp).catch(() => undefined);
    throw outputError(path, e);
  }
}

/** Generates upstream's v2 phantom and writes it (see the module comment). */
export async function writeMrdV2Phantom(options: MrdV2PhantomFileOptions = {}): Promise<MrdV2PhantomFileResult> {
  const output = options.output ?? '-';
  const toStd = output === '-';
  if (!toStd) {
    await checkOutputPath(output);
    if (!options.force && existsSync(output)) throw new OutputFileError(output, 'file exists (use --force to replace it)', 'EEXIST');
  }
  const arrays = ([['phantom', options.outputPhantom], ['csm', options.outputCsm], ['coils', options.outputCoils]] as const).filter(([, p]) => p !== undefined) as ['phantom' | 'csm' | 'coils', string][];
  for (const [, p] of arrays) {
    await checkOutputPath(p);
    if (!options.force && existsSync(p)) throw new OutputFileError(p, 'file exists (use --force to replace it)', 'EEXIST');
  }
  const ds = await MrdV2PhantomDataset.create(options);
  // as upstream, the arrays are written first (each a stream of the header and one array)
  for (const [which, p] of arrays) {
    const enc = new MrdV2StreamEncoder();
    const chunks = [...enc.header(ds.header), ...enc.items(ds.simulationArray(which)), ...enc.end()];
    await toFile(p, chunks, options.force ?? false);
  }
  let done = 0;
  const total = ds.count;
  const chunks = encodedChunks(ds, options.encoding ?? 'binary', () => options.onProgress?.(++done, total));
  try {
    if (toStd) await toStdout(chunks);
    else await toFile(output, chunks, options.force ?? false);
  } catch (e) {
    throw toStd ? e : asOutputError(output, e);
  }
  return { output, readouts: done, seed: ds.options.seed };
}
