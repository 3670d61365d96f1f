/**
 * The real-time spiral configuration `rtspiral_vs_config.toml`, read with smol-toml at every
 * session (as the reference reads it at every `process` call, so edits apply without a server
 * restart), from the reference's search path: `/tmp/share/configs`, then `configs/` in the
 * server's working directory (directories in MRD_TOOLS_CONFIG_PATH, colon-separated, first).
 *
 * Every key of the reference is read; a missing key takes the documented default below (the
 * reference crashes on a missing key); a key of the wrong type is an error naming it.
 *
 *   metafile_paths = ["seq_meta"]  # where <hash>.mat metafiles are searched (relative: to the working directory)
 *   save_raw = false               # also record the incoming raw data (MRD HDF5) in the savedata folder
 *   girf_file = ""                 # the scanner's GIRF measurement (MAT v5, variable GIRF); needed by apply_girf
 *   [reconstruction]
 *   apply_girf = false             # correct the trajectory with girf_file
 *   arms_per_frame = 55            # arms gridded per frame (temporal footprint)
 *   window_shift = 17              # arms between frames
 *   fov_oversampling = 1.0         # matrix = fov_oversampling * 10 * fov[cm] / resolution[mm]
 *   gpu_device = 0                 # accepted and ignored (CPU recon)
 *   coil_combine = "rssq"          # "rssq" or "adaptive" (Inati maps from the first frame of each slice)
 *   async_coil_maps = true         # adaptive: maps computed on the worker pool while frames flow (false, or threads 1: on the frame path)
 *   max_frames_before_maps = 0     # async maps: n > 0: at most n frames of a slice go without maps (the next waits); 0: no limit
 *   save_complex = false           # complex float images instead of scaled int16 magnitude
 *   ignore_arms_per_frame = false  # grid `interleaves` arms per frame, shift by as many
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'smol-toml';
import { MAX_NUMERICS_THREADS } from '@mrd-tools/recon-api/threads';

export interface RtSpiralVsConfig {
  metafile_paths: string[];
  save_raw: boolean;
  girf_file: string;
  reconstruction: {
    apply_girf: boolean;
    arms_per_frame: number;
    window_shift: number;
    fov_oversampling: number;
    gpu_device: number | string;
    coil_combine: 'rssq' | 'adaptive';
    async_coil_maps: boolean;
    max_frames_before_maps: number;
    save_complex: boolean;
    ignore_arms_per_frame: boolean;
  };
}

const RTSPIRAL_VS_CONFIG_FILE = 'rtspiral_vs_config.toml';

export function defaultRtSpiralVsConfig(): RtSpiralVsConfig {
  return {
    metafile_paths: ['seq_meta'],
    save_raw: false,
    girf_file: '',
    reconstruction: {
      apply_girf: false, arms_per_frame: 55, window_shift: 17, fov_oversampling: 1.0, gpu_device: 0,
      coil_combine: 'rssq', async_coil_maps: true, max_frames_before_maps: 0, save_complex: false, ignore_arms_per_frame: false,
    },
  };
}

export class SpiralConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpiralConfigError';
  }
}

/** The configs folders searched, in order (`mrd-server --config-dir` puts its folders into MRD_TOOLS_CONFIG_PATH). */
export function configSearchPath(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env.MRD_TOOLS_CONFIG_PATH ?? '').split(':').filter((p) => p !== '');
  return [...extra, '/tmp/share/configs', join(cwd, 'configs')];
}

export interface LoadedConfig<T> {
  config: T;
  /** the file read, or undefined when none was found (all defaults) */
  path?: string;
  /** keys that took their default */
  defaulted: string[];
}

/** What a config key must hold; a key of another kind is an error naming it. */
export type KeyKind =
  | 'boolean' | 'string' | 'positive' | 'nonnegative' | 'nonnegative-integer' | 'integer>0' | 'string[]' | 'number|string' | 'coil_combine' | 'backend' | 'threads';

