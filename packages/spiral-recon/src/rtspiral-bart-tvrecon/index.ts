/**
 * The `rtspiral_bart_tvrecon` module: iterative temporal finite difference (TFD) recon of a
 * real-time spiral stream, as the reference's rtspiral_bart_tvrecon.py (README section 3.2).
 *
 * Per session: the config (./config.ts); the metafile of the sequence hash; the trajectory of
 * all stored arms (kx columns, as the reference) as unique angles, scaled to
 * msize = int(fov_oversampling * 10 * fov / resolution), optionally GIRF-corrected on the first
 * readout (the reference passes the GIRF call's arguments in the wrong position and crashes
 * whenever apply_girf is true; here the part-1 correction is used) and halved when the readouts
 * come without their 2x oversampling. All arms are buffered (after pre_discard; arm trajectory =
 * arm counter mod repetitions); waveforms are kept and echoed back after the images.
 *
 * Then: frames of `arms_per_frame` consecutive arms, min(num_recon_frames, arms / arms_per_frame)
 * of them (fewer than configured: a warning, not the reference's reshape crash); coil maps
 * (native: nlinv computed natively as BART 0.8 nlinv, see @mrd-tools/core/nlinv, because the
 * reference's maps are BART nlinv's and the TV images depend on them: the native maps agree with
 * BART's to 0.03 % in the object, while Sobolev or Inati maps, still available on request from
 * @mrd-tools/core/iterative coil-maps, moved the whole recon 8-13 % from the bart backend's; bart:
 * the reference's nlinv pipeline); the data scale from frames 5 .. frames per chunk (the reference's
 * estimate_scale_bart); the TV solve per chunk of frames with 3 frames of overlap on the inner
 * sides, lambda = reg_lambda * frames per chunk, the reference's pics options
 * `-m -w <scale> -e -S -R T:1024:1024:<lambda> -i <num_iter>` (native: the same ADMM problem, A^H A by
 * the Toeplitz embedding as BART's nufft, docs/numerics.md, and
 * iteration, joint temporal TV per pixel). When the frames do not divide into chunks the last
 * chunk takes the remainder (the reference logs an error and drops them). The chunks are
 * independent solves: with more chunks than threads, all but the smallest run side by side on
 * the pool, one thread each, the smallest over all threads (the same images at any thread count).
 *
 * Output per frame: the magnitude flipped/transposed as the reference, scaled to BitsStored
 * (per-frame maximum, numpy rounding), int16; header from the first readout with
 * kspace_encode_step_1 = 0 (the reference takes the last such readout, whose time stamp is late;
 * the first is the intent), image_index = repetition = frame index from 0, acquisition_time_stamp
 * = first time stamp + int(frame * arms_per_frame * TR[ms] / 2.5) (2.5 ms ticks), the
 * reconSpace field of view; meta DataRole, ImageProcessingHistory [FIRE, PYTHON], WindowCenter
 * (maxVal+1)/2, WindowWidth maxVal+1, ImageRowDir/ImageColumnDir.
 */
import { DataType } from '@mrd-tools/core/constants';
import { logModuleConfig, type ModuleConfig } from '@mrd-tools/recon-api/module';
import { ProgressReport } from '@mrd-tools/recon-api/progress';
import { standardImageMeta } from '@mrd-tools/recon-api/image-header';
import { getUserParameterLong, type IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { logger } from '@mrd-tools/core/logging';
import type { Acquisition, Waveform } from '@mrd-tools/core/messages';
import type { MrdConnection } from '@mrd-tools/core/connection';
import { getFftEngine, type FftEngine } from '@mrd-tools/recon-kernels/fft';
import { numericsThreads } from '@mrd-tools/recon-api/threads';
import type { ArmSamples } from '@mrd-tools/recon-kernels/mri/coil-maps';
import { Bart } from '../bart/runner.js';
import type { GirfTable } from '@mrd-tools/recon-kernels/mri/girf';
import { DEFAULT_BITS_STORED, maxValueForBitsStored, roundHalfEven } from '@mrd-tools/recon-kernels/image';
import { imageHeaderFromArray } from '@mrd-tools/recon-api/image-header';
import { configSearchPath } from '../config.js';
import {
  findMetafile, prepareSpiralTrajectory, readSpiralMetafile, sequenceHash, type SpiralMetafile, type SpiralTrajectory,
} from '../metafile.js';
import { firstReadoutTrajectory, loadConfiguredGirf, spiralHeader } from '../session-setup.js';
import { loadTvReconConfig, type TvReconConfig } from './config.js';
import {
  bartCoilMaps, bartDataScale, bartPics, nativeCoilMaps, nativeDataScale, nativeSolve, referenceOrientation, type ArmGroup, type NativeCoilMapMethod, type SpiralArms,
} from './series.js';

export class TvReconError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TvReconError';
  }
}

