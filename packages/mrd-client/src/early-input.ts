/**
 * The input reader started before anything else: the input file named on the command line is
 * found before yargs parses it (a guess only: the run checks it against the parsed arguments and
 * closes an unused reader), and the reader opens the file (and reads ahead, or boots its worker)
 * while the CLI's modules load and the arguments are parsed. The reading code itself is loaded
 * with `import()` (`openLargeInput`): this module loads only the worker's launcher
 * (input-source.ts) and the read-ahead check (read-ahead-check.ts).
 */
import { statSync } from 'node:fs';
import { WorkerInputSource, type InputSource } from './input-source.js';
import { readAheadGroup } from './read-ahead-check.js';

/** Options that take a value (the next argument unless given as --opt=value). */
const VALUE_OPTIONS = new Set(['-a', '--address', '-p', '--port', '-o', '--outfile', '-g', '--in-group', '-G', '--out-group', '-c', '--config', '-C', '--config-local', '-l', '--logfile', '-j', '--jobs', '--retries']);

/** The input file named by `args` when it is unambiguous before parsing (one positional), else undefined. */
export function inputFileBeforeParsing(args: string[]): string | undefined {
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a.length > 1) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    positionals.push(a);
  }
  return positionals.length === 1 ? positionals[0] : undefined;
}

/** Input size from which the reader is started before parsing (`openLargeInput`: read ahead on this thread, or in a worker). */
export const WORKER_READ_MIN_BYTES = 32 * 1024 * 1024;

export interface EarlyInputReader {
  filename: string;
  source: Promise<InputSource>;
}

/**
 * A large input's reader: on this thread where every bulk read can be made ahead on libuv's
 * thread pool (`LocalInputSource.readingAhead`: the ISMRMRD C library's files, the usual
 * input), which spares Node's worker bootstrap before the first byte and the batches' round
 * trips; else the input-reader worker started from `readerEntry`, which also reports the errors
 * of a file that does not open. The cheap check comes first with mrd-core's HDF5 decoders only
 * (read-ahead-check.ts): the reading code (input-file-reader.ts) is loaded on this thread only
 * for a file that passes it, so another layout's worker is not started later for it.
 */
export async function openLargeInput(filename: string, readerEntry: string): Promise<InputSource> {
  const { NativeMrdIndex } = await import('@mrd-tools/core/hdf5/native-index');
  const native = await NativeMrdIndex.open(filename);
  if (native && (await readAheadGroup(native))) {
    const { LocalInputSource } = await import('./input-file-reader.js');
    const src = await LocalInputSource.readingAhead(native);
    if (src) return src;
  } else {
    native?.close();
  }
  return await WorkerInputSource.open(readerEntry, filename);
}

/**
 * Starts the reader of `filename` (`openLargeInput`) right away, when it names a large existing
 * file. Null when not worth it.
 */
export function startInputReaderEarly(filename: string | undefined, readerEntry: string): EarlyInputReader | null {
  if (!filename) return null;
  try {
    const st = statSync(filename);
    if (!st.isFile() || st.size < WORKER_READ_MIN_BYTES) return null;
  } catch {
    return null;
  }
  const source = openLargeInput(filename, readerEntry);
  // A failure is reported when (and if) the run uses this reader.
  source.catch(() => undefined);
  return { filename, source };
}
