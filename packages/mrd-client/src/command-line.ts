/**
 * mrd-client's command line (reference `client.py`, with the upstream `-q`,
 * `--ignore-json-config`, `--fix-transposed`, `--mrd2gif`): the argument table, then a single
 * session or a batch. Loaded by cli.ts once the input reader is booting. A plain command line
 * (one input, the usual options: `plainCommandLine`) is read without loading yargs; anything
 * else is parsed, and reported on, by yargs (`clientParser`).
 */
import { appendFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CliUsageError, cliFailureStatus, toolParser, toolVersion } from '@mrd-tools/tool-kit/cli';
import { checkOutputPath, prepareOutputFolder } from '@mrd-tools/core/file-output';
import { logger, LogLevel, type LogSink } from '@mrd-tools/core/logging';
import { runClient, defaultOutfile, ClientInputError } from './client.js';
import type { EarlyInputReader } from './early-input.js';
import { pythonNowString } from './out-group.js';
import { ConnectError } from './connect.js';
import { terminalLogSink } from './status-line.js';
import { isBatch } from './batch/batch-inputs.js';
import { defaultOutputFormat, type OutputFormat } from './output-format.js';
// Loaded when used, not at start-up (a single session does not need them): a batch
// (batch/batch-cli.ts) and the GIF previews (previews.ts: mrd2gif, gifenc, pngjs, the XML header
// parser).

/**
 * Runs mrd-client with `rawArgs` and ends the process with its exit status. `earlyReader`: the
 * input reader cli.ts started (or null), `readerEntry`: the script to start readers from.
 */
export function runCommandLine(rawArgs: string[], earlyReader: EarlyInputReader | null, readerEntry: string): void {
  main(rawArgs, earlyReader, readerEntry).then(
    (code) => process.exit(code),
    (err) => {
      if (err instanceof CliUsageError) process.exit(cliFailureStatus('mrd-client', err));
      const e = err as Error;
      const msg = e instanceof ClientInputError || e instanceof ConnectError ? e.message : (e?.message ?? String(err));
      logger.error(msg);
      process.stderr.write(`mrd-client: ${msg}\n`);
      process.exit(1);
    },
  );
}

/** One option of mrd-client: what yargs is given. */
interface ClientOption {
  alias?: string;
  type: 'string' | 'number' | 'boolean';
  default?: string | number | boolean;
  choices?: string[];
  describe: string;
}