export interface TvReconOptions {
  configSearchPath?: string[];
  cwd?: string;
  /** least time between progress lines within a stage (default DEFAULT_PROGRESS_INTERVAL_MS) */
  progressIntervalMs?: number;
}

/** The reference's chunks: [start, end) solved, [keepStart, keepEnd) kept (3-frame overlaps). */
export interface FrameChunk {
  start: number;
  end: number;
  keepStart: number;
  keepEnd: number;
}

const CHUNK_OVERLAP = 3;

export function frameChunks(frames: number, chunks: number): FrameChunk[] {
  const n = Math.max(1, Math.min(chunks, frames));
  const per = Math.floor(frames / n);
  const out: FrameChunk[] = [];
  for (let i = 0; i < n; i++) {
    const keepStart = i * per, keepEnd = i === n - 1 ? frames : (i + 1) * per;
    out.push({ keepStart, keepEnd, start: Math.max(0, i === 0 ? 0 : keepStart - CHUNK_OVERLAP), end: Math.min(frames, i === n - 1 ? frames : keepEnd + CHUNK_OVERLAP) });
  }
  return out;
}

export interface TfdInput {
  series: SpiralArms;
  arms: readonly ArmSamples[];
  armsPerFrame: number;
  frames: number;
  chunks: number;
  regLambda: number;
  iterations: number;
  backend: 'native' | 'bart';
  bart?: Bart;
  /** nlinv iterations (both backends; the reference's 13) */
  nlinvIterations?: number;
  /** native backend's coil maps: 'nlinv' (default), 'sobolev' or 'inati' */
  coilMaps?: NativeCoilMapMethod;
  /** where progress goes: stages, chunk, iteration k of N, elapsed, estimate (see ProgressReport) */
  progress?: ProgressReport;
  /** threads of the native coil maps (over coils) and TV solve (over frames) on the worker pool; default 1: this thread only */
  threads?: number;
  /** native TV solve: A^H A by the Toeplitz embedding (default true; false: a NUFFT pair per CG step) */
  toeplitz?: boolean;
}

/** Awaits `work`, with progress lines while it runs when there is a report (a BART process). */
export function reportedWhile<T>(report: ProgressReport | undefined, work: Promise<T>, what: string): Promise<T> {
  return report ? report.during(work, what) : work;
}

