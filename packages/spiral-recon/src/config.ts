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
 *   save_complex = false           # complex float images instead of scaled int16 magnitude
 *   ignore_arms_per_frame = false  # grid `interleaves` arms per frame, shift by as many
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'smol-toml';

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
      coil_combine: 'rssq', save_complex: false, ignore_arms_per_frame: false,
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

type Check = 'boolean' | 'string' | 'number' | 'integer>0' | 'string[]' | 'number|string' | 'coil_combine';

function check(file: string, key: string, v: unknown, kind: Check): unknown {
  const bad = (want: string): never => {
    throw new SpiralConfigError(`${file}: key ${key} must be ${want}, got ${JSON.stringify(v)}`);
  };
  switch (kind) {
    case 'boolean': return typeof v === 'boolean' ? v : bad('a boolean (true/false)');
    case 'string': return typeof v === 'string' ? v : bad('a string');
    case 'number': return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : bad('a positive number');
    case 'integer>0': return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : bad('a positive integer');
    case 'string[]': return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : bad('an array of strings');
    case 'number|string': return typeof v === 'number' || typeof v === 'string' ? v : bad('a number or a string');
    case 'coil_combine': return v === 'rssq' || v === 'adaptive' ? v : bad('"rssq" or "adaptive"');
  }
}

/** Reads the view-sharing config (see the file header); throws SpiralConfigError naming a bad key or file. */
export function loadRtSpiralVsConfig(searchPath = configSearchPath(), fileName = RTSPIRAL_VS_CONFIG_FILE): LoadedConfig<RtSpiralVsConfig> {
  const config = defaultRtSpiralVsConfig();
  const defaulted: string[] = [];
  const path = searchPath.map((d) => join(d, fileName)).find((p) => existsSync(p));
  if (path === undefined) {
    return { config, defaulted: ['metafile_paths', 'save_raw', 'girf_file', ...Object.keys(config.reconstruction).map((k) => `reconstruction.${k}`)] };
  }
  let doc: Record<string, unknown>;
  try {
    doc = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new SpiralConfigError(`${path}: not valid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
  const top: [keyof RtSpiralVsConfig, Check][] = [['metafile_paths', 'string[]'], ['save_raw', 'boolean'], ['girf_file', 'string']];
  for (const [k, kind] of top) {
    if (doc[k] === undefined) defaulted.push(k);
    else (config as unknown as Record<string, unknown>)[k] = check(path, k, doc[k], kind);
  }
  const rec = doc.reconstruction;
  if (rec !== undefined && (typeof rec !== 'object' || rec === null || Array.isArray(rec))) throw new SpiralConfigError(`${path}: key reconstruction must be a table`);
  const r = (rec ?? {}) as Record<string, unknown>;
  const keys: [keyof RtSpiralVsConfig['reconstruction'], Check][] = [
    ['apply_girf', 'boolean'], ['arms_per_frame', 'integer>0'], ['window_shift', 'integer>0'], ['fov_oversampling', 'number'],
    ['gpu_device', 'number|string'], ['coil_combine', 'coil_combine'], ['save_complex', 'boolean'], ['ignore_arms_per_frame', 'boolean'],
  ];
  for (const [k, kind] of keys) {
    if (r[k] === undefined) defaulted.push(`reconstruction.${k}`);
    else (config.reconstruction as unknown as Record<string, unknown>)[k] = check(path, `reconstruction.${k}`, r[k], kind);
  }
  return { config, path, defaulted };
}

/** A configured path made absolute (relative paths are relative to the working directory, as the reference). */
export function resolveConfiguredPath(p: string, cwd = process.cwd()): string {
  return isAbsolute(p) ? p : resolve(cwd, p);
}
