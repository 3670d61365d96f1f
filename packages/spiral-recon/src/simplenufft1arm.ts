/**
 * The `simplenufft1arm` module: real-time spiral view sharing as the reference's
 * simplenufft1arm.py (README section 3.1), on the CPU.
 *
 * Per session: the config `rtspiral_vs_config.toml` is read (./config.ts); the sequence hash
 * (first 32 characters of tSequenceVariant) names the metafile `<hash>.mat` in `metafile_paths`;
 * the first `param.interleaves` arms of kx/ky are scaled to the matrix
 * int(fov_oversampling * 10 * fov / spatial_resolution). On the first readout the trajectory is
 * optionally GIRF-corrected (apply_girf, girf_file, the readout's direction cosines and the
 * header's patient position, receiver delay 3 us) and halved when the readouts arrive without
 * their 2x oversampling.
 *
 * Per readout (arm): the samples after pre_discard, times the metafile's density weights, are
 * gridded (Kaiser-Bessel, SigPy conventions) onto the oversampled grid of its block; the arm's
 * trajectory is arm counter mod interleaves. When scan_counter is a multiple of window_shift and
 * at least arms_per_frame, the arms gridded since the last shift-out form a frame (as in the
 * reference, a frame holds every arm since the previous removal: ceil(arms_per_frame /
 * window_shift) * window_shift arms in the steady state). By linearity the frame is the sum of
 * per-block images (a block = window_shift consecutive arms, the unit the reference shifts out):
 * each block's grid is transformed once, when it completes, and added to a running image sum;
 * the frame image (the same as summing per-arm adjoint NUFFTs as the reference does) is
 * coil-combined (root sum of squares, or Inati maps computed from the first frame of each slice
 * with coil_combine = "adaptive", see below), flipped as the reference, and sent: int16
 * magnitude scaled to BitsStored with WindowCenter/WindowWidth from the 1st/99th percentiles,
 * NumArmsPerFrame, GriddingWindowShift, ImageScaleFactor, ImageRowDir/ColumnDir; or with
 * save_complex the unscaled complex image. Then the oldest window_shift arms (the oldest block) are subtracted
 * from the sum (float32: add-then-subtract leaves ~1e-7 of the image per block, a random walk far
 * below the int16 quantisation even over 10^5 arms). Each arm is gridded once.
 *
 * The frame path (the 14 ms budget): the grid, the block images and their sum are the
 * view-sharing window of recon-kernels (`ViewSharingWindow`), split over coils between this
 * thread and a pool of the session's own of threads - 1 (MRD_TOOLS_THREADS / --threads; its
 * threads boot at set-up and warm up on a dummy step while the first arms are gridded here, then on
 * the coil combination's kernels, as this thread does), and
 * the magnitude coil combination is split over pixels the same way; only the arm that completes a
 * block (and a frame with an incomplete block) is split, arms in between are gridded here. The
 * frame path's large buffers are allocated once per session (the image message's data excepted). The pool's
 * tasks of a block-completing step, and of the frame's combination when that arm forms a frame,
 * are posted after the arm before it and wait for it (off the frame's latency). Per coil and per pixel the arithmetic is the single-thread one, so
 * the frames are the same bytes at any thread count (threads 1: no pool). See docs/numerics.md.
 * image_index counts frames from 1; repetition counts frames per slice (reset when the slice
 * changes); the image header is taken from the frame's last arm.
 *
 * Adaptive maps off the frame path (async_coil_maps, the default when the numerics may use more
 * than one thread): the maps are estimated from the same frame as the reference's (the first of
 * each slice), but on a worker thread of the session's own at a background priority (coilMapsPool:
 * it yields its core to the frame threads; its thread starts with the estimate, after the first
 * frame is sent: nothing of it competes with the session's first arms), while frames keep
 * being gridded and sent. While an arm is on the frame path (it completes a block or a frame, until
 * the frame is sent) the session holds a PauseGate: the estimate waits at its next
 * checkpoint, off the CPU, and run in the idle time between frames (released while a frame waits
 * for the maps under max_frames_before_maps). Until they are there, a frame of that slice is combined by root sum of squares (magnitude images; the same
 * image as coil_combine = "rssq"), or, with save_complex, with spatially constant coil weights
 * (the normalised coil sums Inati's iteration starts from), so the series keeps its data type.
 * The maps are taken up at a frame boundary and used by every later frame of the slice: those
 * frames are the synchronous path's, bit for bit (same input frame, same code in the worker).
 * Maps of another slice are never used. max_frames_before_maps = n > 0 bounds the frames of a
 * slice that go without maps (the next one waits for them: a stall, but a guarantee); 0, the
 * default, never makes a frame wait. With threads 1 (mrd-server --threads 1) or
 * async_coil_maps = false, the maps are computed on the frame path as the reference does (the
 * first frame of a slice then takes as long as the estimate). See docs/numerics.md.
 *
 * With save_raw the incoming readouts and waveforms are also recorded (./raw-recorder.ts).
 *
 * Differences from the reference, deliberate: the GIRF and oversampling checks run on the first
 * readout rather than only when its scan_counter is 1; waveforms are accepted and ignored (the
 * reference collects them and sends nothing either); a config key missing from the file takes
 * its documented default instead of crashing the session.
 */