/** The TFD recon of `frames` frames: [frame][a][b] complex (a = trajectory coordinate 0). */
export async function reconstructTfd(fft: FftEngine, p: TfdInput): Promise<{ images: Float32Array; scale: number; maps: Float32Array }> {
  const { series: s, armsPerFrame: apf, frames } = p;
  const report = p.progress;
  const used = p.arms.slice(0, frames * apf);
  const groups: ArmGroup[] = Array.from({ length: frames }, (_, f) => used.slice(f * apf, (f + 1) * apf));
  const bart = p.backend === 'bart' ? p.bart ?? (await Bart.locate()) : undefined;
  const nlinvIterations = p.nlinvIterations ?? 13;
  report?.stage('coil maps', `${bart ? 'bart nlinv' : p.coilMaps ?? 'nlinv'}, ${used.length} arms`);
  const maps = bart
    ? await reportedWhile(report, bartCoilMaps(bart, s, used, nlinvIterations), 'bart nlinv')
    : await nativeCoilMaps(fft, s, used, p.coilMaps, nlinvIterations, (d, t) => report?.update(d / t, `Newton step ${d} of ${t}`), p.threads ?? 1);
  const chunks = frameChunks(frames, p.chunks);
  const perChunk = chunks[0].keepEnd - chunks[0].keepStart;
  const scaleGroups = perChunk > 5 ? groups.slice(5, perChunk) : groups.slice(0, perChunk);
  const scale = bart ? await bartDataScale(bart, s, scaleGroups, maps) : nativeDataScale(fft, s, scaleGroups, maps);
  logger.info(`TFD: ${frames} frames of ${apf} arms, ${chunks.length} chunk(s), data scale ${scale}, backend ${p.backend}${bart ? '' : `, ${p.threads ?? 1} thread(s)`}`);
  const lambda = p.regLambda * perChunk;
  const npix = s.msize * s.msize;
  const images = new Float32Array(2 * frames * npix);
  report?.stage('TV solve', `${frames} frames in ${chunks.length} chunk(s), ${p.iterations} CG steps each`);
  // each chunk's share of the stage done (a chunk whose CG stopped early counts whole when it ends)
  const done = new Array<number>(chunks.length).fill(0);
  const solveChunk = async (ci: number, oneWorker: boolean): Promise<void> => {
    const c = chunks[ci];
    const g = groups.slice(c.start, c.end);
    const where = `chunk ${ci + 1} of ${chunks.length}`;
    const x = bart
      ? await reportedWhile(report, bartPics(bart, `-g -m -w ${scale} -e -S -R T:1024:1024:${lambda} -d 4 -i ${p.iterations}`, s, g, maps, { 10: g.length }), `${where}, bart pics`)
      : await nativeSolve(fft, s, g, maps, [g.length], [{ axis: 0, lambda, joint: [0] }], p.iterations, scale, (d, t) => {
        done[ci] = Math.min(1, d / t);
        report?.update(done.reduce((a, b) => a + b, 0) / chunks.length, `${where}, CG step ${Math.min(d, t)} of ${t}`);
      }, threads, p.toeplitz ?? true, oneWorker);
    done[ci] = 1;
    images.set(x.subarray(2 * (c.keepStart - c.start) * npix, 2 * (c.keepEnd - c.start) * npix), 2 * c.keepStart * npix);
  };
  // Native, more chunks than threads: all chunks but the smallest solved side by side, each whole
  // on one pool thread (no synchronisation per CG step), handed out largest first (the pool
  // gives each to the first free thread), then the smallest on all threads split over its frames.
  // Every chunk's solution is the single-thread one, so the images do not depend on the thread
  // count.
  const threads = p.threads ?? 1;
  if (!bart && threads > 1 && chunks.length - 1 >= threads) {
    const bySize = chunks.map((c, ci) => ({ ci, frames: c.end - c.start })).sort((a, b) => b.frames - a.frames || a.ci - b.ci).map((c) => c.ci);
    await Promise.all(bySize.slice(0, -1).map((ci) => solveChunk(ci, true)));
    await solveChunk(bySize[bySize.length - 1], false);
  } else {
    for (let ci = 0; ci < chunks.length; ci++) await solveChunk(ci, false);
  }
  return { images, scale, maps };
}

/**
 * The progress report of a recon module's session: lines logged at INFO and sent to the client
 * as INFO text messages, at most every `intervalMs` within a stage.
 */
export function sessionProgress(module: string, connection: MrdConnection, intervalMs = DEFAULT_PROGRESS_INTERVAL_MS): ProgressReport {
  return new ProgressReport({
    label: module,
    intervalMs,
    sink: (line) => {
      logger.info(line);
      connection.sendLogging('INFO', line).catch(() => undefined);
    },
  });
}

/** Least time between two progress lines of a stage (a long recon is heard from every few seconds). */
const DEFAULT_PROGRESS_INTERVAL_MS = 5000;

