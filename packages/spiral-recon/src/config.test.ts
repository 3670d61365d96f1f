import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSearchPath, defaultRtSpiralVsConfig, loadRtSpiralVsConfig, SpiralConfigError } from './config.js';
import { defaultTvReconConfig, loadTvReconConfig } from './rtspiral-bart-tvrecon/config.js';
import { defaultXdGraspConfig, loadXdGraspConfig } from './spiral-xdgrasp-recon/config.js';

function dirWith(text: string): string {
  const d = mkdtempSync(join(tmpdir(), 'rtcfg-'));
  writeFileSync(join(d, 'rtspiral_vs_config.toml'), text);
  return d;
}

describe('rtspiral_vs_config.toml', () => {
  it('reads every key of the reference file, and the async coil-map keys of ours', () => {
    const d = dirWith(`"metafile_paths" = ["/opt/seq_meta", "more"]
"girf_file" = "GIRF/g.mat"
"save_raw" = true
[reconstruction]
"apply_girf"        = true
"arms_per_frame"    = 34
"window_shift"      = 8
"fov_oversampling"  = 1.5
"gpu_device"        = 2
"coil_combine"      = "adaptive"
"save_complex"      = true
"ignore_arms_per_frame" = true
"async_coil_maps"   = false
"max_frames_before_maps" = 3
`);
    const { config, path, defaulted } = loadRtSpiralVsConfig([d]);
    expect(path).toBe(join(d, 'rtspiral_vs_config.toml'));
    expect(defaulted).toEqual([]);
    expect(config).toEqual({
      metafile_paths: ['/opt/seq_meta', 'more'], girf_file: 'GIRF/g.mat', save_raw: true,
      reconstruction: { apply_girf: true, arms_per_frame: 34, window_shift: 8, fov_oversampling: 1.5, gpu_device: 2, coil_combine: 'adaptive', async_coil_maps: false, max_frames_before_maps: 3, save_complex: true, ignore_arms_per_frame: true },
    });
  });

  it('missing keys take the documented defaults (and are listed)', () => {
    const d = dirWith('[reconstruction]\narms_per_frame = 21\n');
    const { config, defaulted } = loadRtSpiralVsConfig([d]);
    expect(config.reconstruction.arms_per_frame).toBe(21);
    expect(config.reconstruction.window_shift).toBe(defaultRtSpiralVsConfig().reconstruction.window_shift);
    expect(config.metafile_paths).toEqual(['seq_meta']);
    expect(defaulted).toContain('reconstruction.window_shift');
    expect(defaulted).toContain('girf_file');
  });

  it('no config file anywhere: all defaults', () => {
    const { config, path } = loadRtSpiralVsConfig([mkdtempSync(join(tmpdir(), 'none-'))]);
    expect(path).toBeUndefined();
    expect(config).toEqual(defaultRtSpiralVsConfig());
  });

  it('a key of the wrong type is an error naming it', () => {
    expect(() => loadRtSpiralVsConfig([dirWith('[reconstruction]\narms_per_frame = "55"\n')])).toThrow(/key reconstruction.arms_per_frame must be a positive integer, got "55"/);
    expect(() => loadRtSpiralVsConfig([dirWith('save_raw = 1\n')])).toThrow(SpiralConfigError);
    expect(() => loadRtSpiralVsConfig([dirWith('metafile_paths = "seq"\n')])).toThrow(/key metafile_paths must be an array of strings/);
    expect(() => loadRtSpiralVsConfig([dirWith('[reconstruction]\ncoil_combine = "sos"\n')])).toThrow(/coil_combine must be "rssq" or "adaptive"/);
    expect(() => loadRtSpiralVsConfig([dirWith('[reconstruction]\nmax_frames_before_maps = 1.5\n')])).toThrow(/key reconstruction.max_frames_before_maps must be a whole number >= 0, got 1.5/);
    expect(() => loadRtSpiralVsConfig([dirWith('[reconstruction]\nasync_coil_maps = "yes"\n')])).toThrow(/key reconstruction.async_coil_maps must be a boolean/);
    expect(() => loadRtSpiralVsConfig([dirWith('[reconstruction\n')])).toThrow(/not valid TOML/);
  });

  it('search path: MRD_TOOLS_CONFIG_PATH, /tmp/share/configs, then ./configs; first found wins', () => {
    expect(configSearchPath('/w', { MRD_TOOLS_CONFIG_PATH: '/a:/b' })).toEqual(['/a', '/b', '/tmp/share/configs', '/w/configs']);
    const cwd = mkdtempSync(join(tmpdir(), 'cwd-'));
    mkdirSync(join(cwd, 'configs'));
    writeFileSync(join(cwd, 'configs', 'rtspiral_vs_config.toml'), '[reconstruction]\nwindow_shift = 3\n');
    const first = dirWith('[reconstruction]\nwindow_shift = 5\n');
    expect(loadRtSpiralVsConfig([first, join(cwd, 'configs')]).config.reconstruction.window_shift).toBe(5);
    expect(loadRtSpiralVsConfig([join(cwd, 'nothing'), join(cwd, 'configs')]).config.reconstruction.window_shift).toBe(3);
  });
});

describe('the example configs shipped in packages/spiral-recon/configs', () => {
  const shipped = fileURLToPath(new URL('../configs', import.meta.url));
  it('exist for all three recons (the README names them), set every key, and hold the documented defaults', () => {
    const vs = loadRtSpiralVsConfig([shipped]);
    expect(vs.path).toBe(join(shipped, 'rtspiral_vs_config.toml'));
    expect(vs.defaulted).toEqual([]);
    expect(vs.config).toEqual(defaultRtSpiralVsConfig());
    const tv = loadTvReconConfig([shipped]);
    expect(tv.path).toBe(join(shipped, 'rtspiral_bart_tvrecon_config.toml'));
    expect(tv.config).toEqual(defaultTvReconConfig());
    const xd = loadXdGraspConfig([shipped]);
    expect(xd.path).toBe(join(shipped, 'spiral_xdgrasp_config.toml'));
    expect(xd.config).toEqual(defaultXdGraspConfig());
  });
});