import { DataType } from '@mrd-tools/core/constants';
import { MetaAttributes, formatPythonComplex, formatPythonFixed, formatPythonFloat, serializeMeta } from '@mrd-tools/core/meta';
import { getUserParameterLong } from '@mrd-tools/core/xml-header';
import { logger } from '@mrd-tools/core/logging';
import type { Acquisition, Image } from '@mrd-tools/core/messages';
import type { ModuleConfig } from '@mrd-tools/recon-api/module';
import type { MrdConnection } from '@mrd-tools/core/connection';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { Nufft, type SharedGrid } from '@mrd-tools/recon-kernels/nufft';
import {
  cancelPreparedMagnitude, coilMapsPool, coilSumWeights, combineMagnitudeOnPool, prepareMagnitudeOnPool, runPreparedMagnitude, type PreparedMagnitudeCombine, combineWithCoilWeightsComplex, combineWithMapsComplex, inatiCoilMaps, inatiCoilMapsOnPool, rootSumOfSquares,
  MagnitudeInt16Frame, warmMagnitudeCombine,
} from '@mrd-tools/recon-kernels/mri/coil-combine';
import { PauseGate, ReconPool, sharedFloat32, workerScript } from '@mrd-tools/recon-kernels/pool';
import { ViewSharingWindow } from '@mrd-tools/recon-kernels/view-sharing';
import { numericsThreads } from '@mrd-tools/recon-api/threads';
import { DEFAULT_BITS_STORED, maxValueForBitsStored } from '@mrd-tools/recon-kernels/image';
import { logModuleConfig } from '@mrd-tools/recon-api/module';
import { imageHeaderFromArray } from '@mrd-tools/recon-api/image-header';
import { configSearchPath, loadRtSpiralVsConfig } from './config.js';
import {
  findMetafile, prepareSpiralTrajectory, readSpiralMetafile, sequenceHash,
} from './metafile.js';
import { firstReadoutTrajectory, loadConfiguredGirf, spiralHeader } from './session-setup.js';
import { int16Percentiles, percentilesFromCounts } from './percentile.js';
import { RawRecorder } from './raw-recorder.js';

class SimpleNufft1ArmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimpleNufft1ArmError';
  }
}

/** Options for tests and benchmarks: the config search path, a timing hook. */
export interface SimpleNufft1ArmOptions {
  configSearchPath?: string[];
  cwd?: string;
  /** called after each frame is sent: frame number (1-based), ms from the frame's last readout arriving to the image sent */
  onFrame?: (frame: number, latencyMs: number) => void;
  /**
   * called when the adaptive maps estimated from frame `fromFrame` (the first of a slice) are
   * computed (asynchronous maps: when the pool delivers them; synchronous: at once)
   */
  onCoilMaps?: (fromFrame: number) => void;
}

