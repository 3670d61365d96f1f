/**
 * Spiral sequence metafiles as the reference (reconutils.load_trajectory and the trajectory
 * preparation of simplenufft1arm.py): the sequence hash is the first 32 characters of the user
 * parameter string `tSequenceVariant`; `<hash>.mat` is searched in the configured
 * `metafile_paths`; it holds `kx`, `ky` (samples x arms), `w` (1 x samples density weights) and
 * `param` (struct: fov [cm], spatial_resolution [mm], interleaves, repetitions, dt [s],
 * pre_discard [samples]). Folders in MRD_TOOLS_METAFILE_PATH (`mrd-server --metafile-dir`) are
 * searched first.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { getUserParameterString, type IsmrmrdHeader } from '@mrd-tools/core/xml-header';
import { matField, matNumber, matReal, readMatFile, type MatValue } from '@mrd-tools/core/mat-file';
import { resolveConfiguredPath } from './config.js';

export class MetafileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetafileError';
  }
}

/** The sequence hash: first 32 characters of tSequenceVariant (a scanner bug may append "/OSP"). */
export function sequenceHash(header: IsmrmrdHeader): string {
  const v = getUserParameterString(header, 'tSequenceVariant');
  if (v === undefined) throw new MetafileError('Sequence hash is not found in metadata user parameters (userParameterString tSequenceVariant)');
  return v.slice(0, 32);
}

/**
 * The folders searched for metafiles: those in MRD_TOOLS_METAFILE_PATH (colon-separated; what
 * `mrd-server --metafile-dir` sets) first, then the config's `metafile_paths` (relative ones
 * relative to the server's working directory, as the reference).
 */
export function metafileSearchPath(metafilePaths: readonly string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.MRD_TOOLS_METAFILE_PATH ?? '').split(':').filter((p) => p !== '');
  return [...new Set([...extra, ...metafilePaths].map((p) => resolveConfiguredPath(p, cwd)))];
}

/** The first `<hash>.mat` in the paths; a MetafileError naming the hash and the paths searched otherwise. */
export function findMetafile(hash: string, metafilePaths: readonly string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const dirs = metafileSearchPath(metafilePaths, cwd, env);
  for (const d of dirs) {
    const f = join(d, `${hash}.mat`);
    if (existsSync(f)) return f;
  }
  throw new MetafileError(`Trajectory file ${hash}.mat not found in specified paths: ${dirs.join(', ')} (set metafile_paths in the recon's config, or start mrd-server with --metafile-dir <folder holding it>)`);
}

export interface SpiralParams {
  fov: number;
  spatial_resolution: number;
  interleaves: number;
  repetitions?: number;
  dt?: number;
  pre_discard: number;
}

export interface SpiralMetafile {
  path: string;
  /** samples per arm in kx/ky */
  samples: number;
  /** arms stored (columns of kx) */
  arms: number;
  /** kx, ky column-major [arm][sample] (MATLAB samples x arms) */
  kx: Float64Array;
  ky: Float64Array;
  /** density weights, one per sample */
  w: Float64Array;
  param: SpiralParams;
}

function need(v: MatValue | undefined, what: string, path: string): MatValue {
  if (v === undefined) throw new MetafileError(`${path}: missing ${what}`);
  return v;
}

export function readSpiralMetafile(path: string): SpiralMetafile {
  let mat;
  try {
    mat = readMatFile(path);
  } catch (e) {
    throw new MetafileError(`${path}: ${(e as Error).message}`);
  }
  const kxV = need(mat.variables.get('kx'), 'kx', path);
  const kyV = need(mat.variables.get('ky'), 'ky', path);
  const wV = need(mat.variables.get('w'), 'w', path);
  const pV = need(mat.variables.get('param'), 'param', path);
  if (kxV.kind !== 'numeric' || kxV.dims.length !== 2) throw new MetafileError(`${path}: kx must be a samples x arms matrix`);
  const [samples, arms] = kxV.dims;
  if (kyV.kind !== 'numeric' || kyV.dims[0] !== samples || kyV.dims[1] !== arms) throw new MetafileError(`${path}: ky must be ${samples} x ${arms} like kx`);
  const w = matReal(wV, `${path}: w`);
  if (w.length !== samples) throw new MetafileError(`${path}: w has ${w.length} values for ${samples} samples`);
  if (pV.kind !== 'struct') throw new MetafileError(`${path}: param must be a struct`);
  const num = (name: string, required: boolean): number | undefined => {
    const f = matField(pV, name);
    if (f === undefined) {
      if (required) throw new MetafileError(`${path}: param.${name} is missing`);
      return undefined;
    }
    return matNumber(f, `${path}: param.${name}`);
  };
  const param: SpiralParams = {
    fov: num('fov', true)!,
    spatial_resolution: num('spatial_resolution', true)!,
    interleaves: num('interleaves', true)!,
    repetitions: num('repetitions', false),
    dt: num('dt', false),
    pre_discard: num('pre_discard', false) ?? 0,
  };
  if (!Number.isInteger(param.interleaves) || param.interleaves < 1 || param.interleaves > arms) {
    throw new MetafileError(`${path}: param.interleaves ${param.interleaves} must be an integer in 1..${arms} (columns of kx)`);
  }
  return { path, samples, arms, kx: matReal(kxV), ky: matReal(kyV), w, param };
}

