/**
 * mrd-convert: converts MRD data between the two generations and their encodings (v1 HDF5, v1
 * stream, v2 binary, v2 NDJSON), mapping v1 <-> v2 as upstream's ismrmrd_to_mrd / mrd_to_ismrmrd
 * do, so converted files are byte-identical to theirs. Argument table and orchestration only: the
 * formats and the mapping live in @mrd-tools/core.
 */
import { CliUsageError, logLevelFromVerbosity, runCli, toolParser, toolVersion, verbosityOptions } from '@mrd-tools/tool-kit/cli';
import { logger, LogLevel } from '@mrd-tools/core/logging';
import { TextProgressBar } from '@mrd-tools/tool-kit/progress-bar';
import { MAPPING_LOSSES, UPSTREAM_HEADER_LOSSES } from '@mrd-tools/core/mrd-v2';
import { convert, UsageError } from './convert.js';
import { FORMATS, formatOfName, formatOfPath, sniffFormat, type Format } from './formats.js';
import { readHead, readStdinHead } from './read-head.js';

const LOSSES = [
  'What a conversion loses (the formats, or the mapping upstream defines):',
  `- v1 -> v2 acquisitions: ${MAPPING_LOSSES.acquisition.v1ToV2.join('; ')}.`,
  `- v1 -> v2 images: ${MAPPING_LOSSES.image.v1ToV2.join('; ')}.`,
  `- v1 -> v2 waveforms: ${MAPPING_LOSSES.waveform.v1ToV2.join('; ')} (v2 waveforms have no version field).`,
  `- v1 -> v2 header (upstream mapping; --complete keeps these): ${UPSTREAM_HEADER_LOSSES.v1ToV2.join('; ')}.`,
  `- v2 -> v1 acquisitions: ${MAPPING_LOSSES.acquisition.v2ToV1.join('; ')}.`,
  `- v2 -> v1 images: ${MAPPING_LOSSES.image.v2ToV1.join('; ')}.`,
  `- v2 -> v1 waveforms: ${MAPPING_LOSSES.waveform.v2ToV1.join('; ')}.`,
  `- v2 -> v1 header: ${UPSTREAM_HEADER_LOSSES.v2ToV1.join('; ')}.`,
  '- v2 -> v1: items v1 has no message for (acquisitionPrototype, acquisitionBucket, reconData, arrayComplexFloat, imageArray, Pulseq) stop the conversion, or are skipped with --skip-unsupported; v1 -> v2: config, text and NDArray messages, and any header after the first, are skipped (with a warning).',
  '- HDF5 -> v2 (as upstream): the header comes from the first group with acquisitions or waveforms, so an images-only file converts without a header unless --complete.',
  'Where mrd-convert differs from upstream on purpose: v2 -> v1 acquisition time stamps are ns // 1e6 (upstream writes ns modulo 2^32, an operator-precedence bug); an empty meta value stays empty (upstream turns it into "None"); a v1 meta integer beyond int64 stays text (upstream fails); v1 streams may hold config messages (upstream fails on them); HDF5 groups and image series are read in name order (upstream: Python set order, which varies between runs). v2 <-> v2 (binary <-> NDJSON) is lossless.',
].join('\n');

const USAGE = `$0 <input> -o <output> [options]\n\nConverts MRD data between ${Object.entries(FORMATS).map(([k, v]) => `${k} (${v})`).join(', ')}. The format comes from --from/--to, else the extension (.h5 .hdf5, .ismrmrd .bin, .mrd, .ndjson), else (input) the first bytes. "-" reads standard input or writes standard output.`;