export async function process(connection: MrdConnection, config: ModuleConfig, header: unknown, options: SimpleNufft1ArmOptions = {}): Promise<void> {
  logModuleConfig(config);
  const cwd = options.cwd ?? globalThis.process.cwd();
  const loaded = loadRtSpiralVsConfig(options.configSearchPath ?? configSearchPath(cwd));
  const cfg = loaded.config;
  if (loaded.path) logger.info(`Using the configuration at ${loaded.path}`);
  else logger.warning(`rtspiral_vs_config.toml not found in ${(options.configSearchPath ?? configSearchPath(cwd)).join(', ')}: using the defaults`);
  if (loaded.path && loaded.defaulted.length > 0) logger.info(`Config keys not set, defaults used: ${loaded.defaulted.join(', ')}`);
  const rc = cfg.reconstruction;
  let armsPerFrame = rc.arms_per_frame;
  let windowShift = rc.window_shift;
  const h = spiralHeader(header, 'simplenufft1arm', SimpleNufft1ArmError);
  const girf = rc.apply_girf ? loadConfiguredGirf(cfg.girf_file, cwd, SimpleNufft1ArmError) : undefined;
  const hash = sequenceHash(h);
  const meta = readSpiralMetafile(findMetafile(hash, cfg.metafile_paths, cwd));
  logger.info(`Loading metafile ${hash} from ${meta.path}`);
  logger.info(`Arms per frame: ${armsPerFrame}, window shift: ${windowShift}, FOV oversampling: ${rc.fov_oversampling}, apply GIRF: ${rc.apply_girf}, coil combine: ${rc.coil_combine}, save complex: ${rc.save_complex}`);
  if (rc.ignore_arms_per_frame) {
    armsPerFrame = meta.param.interleaves;
    windowShift = armsPerFrame;
    logger.info(`Overriding arms per frame to ${armsPerFrame} and window shift to ${windowShift}`);
  }
  let traj = prepareSpiralTrajectory(meta, rc.fov_oversampling);
  const msize = traj.msize;
  let preDiscard = Math.trunc(meta.param.pre_discard);
  const fft = await getFftEngine();
  const bits = getUserParameterLong(h, 'BitsStored') ?? DEFAULT_BITS_STORED;
  const maxVal = maxValueForBitsStored(bits);
  const fovMm = h.encoding[0].reconSpace.fieldOfView_mm;

  let plan: Nufft | undefined;
  let win: ViewSharingWindow | undefined; // grid of the current block, block images held, their sum (split over coils on the pool)
  let blockArms = 0;
  let ncoils = 0;
  let armCounter = 0, repCounter = 0, imgCounter = 1, slcCounter = 0;
  let scanTracker = 0;
  let maps: Float64Array | undefined;
  const threads = numericsThreads();
  const frameBuffers = new FrameBuffers(msize, maxVal, threads);
  // the frame path's other threads (null for threads 1): the window's steps and the coil combination run on
  // this thread and on these threads - 1, the session's own; they boot while the session sets up
  // they are handed each step's task at once (immediateHandOut), even before this thread has read their
  // answers to the last one: else a step that comes before that read (the combination right after a
  // frame's step, or arms taken without an event-loop turn when the session runs late) is queued
  // and this thread takes all its coils alone
  const framePool = threads > 1 ? new ReconPool(threads - 1, workerScript, { immediateHandOut: true }) : null;
  framePool?.start();
  // asynchronous adaptive maps (see the file header): the session's own one-thread pool at a background priority
  const pool = rc.coil_combine === 'adaptive' && rc.async_coil_maps && threads > 1 ? coilMapsPool() : null;
  // held while an arm is on the frame path (it completes a block or a frame, until the frame is
  // sent): the maps' estimate waits at its next checkpoint meanwhile, so that it
  // takes no core from the frame threads; it runs in the idle time between frames
  const mapsGate = pool !== null ? new PauseGate() : null;
  let gateHeld = false;
  let warmingFrames: Promise<void> | undefined;
  let framesWarmFailed = false;
  // the next frame's combination, its pool tasks posted ahead with the block step's (see below), or null
  let preparedCombine: PreparedMagnitudeCombine | null = null;
  // maps copied once into the window's memory, for its kernel's combination
  let mapsCopied: Float64Array | undefined;
  const combinationMaps = (m: Float64Array | undefined): Float64Array | null => {
    const k = win?.gridMemory ?? null;
    if (m === undefined || k === null) return m ?? null;
    if (mapsCopied !== m) k.maps.set((mapsCopied = m));
    return k.maps;
  };
  const cancelPreparedCombine = (): void => {
    if (preparedCombine !== null) cancelPreparedMagnitude(preparedCombine);
    preparedCombine = null;
  };
  if (rc.coil_combine === 'adaptive') {
    logger.info(pool !== null
      ? `Coil sensitivity maps: on a worker thread while frames flow; frames before they arrive (${rc.max_frames_before_maps > 0 ? `at most ${rc.max_frames_before_maps}` : 'no limit'} per slice) are combined by ${rc.save_complex ? 'constant coil weights' : 'root sum of squares'}`
      : `Coil sensitivity maps: on the frame path (${rc.async_coil_maps ? 'threads 1' : 'async_coil_maps = false'})`);
  }
  let mapsGeneration = 0; // bumped at each slice's first frame: older maps are discarded
  let pendingMaps: { generation: number; fromFrame: number; done: Promise<void>; sentAt: number; readyMs?: number; maps?: Float64Array; error?: Error } | undefined;
  let framesWithoutMaps = 0;
  let dispatchMaps = false;
  const recorder = cfg.save_raw ? await RawRecorder.create(h) : undefined;
  try {
    for await (const item of connection) {
      if (item.type === 'waveform') recorder?.waveform(item.waveform);
      if (item.type !== 'acquisition') continue; // waveforms are not reconstructed (nor sent back), as the reference
      recorder?.acquisition(item.acquisition);
      const t0 = performance.now();
      const acq: Acquisition = item.acquisition;
      const head = acq.head;
      if (head.scan_counter % 1000 === 0) logger.info(`Processing acquisition ${head.scan_counter}`);
      if (head.scan_counter === scanTracker + 1) scanTracker = head.scan_counter;
      else {
        logger.warning(`Scan counter mismatch: expected ${scanTracker + 1}, got ${head.scan_counter}`);
        scanTracker = head.scan_counter;
      }
      if (plan === undefined) {
        ncoils = head.active_channels;
        ({ traj, preDiscard } = firstReadoutTrajectory(fft, h, meta, traj, preDiscard, girf, head));
        // (the natural grid layout: the window grids the arms with its wasm kernel, which writes that
        // layout; the FFT's internal order would save the rows' reordering pass but grids slower)
        plan = Nufft.withEngine(fft, traj.coord, [msize, msize]);
        // (the maps' thread gets nothing before the first frame is sent: no warm-up on a dummy frame. The
        // session starts behind its arms (the plan above) and catches up only with both cores; a
        // warm-up then, with V8's compilation and collection of its code on threads of normal
        // priority, held the first frame back, and the cold estimate costs less than warm-up + estimate)
        // (the window weights each readout by the density per coil, on the thread that grids the coil)
        win = new ViewSharingWindow(plan, ncoils, traj.samples, framePool, { samples: head.number_of_samples, preDiscard, w: traj.w });
        frameBuffers.useGridMemory(win.gridMemory);
        // the frame threads compile on a dummy step while the first arms are gridded here (same bits)
        // then the magnitude combination's kernels, on those threads and here: the first frame with the maps
        // (several frames in) would otherwise run them cold (the same bits either way)
        warmingFrames = win.warmUp().catch((e: unknown) => { framesWarmFailed = true; logger.warning(`frame threads not used: ${e instanceof Error ? e.message : String(e)}`); })
          .then(() => (rc.save_complex ? undefined : warmMagnitudeCombine(win!.onPool ? framePool : null, ncoils, maxVal)))
          .catch((e: unknown) => logger.warning(`the coil combination's warm-up failed: ${e instanceof Error ? e.message : String(e)}`));
      }
      // while the frame threads warm up, one event-loop turn per arm: piscina hands the warm-up's
      // tasks to the threads once their start-up messages are read there, and a session behind its
      // arms (taken in microtasks only) would otherwise keep every step on this thread for as long
      // as it stays behind (the window itself sees the warm-up done without a turn: onPool)
      if (framePool !== null && !framesWarmFailed && !win!.onPool) await new Promise((r) => setImmediate(r));
      const S = traj.samples;
      if (head.active_channels !== ncoils) throw new SimpleNufft1ArmError(`readout ${head.scan_counter} has ${head.active_channels} channels, the first had ${ncoils}`);
      if (head.number_of_samples - preDiscard !== S) {
        throw new SimpleNufft1ArmError(`readout ${head.scan_counter} has ${head.number_of_samples} samples; the metafile ${meta.path} needs pre_discard ${preDiscard} + ${S}`);
      }
      // the readout, copied as it is: the window's step weights the samples after pre_discard by the density, per coil
      const rawLength = 2 * ncoils * head.number_of_samples;
      if (acq.data.length < rawLength) throw new SimpleNufft1ArmError(`readout ${head.scan_counter} has ${acq.data.length / 2} complex values for ${ncoils} channels x ${head.number_of_samples} samples`);
      win!.rawData!.set(acq.data.length === rawLength ? acq.data : acq.data.subarray(0, rawLength));
      blockArms++;
      if (mapsGate !== null && (blockArms === windowShift || (head.scan_counter % windowShift === 0 && head.scan_counter >= armsPerFrame))) {
        mapsGate.hold();
        gateHeld = true;
      }
      // gridded; when the block is complete, its image joins the sum
      await win!.addArm(armCounter * S, blockArms === windowShift);
      if (blockArms === windowShift) blockArms = 0;
      armCounter = (armCounter + 1) % traj.arms;
      if (head.idx.slice !== slcCounter) {
        repCounter = 0;
        slcCounter = head.idx.slice;
        logger.info(`Processing slice ${slcCounter} ...`);
      }
      if (head.scan_counter % windowShift === 0 && head.scan_counter >= armsPerFrame) {
        // frame = completed blocks + the arms of an incomplete block (irregular scan counters only)
        const frame = await win!.frame(blockArms > 0);
        if (rc.coil_combine === 'adaptive' && repCounter === 0) {
          if (pool === null) {
            logger.info('Calculating coil sensitivity maps...');
            maps = sharedFloat64(inatiCoilMaps(fft, frame, ncoils, msize, msize).maps); // (shared: read by the frame threads)
            options.onCoilMaps?.(imgCounter);
          } else {
            maps = undefined; // never another slice's maps
            framesWithoutMaps = 0;
            ++mapsGeneration; // a late estimate of the previous slice is dropped
            dispatchMaps = true; // once this frame is sent
          }
        }
        if (pendingMaps !== undefined && pendingMaps.generation === mapsGeneration) {
          // taken up only here, at a frame boundary; waited for when max_frames_before_maps (> 0) frames went without
          const bound = rc.max_frames_before_maps;
          if (pendingMaps.maps === undefined && pendingMaps.error === undefined && bound > 0 && framesWithoutMaps >= bound) {
            logger.warning(`Coil sensitivity maps not ready after ${framesWithoutMaps} frames: frame ${imgCounter} waits for them`);
            if (gateHeld) mapsGate!.release(); // (the estimate would wait for this frame: a deadlock)
            await pendingMaps.done;
            if (gateHeld) mapsGate!.hold();
          }
          if (pendingMaps.error !== undefined) throw new SimpleNufft1ArmError(`coil sensitivity maps on the worker thread failed: ${pendingMaps.error.message}`);
          if (pendingMaps.maps !== undefined) {
            maps = pendingMaps.maps;
            logger.info(`Coil sensitivity maps from frame ${pendingMaps.fromFrame} (ready ${Math.round(pendingMaps.readyMs ?? 0)} ms after it) used from frame ${imgCounter} on (${framesWithoutMaps} frame(s) combined without them)`);
            pendingMaps = undefined;
          }
        }
        const fallback = rc.coil_combine === 'adaptive' && maps === undefined;
        if (fallback) framesWithoutMaps++;
        const image = rc.save_complex
          ? complexFrame(frame, maps, ncoils, msize, fallback)
          : await magnitudeFrame(win!.onPool ? framePool : null, frame, combinationMaps(maps), ncoils, msize, maxVal, frameBuffers, preparedCombine);
        preparedCombine = null; // (used or cancelled by magnitudeFrame)
        const ih = imageHeaderFromArray({ dataType: image.dataType, channels: 1, x: msize, y: msize, z: 1 }, head);
        ih.image_index = imgCounter;
        ih.repetition = repCounter;
        ih.field_of_view = [Math.fround(fovMm.x), Math.fround(fovMm.y), Math.fround(fovMm.z)];
        const attrs = new MetaAttributes([
          ['DataRole', 'Image'],
          ['ImageProcessingHistory', ['FIRE', 'PYTHON', 'simplenufft1arm']],
          ['WindowCenter', image.windowCenter],
          ['WindowWidth', image.windowWidth],
          ['NumArmsPerFrame', String(rc.arms_per_frame)],
          ['GriddingWindowShift', String(rc.window_shift)],
          ...(image.scale !== undefined ? [['ImageScaleFactor', image.scale] as [string, string]] : []),
          ['ImageRowDir', ih.read_dir.map((v) => formatPythonFixed(v, 18))],
          ['ImageColumnDir', ih.phase_dir.map((v) => formatPythonFixed(v, 18))],
        ]);
        const out: Image = { head: ih, attribute: serializeMeta(attrs), data: image.data };
        await connection.sendImage(out);
        options.onFrame?.(imgCounter, performance.now() - t0);
        if (gateHeld) {
          gateHeld = false;
          mapsGate!.release();
        }
        if (dispatchMaps && pool !== null) {
          // the frame goes to the maps' thread after it is sent (its copy is not on its latency); copied
          // here: the window's shared sum changes with the next step
          dispatchMaps = false;
          logger.info(`Calculating coil sensitivity maps from frame ${imgCounter} on a worker thread...`);
          const job: NonNullable<typeof pendingMaps> = { generation: mapsGeneration, fromFrame: imgCounter, done: Promise.resolve(), sentAt: performance.now() };
          const copy = sharedFloat32(frame.length);
          copy.set(frame);
          job.done = inatiCoilMapsOnPool(pool, copy, ncoils, msize, msize, {}, mapsGate ?? undefined).then(
            (m) => { job.maps = m; job.readyMs = performance.now() - job.sentAt; if (job.generation === mapsGeneration) options.onCoilMaps?.(job.fromFrame); },
            (e: unknown) => { job.error = e instanceof Error ? e : new Error(String(e)); },
          ); // (the pool's one thread starts now)
          pendingMaps = job;
        }
        // shift the oldest window_shift arms out (as the reference's del frames[:window_shift]); with
        // fewer than window_shift arms held, all go
        if (win!.heldBlocks === 0) blockArms = 0;
        win!.shiftOut();
        repCounter++;
        imgCounter++;
      }
      if (gateHeld) {
        gateHeld = false;
        mapsGate!.release();
      }
      // the next arm completes a block (a split step on the frame path): its pool tasks are posted
      // now, in the idle time before it, and wait for it (neither the post nor the thread's start
      // is then on the frame's latency)
      cancelPreparedCombine(); // (one prepared for a frame that did not come at this arm)
      if (blockArms === windowShift - 1) {
        win!.prepareBlockStep(armCounter * S);
        // and when that arm forms a frame, the frame's combination too (posted after the step: a
        // pool thread runs them in that order); a frame that does not match it (maps taken up or
        // dropped at that frame) cancels it and combines as without
        const next = head.scan_counter + 1;
        if (!rc.save_complex && framePool !== null && win!.onPool && next % windowShift === 0 && next >= armsPerFrame) {
          preparedCombine = prepareMagnitudeOnPool(framePool, win!.frameArray(false), combinationMaps(maps), ncoils, msize * msize, frameBuffers.combined, frameBuffers.int16);
        }
      }
    }
  } finally {
    win?.cancelPrepared(); // (no pool task left waiting for an arm that will not come)
    cancelPreparedCombine();
    if (gateHeld) mapsGate!.release(); // an estimate still running finishes (awaited below)
    await pendingMaps?.done; // never rejects (the failure is kept on the job)
    await pool?.close();
    await warmingFrames;
    await framePool?.close();
    plan?.dispose();
    await recorder?.close();
  }
  logger.debug('Reconstruction is finished.');
}

