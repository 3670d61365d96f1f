/**
 * mrd-client's entry: starts the input-reader worker first, then loads the command line
 * (command-line.ts: yargs, the session code), so the worker boots while those load and parse
 * instead of after them. Static imports here are only what starting the worker needs. The same
 * file is also the worker's script when the worker's own bundle (dist/input-reader.js) is absent.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isMainThread, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { inputFileBeforeParsing, startInputReaderEarly } from './early-input.js';
import type { ReaderBootData } from './input-source.js';

/** The input-reader worker's script: its own small bundle when present, else this file. */
function readerEntry(): string {
  const self = fileURLToPath(import.meta.url);
  const own = join(dirname(self), 'input-reader.js');
  return existsSync(own) ? own : self;
}

const boot = (isMainThread ? null : workerData) as ReaderBootData | null;
if (boot?.kind === 'mrd-client-input-reader') {
  void import('./input-file-reader.js').then((m) => m.runInputReaderWorker(boot));
} else {
  const rawArgs = process.argv.slice(2);
  const entry = readerEntry();
  // (closed by the run if the guess was wrong; not started for --help/--version)
  const wantsHelp = rawArgs.some((a) => a === '-h' || a === '--help' || a === '--version');
  const earlyReader = wantsHelp ? null : startInputReaderEarly(inputFileBeforeParsing(rawArgs), entry);
  void import('./command-line.js').then((m) => m.runCommandLine(rawArgs, earlyReader, entry), (err: unknown) => {
    process.stderr.write(`mrd-client: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  });
}
