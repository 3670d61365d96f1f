/**
 * The `spiral_xdgrasp_recon` module: dual temporally constrained (XD-GRASP-like) spiral recon, as
 * the reference's spiral_xdgrasp_recon.py (README section 3.3).
 *
 * Per session: config (./config.ts), metafile, trajectory of all stored arms (GIRF-corrected on
 * the first readout when apply_girf; readout-oversampling rule), all arms and waveforms buffered
 * (../rtspiral-bart-tvrecon bufferSpiralSession). Binning (./binning.ts): respiratory bins from the
 * pilot tone (waveform 1025, channel 0, cyclic amplitude bins with resp_discard); cardiac bins
 * from ECG triggers (waveform 0, channel 4), pilot-tone triggers (channel 2) or pilot-tone
 * derivative triggers (channel 4), the latter two shifted by ecg_pilottone_delay; arms within
 * arm_discard_pre / arm_discard_post seconds of the ends excluded. Each arm's readout is tapered
 * by the second half of a Tukey(2 x samples, 0.1) window and scaled by 1e3 (as the reference).
 *
 * Bins: fill_small_bins = true keeps every arm of every bin and zero-fills the smaller bins to the
 * largest, as the reference: the padding arms have zero data AND a zero trajectory, so each one is
 * a set of k = 0 samples of value 0 in the data term (both backends solve that same problem; it
 * pulls the DC of the smaller bins towards zero, and dropping it changed the images by ~50 %
 * NRMSE against BART's on the interop case; the native operator plans the repeated k = 0 samples
 * once, see @mrd-tools/core/iterative sense-nufft); false crops every bin to the smallest bin's
 * count.
 * Coil maps from all kept arms; the data scale by BART's rule from the adjoint of all bins (pics
 * without -w); the solve minimises 1/2|Ax - y|^2 + lambda_resp TV_resp + lambda_card TV_card
 * (pics -e -r 0 -R T:1024:0:<resp> -R T:2048:0:<card> -i num_iter; native: the same ADMM).
 *
 * Output: for each respiratory bin r and cardiac bin c, an int16 image (magnitude scaled by one
 * maximum over all bins to BitsStored, oriented as the reference) with image_index = set = r,
 * phase = c, the header of the first readout with kspace_encode_step_1 = 0, the reconSpace FOV,
 * meta DataRole, ImageProcessingHistory, WindowCenter/Width, Keep_image_geometry = 1, directions.
 * Then the waveforms are echoed.
 */
import { DataType } from '@mrd-tools/core/constants';
import { getUserParameterLong } from '@mrd-tools/core/xml-header';
import { logger } from '@mrd-tools/core/logging';
import { logModuleConfig, type ModuleConfig } from '@mrd-tools/recon-api/module';
import type { ProgressReport } from '@mrd-tools/recon-api/progress';
import { standardImageMeta } from '@mrd-tools/recon-api/image-header';
import type { MrdConnection } from '@mrd-tools/core/connection';
import { getFftEngine, type FftEngine } from '@mrd-tools/recon-kernels/fft';
import { numericsThreads } from '@mrd-tools/recon-api/threads';
import type { ArmSamples } from '@mrd-tools/recon-kernels/mri/coil-maps';
import { Bart } from '../bart/runner.js';
import { tukeyWindow } from '@mrd-tools/recon-kernels/mri/coil-combine';
import { DEFAULT_BITS_STORED, maxValueForBitsStored, roundHalfEven } from '@mrd-tools/recon-kernels/image';
import { imageHeaderFromArray } from '@mrd-tools/recon-api/image-header';
import { configSearchPath } from '../config.js';
import { findMetafile, readSpiralMetafile, sequenceHash } from '../metafile.js';
import { TvReconError, allArmsMetafile, bufferSpiralSession, reportedWhile, sessionProgress } from '../rtspiral-bart-tvrecon/index.js';
import { loadConfiguredGirf, spiralHeader } from '../session-setup.js';
import {
  bartCoilMaps, bartPics, nativeCoilMaps, nativeDataScale, nativeSolve, referenceOrientation, type ArmGroup, type NativeCoilMapMethod, type SpiralArms,
} from '../rtspiral-bart-tvrecon/series.js';
import { PILOT_TONE_WAVEFORM_ID, armDiscardRange, cardiacBins, cyclicRespiratoryBins, ecgArmTriggers, pilotToneTriggers, waveformChannel } from './binning.js';
import { XDGRASP_CONFIG_FILE, loadXdGraspConfig, type XdGraspConfig } from './config.js';

