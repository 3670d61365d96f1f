/**
 * mrd-client's entry: starts the input reader first (early-input.ts: the input's first reads
 * queued on libuv's pool, or the reader's worker started), then loads the command line
 * (command-line.ts: yargs, the session code), so the reads or the worker's boot proceed while
 * those load and parse instead of after them. Static imports here are only what starting the
 * reader needs. The same file is also the worker's script when the worker's own bundle
 * (dist/input-reader.js) is absent.
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
  // (the command line's modules once the reader's first reads are queued: they proceed meanwhile)
  void (earlyReader?.started ?? Promise.resolve()).then(() => import('./command-line.js')).then((m) => m.runCommandLine(rawArgs, earlyReader, entry), (err: unknown) => {
    process.stderr.write(`mrd-client: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  });
}
