/**
 * `rtspiral_bart_tvrecon_config.toml` (README section 3.2), read at every session from the
 * configs search path by the spiral recons' one TOML reader (../config.ts). Every key of the reference plus `backend`; a missing key
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
 *   threads = 2                     # native coil maps' and solve's threads (not set: mrd-server --threads, default the cores)
 */
import { configSearchPath, loadTomlInto, type LoadedConfig } from '../config.js';

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
    /** threads of the native coil maps (over coils) and solve (over frames/bins) (not set: the server's --threads, by default the cores) */
    threads?: number;
  };
}

const TVRECON_CONFIG_FILE = 'rtspiral_bart_tvrecon_config.toml';

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
