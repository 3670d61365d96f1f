/**
 * Writing the Cartesian Shepp-Logan dataset to an MRD file, with the reference's file semantics
 * made safe:
 * - a new file (or, with `force`, a replaced one) gets the group, its XML header and the
 *   readouts;
 * - an existing file without the group gets the group added, its other content untouched;
 * - an existing group gets the readouts appended, as the reference does (its
 *   `ismrmrd.Dataset(..., create_if_needed=True)` appends) -- but only when the group's header
 *   describes the same acquisition (coils, matrices, trajectory); the existing header is kept.
 *   Anything else is refused with a message naming the file and the difference: data is never
 *   silently overwritten or mixed.
 */
import { existsSync } from 'node:fs';
import { asOutputError, checkOutputPath } from '@mrd-tools/core/file-output';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { parseIsmrmrdHeader, serializeIsmrmrdHeader, type IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { CartesianPhantomDataset, type CartesianPhantomOptions } from './phantom/cartesian-dataset.js';
import { phantomPool } from './readouts/pool.js';
import { resolveCartesianPhantomOptions } from './phantom/cartesian-dataset.js';

/**
 * Imaging data (floats, about) below which the pool is not used: the workers' start-up and
 * warm-up (about 0.2 s on the 2-core machine) cost more than they save (docs/numerics.md).
 */
export const PHANTOM_POOL_MIN_FLOATS = 1 << 24;

export interface PhantomFileOptions extends CartesianPhantomOptions {
  /** Output file (default testdata.h5). */
  output?: string;
  /** Group (default `dataset`). */
  dataset?: string;
  /** Replace an existing output file instead of adding to it. */
  force?: boolean;
  /**
   * Threads generating the imaging data (worker pool, ./readouts); 1 (default): this thread.
   * The file is the same bits for every count. Imaging data smaller than `poolMinFloats` floats
   * (default PHANTOM_POOL_MIN_FLOATS) is generated on this thread all the same.
   */
  threads?: number;
  poolMinFloats?: number;
  /** Called after each written batch. */
  onProgress?: (done: number, total: number) => void;
}

export interface PhantomFileResult {
  output: string;
  group: string;
  /** Readouts written by this run. */
  readouts: number;
  /** Readouts the group held before (appending), 0 for a new group. */
  existingReadouts: number;
  /** The noise seed used (repeat a run with it). */
  seed: number;
  dataset: CartesianPhantomDataset;
}

/** Error for a refused or impossible output; the message names the file and what is wrong. */
export class PhantomOutputError extends Error {
  override name = 'PhantomOutputError';
}

/** Why an existing header does not describe the same acquisition, or null when it does. */
export function headerMismatch(existing: IsmrmrdHeader, ours: IsmrmrdHeader): string | null {
  const a = existing.encoding[0];
  const b = ours.encoding[0];
  if (!a) return 'it has no encoding section';
  const ms = (m: { x: number; y: number; z: number }) => `${m.x}x${m.y}x${m.z}`;
  const diffs: string[] = [];
  const ca = existing.acquisitionSystemInformation?.receiverChannels;
  const cb = ours.acquisitionSystemInformation?.receiverChannels;
  if (ca !== cb) diffs.push(`receiverChannels ${ca ?? 'absent'} vs ${cb}`);
  if (ms(a.encodedSpace.matrixSize) !== ms(b.encodedSpace.matrixSize)) diffs.push(`encoded matrix ${ms(a.encodedSpace.matrixSize)} vs ${ms(b.encodedSpace.matrixSize)}`);
  if (ms(a.reconSpace.matrixSize) !== ms(b.reconSpace.matrixSize)) diffs.push(`recon matrix ${ms(a.reconSpace.matrixSize)} vs ${ms(b.reconSpace.matrixSize)}`);
  if (a.trajectory !== b.trajectory) diffs.push(`trajectory ${a.trajectory} vs ${b.trajectory}`);
  return diffs.length ? diffs.join(', ') : null;
}

async function inspectExisting(path: string, group: string, ours: IsmrmrdHeader): Promise<{ groupExists: boolean; readouts: number }> {
  let file: MrdFile;
  try {
    file = await MrdFile.open(path);
  } catch (e) {
    throw new PhantomOutputError(`${path} exists and is not a readable HDF5/MRD file (${(e as Error).message}); use --force to replace it or -o to choose another file`);
  }
  try {
    if (!file.groups().includes(group)) {
      if (file.has('/' + group)) throw new PhantomOutputError(`${path}: /${group} exists and is not a group; use -d to choose another group or --force to replace the file`);
      return { groupExists: false, readouts: 0 };
    }
    const xml = file.readHeader(group);
    if (xml === undefined) {
      throw new PhantomOutputError(`${path}: group '${group}' has no XML header, so the readouts cannot be appended safely; use -d to choose another group or --force to replace the file`);
    }
    let existing: IsmrmrdHeader;
    try {
      existing = parseIsmrmrdHeader(xml);
    } catch (e) {
      throw new PhantomOutputError(`${path}: /${group}/xml: ${(e as Error).message}; use -d to choose another group or --force to replace the file`);
    }
    const why = headerMismatch(existing, ours);
    if (why) {
      throw new PhantomOutputError(`${path}: group '${group}' holds a different acquisition (${why}); appending would mix datasets. Use -d to choose another group, -o another file, or --force to replace the file`);
    }
    return { groupExists: true, readouts: file.acquisitionCount(group) };
  } finally {
    file.close();
  }
}

/** Generates the dataset and writes it (see the module comment for the file rules). */
export async function writeCartesianPhantom(options: PhantomFileOptions = {}): Promise<PhantomFileResult> {
  const output = options.output ?? 'testdata.h5';
  const group = options.dataset ?? 'dataset';
  await checkOutputPath(output);
  // the workers start while the phantom's k-space is computed (their start-up is most of what
  // the pool costs)
  const o = resolveCartesianPhantomOptions(options);
  const imagingFloats = 2 * o.coils * o.oversampling * o.matrixSize * o.matrixSize * o.repetitions;
  const pool = imagingFloats >= (options.poolMinFloats ?? PHANTOM_POOL_MIN_FLOATS) ? phantomPool(options.threads ?? 1) : null;
  pool?.start();
  const ds = await CartesianPhantomDataset.create(o);
  const xml = serializeIsmrmrdHeader(ds.header);

  // All or nothing (atomic): a new file appears only once complete, a replaced one (--force) is
  // kept until then, and a failed append leaves the existing file exactly as it was.
  let writer: MrdWriter;
  let existingReadouts = 0;
  let groupExists = false;
  if (!options.force && existsSync(output)) {
    const state = await inspectExisting(output, group, ds.header);
    existingReadouts = state.readouts;
    groupExists = state.groupExists;
  }
  try {
    writer = options.force || !existsSync(output)
      ? await MrdWriter.create(output, { group, overwrite: options.force ?? false, atomic: true })
      : await MrdWriter.open(output, { group, atomic: true });
  } catch (e) {
    throw asOutputError(output, e);
  }
  const total = ds.count;
  let done = 0;
  try {
    if (!groupExists) await writer.writeHeader(xml);
    // Pipelined: the next batch is generated while the previous one is being written (each
    // batch has its own buffers, so handing it to the writer without waiting is safe).
    let pending: Promise<void> | null = null;
    for await (const batch of ds.acquisitionsAsync(pool)) {
      if (pending) await pending;
      pending = writer.appendAcquisitions(batch).then(() => {
        done += batch.length;
        options.onProgress?.(done, total);
      });
    }
    if (pending) await pending;
    await writer.close();
  } catch (e) {
    await writer.abandon().catch(() => undefined);
    throw asOutputError(output, e);
  }
  return { output, group, readouts: done, existingReadouts, seed: ds.options.seed, dataset: ds };
}
