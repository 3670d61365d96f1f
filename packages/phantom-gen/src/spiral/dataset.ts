/**
 * The spiral phantom dataset (`mrd-phantom --trajectory spiral`): a real-time golden-angle
 * variable-density spiral acquisition of a moving Shepp-Logan phantom (./simulate.ts) written as
 * an MRD file, with the sequence metafile `<hash>.mat` (kx, ky [1/m] samples x arms, w 1 x
 * samples, param struct: fov [cm], spatial_resolution [mm], interleaves, repetitions (= the arms
 * stored, as in the reference's metafiles), dt [s], pre_discard) and the hash in the header's
 * userParameterString tSequenceVariant, as the reference's spiral recons expect. The metafile
 * goes into `seq_meta/` beside the output by default: the recons' default `metafile_paths` is
 * `seq_meta` relative to the server's working directory, so a server started in the output's
 * folder finds it. Its content depends only on the hash (the design), so an existing metafile of
 * the same hash is reused; one that differs is never replaced without `force`.
 *
 * Both files are written atomically (../../mrd-core file-output, the writer's atomic mode): a
 * failure leaves neither a partial MRD file nor a metafile this run created.
 *
 * Header: receiverChannels, sequenceParameters TR [ms], encoded/recon matrix and FOV, encoding
 * limits (kspace_encoding_step_1 = arm, repetition = pass through the arms), patientPosition HFS,
 * trajectory spiral. Readouts: scan_counter from 1, acquisition_time_stamp in 2.5 ms ticks,
 * physiology_time_stamp[0] = ticks since the last ECG trigger. Optional waveforms: ECG
 * (waveform_id 0, 5 channels, trigger on channel 4, 2.5 ms samples, in 100 ms chunks) and a
 * pilot tone (waveform_id 1025, one sample per TR: channel 0 respiratory signal, 1 cardiac
 * signal, 2 cardiac triggers, 4 cardiac-derivative triggers; channels 2-4 are 2^31 when there is
 * no trigger, as the reference reads them).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AcquisitionFlag } from '@mrd-tools/core/constants';
import { GaussianNoise, randomSeed } from '../phantom/gaussian-noise.js';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { OutputFileError, asOutputError, checkOutputPath, prepareOutputFolder, removeCreatedFolders, writeFileAtomic } from '@mrd-tools/core/file-output';
import { emptyAcquisitionHeader, emptyWaveformHeader } from '@mrd-tools/core/headers';
import { encodeMatFile, matDouble, matScalar, matStruct } from '@mrd-tools/core/mat-file';
import { serializeIsmrmrdHeader, type IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import type { Acquisition, Waveform } from '@mrd-tools/core/messages';
import { designSpiral, goldenAngleArms, spiralDensityWeights, type SpiralDesign, type SpiralDesignOptions } from './design.js';
import { CoilModel, DEFAULT_MOTION, armCoilData, heartEllipse, motionAt, staticEllipses, staticTermTransforms, type MotionOptions } from './simulate.js';

export interface SpiralPhantomOptions {
  output?: string;
  dataset?: string;
  force?: boolean;
  /** arms for Nyquist at the centre = golden-angle arms stored in the metafile */
  interleaves?: number;
  /** FOV [cm] and resolution [mm], as the metafile's param */
  fovCm?: number;
  resolutionMm?: number;
  /** ADC dwell [s] */
  dt?: number;
  /** gradient limits [mT/m], [T/m/s] */
  gmaxMTm?: number;
  smaxTms?: number;
  /** outer FOV fraction of the variable density (1 = uniform) */
  vd?: number;
  /** TR [ms] (default: readout + 1.5 ms) */
  trMs?: number;
  /** number of arms acquired */
  arms?: number;
  coils?: number;
  preDiscard?: number;
  noiseLevel?: number;
  seed?: number;
  motion?: Partial<MotionOptions>;
  ecg?: boolean;
  pilotTone?: boolean;
  /** where the metafile goes (default: `seq_meta/` in the output file's folder) */
  metafileDir?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface SpiralPhantomResult {
  output: string;
  group: string;
  metafile: string;
  /** whether an identical metafile was already there (and was kept) */
  metafileReused: boolean;
  hash: string;
  design: SpiralDesign;
  msize: number;
  trMs: number;
  arms: number;
  seed: number;
  motion: MotionOptions;
}

function sequenceHashFor(o: SpiralDesignOptions, preDiscard: number): string {
  return createHash('md5').update(JSON.stringify({ ...o, preDiscard, kind: 'mrd-tools golden-angle vd spiral' })).digest('hex');
}

