/**
 * mrd-phantom: Cartesian Shepp-Logan raw data (reference
 * `generate_cartesian_shepp_logan_dataset.py`, with the ISMRMRD C++ tool's -w/-C/-k/-d and our
 * --seed and --force); `--format mrd2`/`ndjson`: MRD v2's `mrd.tools.phantom` (its options,
 * defaults and output, stdout when no file is named).
 */
import { runCli, toolParser, toolVersion, type NumberRule } from '@mrd-tools/tool-kit/cli';
import { TextProgressBar } from '@mrd-tools/tool-kit/progress-bar';
import { writeCartesianPhantom } from './generate.js';
import { writeSpiralPhantom } from './spiral/dataset.js';
import { writeMrdV2Phantom } from './write-mrd-v2.js';
import { closePhantomPools } from './readouts/pool.js';
import { defaultThreads, MAX_THREADS } from '@mrd-tools/recon-kernels/pool';

import { basename, dirname } from 'node:path';

const positive: NumberRule = { min: 0, minExclusive: true };

/** Numeric options and their ranges, checked before anything is generated. */
const NUMBERS: Record<string, NumberRule> = {
  'matrix-size': { integer: true, min: 2, max: 65536 },
  coils: { integer: true, min: 1, max: 65535 },
  oversampling: { integer: true, min: 1 },
  repetitions: { integer: true, min: 1, max: 65536 },
  acceleration: { integer: true, min: 1 },
  'noise-level': { min: 0 },
  'calibration-width': { integer: true, min: 0 },
  seed: { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  threads: { integer: true, min: 1, max: MAX_THREADS },
  interleaves: { integer: true, min: 1 },
  fov: positive,
  'spatial-resolution': positive,
  dt: positive,
  gmax: positive,
  smax: positive,
  vd: { min: 0, minExclusive: true, max: 1 },
  tr: positive,
  arms: { integer: true, min: 1 },
  'pre-discard': { integer: true, min: 0 },
  'cardiac-rate': positive,
  'cardiac-amplitude': { min: 0, max: 1 },
  'resp-rate': positive,
  'resp-amplitude': { min: 0 },
};

async function main(): Promise<number> {
  const argv = await toolParser(process.argv.slice(2), {
    name: 'mrd-phantom',
    version: toolVersion(import.meta.url),
    numbers: NUMBERS,
    usage: '$0 [options]\n\nGenerates Cartesian raw data (k-space readouts) of the modified Shepp-Logan phantom seen by a birdcage coil array, with noise, into an MRD (ISMRMRD HDF5) file, or with --format mrd2 (ndjson) the MRD v2 stream of upstream\'s `mrd.tools.phantom` (to stdout unless -o names a file, e.g. `mrd-phantom --format mrd2 | mrd-server --stdio -c simplefft > recon.mrd`).',
  })
    .option('format', { type: 'string', choices: ['hdf5', 'mrd2', 'ndjson'], describe: 'Output format. hdf5: MRD v1 (ISMRMRD) HDF5 file, the reference generator\'s dataset. mrd2: MRD v2 binary stream (yardl), the dataset of MRD v2\'s `mrd.tools.phantom` (same header, readouts and simulation; FOV 300 mm, coil maps not normalised, no noise readouts unless -C, T-SENSE layout with -a/-w). ndjson: the same as MRD v2 NDJSON. Default: from the output\'s extension (.mrd: mrd2, .ndjson: ndjson), else hdf5.' })
    .option('output', { alias: 'o', type: 'string', describe: 'Output file. hdf5 (default testdata.h5): an existing file is never overwritten: a new group is added to it, or readouts are appended to a group describing the same acquisition (as the reference does); anything else needs --force or another name. mrd2/ndjson: default (or -) stdout, as upstream; an existing file is replaced only with --force.' })
    .option('matrix-size', { alias: ['m', 'matrix'], type: 'number', default: 256, describe: 'Image matrix size (square): phase-encoding lines and reconstructed readout samples.' })
    .option('coils', { alias: 'c', type: 'number', default: 8, describe: 'Number of receive coils (birdcage sensitivities, relative radius 1.5).' })
    .option('oversampling', { alias: ['s', 'O'], type: 'number', default: 2, describe: 'Readout oversampling factor (zero padding of the image along the readout before the FFT).' })
    .option('repetitions', { alias: 'r', type: 'number', default: 1, describe: 'Number of repetitions, each with its own noise.' })
    .option('acceleration', { alias: 'a', type: 'number', default: 1, describe: 'Acceleration factor. Without -w: the lines are written in R interleaved passes (0, R, 2R, ..., then 1, R+1, ...), every line once, as the reference. With -w: the C++ tool\'s undersampled layout.' })
    .option('noise-level', { alias: 'n', type: 'number', default: 0.05, describe: 'Standard deviation of the complex Gaussian noise (real and imaginary parts each). 0 gives noise-free data.' })
    .option('calibration-width', { alias: 'w', type: 'number', describe: 'mrd2/ndjson: fully sampled central lines of the T-SENSE layout (default 0, as upstream). hdf5: use the C++ tool\'s undersampled layout: per repetition R passes, each with every R-th line plus a fully sampled central calibration region of this many lines, flagged IS_PARALLEL_CALIBRATION(_AND_IMAGING) as the C++ tool does; the repetition counter numbers the passes. Not given: the reference layout.' })
    .option('noise-calibration', { alias: 'C', type: 'boolean', describe: 'Write 32 noise readouts (flagged IS_NOISE_MEASUREMENT) before the imaging data. Default: yes for hdf5 (as the reference; --no-noise-calibration leaves them out), no for mrd2/ndjson (as upstream\'s -C).' })
    .option('k-coordinates', { alias: ['k', 'K', 'store-coordinates'], type: 'boolean', default: false, describe: 'Store k-space coordinates with each imaging readout (2-D trajectory, kx and ky in cycles per matrix, as the C++ tool; in MRD v2 a [2, samples] trajectory, as upstream\'s -K/--store-coordinates).' })
    .option('dataset', { alias: 'd', type: 'string', default: 'dataset', describe: 'Group name of the dataset inside the file.' })
    .option('output-phantom', { type: 'string', describe: 'mrd2/ndjson only: also write the phantom image as upstream does (an MRD v2 binary file: the header and one ArrayComplexFloat [1, 1, n, n]).' })
    .option('output-csm', { type: 'string', describe: 'mrd2/ndjson only: also write the coil sensitivities (ArrayComplexFloat [coils, 1, n, n]), as upstream.' })
    .option('output-coils', { type: 'string', describe: 'mrd2/ndjson only: also write the coil images zero-padded along the readout (ArrayComplexFloat [coils, 1, n, oversampling * n]), as upstream.' })
    .option('seed', { type: 'number', describe: 'Seed of the noise generator, for reproducible noise. Default: a random seed, printed so the run can be repeated.' })
    .option('threads', { type: 'number', default: defaultThreads(), defaultDescription: 'the available cores', describe: 'Threads generating the Cartesian HDF5 data: the repetitions and coils are split over a worker pool (shared memory); 1 runs everything on one thread, as do data sets under 64 MB of readouts (the workers would cost more than they save). The file is the same bits for every count (each repetition and coil has its own noise stream of --seed). mrd2/ndjson and spiral output are generated on one thread.' })
    .option('force', { type: 'boolean', default: false, describe: 'Replace the output file if it exists (all its content is lost).' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Print nothing but errors.' })
    .option('trajectory', { type: 'string', choices: ['cartesian', 'spiral'], default: 'cartesian', describe: 'cartesian: the reference dataset (above). spiral: a real-time golden-angle variable-density spiral acquisition of a moving Shepp-Logan phantom (analytic, with a pulsating "heart" and breathing shift), for the spiral recons; also writes the sequence metafile <hash>.mat into seq_meta/ beside the output (hash in tSequenceVariant), where an mrd-server started in the output\'s folder finds it. Options below marked [spiral] apply; -m, -O, -r, -a, -w, -C, -k are Cartesian only; -c, -n, -d, --seed, --force apply to both.' })
    .option('interleaves', { type: 'number', default: 24, describe: '[spiral] Arms for Nyquist sampling at the k-space centre; also the number of golden-angle arms before the pattern repeats (param.interleaves).' })
    .option('fov', { type: 'number', default: 24, describe: '[spiral] Field of view in cm.' })
    .option('spatial-resolution', { type: 'number', default: 1.875, describe: '[spiral] Spatial resolution in mm (matrix = 10 * fov / resolution).' })
    .option('dt', { type: 'number', default: 2e-6, describe: '[spiral] ADC dwell time in seconds (trajectory sampling).' })
    .option('gmax', { type: 'number', default: 24, describe: '[spiral] Gradient amplitude limit in mT/m.' })
    .option('smax', { type: 'number', default: 120, describe: '[spiral] Slew-rate limit in T/m/s.' })
    .option('vd', { type: 'number', default: 0.6, describe: '[spiral] Variable density: the outer k-space FOV as a fraction of the FOV (1 = uniform density).' })
    .option('tr', { type: 'number', describe: '[spiral] Repetition time in ms (one arm per TR). Default: readout length + 1.5 ms.' })
    .option('arms', { type: 'number', describe: '[spiral] Number of arms acquired. Default: 10 x interleaves.' })
    .option('pre-discard', { type: 'number', default: 10, describe: '[spiral] ADC samples before the spiral starts (param.pre_discard).' })
    .option('cardiac-rate', { type: 'number', default: 72, describe: '[spiral] Heart rate of the pulsating part, beats per minute.' })
    .option('cardiac-amplitude', { type: 'number', default: 0.3, describe: '[spiral] Relative change of the heart size (0.3 = +-30%).' })
    .option('resp-rate', { type: 'number', default: 15, describe: '[spiral] Breathing rate, breaths per minute.' })
    .option('resp-amplitude', { type: 'number', default: 0.08, describe: '[spiral] Breathing shift of the whole object along y, in phantom units (1 = half the FOV).' })
    .option('ecg', { type: 'boolean', default: false, describe: '[spiral] Also write ECG waveforms (waveform_id 0, trigger on channel 4) consistent with the heart motion.' })
    .option('pilot-tone', { type: 'boolean', default: false, describe: '[spiral] Also write a pilot-tone waveform (waveform_id 1025: channel 0 respiratory signal, 2 cardiac triggers, 4 derivative triggers).' })
    .option('metafile-dir', { type: 'string', describe: '[spiral] Folder for the <hash>.mat metafile. Default: seq_meta/ in the output file\'s folder (the recons\' default metafile_paths, relative to the server\'s working directory). An identical metafile already there is kept; a different one is replaced only with --force.' })
    .check((a) => {
      const fmt = a.format ?? (/\.(mrd|ndjson)$/.test(String(a.output ?? '')) ? 'mrd2' : 'hdf5');
      if (fmt !== 'hdf5' && a.trajectory !== 'cartesian') throw new Error(`--trajectory ${a.trajectory} is written as HDF5 only (--format hdf5)`);
      for (const o of ['output-phantom', 'output-csm', 'output-coils']) if (fmt === 'hdf5' && a[o] !== undefined) throw new Error(`--${o} belongs to --format mrd2 (upstream's MRD v2 phantom)`);
      return true;
    })
    .parseAsync();

  const output = argv.output as string | undefined;
  const format = (argv.format as string | undefined) ?? (output?.endsWith('.mrd') ? 'mrd2' : output?.endsWith('.ndjson') ? 'ndjson' : 'hdf5');
  if (format !== 'hdf5') {
    const toStdout = output === undefined || output === '-';
    // Messages go to stderr when the stream goes to stdout.
    const log = toStdout ? process.stderr : process.stdout;
    const sayV2 = (s: string) => {
      if (!argv.quiet) log.write(s + '\n');
    };
    let bar: TextProgressBar | undefined;
    const r = await writeMrdV2Phantom({
      output, encoding: format === 'ndjson' ? 'ndjson' : 'binary', force: argv.force,
      matrixSize: argv['matrix-size'], coils: argv.coils, repetitions: argv.repetitions, acceleration: argv.acceleration,
      oversampling: argv.oversampling, noiseLevel: argv['noise-level'], calibrationWidth: argv['calibration-width'] ?? 0,
      noiseCalibration: argv['noise-calibration'] ?? false, storeCoordinates: argv['k-coordinates'], seed: argv.seed,
      outputPhantom: argv['output-phantom'], outputCsm: argv['output-csm'], outputCoils: argv['output-coils'],
      onProgress: argv.quiet ? undefined : (d, t) => (bar ??= new TextProgressBar('Writing', t, log)).update(d),
    });
    bar?.finish();
    if (argv['noise-level'] > 0) sayV2(`Noise seed: ${r.seed} (repeat with --seed ${r.seed})`);
    if (!toStdout) sayV2(`Saved ${r.readouts} readouts to ${r.output}`);
    return 0;
  }
  const say = (s: string) => {
    if (!argv.quiet) process.stdout.write(s + '\n');
  };
  if (argv.trajectory === 'spiral') {
    say('Creating spiral Shepp-Logan phantom raw data:');
    let bar: TextProgressBar | undefined;
    const r = await writeSpiralPhantom({
      output: output ?? 'testdata.h5',
      dataset: argv.dataset, force: argv.force, interleaves: argv.interleaves, fovCm: argv.fov, resolutionMm: argv['spatial-resolution'],
      dt: argv.dt, gmaxMTm: argv.gmax, smaxTms: argv.smax, vd: argv.vd, trMs: argv.tr, arms: argv.arms, coils: argv.coils,
      preDiscard: argv['pre-discard'], noiseLevel: argv['noise-level'], seed: argv.seed, ecg: argv.ecg, pilotTone: argv['pilot-tone'],
      metafileDir: argv['metafile-dir'],
      motion: { cardiacHz: argv['cardiac-rate'] / 60, cardiacAmplitude: argv['cardiac-amplitude'], respHz: argv['resp-rate'] / 60, respAmplitude: argv['resp-amplitude'] },
      onProgress: argv.quiet ? undefined : (d, t) => (bar ??= new TextProgressBar('Writing', t)).update(d),
    });
    bar?.finish();
    say(`Matrix ${r.msize}x${r.msize}, ${r.design.options.interleaves} interleaves, ${r.design.samples} samples per arm (+${argv['pre-discard']} pre-discard), TR ${r.trMs} ms, ${r.arms} arms, ${argv.coils} coils`);
    if (argv['noise-level'] > 0) say(`Noise seed: ${r.seed} (repeat with --seed ${r.seed})`);
    say(`Metafile ${r.metafile}${r.metafileReused ? ' (already there, kept)' : ''} (tSequenceVariant ${r.hash})`);
    const metaDir = dirname(r.metafile);
    say(basename(metaDir) === 'seq_meta'
      ? `  (an mrd-server started in ${dirname(metaDir)} finds it; from elsewhere: mrd-server --metafile-dir ${metaDir})`
      : `  (start mrd-server with --metafile-dir ${metaDir} to find it)`);
    say(`Saved to ${r.output}`);
    return 0;
  }
  const R = argv.acceleration;
  say('Creating Shepp-Logan phantom raw data:');
  say(`Matrix ${argv['matrix-size']}x${argv['matrix-size']} at R=${R} with ${argv.repetitions} repetitions`);
  say(`${argv.coils} coils with ${argv.oversampling} oversampling and ${argv['noise-level'].toFixed(2)} noise level`);
  let bar: TextProgressBar | undefined;
  const result = await writeCartesianPhantom({
    output: output ?? 'testdata.h5',
    dataset: argv.dataset,
    force: argv.force,
    matrixSize: argv['matrix-size'],
    coils: argv.coils,
    oversampling: argv.oversampling,
    repetitions: argv.repetitions,
    acceleration: R,
    noiseLevel: argv['noise-level'],
    calibrationWidth: argv['calibration-width'],
    noiseCalibration: argv['noise-calibration'] ?? true,
    kCoordinates: argv['k-coordinates'],
    seed: argv.seed,
    threads: argv.threads,
    onProgress: argv.quiet ? undefined : (d, t) => (bar ??= new TextProgressBar('Writing', t)).update(d),
  }).finally(closePhantomPools);
  bar?.finish();
  if (result.existingReadouts > 0) say(`Appended ${result.readouts} readouts to the ${result.existingReadouts} already in group '${result.group}'`);
  if (argv['noise-level'] > 0) say(`Noise seed: ${result.seed} (repeat with --seed ${result.seed})`);
  say(`Saved to ${result.output}`);
  return 0;
}

runCli('mrd-phantom', main, { exit: 'immediately' });