/** mrd-client's options, for yargs (`clientParser`) and for a plain command line (`plainCommandLine`). */
const CLIENT_OPTIONS: Record<string, ClientOption> = {
  address: { alias: 'a', type: 'string', default: 'localhost', describe: 'Address (host name or IP) of the MRD server.' },
  port: { alias: 'p', type: 'number', default: 9002, describe: 'Port of the MRD server.' },
  outfile: { alias: 'o', type: 'string', describe: 'Output file. Default: the input file name with "_results" before the extension, e.g. phantom_raw_results.h5. An existing file is kept: results are added as a new group.' },
  'in-group': { alias: 'g', type: 'string', describe: 'Input data group. Default: the only group of the input file (an error lists the groups when there are several).' },
  'out-group': { alias: 'G', type: 'string', describe: 'Output group name. Default: the current date and time (e.g. "2024-01-02 03:04:05.123456"), so runs into the same file do not collide.' },
  config: { alias: 'c', type: 'string', default: 'invertcontrast', describe: 'Remote configuration: the name of the recon module the server runs (e.g. invertcontrast, simplefft, null, savedataonly, or a user module). Giving -c implies --ignore-json-config.' },
  'config-local': { alias: 'C', type: 'string', describe: 'Local configuration file: its text is sent as the config (CONFIG_TEXT) instead of a config name.' },
  'send-waveforms': { alias: 'w', type: 'boolean', default: false, describe: 'Send waveform (physio) data, when the input has any.' },
  verbose: { alias: 'v', type: 'boolean', default: false, describe: 'Verbose mode: DEBUG log messages.' },
  logfile: { alias: 'l', type: 'string', describe: 'Path to a log file (also logged to stdout unless -q).' },
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Suppress logging to stdout (the log file, if any, still gets everything; errors still go to stderr).' },
  'ignore-json-config': { type: 'boolean', default: false, describe: 'Remove parameters.config and parameters.customconfig from the JSON additional config (<config>.json in the working directory, or the input\'s configAdditional dataset), so the config given here is the one the server runs.' },
  'fix-transposed': { type: 'boolean', default: false, describe: 'When an image of a series has its rows and columns swapped relative to the series, transpose it (pixels, header sizes, field of view, read/phase directions, ImageRowDir/ImageColumnDir) before storing it in the series.' },
  'output-format': {
    type: 'string', choices: ['mrd2', 'ndjson', 'hdf5'],
    describe: 'Output format: mrd2 (MRD v2 binary stream), ndjson (MRD v2 NDJSON) or hdf5 (MRD v1, a group of an HDF5 file). Default: from the output name given with -o (.mrd: mrd2, .ndjson: ndjson, anything else: hdf5); without -o, and for each output of a batch, the input\'s generation (hdf5 for an MRD v1 input, mrd2 or ndjson for an MRD v2 one). An MRD v2 output must be a new file; it is written only when the session completed. MRD v2 inputs (told by their first bytes: the yardl magic, or {"yardl": for NDJSON) are sent as MRD v2 (the server then runs its default config: MRD v2 carries none, so -c, -C and the JSON config apply to MRD v1 inputs only).',
    },
  mrd2gif: { type: 'boolean', default: false, describe: 'Write GIF previews of the output images (as mrd2gif) when done.' },
  jobs: { alias: 'j', type: 'number', default: 1, describe: 'Batch: sessions at once.' },
  retries: { type: 'number', default: 2, describe: 'Batch: new sessions (new connections, so a load balancer may pick another server) for an input whose server went away before its CLOSE. An input refused with "server busy" or "server shutting down" tries again after a growing backoff (0.5 s to 5 s) for up to 10 minutes, not counted here. A session the server completed, or ended with any other ERROR, is not retried.' },
  'skip-existing': { type: 'boolean', default: false, describe: 'Batch: skip an input whose output is complete (its group, -G or any, has the XML header and no "incomplete" dataset), to resume an interrupted batch.' },
};

/** mrd-client's yargs parser of `rawArgs` (its option table), not yet run. */
export function clientParser(rawArgs: string[]) {
  return toolParser(rawArgs, {
    name: 'mrd-client',
    version: toolVersion(import.meta.url),
    usage: '$0 [options] <filename...>\n\nSends an MRD file (raw k-space acquisitions, images, waveforms) to an MRD server for reconstruction and writes what comes back (images, and any acquisitions or waveforms) into a group of an MRD output file. Several files, or a folder of them, make a batch: one session per input, one output per input.',
    numbers: { port: { integer: true, min: 1, max: 65535 }, jobs: { integer: true, min: 1 }, retries: { integer: true, min: 0 } },
  })
    .positional('filename', { type: 'string', describe: 'Input MRD file (HDF5); several files or a folder (its *.h5 files) make a batch.' })
    .options(CLIENT_OPTIONS)
    .demandCommand(1, 'an input file is required')
    .epilogue('If <config>.json exists in the working directory (and -C is not given), its text is sent to the server as the JSON additional config; otherwise the input group\'s configAdditional dataset is, if any.\n\nExit status 1 when the session did not complete: the connection failed, sending failed, the server reported an ERROR, or the stream ended without the server\'s CLOSE (the message says what was received). Results that did arrive are kept in the output group, which then holds a text dataset "incomplete" giving the reason (h5py: f[group]["incomplete"][0]); a complete group has none. When nothing arrived, no output file is written and an existing one is left untouched.');
}

/** What `main` reads of the parsed command line (yargs' result has these keys, and aliases). */
export interface ClientArgv {
  _: (string | number)[];
  address: string;
  port: number;
  outfile?: string;
  'in-group'?: string;
  'out-group'?: string;
  config: string;
  'config-local'?: string;
  'send-waveforms': boolean;
  verbose: boolean;
  logfile?: string;
  quiet: boolean;
  'ignore-json-config': boolean;
  'fix-transposed': boolean;
  'output-format'?: string;
  mrd2gif: boolean;
  jobs: number;
  retries: number;
  'skip-existing': boolean;
}