export async function writeSpiralPhantom(options: SpiralPhantomOptions = {}): Promise<SpiralPhantomResult> {
  const output = resolve(options.output ?? 'spiral.h5');
  const group = options.dataset ?? 'dataset';
  const fovCm = options.fovCm ?? 24, resMm = options.resolutionMm ?? 1.875;
  const design = designSpiral({
    interleaves: options.interleaves ?? 24, fov: fovCm / 100, resolution: resMm / 1000, dt: options.dt ?? 2e-6,
    gmax: (options.gmaxMTm ?? 24) / 1000, smax: options.smaxTms ?? 120, vd: options.vd ?? 0.6,
  });
  const o = design.options;
  const coils = options.coils ?? 8;
  const preDiscard = options.preDiscard ?? 10;
  const S = design.samples, NS = S + preDiscard;
  if (NS > 65535) throw new RangeError(`spiral readout of ${NS} samples does not fit the 16-bit number_of_samples`);
  const readoutMs = NS * o.dt * 1e3;
  const trMs = options.trMs ?? Math.round((readoutMs + 1.5) * 100) / 100;
  if (trMs < readoutMs) throw new RangeError(`TR ${trMs} ms is shorter than the readout (${readoutMs.toFixed(2)} ms)`);
  const nArms = options.arms ?? 10 * o.interleaves;
  const msize = Math.trunc((10 * fovCm) / resMm);
  const motion: MotionOptions = { ...DEFAULT_MOTION, ...options.motion, heart: { ...DEFAULT_MOTION.heart, ...options.motion?.heart } };
  const hash = sequenceHashFor(o, preDiscard);
  const metaDir = resolve(options.metafileDir ?? join(dirname(output), DEFAULT_METAFILE_FOLDER));
  const metafile = join(metaDir, `${hash}.mat`);
  const seed = options.seed ?? randomSeed();

  // metafile: kx, ky [samples x arms] in 1/m, w [1 x samples]
  const set = goldenAngleArms(design, o.interleaves);
  const w = spiralDensityWeights(design);
  const colKx = new Float64Array(S * o.interleaves), colKy = new Float64Array(S * o.interleaves);
  for (let a = 0; a < o.interleaves; a++) for (let s = 0; s < S; s++) {
    colKx[a * S + s] = set.kx[a * S + s];
    colKy[a * S + s] = set.ky[a * S + s];
  }
  const metaBytes = encodeMatFile({
    kx: matDouble([S, o.interleaves], colKx), ky: matDouble([S, o.interleaves], colKy), w: matDouble([1, S], w),
    param: matStruct({
      fov: matScalar(fovCm), spatial_resolution: matScalar(resMm), interleaves: matScalar(o.interleaves),
      repetitions: matScalar(o.interleaves), dt: matScalar(o.dt), pre_discard: matScalar(preDiscard),
      gmax: matScalar(o.gmax * 1000), smax: matScalar(o.smax), vd: matScalar(o.vd),
    }),
  });

  const header: IsmrmrdHeader = {
    version: 1,
    measurementInformation: { patientPosition: 'HFS', protocolName: 'mrd_phantom_spiral', measurementID: `0_0_${hash.slice(0, 8)}_1` },
    acquisitionSystemInformation: { receiverChannels: coils, systemFieldStrength_T: 0.55 },
    experimentalConditions: { H1resonanceFrequency_Hz: 23_417_113 },
    encoding: [{
      encodedSpace: { matrixSize: { x: msize, y: msize, z: 1 }, fieldOfView_mm: { x: fovCm * 10, y: fovCm * 10, z: 8 } },
      reconSpace: { matrixSize: { x: msize, y: msize, z: 1 }, fieldOfView_mm: { x: fovCm * 10, y: fovCm * 10, z: 8 } },
      encodingLimits: {
        kspace_encoding_step_1: { minimum: 0, maximum: o.interleaves - 1, center: 0 },
        repetition: { minimum: 0, maximum: Math.ceil(nArms / o.interleaves) - 1, center: 0 },
        slice: { minimum: 0, maximum: 0, center: 0 },
      },
      trajectory: 'spiral',
    }],
    sequenceParameters: { TR: [trMs], TE: [0.6], flipAngle_deg: [15] },
    userParameters: {
      userParameterLong: [{ name: 'BitsStored', value: 12 }],
      userParameterString: [{ name: 'tSequenceVariant', value: hash }],
    },
    ...(options.ecg || options.pilotTone ? {
      waveformInformation: [
        ...(options.ecg ? [{ waveformName: 'ECG', waveformType: 'ecg' as const }] : []),
        ...(options.pilotTone ? [{ waveformName: 'PilotTone', waveformType: 'other' as const }] : []),
      ],
    } : {}),
  };

  if (existsSync(output) && !options.force) throw new OutputFileError(output, 'file exists; use --force to replace it or -o to choose another file', 'EEXIST');
  await checkOutputPath(output);
  const metaFolders = await prepareOutputFolder(metaDir, metafile);
  const metafileReused = sameMatVariables(metafile, metaBytes);
  const metafileCreated = !existsSync(metafile);
  // A failed run leaves neither the metafile it created nor an empty seq_meta/ it created.
  const undoMetafile = async () => {
    if (metafileCreated) removeQuietly(metafile);
    await removeCreatedFolders(metaFolders);
  };
  if (!metafileReused) {
    if (!metafileCreated && !options.force) {
      throw new OutputFileError(metafile, 'a different metafile of the same sequence hash exists; use --force to replace it or --metafile-dir to write elsewhere', 'EEXIST');
    }
    try {
      await writeFileAtomic(metafile, metaBytes, { overwrite: options.force ?? false });
    } catch (e) {
      await removeCreatedFolders(metaFolders);
      throw e;
    }
  }
  let writer: MrdWriter;
  try {
    writer = await MrdWriter.create(output, { group, overwrite: options.force ?? false, atomic: true });
  } catch (e) {
    await undoMetafile();
    throw asOutputError(output, e);
  }
  try {
    await writer.writeHeader(serializeIsmrmrdHeader(header));
    const model = new CoilModel(coils, o.fov);
    const el = staticEllipses(o.fov);
    const resM = o.fov / msize;
    const scale = 1 / (resM * resM * msize);
    const noise = new GaussianNoise(seed);
    const sigma = options.noiseLevel ?? 0.05;
    const staticCache = new Map<number, Float64Array>();
    const armKx = (a: number) => set.kx.subarray(a * S, (a + 1) * S);
    const armKy = (a: number) => set.ky.subarray(a * S, (a + 1) * S);
    const tick = 2.5; // ms per time-stamp tick
    let lastTrigger = 0;
    const batch: Acquisition[] = [];
    for (let j = 0; j < nArms; j++) {
      const a = j % o.interleaves;
      let st = staticCache.get(a);
      if (st === undefined) {
        st = staticTermTransforms(el, model, armKx(a), armKy(a));
        staticCache.set(a, st);
      }
      // the arm's k-space centre is sampled at its start: motion state at the start of the readout
      const t = (j * trMs) / 1000;
      const mo = motionAt(motion, t, o.fov);
      const heart = heartEllipse(motion, o.fov, mo.heartScale);
      const data = new Float32Array(2 * coils * NS);
      armCoilData(model, st, armKx(a), armKy(a), heart, mo.dy, scale, data, preDiscard, NS);
      if (sigma > 0) for (let i = 0; i < data.length; i++) data[i] += sigma * noise.nextNormal();
      const head = emptyAcquisitionHeader();
      head.version = 1;
      head.scan_counter = j + 1;
      head.number_of_samples = NS;
      head.active_channels = coils;
      head.available_channels = coils;
      head.sample_time_us = o.dt * 1e6;
      head.trajectory_dimensions = 0;
      head.read_dir = [1, 0, 0];
      head.phase_dir = [0, 1, 0];
      head.slice_dir = [0, 0, 1];
      head.acquisition_time_stamp = Math.round((j * trMs) / tick);
      const period = 1 / motion.cardiacHz;
      lastTrigger = Math.floor(t / period) * period;
      head.physiology_time_stamp = [Math.round(((t - lastTrigger) * 1000) / tick), 0, 0];
      head.idx.kspace_encode_step_1 = a;
      head.idx.repetition = Math.floor(j / o.interleaves);
      let flags = 0n;
      if (j === 0) flags |= 1n << BigInt(AcquisitionFlag.FIRST_IN_SLICE - 1);
      if (j === nArms - 1) flags |= 1n << BigInt(AcquisitionFlag.LAST_IN_SLICE - 1);
      head.flags = flags;
      batch.push({ head, traj: new Float32Array(0), data });
      if (batch.length >= 64 || j === nArms - 1) {
        await writer.appendAcquisitions(batch.splice(0));
        options.onProgress?.(j + 1, nArms);
      }
    }
    const durationS = (nArms * trMs) / 1000;
    if (options.ecg) await writer.appendWaveforms(ecgWaveforms(motion, durationS));
    if (options.pilotTone) await writer.appendWaveforms([pilotToneWaveform(motion, nArms, trMs, o.fov)]);
    await writer.close();
  } catch (e) {
    await writer.abandon().catch(() => undefined);
    await undoMetafile();
    throw asOutputError(output, e);
  }
  return { output, group, metafile, metafileReused, hash, design, msize, trMs, arms: nArms, seed, motion };
}