export interface XdGraspOptions {
  configSearchPath?: string[];
  cwd?: string;
  /** least time between progress lines within a stage (default DEFAULT_PROGRESS_INTERVAL_MS) */
  progressIntervalMs?: number;
}

export interface XdGraspInput {
  series: SpiralArms;
  /** arms kept (after discard), tapered */
  arms: readonly ArmSamples[];
  respBins: Int32Array;
  cardBins: Int32Array;
  nResp: number;
  nCard: number;
  fillSmallBins: boolean;
  lambdaResp: number;
  lambdaCard: number;
  iterations: number;
  backend: 'native' | 'bart';
  bart?: Bart;
  /** native backend's coil maps: 'nlinv' (default, 14 Newton steps as the reference), 'sobolev' or 'inati' */
  coilMaps?: NativeCoilMapMethod;
  /** where progress goes (see ProgressReport) */
  progress?: ProgressReport;
  /** threads of the native coil maps (over coils) and TV solve (over bins) on the worker pool; default 1: this thread only */
  threads?: number;
}

/** The arms of each bin [resp][card] (resp outer), filled or cropped per fill_small_bins. */
export function binGroups(arms: readonly ArmSamples[], resp: Int32Array, card: Int32Array, nResp: number, nCard: number, fill: boolean): ArmSamples[][] {
  const groups: ArmSamples[][] = Array.from({ length: nResp * nCard }, () => []);
  arms.forEach((a, i) => {
    if (resp[i] >= 0 && card[i] >= 0 && resp[i] < nResp && card[i] < nCard) groups[resp[i] * nCard + card[i]].push(a);
  });
  const sizes = groups.map((g) => g.length);
  const min = Math.min(...sizes), max = Math.max(...sizes);
  logger.info(fill ? `There are at least ${min} arms and at most ${max} per bin.` : `There are ${min} arms per bin.`);
  if (min === 0 && !fill) throw new TvReconError(`a respiratory/cardiac bin has no arms and fill_small_bins = false would crop every bin to 0 arms: use fewer bins or more data`);
  if (max === 0) throw new TvReconError('no arm falls into any respiratory/cardiac bin (check the pilot-tone/ECG waveforms and arm_discard_pre/post)');
  return fill ? groups : groups.map((g) => g.slice(0, min));
}

/** The XD-GRASP solve: [resp][card][a][b] complex. */
export async function reconstructXdGrasp(fft: FftEngine, p: XdGraspInput): Promise<Float32Array> {
  const s = p.series;
  const groups = binGroups(p.arms, p.respBins, p.cardBins, p.nResp, p.nCard, p.fillSmallBins);
  const bart = p.backend === 'bart' ? p.bart ?? (await Bart.locate()) : undefined;
  const report = p.progress;
  report?.stage('coil maps', `${bart ? 'bart nlinv' : p.coilMaps ?? 'nlinv'}, ${p.arms.length} arms`);
  const maps = bart
    ? await reportedWhile(report, bartCoilMaps(bart, s, p.arms, 14), 'bart nlinv')
    : await nativeCoilMaps(fft, s, p.arms, p.coilMaps, 14, (d, t) => report?.update(d / t, `Newton step ${d} of ${t}`), p.threads ?? 1);
  report?.stage('TV solve', `${p.nResp} respiratory x ${p.nCard} cardiac bins, ${p.iterations} CG steps`);
  // the reference's layout: bins zero-filled to equal size (k = 0 arms with zero data)
  const { series: sZero, groups: filled } = zeroFilledBins(s, groups);
  if (bart) {
    // resp at TIME_DIM (10), card at TIME2_DIM (11): cardiac-major order
    const bartGroups: ArmGroup[] = [];
    for (let c = 0; c < p.nCard; c++) for (let r = 0; r < p.nResp; r++) bartGroups.push(filled[r * p.nCard + c]);
    const img = await reportedWhile(report, bartPics(bart, `-g -e -r 0 -R T:1024:0:${p.lambdaResp} -R T:2048:0:${p.lambdaCard} -d 4 -i ${p.iterations}`, sZero, bartGroups, maps, { 10: p.nResp, 11: p.nCard }), 'bart pics');
    const npix = s.msize * s.msize;
    const out = new Float32Array(img.length);
    for (let c = 0; c < p.nCard; c++) for (let r = 0; r < p.nResp; r++) {
      out.set(img.subarray(2 * (c * p.nResp + r) * npix, 2 * (c * p.nResp + r + 1) * npix), 2 * (r * p.nCard + c) * npix);
    }
    return out;
  }
  const nonEmpty = groups.filter((g) => g.length > 0);
  const scale = nativeDataScale(fft, s, nonEmpty, maps);
  return nativeSolve(fft, sZero, filled, maps, [p.nResp, p.nCard], [{ axis: 0, lambda: p.lambdaResp }, { axis: 1, lambda: p.lambdaCard }], p.iterations, scale,
    (d, t) => report?.update(d / t, `CG step ${Math.min(d, t)} of ${t}`), p.threads ?? 1);
}

