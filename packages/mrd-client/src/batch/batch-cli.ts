/**
 * mrd-client's batch mode, from the command line: several input files or a folder of them
 * (`-o` is then a folder: one output per input, named as the input), `--jobs` sessions at once,
 * `--retries`, `--skip-existing`, a progress bar over the batch on a terminal and one summary at
 * the end. Exit status 1 when any input failed (they are named on stderr).
 */
import { appendFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliUsageError } from '@mrd-tools/tool-kit/cli';
import { checkOutputPath, prepareOutputFolder } from '@mrd-tools/core/file-output';
import { logger, LogLevel } from '@mrd-tools/core/logging';
import { runClient } from '../client.js';
import type { OutputFormat } from '../output-format.js';
import { BatchConsole } from './batch-console.js';
import { batchItems } from './batch-inputs.js';
import { batchSummary, runBatch, type BatchSessionOptions } from './run-batch.js';

export interface BatchCliArgs {
  positionals: string[];
  outDir?: string;
  group?: string;
  jobs: number;
  retries: number;
  skipExisting: boolean;
  verbose: boolean;
  quiet: boolean;
  logfile?: string;
  /** `--output-format` for every output; default: each input's generation. */
  outputFormat?: OutputFormat;
  session: BatchSessionOptions;
}

const USAGE = 'usage: mrd-client [options] <filename...> (mrd-client --help lists the options)';

export async function runBatchFromCli(a: BatchCliArgs): Promise<number> {
  // The log file (-l) gets every line: the batch's and, marked with their input, the sessions'.
  let record: ((line: string) => void) | undefined;
  if (a.logfile) {
    const abs = resolve(a.logfile);
    await prepareOutputFolder(dirname(abs), a.logfile);
    record = (line) => appendFileSync(abs, line + '\n');
  }
  const console = new BatchConsole(process.stdout, process.stderr, { quiet: a.quiet, verbose: a.verbose, record });
  logger.setSinks([console.logSink()]);
  logger.level = a.verbose ? LogLevel.DEBUG : LogLevel.INFO;

  if (a.outDir) {
    const st = statSync(a.outDir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new CliUsageError(`mrd-client: error: -o ${a.outDir} is a file: with several inputs or a folder, -o names the output folder`, USAGE);
    if (!st) {
      const parent = statSync(dirname(resolve(a.outDir)), { throwIfNoEntry: false });
      if (!parent?.isDirectory()) throw new CliUsageError(`mrd-client: error: cannot create the output folder ${a.outDir}: its parent folder does not exist`, USAGE);
      mkdirSync(a.outDir);
    }
    // a read-only output folder is reported before connecting
    await checkOutputPath(resolve(a.outDir, '.mrd-client-batch-check.h5'));
  }
  const items = batchItems(a.positionals, a.outDir, a.outputFormat);
  console.line(`Batch of ${items.length} inputs${a.outDir ? ` into ${a.outDir}` : ''}: ${a.jobs} ${a.jobs === 1 ? 'session' : 'sessions'} at once, up to ${a.retries} ${a.retries === 1 ? 'retry' : 'retries'} per input${a.skipExisting ? ', complete outputs skipped' : ''}`);
  const result = await runBatch({ items, group: a.group, jobs: a.jobs, retries: a.retries, skipExisting: a.skipExisting, session: a.session, console, run: runClient });
  console.line(batchSummary(result, items.length));
  if (result.failed.length) {
    console.problem(`mrd-client: ${result.failed.length} of ${items.length} inputs failed: ${result.failed.map((f) => f.name).join(', ')}`);
    return 1;
  }
  return 0;
}