/** Options a plain command line may give (`plainCommandLine`): their names, and whether each takes a value. */
/** The batch's options and the one with choices: a command line that gives any of them goes to yargs. */
const NOT_PLAIN = new Set(['output-format', 'jobs', 'retries', 'skip-existing']);

/** CLIENT_OPTIONS a plain command line may give, by each spelling (`--config`, `-c`): their names, and whether each takes a value. */
const PLAIN_OPTIONS: Record<string, { name: keyof ClientArgv; value: boolean }> = {};
for (const [name, o] of Object.entries(CLIENT_OPTIONS)) {
  if (NOT_PLAIN.has(name)) continue;
  const plain = { name: name as keyof ClientArgv, value: o.type !== 'boolean' };
  PLAIN_OPTIONS[`--${name}`] = plain;
  if (o.alias) PLAIN_OPTIONS[`-${o.alias}`] = plain;
}

/**
 * A plain command line read without loading yargs, whose load and parsing are on the main
 * thread's way to the first byte (docs/streaming-performance.md): one input file whose name
 * starts with no '-', '+', digit or '.' and digit (yargs may read a number), and options of
 * PLAIN_OPTIONS each at most once, in their plain forms (`-p 9002`, `--config null`, a flag
 * alone), values that are not empty and start with no '-', a port of 1-65535 in decimal. Null for
 * anything else (help, `--opt=value`, combined flags, repeats, several inputs, the batch options),
 * which yargs parses and reports on. For what it reads, the result is yargs' own with its
 * defaults (command-line.test.ts compares them).
 */
export function plainCommandLine(rawArgs: string[]): ClientArgv | null {
  const argv = { _: [] as string[] } as unknown as ClientArgv;
  for (const [name, o] of Object.entries(CLIENT_OPTIONS)) if (o.default !== undefined) (argv as unknown as Record<string, unknown>)[name] = o.default;
  const seen = new Set<string>();
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    const opt = PLAIN_OPTIONS[a];
    if (!opt) {
      if (/^([-+\d]|\.\d)/.test(a) || a === '' || argv._.length > 0) return null;
      argv._.push(a);
      continue;
    }
    if (seen.has(opt.name)) return null;
    seen.add(opt.name);
    if (!opt.value) {
      (argv as unknown as Record<string, unknown>)[opt.name] = true;
      continue;
    }
    const v = rawArgs[++i];
    if (v === undefined || v === '' || v.startsWith('-')) return null;
    if (opt.name === 'port') {
      if (!/^[1-9]\d{0,4}$/.test(v) || Number(v) > 65535) return null;
      argv.port = Number(v);
    } else {
      (argv as unknown as Record<string, unknown>)[opt.name] = v;
    }
  }
  return argv._.length === 1 ? argv : null;
}