function checkKey(file: string, key: string, v: unknown, kind: KeyKind): unknown {
  const bad = (want: string): never => {
    throw new SpiralConfigError(`${file}: key ${key} must be ${want}, got ${JSON.stringify(v)}`);
  };
  switch (kind) {
    case 'boolean': return typeof v === 'boolean' ? v : bad('a boolean (true/false)');
    case 'string': return typeof v === 'string' ? v : bad('a string');
    case 'positive': return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : bad('a positive number');
    case 'nonnegative': return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : bad('a number >= 0');
    case 'nonnegative-integer': return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : bad('a whole number >= 0');
    case 'integer>0': return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : bad('a positive integer');
    case 'string[]': return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : bad('an array of strings');
    case 'number|string': return typeof v === 'number' || typeof v === 'string' ? v : bad('a number or a string');
    case 'coil_combine': return v === 'rssq' || v === 'adaptive' ? v : bad('"rssq" or "adaptive"');
    case 'backend': return v === 'native' || v === 'bart' ? v : bad('"native" or "bart"');
    case 'threads': return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_NUMERICS_THREADS ? v : bad(`a whole number from 1 to ${MAX_NUMERICS_THREADS}`);
  }
}

/**
 * Reads the TOML file `fileName` (the first found on `searchPath`) into `config` (mutated): each
 * key of `spec` is a top-level key of that kind, or a table of such keys. Returns the file read
 * (undefined when none was found) and the keys that kept their default. The one reader of the
 * spiral recons' configs (view sharing, TV recon, XD-GRASP).
 */
export function loadTomlInto(
  searchPath: readonly string[], fileName: string, config: Record<string, unknown>, spec: Record<string, KeyKind | Record<string, KeyKind>>,
): { path?: string; defaulted: string[] } {
  const path = searchPath.map((d) => join(d, fileName)).find((p) => existsSync(p));
  const defaulted: string[] = [];
  const all = (): string[] => Object.entries(spec).flatMap(([k, v]) => (typeof v === 'string' ? [k] : Object.keys(v).map((s) => `${k}.${s}`)));
  if (path === undefined) return { defaulted: all() };
  let doc: Record<string, unknown>;
  try {
    doc = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new SpiralConfigError(`${path}: not valid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
  for (const [k, kind] of Object.entries(spec)) {
    if (typeof kind === 'string') {
      if (doc[k] === undefined) defaulted.push(k);
      else config[k] = checkKey(path, k, doc[k], kind);
      continue;
    }
    const t = doc[k];
    if (t !== undefined && (typeof t !== 'object' || t === null || Array.isArray(t))) throw new SpiralConfigError(`${path}: key ${k} must be a table`);
    const table = (t ?? {}) as Record<string, unknown>;
    const target = config[k] as Record<string, unknown>;
    for (const [s, sk] of Object.entries(kind)) {
      if (table[s] === undefined) defaulted.push(`${k}.${s}`);
      else target[s] = checkKey(path, `${k}.${s}`, table[s], sk);
    }
  }
  return { path, defaulted };
}

/** Reads the view-sharing config (see the file header); throws SpiralConfigError naming a bad key or file. */
export function loadRtSpiralVsConfig(searchPath = configSearchPath(), fileName = RTSPIRAL_VS_CONFIG_FILE): LoadedConfig<RtSpiralVsConfig> {
  const config = defaultRtSpiralVsConfig();
  const r = loadTomlInto(searchPath, fileName, config as unknown as Record<string, unknown>, {
    metafile_paths: 'string[]', save_raw: 'boolean', girf_file: 'string',
    reconstruction: {
      apply_girf: 'boolean', arms_per_frame: 'integer>0', window_shift: 'integer>0', fov_oversampling: 'positive',
      gpu_device: 'number|string', coil_combine: 'coil_combine', async_coil_maps: 'boolean', max_frames_before_maps: 'nonnegative-integer', save_complex: 'boolean', ignore_arms_per_frame: 'boolean',
    },
  });
  return { config, ...r };
}

/** A configured path made absolute (relative paths are relative to the working directory, as the reference). */
export function resolveConfiguredPath(p: string, cwd = process.cwd()): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}
