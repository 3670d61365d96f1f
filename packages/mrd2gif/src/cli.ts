/**
 * mrd2gif: animated GIF / PNG previews of the image series of an MRD file (reference
 * `mrd2gif.py` of the usc-mrel fork, with the options of the newer upstream version).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logger, LogLevel } from '@mrd-tools/core/logging';
import { runCli, toolParser, toolVersion } from '@mrd-tools/tool-kit/cli';
import { mrd2gif } from './mrd2gif.js';

async function main(): Promise<number> {
  const argv = await toolParser(process.argv.slice(2), {
    name: 'mrd2gif',
    version: toolVersion(import.meta.url),
    usage: '$0 [options] <filename>\n\nWrites one animated GIF (or PNG) per image series of an MRD file, next to the input, named <input base>_<group>_<series>[_<SequenceDescriptionAdditional>].gif.',
    numbers: { rescale: { integer: true, min: 1, max: 64 }, fps: { min: 0, minExclusive: true, max: 1000 }, 'mosaic-less-than': { integer: true, min: 0 }, 'ref-diff-scale': {} },
  })
    .positional('filename', { type: 'string', describe: 'Input MRD file holding image series: HDF5, or an MRD v2 stream (binary .mrd or NDJSON, recognised by its first bytes; read into memory, up to 1 GiB), shown as the group `dataset` with series image_<series index> as its v1 conversion.' })
    .option('in-group', { alias: 'g', type: 'string', describe: 'Input data group. Default: the last group of the file (by name, as h5py lists them), i.e. the most recent mrd-client output group.' })
    .option('series', { alias: 's', type: 'string', describe: 'Process only this image series (e.g. image_0). Default: every series of the group.' })
    .option('rescale', { alias: 'r', type: 'number', default: 1, describe: 'Integer upscaling factor of every frame (pixel replication); ROI overlays are scaled with it.' })
    .option('fps', { type: 'number', default: 25, describe: 'Frame rate of animations, frames per second (25 = 40 ms per frame, as the reference).' })
    .option('mosaic-slices', { alias: 'm', type: 'boolean', default: false, describe: 'Mosaic the frames of several slices (or, with a single slice, several contrasts) into one frame per time point, when every slice has the same number of frames.' })
    .option('no-mosaic-slices', { type: 'boolean', default: false, describe: 'Never build mosaics (overrides -m and --mosaic-less-than). This is the default behaviour.' })
    .option('mosaic-less-than', { type: 'number', default: 0, describe: 'Put a whole series into one mosaic picture when it has more than one and fewer than this many frames (the newer reference uses 6). 0 turns this off.' })
    .option('filetype', { type: 'string', choices: ['gif', 'png'], default: 'gif', describe: 'Output type: gif (one animated file per series) or png (one file per frame, or one strip with --strip). A series with RGB frames of more than 256 colours is written as PNG.' })
    .option('strip', { type: 'boolean', default: false, describe: 'With --filetype png: write all frames of a series side by side into one PNG instead of one file per frame.' })
    .option('floating-window', { type: 'boolean', default: false, describe: 'Window each frame by its own 5th/95th percentiles instead of one window for the whole series (meta attribute windows still win).' })
    .option('ref-filename', { type: 'string', describe: 'Reference MRD file to compare with: each frame becomes [image | reference | difference] side by side, the reference shown with the image\'s window. Output names get a _diff suffix.' })
    .option('ref-in-group', { type: 'string', describe: 'Group of the reference file. Default: its last group.' })
    .option('ref-diff-scale', { type: 'number', default: 1, describe: 'Multiplier of the difference image (grey levels of the image window).' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Print nothing on stdout (warnings and errors still go to stderr).' })
    .demandCommand(1, 1, 'an input file is required', 'only one input file can be given')
    .epilogue('Window: WindowCenter/WindowWidth meta attributes when present, else the median over frames of the 5th and 95th percentiles. Colour tables named by LUTFileName/GADGETRON_ColorMap are read from <name>.npy in the working directory, ./colormaps, or this tool\'s folder. Long GIF animations are encoded on the idle cores; MRD2GIF_THREADS=n in the environment sets the number of threads.')
    .parseAsync();

  // Plain lines as the reference prints them: info on stdout, warnings and errors on stderr.
  logger.setSinks([(line, level) => {
    const text = line.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - /, '');
    if (level >= LogLevel.WARNING) process.stderr.write(text + '\n');
    else process.stdout.write(text + '\n');
  }]);
  logger.level = argv.quiet ? LogLevel.WARNING : LogLevel.INFO;

  const filename = String(argv._[0]);
  // A progress bar while reading long series, on a terminal only.
  let drawn = false;
  const progress = !argv.quiet && process.stdout.isTTY
    ? (series: string, done: number, total: number) => {
      if (total < 50 || (done % 10 !== 0 && done !== total)) return;
      const width = 30;
      const filled = Math.round((done / total) * width);
      process.stdout.write(`\r  Reading ${series} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
      drawn = true;
      if (done === total) {
        process.stdout.write('\n');
        drawn = false;
      }
    }
    : undefined;
  const noMosaic = argv['no-mosaic-slices'];
  const outputs = await mrd2gif(filename, {
    inGroup: argv['in-group'],
    series: argv.series,
    rescale: argv.rescale,
    fps: argv.fps,
    mosaicSlices: argv['mosaic-slices'] && !noMosaic,
    mosaicLessThan: argv['mosaic-less-than'],
    noMosaic,
    filetype: argv.filetype as 'gif' | 'png',
    pngStrip: argv.strip,
    floatingWindow: argv['floating-window'],
    refFilename: argv['ref-filename'],
    refInGroup: argv['ref-in-group'],
    refDiffScale: argv['ref-diff-scale'],
    toolDir: dirname(fileURLToPath(import.meta.url)),
    onProgress: progress,
  });
  if (drawn) process.stdout.write('\n');
  if (outputs.length === 0) {
    logger.error(`${filename}: no previews written`);
    return 1;
  }
  return 0;
}

runCli('mrd2gif', main, { exit: 'immediately' });