async function main(): Promise<number> {
  const argv = await toolParser(process.argv.slice(2), {
    name: 'mrd-convert',
    version: toolVersion(import.meta.url),
    usage: USAGE,
  })
    .positional('input', { type: 'string', describe: 'Input file, or - for standard input.' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'Output file, or - for standard output. Written under a temporary name and moved into place when complete; an existing file is replaced only with --force, the input never.' })
    .option('from', { type: 'string', choices: ['h5', 'hdf5', 'ismrmrd', 'bin', 'v1', 'mrd', 'v2', 'ndjson'], describe: 'Input format (h5/hdf5: v1 HDF5; ismrmrd/bin/v1: v1 stream; mrd/v2: v2 binary; ndjson: v2 NDJSON). Default: from the extension or the content.' })
    .option('to', { type: 'string', choices: ['h5', 'hdf5', 'ismrmrd', 'bin', 'v1', 'mrd', 'v2', 'ndjson'], describe: 'Output format (same names). Default: from the output extension (required with -o -).' })
    .option('group', { alias: 'g', type: 'string', describe: 'HDF5 group: for an HDF5 input, the one group to read (default: every group, data groups first, as upstream ismrmrd_to_mrd --dataset); for an HDF5 output, the group written (default dataset).' })
    .option('complete', { type: 'boolean', default: false, describe: 'Map every header field both models have (upstream\'s converters carry a subset, see below), keep sub-microsecond times, and take the header of an images-only HDF5 file. Output then differs from upstream\'s where upstream drops something.' })
    .option('skip-unsupported', { type: 'boolean', default: false, describe: 'v2 -> v1: skip (with a warning) the v2 items that have no v1 message instead of failing (upstream fails).' })
    .option('force', { alias: 'f', type: 'boolean', default: false, describe: 'Replace an existing output file (never the input).' })
    .option('progress', { type: 'boolean', describe: 'Progress bar on stderr (default: when stderr is a terminal and the input is larger than 8 MB).' })
    .options(verbosityOptions)
    .demandCommand(1, 1, 'an input file is required (- for standard input)', 'only one input file can be given')
    .epilogue(LOSSES)
    .parseAsync();

  logger.setSinks([(line, level) => process.stderr.write(`mrd-convert: ${level >= LogLevel.WARNING ? 'warning: ' : ''}${line.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - /, '')}\n`)]);
  logger.level = logLevelFromVerbosity(argv);

  const input = String(argv._[0]);
  const output = argv.output;
  let from: Format | undefined = argv.from ? formatOfName(argv.from) : input === '-' ? undefined : formatOfPath(input);
  const to: Format | undefined = argv.to ? formatOfName(argv.to) : output === '-' ? undefined : formatOfPath(output);
  if (!to) throw new UsageError(`${output}: cannot tell the output format from its name; give --to (h5, ismrmrd, mrd or ndjson)`);
  let head: Uint8Array | undefined;
  if (!from) {
    head = input === '-' ? await readStdinHead(4096) : await readHead(input, 4096);
    from = sniffFormat(head);
    if (!from) throw new UsageError(`${input === '-' ? 'standard input' : input}: not a format mrd-convert knows (v1 HDF5 or stream, v2 binary or NDJSON); give --from`);
  }

  let bar: TextProgressBar | undefined;
  const wantBar = argv.progress ?? Boolean(process.stderr.isTTY);
  const onProgress = wantBar
    ? (done: number, total: number) => {
      if (!bar) {
        // Bytes for files (shown only above 8 MB), records for HDF5.
        if (total === 0 || (from !== 'h5' && total < 8e6 && argv.progress === undefined)) return;
        // --progress asks for the bar even when stderr is not a terminal.
        const stream = argv.progress ? Object.assign(Object.create(process.stderr) as NodeJS.WriteStream, { isTTY: true, columns: process.stderr.columns || 100, write: (s: string) => process.stderr.write(s) }) : process.stderr;
        bar = new TextProgressBar(`converting ${input}`, total, stream);
      }
      bar.update(done);
    }
    : undefined;
  try {
    const report = await convert({
      input, output, from, to, group: argv.group, headerMapping: argv.complete ? 'complete' : 'upstream',
      unsupported: argv['skip-unsupported'] ? 'skip' : 'error', force: argv.force, onProgress,
      warn: (m) => logger.warning(m),
    });
    bar?.finish();
    logger.debug(`${input} -> ${output}: ${report.written} written, ${report.skipped} skipped`);
  } catch (e) {
    bar?.finish();
    if (e instanceof UsageError) throw e;
    process.stderr.write(`mrd-convert: ${(e as Error).message}\n`);
    return 1;
  }
  return 0;
}

runCli('mrd-convert', async () => {
  try {
    return await main();
  } catch (e) {
    // A command line that names something impossible (no format, the input as output): a usage error.
    if (e instanceof UsageError) throw new CliUsageError(`mrd-convert: error: ${e.message}`, `usage: ${USAGE.split('\n')[0]!.replace('$0', 'mrd-convert')} (mrd-convert --help lists the options)`);
    throw e;
  }
});