/**
 * Bins zero-filled to the largest bin's arm count as the reference's fill_small_bins: padding arms
 * of zero data on an extra all-zero trajectory (appended as the last unique angle of the returned
 * series). Bins already of equal size come back unchanged.
 */
export function zeroFilledBins(s: SpiralArms, groups: readonly ArmGroup[]): { series: SpiralArms; groups: ArmGroup[] } {
  const max = Math.max(...groups.map((g) => g.length));
  if (groups.every((g) => g.length === max)) return { series: s, groups: [...groups] };
  const zeroAngle = s.uniqueCoord.length / (2 * s.samples);
  const coord = new Float64Array(s.uniqueCoord.length + 2 * s.samples);
  coord.set(s.uniqueCoord);
  const zero: ArmSamples = { data: new Float32Array(2 * s.ncoils * s.samples), angle: zeroAngle };
  return {
    series: { ...s, uniqueCoord: coord },
    groups: groups.map((g) => [...g, ...Array.from({ length: max - g.length }, () => zero)]),
  };
}


export async function process(connection: MrdConnection, config: ModuleConfig, header: unknown, options: XdGraspOptions = {}): Promise<void> {
  logModuleConfig(config);
  const cwd = options.cwd ?? globalThis.process.cwd();
  const search = options.configSearchPath ?? configSearchPath(cwd);
  const loaded = loadXdGraspConfig(search);
  const cfg: XdGraspConfig = loaded.config;
  if (loaded.path) logger.info(`Using the configuration at ${loaded.path}`);
  else logger.warning(`spiral_xdgrasp_config.toml not found in ${search.join(', ')}: using the defaults`);
  const rc = cfg.reconstruction, bc = cfg.binning;
  const h = spiralHeader(header, 'spiral_xdgrasp_recon', TvReconError);
  const bart = rc.backend === 'bart' ? await Bart.locate(rc.BART_TOOLBOX_PATH || undefined) : undefined;
  const girf = rc.apply_girf ? loadConfiguredGirf(cfg.girf_file, cwd, TvReconError) : undefined;
  const tr = h.sequenceParameters?.TR?.[0];
  if (!(tr !== undefined && tr > 0)) throw new TvReconError('spiral_xdgrasp_recon needs sequenceParameters TR in the MRD header (the arm raster for binning and arm discard)');
  const trS = tr * 1e-3;
  const hash = sequenceHash(h);
  const meta = allArmsMetafile(readSpiralMetafile(findMetafile(hash, cfg.metafile_paths, cwd)));
  const fft = await getFftEngine();
  const report = sessionProgress('spiral_xdgrasp_recon', connection, options.progressIntervalMs);
  report.stage('receiving data');
  const session = await bufferSpiralSession(connection, fft, h, meta, rc.fov_oversampling, girf);
  const n = session.arms.length;
  logger.info(`Received ${n} arms and ${session.waveforms.length} waveforms`);
  // navigators on the arm raster
  const resp = waveformChannel(session.waveforms, PILOT_TONE_WAVEFORM_ID, 0).values;
  if (resp.length === 0) throw new TvReconError('spiral_xdgrasp_recon needs the pilot-tone waveform (id 1025) for respiratory binning; none arrived');
  if (resp.length < n) logger.warning(`the pilot tone has ${resp.length} samples for ${n} arms: arms beyond it are not binned`);
  const respAll = cyclicRespiratoryBins(resp, bc.n_respiratory_bins, bc.resp_discard);
  let trig: Int32Array;
  if (bc.trigger_source === 'ecg') trig = ecgArmTriggers(session.waveforms, session.stamps[0], n, trS);
  else trig = pilotToneTriggers(session.waveforms, bc.trigger_source === 'pilottone' ? 2 : 4, bc.ecg_pilottone_delay);
  const cardAll = cardiacBins(trig, bc.n_cardiac_bins);
  const { start, end } = armDiscardRange(n, rc.arm_discard_pre, rc.arm_discard_post, trS);
  logger.info(`Discarded ${start} arms from beginning and ${n - end} from end, ${end - start} arms left.`);
  const bins = bc.n_respiratory_bins * bc.n_cardiac_bins;
  if (end - start < bins) {
    // e.g. the default 5 s + 5 s discards of a 3.5 s acquisition: say which settings to change
    const seconds = (n * trS).toFixed(1);
    const where = loaded.path ?? `${XDGRASP_CONFIG_FILE} (none found, so the defaults apply; put one in a configs folder)`;
    throw new TvReconError(
      `${n} arms (${seconds} s at TR ${tr} ms) arrived; arm_discard_pre = ${rc.arm_discard_pre} s and arm_discard_post = ${rc.arm_discard_post} s leave ${end - start}, ` +
      `fewer than the ${bc.n_respiratory_bins} x ${bc.n_cardiac_bins} = ${bins} respiratory x cardiac bins. ` +
      `Lower [reconstruction] arm_discard_pre / arm_discard_post (their sum must stay well below ${seconds} s) or [binning] n_respiratory_bins / n_cardiac_bins in ${where}, or acquire longer (mrd-phantom --arms).`,
    );
  }
  // Tukey taper and the reference's 1e3 data scale
  const S = session.series.samples;
  const win = tukeyWindow(2 * S, 0.1).subarray(S);
  const arms: ArmSamples[] = session.arms.slice(start, end).map((a) => {
    const d = new Float32Array(a.data.length);
    for (let c = 0; c < session.series.ncoils; c++) for (let s = 0; s < S; s++) {
      const k = 2 * (c * S + s);
      d[k] = a.data[k] * win[s] * 1e3;
      d[k + 1] = a.data[k + 1] * win[s] * 1e3;
    }
    return { data: d, angle: a.angle };
  });
  const pick = (b: Int32Array): Int32Array => Int32Array.from({ length: end - start }, (_, i) => (start + i < b.length ? b[start + i] : -1));
  const nr = bc.n_respiratory_bins, nc = bc.n_cardiac_bins;
  const img = await reconstructXdGrasp(fft, {
    series: session.series, arms, respBins: pick(respAll), cardBins: pick(cardAll), nResp: nr, nCard: nc, fillSmallBins: bc.fill_small_bins,
    lambdaResp: rc.reg_lambda_resp, lambdaCard: rc.reg_lambda_card, iterations: rc.num_iter, backend: rc.backend, bart, progress: report,
    threads: rc.threads ?? numericsThreads(),
  });
  report.finish(`reconstruction of ${nr} x ${nc} bins finished`);
  await connection.sendLogging('INFO', 'Reconstruction is finished. Sending images...');
  const bits = getUserParameterLong(h, 'BitsStored') ?? DEFAULT_BITS_STORED;
  const maxVal = maxValueForBitsStored(bits);
  const m = session.series.msize, npix = m * m;
  const mags = Array.from({ length: nr * nc }, (_, g) => referenceOrientation(img, 2 * g * npix, m));
  let max = 0;
  for (const a of mags) for (let i = 0; i < a.length; i++) if (a[i] > max) max = a[i];
  const k = max > 0 ? maxVal / max : 0;
  const fov = h.encoding[0].reconSpace.fieldOfView_mm;
  for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) {
    const a = mags[r * nc + c];
    const data = new Int16Array(npix);
    for (let i = 0; i < npix; i++) data[i] = roundHalfEven(a[i] * k);
    const head = imageHeaderFromArray({ dataType: DataType.SHORT, channels: 1, x: m, y: m, z: 1 }, session.first.head);
    head.image_index = r;
    head.phase = c;
    head.set = r;
    head.field_of_view = [Math.fround(fov.x), Math.fround(fov.y), Math.fround(fov.z)];
    await connection.sendImage({ head, attribute: standardImageMeta(head, maxVal, [['Keep_image_geometry', '1']]), data });
  }
  for (const wf of session.waveforms) await connection.sendWaveform(wf);
  logger.info('Reconstruction is finished.');
}