interface FrameImage {
  data: Int16Array | Float64Array;
  dataType: number;
  windowCenter: string;
  windowWidth: string;
  scale?: string;
}

/** The magnitude path's per-frame buffers, allocated once per session (on shared memory: written by the frame threads). */
class FrameBuffers {
  /** the combined magnitudes (useGridMemory: in the window's memory, whose kernel combines) */
  combined: Float32Array;
  /** the int16 pass's (the frame threads' share of it too: their maxima, rows and histograms) */
  readonly int16: MagnitudeInt16Frame;
  constructor(msize: number, maxVal: number, threads: number) {
    this.combined = sharedFloat32(msize * msize);
    this.int16 = new MagnitudeInt16Frame(msize, maxVal, threads);
  }

  useGridMemory(kernel: SharedGrid | null): void {
    if (kernel !== null) this.combined = kernel.combined;
  }
}

/** [c][a][b] coil images -> the reference's flipped layout [y = b][x = a] with x = msize-1-a. */
function flipToImage(plane: Float32Array | Float64Array, msize: number, complex: boolean, out = new Float64Array((complex ? 2 : 1) * msize * msize)): Float64Array {
  const e = complex ? 2 : 1;
  for (let a = 0; a < msize; a++) {
    const x = a;
    const srcRow = msize - 1 - a;
    for (let b = 0; b < msize; b++) for (let k = 0; k < e; k++) out[e * (b * msize + x) + k] = plane[e * (srcRow * msize + b) + k];
  }
  return out;
}