/** The reference's int16 frame: |img| oriented, times maxVal / max, numpy rounding. */
function int16Frame(images: Float32Array, frame: number, m: number, maxVal: number): Int16Array {
  const mag = referenceOrientation(images, 2 * frame * m * m, m);
  let max = 0;
  for (let i = 0; i < mag.length; i++) if (mag[i] > max) max = mag[i];
  const k = max > 0 ? maxVal / max : 0;
  const out = new Int16Array(mag.length);
  for (let i = 0; i < mag.length; i++) out[i] = roundHalfEven(mag[i] * k);
  return out;
}


/**
 * The metafile with all its stored arms as unique angles (the TFD reference uses kx[:, :], every
 * column, and cycles the arm counter over param.repetitions, which in its metafiles is that
 * column count; here the column count itself, so metafiles whose `repetitions` counts passes
 * still cycle over the stored angles).
 */
export function allArmsMetafile(meta: SpiralMetafile): SpiralMetafile {
  return { ...meta, param: { ...meta.param, interleaves: meta.arms } };
}

/** Buffers a spiral session: arms after pre_discard with their angle, the first-readout trajectory fixes, waveforms. */
export interface BufferedSession {
  series: SpiralArms;
  arms: ArmSamples[];
  waveforms: Waveform[];
  first: Acquisition;
  /** per arm: acquisition_time_stamp and physiology stamps (for binning) */
  stamps: Uint32Array;
}

export async function bufferSpiralSession(
  connection: MrdConnection, fft: FftEngine, h: IsmrmrdHeader, meta: SpiralMetafile, fovOversampling: number, girf: GirfTable | undefined,
  onAcquisition?: (acq: Acquisition) => void,
): Promise<BufferedSession> {
  let traj: SpiralTrajectory = prepareSpiralTrajectory(meta, fovOversampling);
  let preDiscard = Math.trunc(meta.param.pre_discard);
  const arms: ArmSamples[] = [];
  const waveforms: Waveform[] = [];
  const stamps: number[] = [];
  let first: Acquisition | undefined, grp: Acquisition | undefined;
  let ncoils = 0, counter = 0;
  for await (const item of connection) {
    if (item.type === 'waveform') { waveforms.push(item.waveform); continue; }
    if (item.type !== 'acquisition') continue;
    const acq = item.acquisition, head = acq.head;
    if (first === undefined) {
      first = acq;
      ncoils = head.active_channels;
      ({ traj, preDiscard } = firstReadoutTrajectory(fft, h, meta, traj, preDiscard, girf, head));
    }
    if (grp === undefined && head.idx.kspace_encode_step_1 === 0) grp = acq;
    onAcquisition?.(acq);
    const S = traj.samples, ns = head.number_of_samples;
    if (head.active_channels !== ncoils) throw new TvReconError(`readout ${head.scan_counter} has ${head.active_channels} channels, the first had ${ncoils}`);
    if (ns - preDiscard !== S) throw new TvReconError(`readout ${head.scan_counter} has ${ns} samples; the metafile ${meta.path} needs pre_discard ${preDiscard} + ${S}`);
    const d = new Float32Array(2 * ncoils * S);
    for (let c = 0; c < ncoils; c++) d.set(acq.data.subarray(2 * (c * ns + preDiscard), 2 * (c * ns + ns)), 2 * c * S);
    arms.push({ data: d, angle: counter });
    stamps.push(head.acquisition_time_stamp);
    counter = (counter + 1) % traj.arms;
  }
  if (first === undefined) throw new TvReconError('no readouts arrived: nothing to reconstruct');
  return {
    series: { uniqueCoord: traj.coord, samples: traj.samples, w: traj.w, ncoils, msize: traj.msize },
    arms, waveforms, first: grp ?? first, stamps: Uint32Array.from(stamps),
  };
}

