/**
 * dicom2mrd: converts a folder of DICOM images to an MRD image file (reference dicom2mrd.py).
 * Exit status: 0 when every DICOM file converted, 3 when some files were skipped (named in the
 * warnings) but the rest were written, 1 on failure.
 */
import { logger } from '@mrd-tools/core/logging';
import { logLevelFromVerbosity, PARTIAL_EXIT_STATUS, runCli, toolParser, toolVersion, verbosityOptions } from '@mrd-tools/tool-kit/cli';
import { TextProgressBar } from '@mrd-tools/tool-kit/progress-bar';
import { dicom2mrd } from './dicom2mrd.js';

async function main(): Promise<number> {
  const argv = await toolParser(process.argv.slice(2), {
    name: 'dicom2mrd',
    version: toolVersion(import.meta.url),
    usage: '$0 [options] <folder>\n\nConverts a folder of DICOM images (searched recursively: files ending .dcm or .ima in any case, and any file with a DICOM preamble) into an MRD (ISMRMRD) HDF5 image file: one image series per DICOM series, an MRD XML header from the first file, and the whole DICOM header of each image kept in its meta attributes (DicomJson) so mrd2dicom can restore it.',
  })
    .positional('folder', { type: 'string', describe: 'Input folder of DICOMs.' })
    .option('outFile', { alias: 'o', type: 'string', describe: 'Output MRD file. Default: the folder\'s name with .h5, in the working directory (a trailing slash on the folder does not matter). If the file exists, the group is added to it (existing content is kept; an existing group of the same name is refused).' })
    .option('outGroup', { alias: 'g', type: 'string', default: 'dataset', describe: 'Group name in the output MRD file.' })
    .options(verbosityOptions)
    .demandCommand(1, 1, 'an input folder is required', 'only one input folder can be given')
    .epilogue('Files that are not DICOM, are truncated or cannot be decoded are skipped with a warning naming them; the rest converts and the exit status is 3 (2 is a usage error, 1 a failure). Transfer syntaxes: implicit/explicit VR little endian (also deflated), explicit VR big endian, RLE lossless, JPEG-LS (lossless and near-lossless), JPEG baseline (8-bit), JPEG lossless (process 14 and SV1), JPEG 2000 (lossless and lossy); JPEG extended 12-bit (1.2.840.10008.1.2.4.51) is not decoded. Enhanced (multi-frame) MR gives one MRD image per frame.')
    .parseAsync();
  logger.level = logLevelFromVerbosity(argv);
  const folder = String(argv._[0]);
  let progress: TextProgressBar | undefined;
  let writing: TextProgressBar | undefined;
  try {
    const r = await dicom2mrd(folder, {
      outFile: argv.outFile,
      outGroup: argv.outGroup,
      onProgress: (done, total) => {
        progress ??= new TextProgressBar('Reading DICOM files', total);
        progress.update(done);
        if (done === total) progress.finish();
      },
      onWriteProgress: (done, total) => {
        writing ??= new TextProgressBar('Writing MRD images', total);
        writing.update(done);
        if (done === total) writing.finish();
      },
    });
    logger.info(`Wrote ${r.images} images from ${r.fileCount} files to ${r.outFile} (group ${r.group})`);
    if (r.skipped.length > 0) {
      logger.warning(`${r.skipped.length} file(s) skipped: ${r.skipped.map((s: { path: string }) => s.path).join(', ')}`);
      return PARTIAL_EXIT_STATUS;
    }
    return 0;
  } catch (e) {
    progress?.finish();
    writing?.finish();
    process.stderr.write(`dicom2mrd: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

runCli('dicom2mrd', main, { report: 'stack' });
