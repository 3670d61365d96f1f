/**
 * mrd-info: what an MRD file holds, before anything else: groups, the XML header's essentials,
 * acquisitions by flag and counter ranges, image series, waveforms by id. Headers only.
 */
import { runCli, toolParser, toolVersion } from '@mrd-tools/tool-kit/cli';
import { summarize } from './summary.js';
import { formatSummary } from './text.js';

async function main(): Promise<number> {
  const argv = await toolParser(process.argv.slice(2), {
    name: 'mrd-info',
    version: toolVersion(import.meta.url),
    usage: '$0 [options] <file>\n\nSummary of an MRD (ISMRMRD HDF5) file: per group the XML header essentials (system, field strength, encoded and recon spaces, trajectory, encoding limits, parallel imaging), acquisitions by flag and counter ranges, channels, samples, trajectory dimensions, noise readouts, image series (count, size, type, data type) and waveforms by id. Reads headers only, so large files are quick.',
  })
    .positional('file', { type: 'string', describe: 'MRD file (HDF5).' })
    .option('group', { alias: 'g', type: 'string', describe: 'Only this group. Default: every group of the file.' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON (schema "mrd-info/1", described in the README) instead of text.' })
    .demandCommand(1, 1, 'an input file is required', 'only one input file can be given')
    .parseAsync();
  const summary = await summarize(String(argv._[0]), argv.group);
  process.stdout.write(argv.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary));
  return 0;
}

runCli('mrd-info', main);