export async function process(connection: MrdConnection, config: ModuleConfig, header: unknown, options: TvReconOptions = {}): Promise<void> {
  logModuleConfig(config);
  const cwd = options.cwd ?? globalThis.process.cwd();
  const search = options.configSearchPath ?? configSearchPath(cwd);
  const loaded = loadTvReconConfig(search);
  const cfg: TvReconConfig = loaded.config;
  if (loaded.path) logger.info(`Using the configuration at ${loaded.path}`);
  else logger.warning(`rtspiral_bart_tvrecon_config.toml not found in ${search.join(', ')}: using the defaults`);
  const rc = cfg.reconstruction;
  const h = spiralHeader(header, 'rtspiral_bart_tvrecon', TvReconError);
  if (rc.num_recon_frames % rc.num_chunks !== 0) logger.warning(`num_recon_frames ${rc.num_recon_frames} is not divisible by num_chunks ${rc.num_chunks}: the last chunk takes the remainder`);
  // BART first: a missing executable is reported before the data are buffered
  const bart = rc.backend === 'bart' ? await Bart.locate(rc.BART_TOOLBOX_PATH || undefined) : undefined;
  const girf = rc.apply_girf ? loadConfiguredGirf(cfg.girf_file, cwd, TvReconError) : undefined;
  const hash = sequenceHash(h);
  const meta = allArmsMetafile(readSpiralMetafile(findMetafile(hash, cfg.metafile_paths, cwd)));
  logger.info(`Loading metafile ${hash} from ${meta.path}`);
  const fft = await getFftEngine();
  const t0 = performance.now();
  const report = sessionProgress('rtspiral_bart_tvrecon', connection, options.progressIntervalMs);
  report.stage('receiving data');
  const session = await bufferSpiralSession(connection, fft, h, meta, rc.fov_oversampling, girf);
  logger.info(`Acquiring the data took ${((performance.now() - t0) / 1000).toFixed(2)} s (${session.arms.length} arms)`);
  const apf = rc.arms_per_frame;
  const available = Math.floor(session.arms.length / apf);
  if (available === 0) throw new TvReconError(`${session.arms.length} arms arrived, fewer than arms_per_frame ${apf}: no frame to reconstruct`);
  let frames = rc.num_recon_frames;
  if (available < frames) {
    logger.warning(`num_recon_frames ${frames} needs ${frames * apf} arms but ${session.arms.length} arrived: reconstructing ${available} frames`);
    frames = available;
  }
  const { images } = await reconstructTfd(fft, {
    series: session.series, arms: session.arms, armsPerFrame: apf, frames, chunks: rc.num_chunks,
    regLambda: rc.reg_lambda, iterations: rc.num_iter, backend: rc.backend, bart, progress: report,
    threads: rc.threads ?? numericsThreads(),
  });
  report.finish(`reconstruction of ${frames} frames finished, sending them`);
  const bits = getUserParameterLong(h, 'BitsStored') ?? DEFAULT_BITS_STORED;
  const maxVal = maxValueForBitsStored(bits);
  const m = session.series.msize;
  const fov = h.encoding[0].reconSpace.fieldOfView_mm;
  const tr = h.sequenceParameters?.TR?.[0] ?? 0;
  if (!(tr > 0)) logger.warning('sequenceParameters TR missing: all frames get the first time stamp');
  const startStamp = session.first.head.acquisition_time_stamp;
  for (let f = 0; f < frames; f++) {
    const data = int16Frame(images, f, m, maxVal);
    const head = imageHeaderFromArray({ dataType: DataType.SHORT, channels: 1, x: m, y: m, z: 1 }, session.first.head);
    head.acquisition_time_stamp = (startStamp + Math.trunc((f * apf * tr) / 2.5)) >>> 0;
    head.image_index = f;
    head.repetition = f;
    head.field_of_view = [Math.fround(fov.x), Math.fround(fov.y), Math.fround(fov.z)];
    await connection.sendImage({ head, attribute: standardImageMeta(head, maxVal), data });
  }
  for (const wf of session.waveforms) await connection.sendWaveform(wf);
  logger.info('Reconstruction is finished.');
}