async function main(rawArgs: string[], earlyReader: EarlyInputReader | null, readerEntry: string): Promise<number> {
  const argv: ClientArgv = plainCommandLine(rawArgs) ?? ((await clientParser(rawArgs).parseAsync()) as unknown as ClientArgv);

  const positionals = argv._.map(String);
  if (isBatch(positionals)) {
    if (argv.mrd2gif) throw new CliUsageError('mrd-client: error: --mrd2gif applies to a single input (run mrd2gif on the outputs of a batch)', 'usage: mrd-client [options] <filename...> (mrd-client --help lists the options)');
    if (earlyReader) void earlyReader.source.then((s) => s.close(), () => undefined);
    const { runBatchFromCli } = await import('./batch/batch-cli.js');
    return runBatchFromCli({
      positionals, outDir: argv.outfile, group: argv['out-group'], jobs: argv.jobs, retries: argv.retries, skipExisting: argv['skip-existing'],
      verbose: argv.verbose, quiet: argv.quiet, logfile: argv.logfile, outputFormat: argv['output-format'] as OutputFormat | undefined,
      session: {
        address: argv.address, port: argv.port, inGroup: argv['in-group'], config: argv.config, configLocal: argv['config-local'],
        sendWaveforms: argv['send-waveforms'], fixTransposed: argv['fix-transposed'], readerEntry,
        ignoreJsonConfig: argv['ignore-json-config'] || rawArgs.some((a) => a === '-c' || a === '--config' || a.startsWith('--config=') || a.startsWith('-c=')),
      },
    });
  }
  const batchOnly = rawArgs.find((a) => /^(-j|--jobs|--retries|--skip-existing)(=|$)/.test(a));
  if (batchOnly) throw new CliUsageError(`mrd-client: error: ${batchOnly.split('=')[0]} applies to a batch: give several input files or a folder`, 'usage: mrd-client [options] <filename...> (mrd-client --help lists the options)');
  const filename = positionals[0]!;
  // Logging as the reference: stdout (unless -q) and the log file.
  const sinks: LogSink[] = [];
  if (argv.logfile) {
    const abs = resolve(argv.logfile);
    await prepareOutputFolder(dirname(abs), argv.logfile); // a read-only folder is named as such
    sinks.push((line) => appendFileSync(abs, line + '\n'));
    if (!argv.quiet) process.stdout.write(`Logging to file:  ${argv.logfile}\n`);
  } else if (!argv.quiet) {
    process.stdout.write('No logfile provided\n');
  }
  // server progress updates of long recons: one status line on a terminal, plain lines otherwise
  if (!argv.quiet) sinks.push(terminalLogSink(process.stdout));
  else sinks.push((line, level) => { if (level >= LogLevel.ERROR) process.stderr.write(line + '\n'); });
  logger.setSinks(sinks);
  logger.level = argv.verbose ? LogLevel.DEBUG : LogLevel.INFO;

  let outfile = argv.outfile;
  if (!outfile) {
    outfile = defaultOutfile(filename);
    logger.info(`Output file not specified -- writing results to ${outfile}`);
  }
  // a missing or read-only output folder is reported before connecting
  await checkOutputPath(outfile);
  const outGroup = argv['out-group'] ?? pythonNowString();
  // As the reference: giving -c/--config implies --ignore-json-config.
  const configGiven = rawArgs.some((a) => a === '-c' || a === '--config' || a.startsWith('--config=') || a.startsWith('-c='));
  const summary = await runClient({
    filename,
    address: argv.address,
    port: argv.port,
    outfile,
    inGroup: argv['in-group'],
    outGroup,
    config: argv.config,
    configLocal: argv['config-local'],
    sendWaveforms: argv['send-waveforms'],
    ignoreJsonConfig: argv['ignore-json-config'] || configGiven,
    fixTransposed: argv['fix-transposed'],
    progress: !argv.quiet,
    readerEntry,
    earlyReader,
    outputFormat: (argv['output-format'] as OutputFormat | undefined) ?? (argv.outfile ? undefined : defaultOutputFormat(filename)),
  });
  // MRD_PHASE_TIMES=1: one line on stderr saying where the time went (scripts/bench/e2e-throughput).
  if (process.env.MRD_PHASE_TIMES && summary.phases) {
    const p = summary.phases;
    const line = {
      ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Math.round(v)])),
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      // which reader: 'worker/native' (mrd-core's HDF5 decoders, no h5wasm), 'worker/h5wasm', 'main/h5wasm'
      inputReader: summary.inputReader && `${summary.inputReader.thread}/${summary.inputReader.hdf5Runtime ? 'h5wasm' : 'native'}`,
      // the input read with direct I/O (found cold): the ring's reads, bytes, ranges served and refused
      direct: summary.inputReader?.direct,
    };
    process.stderr.write(`mrd-client phases ${JSON.stringify(line)}\n`);
  }
  if (argv.mrd2gif) {
    logger.info('Calling mrd2gif...');
    try {
      const { writePreviews } = await import('./previews.js');
      await writePreviews(summary.outfile, summary.outGroup, argv.quiet);
    } catch (err) {
      logger.error(`Failed to write previews: ${(err as Error).message}`);
      return 1;
    }
  }
  return 0;
}
