/**
 * The input-reader worker started before anything else: the input file named on the command
 * line is found before yargs parses it (a guess only: the run checks it against the parsed
 * arguments and closes an unused reader), and the worker boots while the CLI's modules load and
 * the arguments are parsed. Booting the worker is the longest step before the first byte is
 * sent, so this module loads nothing but the worker's launcher (input-source.ts).
 */
import { statSync } from 'node:fs';
import { WorkerInputSource, type InputSource } from './input-source.js';

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

/** Input size from which the file is read in a worker thread. */
export const WORKER_READ_MIN_BYTES = 32 * 1024 * 1024;

export interface EarlyInputReader {
  filename: string;
  source: Promise<InputSource>;
}

/**
 * Starts the input-reader worker for `filename` right away, when it names a large existing
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
  const source = WorkerInputSource.open(readerEntry, filename);
  // A failure is reported when (and if) the run uses this reader.
  source.catch(() => undefined);
  return { filename, source };
}
