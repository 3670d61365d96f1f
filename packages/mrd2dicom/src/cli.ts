/**
 * mrd2dicom: converts the images of an MRD file to DICOM files (reference mrd2dicom.py).
 */
import { logger } from '@mrd-tools/core/logging';
import { logLevelFromVerbosity, PARTIAL_EXIT_STATUS, runCli, toolParser, toolVersion, verbosityOptions } from '@mrd-tools/tool-kit/cli';
import { TextProgressBar } from '@mrd-tools/tool-kit/progress-bar';
import { mrdFileToDicom } from './mrd2dicom.js';

async function main(): Promise<number> {
  const argv = await toolParser(process.argv.slice(2), {
    name: 'mrd2dicom',
    version: toolVersion(import.meta.url),
    usage: '$0 [options] <filename>\n\nConverts every image series of a group of an MRD (ISMRMRD) HDF5 file to DICOM files (MR Image Storage; RGB images as Secondary Capture), one file per image, channel and slice, named <series>_<description>_<instance>.dcm. When an image carries the DicomJson meta written by dicom2mrd, its original DICOM header is restored.',
  })
    .positional('filename', { type: 'string', describe: 'Input MRD file.' })
    .option('in-group', { alias: 'g', type: 'string', describe: 'Input data group. Default: the last group of the file (the most recent).' })
    .option('out-folder', { alias: 'o', type: 'string', describe: 'Output folder (created if needed). Default: the input file name without .h5. Existing files are never overwritten: a taken name gets _1, _2, ... added.' })
    .options(verbosityOptions)
    .demandCommand(1, 1, 'an input file is required', 'only one input file can be given')
    .epilogue('Exit status: 0 when every image was written, 3 when some were skipped (named in the warnings), 2 on a usage error, 1 on failure (also when no image at all could be written). Pixel data: 16-bit integer images are written as they are (PixelRepresentation 1 when signed). 32-bit integer and float images whose values are all integers fitting 16 bits are written exactly in 16 bits; other float, 32-bit and complex (magnitude) images are scaled to 0..65535 with RescaleSlope/RescaleIntercept, and their exact MRD values are kept in a private element (creator MRD-TOOLS, group 0071) that dicom2mrd reads back.')
    .parseAsync();
  logger.level = logLevelFromVerbosity(argv);
  let bar: TextProgressBar | undefined;
  try {
    const r = await mrdFileToDicom(String(argv._[0]), {
      group: argv['in-group'],
      outFolder: argv['out-folder'],
      onProgress: (done, total) => {
        bar ??= new TextProgressBar('Writing DICOM files', total);
        bar.update(done);
      },
    });
    bar?.finish();
    if (r.files.length === 0) {
      process.stderr.write(`mrd2dicom: ${String(argv._[0])}: no image could be written as DICOM (${r.skipped.length} skipped: ${r.skipped.join(', ')})\n`);
      return 1;
    }
    if (r.skipped.length > 0) {
      logger.warning(`${r.skipped.length} image(s) skipped: ${r.skipped.join(', ')}`);
      return PARTIAL_EXIT_STATUS;
    }
    return 0;
  } catch (e) {
    bar?.finish();
    process.stderr.write(`mrd2dicom: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

runCli('mrd2dicom', main, { report: 'stack' });