export interface SpiralTrajectory {
  /** grid matrix size: int(fov_oversampling * 10 * fov / spatial_resolution) */
  msize: number;
  /** arms (unique angles) */
  arms: number;
  samples: number;
  /** SigPy coordinates [arm][sample][2]: (kx, -ky) scaled to 0.5 * msize at kmax */
  coord: Float64Array;
  /** density weights [sample] */
  w: Float64Array;
  kmax: number;
}

/** The reference's trajectory preparation: the first `interleaves` arms, (kx, -ky) / kmax * msize / 2. */
export function prepareSpiralTrajectory(meta: SpiralMetafile, fovOversampling: number): SpiralTrajectory {
  const n = meta.param.interleaves;
  const S = meta.samples;
  let kmax = 0;
  for (let i = 0; i < n * S; i++) kmax = Math.max(kmax, Math.hypot(meta.kx[i], meta.ky[i]));
  if (!(kmax > 0)) throw new MetafileError(`${meta.path}: the trajectory is all zero`);
  const msize = Math.trunc(fovOversampling * 10 * meta.param.fov / meta.param.spatial_resolution);
  if (!(msize > 0)) throw new MetafileError(`${meta.path}: matrix size ${msize} from fov ${meta.param.fov} and resolution ${meta.param.spatial_resolution}`);
  const coord = new Float64Array(2 * n * S);
  const f = (0.5 * msize) / kmax;
  for (let a = 0; a < n; a++) for (let s = 0; s < S; s++) {
    coord[2 * (a * S + s)] = meta.kx[a * S + s] * f;
    coord[2 * (a * S + s) + 1] = -meta.ky[a * S + s] * f;
  }
  return { msize, arms: n, samples: S, coord, w: meta.w.slice(), kmax };
}

/**
 * The readout-oversampling rule: when the readouts arrive with their 2x oversampling removed
 * (samples - pre_discard/2 == trajectory samples / 2), every other trajectory sample and weight is
 * used and pre_discard halves. Returns the trajectory to use and pre_discard.
 */
export function matchReadoutOversampling(traj: SpiralTrajectory, readoutSamples: number, preDiscard: number): { traj: SpiralTrajectory; preDiscard: number } {
  if (readoutSamples - preDiscard / 2 !== traj.samples / 2) return { traj, preDiscard };
  const S2 = Math.ceil(traj.samples / 2);
  const coord = new Float64Array(2 * traj.arms * S2);
  const w = new Float64Array(S2);
  for (let s = 0; s < S2; s++) w[s] = traj.w[2 * s];
  for (let a = 0; a < traj.arms; a++) for (let s = 0; s < S2; s++) {
    coord[2 * (a * S2 + s)] = traj.coord[2 * (a * traj.samples + 2 * s)];
    coord[2 * (a * S2 + s) + 1] = traj.coord[2 * (a * traj.samples + 2 * s) + 1];
  }
  return { traj: { ...traj, samples: S2, coord, w }, preDiscard: Math.floor(preDiscard / 2) };
}

/**
 * Nominal gradients from the metafile trajectory as simplenufft1arm.py does for GIRF correction:
 * g = 1e3 * [0; diff(k)] / dt / 42.58e6 per axis, axes (gx, -gy); [sample][arm][2].
 */
export function nominalGradients(meta: SpiralMetafile, dt: number): Float64Array {
  const n = meta.param.interleaves, S = meta.samples;
  const g = new Float64Array(S * n * 2);
  const f = 1e3 / dt / 42.58e6;
  for (let a = 0; a < n; a++) for (let s = 1; s < S; s++) {
    const i = a * S + s;
    g[(s * n + a) * 2] = (meta.kx[i] - meta.kx[i - 1]) * f;
    g[(s * n + a) * 2 + 1] = -(meta.ky[i] - meta.ky[i - 1]) * f;
  }
  return g;
}