/** The folder (beside the output) the metafile goes to by default: the recons' default metafile_paths. */
const DEFAULT_METAFILE_FOLDER = 'seq_meta';

/** Whether `path` is a MAT file with exactly these variables (the 116-byte header text, with its date, aside). */
function sameMatVariables(path: string, bytes: Uint8Array): boolean {
  let old: Buffer;
  try {
    old = readFileSync(path);
  } catch {
    return false;
  }
  return old.length === bytes.length && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(116).equals(old.subarray(116));
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

const OFFSET = 2 ** 31;

/** ECG: waveform_id 0, 5 channels (4 leads + trigger on channel 4), 400 Hz, 100 ms chunks; R-peaks at the start of each cardiac cycle. */
export function ecgWaveforms(m: MotionOptions, durationS: number): Waveform[] {
  const dtS = 2.5e-3, chunk = 40;
  const n = Math.ceil(durationS / dtS);
  const period = 1 / m.cardiacHz;
  const out: Waveform[] = [];
  for (let c0 = 0; c0 < n; c0 += chunk) {
    const len = Math.min(chunk, n - c0);
    const data = new Uint32Array(5 * len);
    for (let i = 0; i < len; i++) {
      const t = (c0 + i) * dtS;
      const phase = (t % period) / period;
      const qrs = Math.exp(-(((phase < 0.5 ? phase : phase - 1) / 0.02) ** 2)); // R wave at phase 0
      const twave = 0.3 * Math.exp(-(((phase - 0.35) / 0.06) ** 2));
      const v = Math.round(2048 + 1500 * qrs + 400 * twave);
      for (let ch = 0; ch < 4; ch++) data[ch * len + i] = v + ch;
      const prev = (c0 + i - 1) * dtS;
      data[4 * len + i] = c0 + i > 0 && Math.floor(t / period) !== Math.floor(prev / period) ? 1 : c0 + i === 0 ? 1 : 0;
    }
    const head = emptyWaveformHeader();
    head.version = 1;
    head.waveform_id = 0;
    head.channels = 5;
    head.number_of_samples = len;
    head.sample_time_us = dtS * 1e6;
    head.time_stamp = Math.round((c0 * dtS * 1000) / 2.5);
    head.scan_counter = out.length + 1;
    out.push({ head, data });
  }
  return out;
}

/** Pilot tone: waveform_id 1025, one sample per TR, the reference's channel layout (see the file header). */
export function pilotToneWaveform(m: MotionOptions, nArms: number, trMs: number, fov: number): Waveform {
  const data = new Uint32Array(5 * nArms);
  const period = 1 / m.cardiacHz;
  for (let j = 0; j < nArms; j++) {
    const t = (j * trMs) / 1000;
    const mo = motionAt(m, t, fov);
    data[j] = Math.round(OFFSET + 1e5 * (mo.dy / (fov / 2)) / Math.max(m.respAmplitude, 1e-9));
    data[nArms + j] = Math.round(OFFSET + 1e5 * (mo.heartScale - 1));
    const prev = ((j - 1) * trMs) / 1000;
    const trig = j === 0 || Math.floor(t / period) !== Math.floor(prev / period);
    data[2 * nArms + j] = trig ? OFFSET + 1 : OFFSET;
    data[3 * nArms + j] = OFFSET;
    // steepest contraction: a quarter period after the trigger
    const tq = t - period / 4, pq = prev - period / 4;
    data[4 * nArms + j] = j > 0 && tq >= 0 && Math.floor(tq / period) !== Math.floor(pq / period) ? OFFSET + 1 : OFFSET;
  }
  const head = emptyWaveformHeader();
  head.version = 1;
  head.waveform_id = 1025;
  head.channels = 5;
  head.number_of_samples = nArms;
  head.sample_time_us = trMs * 1000;
  head.time_stamp = 0;
  head.scan_counter = 1;
  return { head, data };
}
