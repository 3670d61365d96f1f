/**
 * `spiral_xdgrasp_config.toml` (README section 3.3): the reference's [reconstruction] and
 * [binning] keys plus `backend`, read at every session from the configs search path; missing
 * keys take the defaults below (the README's values), a wrong type is an error naming the key.
 *
 *   metafile_paths = ["seq_meta"]
 *   girf_file = ""
 *   [reconstruction]
 *   backend = "native"          # or "bart"
 *   apply_girf = false
 *   arm_discard_pre = 5         # [s] excluded at the start
 *   arm_discard_post = 5        # [s] excluded at the end (0 keeps the end)
 *   reg_lambda_resp = 0.0005    # TV weight along the respiratory bins
 *   reg_lambda_card = 0.0005    # TV weight along the cardiac bins
 *   num_iter = 300              # BART -i (CG steps budget of ADMM)
 *   fov_oversampling = 1
 *   gpu_device = 0              # accepted and ignored
 *   BART_TOOLBOX_PATH = ""
 *   threads = 2                 # native coil maps' and solve's threads (not set: mrd-server --threads, default the cores)
 *   [binning]
 *   n_respiratory_bins = 12
 *   n_cardiac_bins = 20
 *   trigger_source = "pilottone_derivative"   # "ecg", "pilottone", "pilottone_derivative"
 *   ecg_pilottone_delay = 0.15  # [s]
 *   resp_discard = 0.1          # fraction of extreme respiratory samples discarded
 *   fill_small_bins = true      # true: bins keep all their arms; false: cropped to the smallest
 */
import { configSearchPath, loadTomlInto, SpiralConfigError, type LoadedConfig } from '../config.js';

export interface XdGraspConfig {
  metafile_paths: string[];
  girf_file: string;
  reconstruction: {
    backend: 'native' | 'bart';
    apply_girf: boolean;
    arm_discard_pre: number;
    arm_discard_post: number;
    reg_lambda_resp: number;
    reg_lambda_card: number;
    num_iter: number;
    fov_oversampling: number;
    gpu_device: number | string;
    BART_TOOLBOX_PATH: string;
    /** threads of the native coil maps (over coils) and solve (over frames/bins) (not set: the server's --threads, by default the cores) */
    threads?: number;
  };
  binning: {
    n_respiratory_bins: number;
    n_cardiac_bins: number;
    trigger_source: 'ecg' | 'pilottone' | 'pilottone_derivative';
    ecg_pilottone_delay: number;
    resp_discard: number;
    fill_small_bins: boolean;
  };
}

export const XDGRASP_CONFIG_FILE = 'spiral_xdgrasp_config.toml';

export function defaultXdGraspConfig(): XdGraspConfig {
  return {
    metafile_paths: ['seq_meta'],
    girf_file: '',
    reconstruction: {
      backend: 'native', apply_girf: false, arm_discard_pre: 5, arm_discard_post: 5, reg_lambda_resp: 0.0005, reg_lambda_card: 0.0005,
      num_iter: 300, fov_oversampling: 1, gpu_device: 0, BART_TOOLBOX_PATH: '',
    },
    binning: { n_respiratory_bins: 12, n_cardiac_bins: 20, trigger_source: 'pilottone_derivative', ecg_pilottone_delay: 0.15, resp_discard: 0.1, fill_small_bins: true },
  };
}

export function loadXdGraspConfig(searchPath = configSearchPath(), fileName = XDGRASP_CONFIG_FILE): LoadedConfig<XdGraspConfig> {
  const config = defaultXdGraspConfig();
  const r = loadTomlInto(searchPath, fileName, config as unknown as Record<string, unknown>, {
    metafile_paths: 'string[]', girf_file: 'string',
    reconstruction: {
      backend: 'backend', apply_girf: 'boolean', arm_discard_pre: 'nonnegative', arm_discard_post: 'nonnegative', reg_lambda_resp: 'nonnegative',
      reg_lambda_card: 'nonnegative', num_iter: 'integer>0', fov_oversampling: 'positive', gpu_device: 'number|string', BART_TOOLBOX_PATH: 'string', threads: 'threads',
    },
    binning: {
      n_respiratory_bins: 'integer>0', n_cardiac_bins: 'integer>0', trigger_source: 'string', ecg_pilottone_delay: 'nonnegative',
      resp_discard: 'nonnegative', fill_small_bins: 'boolean',
    },
  });
  const ts = config.binning.trigger_source as string;
  if (!['ecg', 'pilottone', 'pilottone_derivative'].includes(ts)) {
    throw new SpiralConfigError(`${r.path}: key binning.trigger_source must be "ecg", "pilottone" or "pilottone_derivative", got ${JSON.stringify(ts)}`);
  }
  if (config.binning.resp_discard >= 1) throw new SpiralConfigError(`${r.path}: key binning.resp_discard must be below 1, got ${config.binning.resp_discard}`);
  return { config, ...r };
}
