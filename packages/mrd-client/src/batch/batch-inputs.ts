/**
 * The inputs of a batch (several files, or folders of MRD files) and where each one's output
 * goes: `<-o folder>/<input's file name>` (`out/p01.h5` for `p01.h5`), or without `-o` the
 * single-input default beside the input (`p01_results.h5`), and in which format: `--output-format`,
 * else the input's generation (so `out/scan.mrd` of an MRD v2 `scan.mrd` is MRD v2, not HDF5).
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { CliUsageError } from '@mrd-tools/tool-kit/cli';
import { defaultOutfile } from '../client.js';
import { ClientInputError } from '../client.js';
import { defaultOutputFormat, type OutputFormat } from '../output-format.js';

/** Files of a folder taken as inputs (HDF5 MRD files). */
const INPUT_FILE = /\.(h5|hdf5|hdf|mrd)$/i;

export interface BatchItem {
  /** The input file. */
  input: string;
  /** Its file name (how the batch names it). */
  name: string;
  /** Its output file. */
  output: string;
  /** The output's format: hdf5 (a result group added to the file) or MRD v2 (a new file). */
  format: OutputFormat;
  /** Its size (throughput figures). */
  bytes: number;
}

const USAGE = 'usage: mrd-client [options] <filename...> (mrd-client --help lists the options)';

/** Whether the positionals make a batch: several of them, or a folder. */
export function isBatch(positionals: readonly string[]): boolean {
  return positionals.length > 1 || (positionals.length === 1 && statSync(positionals[0]!, { throwIfNoEntry: false })?.isDirectory() === true);
}

/** The batch's items, in order (files as given, a folder's files by name). */
export function batchItems(positionals: readonly string[], outDir: string | undefined, format?: OutputFormat): BatchItem[] {
  const inputs: string[] = [];
  for (const p of positionals) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new ClientInputError(`Input file not found: ${p}`);
    if (st.isDirectory()) {
      const files = readdirSync(p).filter((f) => INPUT_FILE.test(f) && !f.startsWith('.')).sort().map((f) => join(p, f)).filter((f) => statSync(f).isFile());
      if (files.length === 0) throw new ClientInputError(`Input folder ${p} holds no MRD files (*.h5, *.hdf5, *.mrd)`);
      inputs.push(...files);
    } else {
      inputs.push(p);
    }
  }
  const items = inputs.map((input) => ({
    input, name: basename(input), output: outDir ? join(outDir, basename(input)) : defaultOutfile(input), format: format ?? defaultOutputFormat(input), bytes: statSync(input).size,
  }));
  const byOutput = new Map<string, string[]>();
  for (const it of items) {
    const key = resolve(it.output);
    byOutput.set(key, [...(byOutput.get(key) ?? []), it.input]);
    if (key === resolve(it.input)) throw new CliUsageError(`mrd-client: error: the output of ${it.input} would be the input itself (-o names the folder the inputs are in)`, USAGE);
  }
  for (const [out, ins] of byOutput) {
    if (ins.length > 1) throw new CliUsageError(`mrd-client: error: inputs ${ins.join(', ')} would all be written to ${out} (one output per input file name)`, USAGE);
  }
  return items;
}
