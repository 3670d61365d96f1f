/**
 * The session set-up the spiral recons share (simplenufft1arm, rtspiral_bart_tvrecon,
 * spiral_xdgrasp_recon), written once: the parsed-header check, the GIRF named by the config,
 * and the first readout's fixes to the metafile trajectory (the reference's GIRF correction, then
 * the readout-oversampling rule). Errors are raised with the calling module's error class.
 */
import { existsSync } from 'node:fs';
import type { AcquisitionHeader } from '@mrd-tools/core/headers';
import { logger } from '@mrd-tools/core/logging';
import type { IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import type { FftEngine } from '@mrd-tools/recon-kernels/fft';
import { applyGirf, gradientRotationMatrix, type GirfTable } from '@mrd-tools/recon-kernels/mri/girf';
import { resolveConfiguredPath } from './config.js';
import { girfTableFromMat } from './girf-file.js';
import { matchReadoutOversampling, nominalGradients, type SpiralMetafile, type SpiralTrajectory } from './metafile.js';

/** The error class of the module doing the set-up. */
export type ModuleErrorClass = new (message: string) => Error;

/** The parsed MRD header, or an error when the module was sent none (or one without an encoding). */
export function spiralHeader(header: unknown, module: string, ModuleError: ModuleErrorClass): IsmrmrdHeader {
  const h = header as IsmrmrdHeader;
  if (typeof header !== 'object' || header === null || !Array.isArray(h.encoding) || h.encoding.length === 0) {
    throw new ModuleError(`${module} needs a parsed MRD header with an encoding (the header sent was not a valid ISMRMRD header)`);
  }
  return h;
}

/** Loads the GIRF of config key girf_file (apply_girf = true), or an error naming the key. */
export function loadConfiguredGirf(girfFile: string, cwd: string, ModuleError: ModuleErrorClass): GirfTable {
  const key = 'girf_file';
  if (girfFile === '') throw new ModuleError(`apply_girf = true but the config key ${key} is not set: give the path of your scanner's GIRF measurement (MAT v5, variable GIRF)`);
  const p = resolveConfiguredPath(girfFile, cwd);
  if (!existsSync(p)) throw new ModuleError(`apply_girf = true but the config key ${key} names ${p}, which does not exist`);
  try {
    return girfTableFromMat(p);
  } catch (e) {
    throw new ModuleError(`apply_girf = true but the config key ${key} names an unreadable GIRF: ${(e as Error).message}`);
  }
}

/** The reference's GIRF correction of the nominal trajectory (reconutils.girf_calibration), as SigPy coordinates. */
export function girfCorrectedCoordinates(
  fft: FftEngine, meta: SpiralMetafile, traj: SpiralTrajectory, girf: GirfTable, patientPosition: string, acq: AcquisitionHeader, dt: number,
): Float64Array {
  const n = traj.arms, S = meta.samples;
  const g = nominalGradients(meta, dt);
  const R = gradientRotationMatrix(patientPosition, acq.read_dir, acq.phase_dir, acq.slice_dir);
  const tRR = (3 * 1e-6) / dt;
  const { kPred } = applyGirf(fft, g, S, n, 2, dt, R, girf, tRR);
  let kmax = 0;
  for (let s = 0; s < S; s++) for (let a = 0; a < n; a++) {
    const i = (s * n + a) * 3;
    kmax = Math.max(kmax, Math.hypot(kPred[i], kPred[i + 1]));
  }
  const f = (0.5 * traj.msize) / kmax;
  const coord = new Float64Array(2 * n * S);
  for (let a = 0; a < n; a++) for (let s = 0; s < S; s++) {
    const i = (s * n + a) * 3;
    coord[2 * (a * S + s)] = kPred[i] * f;
    coord[2 * (a * S + s) + 1] = kPred[i + 1] * f;
  }
  return coord;
}

/**
 * The trajectory and pre_discard fixed by the first readout: GIRF-corrected with that readout's
 * direction cosines when a GIRF is given (dwell time param.dt, 1 us when absent), then halved
 * when the readouts come without their 2x oversampling.
 */
export function firstReadoutTrajectory(
  fft: FftEngine, h: IsmrmrdHeader, meta: SpiralMetafile, traj: SpiralTrajectory, preDiscard: number, girf: GirfTable | undefined, head: AcquisitionHeader,
): { traj: SpiralTrajectory; preDiscard: number } {
  if (girf !== undefined) {
    const coord = girfCorrectedCoordinates(fft, meta, traj, girf, h.measurementInformation?.patientPosition ?? 'HFS', head, meta.param.dt ?? 1e-6);
    traj = { ...traj, coord };
  }
  const m = matchReadoutOversampling(traj, head.number_of_samples, preDiscard);
  if (m.traj !== traj) logger.info('Readout oversampling removed: using every other trajectory sample');
  return { traj: m.traj, preDiscard: m.preDiscard };
}
