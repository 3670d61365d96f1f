/**
 * One conversion: open the input, bridge generations when they differ (mrd-core's MrdV1ToV2 /
 * MrdV2ToV1, which map as upstream's ismrmrd_to_mrd / mrd_to_ismrmrd do), write the output.
 * On any failure the output is abandoned (nothing is left under its name) and the error is
 * rethrown, naming the input.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { MrdV1ToV2, MrdV2ToV1, type HeaderMapping, type MrdV2Event } from '@mrd-tools/core/mrd-v2';
import { asOutputError } from '@mrd-tools/core/file-output';
import type { Format } from './formats.js';
import { openSink, type Sink } from './sinks.js';
import { openSource } from './sources.js';
import { sameFile } from './output-file.js';

export interface ConvertOptions {
  input: string;
  output: string;
  from: Format;
  to: Format;
  /** HDF5 group: the one read (default every group) and the one written (default `dataset`). */
  group?: string;
  /** Header mapping: upstream's subset (default) or every field; 'complete' also keeps the header of images-only HDF5 files. */
  headerMapping?: HeaderMapping;
  /** v2 items with no v1 message: fail (default, as upstream) or skip. */
  unsupported?: 'error' | 'skip';
  /** Replace an existing output (never the input). */
  force?: boolean;
  onProgress?: (done: number, total: number) => void;
  warn?: (message: string) => void;
}

export interface ConvertReport {
  /** Messages (v1) or events (v2) written. */
  written: number;
  /** Input messages or items with no counterpart in the output generation, skipped. */
  skipped: number;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export async function convert(opts: ConvertOptions): Promise<ConvertReport> {
  const warn = opts.warn ?? (() => undefined);
  if (opts.input !== '-' && opts.output !== '-' && sameFile(opts.input, opts.output)) {
    throw new UsageError(`${opts.output}: is the input file; mrd-convert never overwrites its input`);
  }
  if (opts.output !== '-') {
    if (!opts.force && existsSync(opts.output)) throw new UsageError(`${opts.output}: file exists (use --force to replace it)`);
    const dir = dirname(resolve(opts.output));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${opts.output}: the folder ${dir} does not exist`);
  }
  const mapping = opts.headerMapping ?? 'upstream';
  const source = await openSource(opts.from, opts.input, {
    group: opts.group, complete: mapping === 'complete', onProgress: opts.onProgress, warn,
  });
  let sink: Sink;
  try {
    sink = openSink(opts.to, opts.output, { group: opts.group, force: opts.force ?? false });
  } catch (e) {
    // The output's temporary file could not be created (a read-only folder, ...).
    await source.close();
    throw opts.output === '-' ? e : asOutputError(opts.output, e);
  }
  const report: ConvertReport = { written: 0, skipped: 0 };
  const skippedKinds = new Map<string, number>();
  const noteSkip = (what: string) => {
    report.skipped++;
    skippedKinds.set(what, (skippedKinds.get(what) ?? 0) + 1);
  };
  try {
    if (sink.generation === 1) {
      let closed = false;
      const toHdf5 = opts.to === 'h5';
      const put = async (m: MrdMessage) => {
        if (closed) return;
        if (m.type === 'close') closed = true;
        else if (toHdf5 && m.type !== 'header' && m.type !== 'acquisition' && m.type !== 'waveform' && m.type !== 'image') {
          noteSkip(m.type);
          return;
        }
        await sink.write(m);
        report.written++;
      };
      if (source.generation === 1) {
        for await (const m of source.messages) {
          await put(m);
          if (closed) break;
        }
      } else {
        const bridge = new MrdV2ToV1({ headerMapping: mapping, unsupported: opts.unsupported ?? 'error', onSkipped: (it) => noteSkip(it.type) });
        for await (const e of source.events) for (const m of bridge.event(e)) await put(m);
      }
      if (!closed) await put({ type: 'close' });
    } else {
      let ended = false;
      const put = async (e: MrdV2Event) => {
        if (ended) return;
        if (e.type === 'end') ended = true;
        await sink.write(e);
        report.written++;
      };
      if (source.generation === 2) {
        for await (const e of source.events) await put(e);
      } else {
        const bridge = new MrdV1ToV2({ headerMapping: mapping, onSkipped: (m) => noteSkip(m.type) });
        for await (const m of source.messages) {
          for (const e of bridge.message(m)) await put(e);
          if (m.type === 'close') break;
        }
        for (const e of bridge.end()) await put(e);
      }
    }
    await sink.finish();
  } catch (e) {
    await sink.abort();
    const err = e instanceof Error ? e : new Error(String(e));
    if (opts.input !== '-' && !err.message.includes(opts.input)) err.message = `${opts.input}: ${err.message}`;
    throw err;
  } finally {
    await source.close();
  }
  for (const [kind, n] of skippedKinds) warn(`skipped ${n} ${kind} ${n === 1 ? 'message' : 'messages'} (no counterpart in MRD ${sink.generation === 1 ? 'v1' : 'v2'})`);
  return report;
}
