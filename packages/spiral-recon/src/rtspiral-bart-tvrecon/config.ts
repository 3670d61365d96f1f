/**
 * `rtspiral_bart_tvrecon_config.toml` (README section 3.2), read at every session from the
 * configs search path (../config.ts). Every key of the reference plus `backend`; a missing key
 * takes the default below (the reference's README values where they fit a CPU), a key of the
 * wrong type is an error naming it.
 *
 *   metafile_paths = ["seq_meta"]   # where <hash>.mat metafiles are searched
 *   girf_file = ""                  # the scanner's GIRF (MAT v5); needed by apply_girf
 *   [reconstruction]
 *   backend = "native"              # "native" (TypeScript solver) or "bart" (the bart executable)
 *   apply_girf = false
 *   gpu_device = 0                  # accepted and ignored (CPU)
 *   arms_per_frame = 7              # arms per frame (temporal footprint)
 *   num_recon_frames = 2000         # frames to reconstruct (fewer when fewer arms arrived)
 *   num_chunks = 5                  # frames are solved in chunks (3 frames overlap)
 *   fov_oversampling = 1.5
 *   reg_lambda = 0.0002             # temporal TV weight (times frames per chunk, as the reference)
 *   num_iter = 120                  # ADMM iterations
 *   BART_TOOLBOX_PATH = ""          # folder of the bart executable ("" = environment / PATH)
 *   threads = 2                     # native solve's threads (not set: mrd-server --threads, default the cores)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { SpiralConfigError, configSearchPath, type LoadedConfig } from '../config.js';
import { MAX_NUMERICS_THREADS } from '@mrd-tools/recon-api/threads';

export interface TvReconConfig {
  metafile_paths: string[];
  girf_file: string;
  reconstruction: {
    backend: 'native' | 'bart';
    apply_girf: boolean;
    gpu_device: number | string;
    arms_per_frame: number;
    num_recon_frames: number;
    num_chunks: number;
    fov_oversampling: number;
    reg_lambda: number;
    num_iter: number;
    BART_TOOLBOX_PATH: string;
    /** threads of the native solve (not set: the server's --threads, by default the cores) */
    threads?: number;
  };
}

export const TVRECON_CONFIG_FILE = 'rtspiral_bart_tvrecon_config.toml';

export function defaultTvReconConfig(): TvReconConfig {
  return {
    metafile_paths: ['seq_meta'],
    girf_file: '',
    reconstruction: {
      backend: 'native', apply_girf: false, gpu_device: 0, arms_per_frame: 7, num_recon_frames: 2000, num_chunks: 5,
      fov_oversampling: 1.5, reg_lambda: 0.0002, num_iter: 120, BART_TOOLBOX_PATH: '',
    },
  };
}

export type KeyKind = 'boolean' | 'string' | 'positive' | 'nonnegative' | 'integer>0' | 'string[]' | 'number|string' | 'backend' | 'threads';

export function checkKey(file: string, key: string, v: unknown, kind: KeyKind): unknown {
  const bad = (want: string): never => {
    throw new SpiralConfigError(`${file}: key ${key} must be ${want}, got ${JSON.stringify(v)}`);
  };
  switch (kind) {
    case 'boolean': return typeof v === 'boolean' ? v : bad('a boolean (true/false)');
    case 'string': return typeof v === 'string' ? v : bad('a string');
    case 'positive': return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : bad('a positive number');
    case 'nonnegative': return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : bad('a number >= 0');
    case 'integer>0': return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : bad('a positive integer');
    case 'string[]': return Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : bad('an array of strings');
    case 'number|string': return typeof v === 'number' || typeof v === 'string' ? v : bad('a number or a string');
    case 'backend': return v === 'native' || v === 'bart' ? v : bad('"native" or "bart"');
    case 'threads': return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_NUMERICS_THREADS ? v : bad(`a whole number from 1 to ${MAX_NUMERICS_THREADS}`);
  }
}

/** Reads a TOML config with top-level keys and tables of typed keys into `config` (mutated). */
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

export function loadTvReconConfig(searchPath = configSearchPath(), fileName = TVRECON_CONFIG_FILE): LoadedConfig<TvReconConfig> {
  const config = defaultTvReconConfig();
  const r = loadTomlInto(searchPath, fileName, config as unknown as Record<string, unknown>, {
    metafile_paths: 'string[]', girf_file: 'string',
    reconstruction: {
      backend: 'backend', apply_girf: 'boolean', gpu_device: 'number|string', arms_per_frame: 'integer>0', num_recon_frames: 'integer>0',
      num_chunks: 'integer>0', fov_oversampling: 'positive', reg_lambda: 'nonnegative', num_iter: 'integer>0', BART_TOOLBOX_PATH: 'string', threads: 'threads',
    },
  });
  return { config, ...r };
}
