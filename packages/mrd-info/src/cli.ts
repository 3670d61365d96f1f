/**
 * mrd-info: what an MRD file holds, before anything else: groups, the XML header's essentials,
 * acquisitions by flag and counter ranges, image series, waveforms by id. Headers only (HDF5);
 * MRD v2 streams are read through once.
 */
import { runCli, toolParser, toolVersion } from '@mrd-tools/tool-kit/cli';
import { summarize } from './summary.js';
import { formatSummary } from './text.js';
import { mrdV2FileKind } from '@mrd-tools/core/mrd-v2-file/kind';

async function main(): Promise<number> {
  const argv = await toolParser(process.argv.slice(2), {
    name: 'mrd-info',
    version: toolVersion(import.meta.url),
    usage: '$0 [options] <file>\n\nSummary of an MRD file (ISMRMRD HDF5, or an MRD v2 stream: binary .mrd or NDJSON, recognised by its first bytes, shown as one group `dataset` with series image_<series index>, the same summary as its v1 conversion): per group the XML header essentials (system, field strength, encoded and recon spaces, trajectory, encoding limits, parallel imaging), acquisitions by flag and counter ranges, channels, samples, trajectory dimensions, noise readouts, image series (count, size, type, data type) and waveforms by id. Reads headers only, so large HDF5 files are quick (an MRD v2 stream is read through once).',
  })
    .positional('file', { type: 'string', describe: 'MRD file: HDF5 (v1), or MRD v2 binary or NDJSON.' })
    .option('group', { alias: 'g', type: 'string', describe: 'Only this group. Default: every group of the file.' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON (schema "mrd-info/1", described in the README) instead of text.' })
    .demandCommand(1, 1, 'an input file is required', 'only one input file can be given')
    .parseAsync();
  const path = String(argv._[0]);
  const summary = await summarize(path, argv.group);
  const kind = argv.json ? undefined : await mrdV2FileKind(path).catch(() => undefined);
  const format = kind === 'mrd-v2' ? 'MRD v2 binary stream' : kind === 'mrd-v2-ndjson' ? 'MRD v2 NDJSON stream' : undefined;
  process.stdout.write(argv.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary, format));
  return 0;
}

runCli('mrd-info', main);