/** A copy of `a` on a SharedArrayBuffer. */
function sharedFloat64(a: Float64Array): Float64Array {
  const out = new Float64Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/**
 * Combined (on the frame threads: maps or root sum of squares), then flipped and scaled to int16
 * with the window's histogram counted (on the frame threads too: the maxima per combination
 * chunk, rows of the output per thread); the same bits at any thread count.
 */
async function magnitudeFrame(
  pool: ReconPool | null, images: Float32Array, maps: Float64Array | null, ncoils: number, msize: number, maxVal: number, buffers: FrameBuffers,
  prepared: PreparedMagnitudeCombine | null = null,
): Promise<FrameImage> {
  const npix = msize * msize;
  // the combination prepared ahead when it is this one (same images and maps), else cancelled
  const int16 = buffers.int16;
  const usePrepared = prepared !== null && pool !== null && prepared.images === images && prepared.maps === maps && prepared.out === buffers.combined && prepared.int16 === int16;
  if (prepared !== null && !usePrepared) cancelPreparedMagnitude(prepared);
  if (usePrepared) await runPreparedMagnitude(prepared);
  else await combineMagnitudeOnPool(pool, images, maps, ncoils, npix, buffers.combined, int16);
  // flipped (flipToImage's layout), scaled by maxVal / max, int16 (the message keeps it: a new one per frame)
  const dscale = int16.scale;
  const data = int16.data.slice();
  // the histogram of values in [0, maxVal] (magnitudes scaled by maxVal / max); anything else, e.g. a frame of zeros, counts the usual way
  const counts = int16.histogram();
  const [p1, p99] = counts === null ? int16Percentiles(data, [1, 99]) : percentilesFromCounts(counts, 0, npix, [1, 99]);
  return {
    data, dataType: DataType.SHORT,
    windowCenter: formatPythonFloat(Math.floor((p99 + p1) / 2)),
    windowWidth: formatPythonFloat(p99 - p1),
    scale: formatPythonFloat(dscale),
  };
}

/**
 * With maps: sum_c conj(maps[c]) * images[c]. Without: constant coil weights when `weightsWithoutMaps`
 * (adaptive maps not there yet), else the reference's error path (real root sum of squares).
 */
function complexFrame(images: Float32Array, maps: Float64Array | undefined, ncoils: number, msize: number, weightsWithoutMaps = false): FrameImage {
  const npix = msize * msize;
  if (maps === undefined && !weightsWithoutMaps) {
    logger.error('No coil sensitivity maps found. Cannot perform coil combination.');
    const img = flipToImage(rootSumOfSquares(images, ncoils, npix), msize, false);
    let max = -Infinity;
    for (let i = 0; i < img.length; i++) if (img[i] > max) max = img[i];
    return { data: img, dataType: DataType.DOUBLE, windowCenter: formatPythonFloat((max + 1) / 2), windowWidth: formatPythonFloat(max + 1) };
  }
  const combined = maps !== undefined
    ? combineWithMapsComplex(images, maps, ncoils, npix)
    : combineWithCoilWeightsComplex(images, coilSumWeights(images, ncoils, npix), ncoils, npix);
  const img = flipToImage(combined, msize, true);
  // numpy's max of a complex array: lexicographic (real, then imaginary)
  let mr = -Infinity, mi = -Infinity;
  for (let i = 0; i < npix; i++) {
    const r = img[2 * i], m = img[2 * i + 1];
    if (r > mr || (r === mr && m > mi)) { mr = r; mi = m; }
  }
  return {
    data: img, dataType: DataType.CXDOUBLE,
    windowCenter: formatPythonComplex((mr + 1) / 2, mi / 2),
    windowWidth: formatPythonComplex(mr + 1, mi),
  };
}
