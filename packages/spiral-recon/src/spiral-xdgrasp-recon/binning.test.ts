import { describe, expect, it } from 'vitest';
import { emptyWaveformHeader } from '@mrd-tools/core/headers';
import type { Waveform } from '@mrd-tools/core/messages';
import { armDiscardRange, cardiacBins, cyclicRespiratoryBins, ecgArmTriggers, pilotToneTriggers } from './binning.js';

function wf(id: number, channels: number[][], sampleUs: number, stamp: number): Waveform {
  const head = emptyWaveformHeader();
  head.waveform_id = id;
  head.channels = channels.length;
  head.number_of_samples = channels[0].length;
  head.sample_time_us = sampleUs;
  head.time_stamp = stamp;
  return { head, data: Uint32Array.from(channels.flat()) };
}

describe('binning', () => {
  it('cyclic respiratory bins: rising half 0..n/2-1, falling half mirrored, extremes discarded', () => {
    const resp = Array.from({ length: 40 }, (_, i) => Math.sin((2 * Math.PI * i) / 20));
    // expected values printed by the reference's numpy function for this input
    expect(Array.from(cyclicRespiratoryBins(resp, 4, 0))).toEqual([0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 0, 0, 0, 0]);
    expect(Array.from(cyclicRespiratoryBins(resp, 6, 0.2))).toEqual([1, 1, 2, 2, 2, -1, -1, 3, 3, 4, 4, 4, 5, 5, 5, -1, -1, 0, 0, 1, 1, 1, 2, 2, 2, -1, -1, 3, 3, 4, 4, 4, 5, 5, 5, -1, -1, 0, 0, 1]);
  });
  it('cardiac bins from triggers: equal bins of 0.9 x shortest RR, nothing after the last trigger', () => {
    const trig = new Int32Array(40);
    trig[2] = 1; trig[14] = 1; trig[27] = 1;
    const b = cardiacBins(trig, 3);
    // shortest RR 12 -> window int(10.8)=10 -> 9 -> 3 arms per bin
    expect(Array.from(b.subarray(0, 16))).toEqual([-1, -1, 0, 0, 0, 1, 1, 1, 2, 2, 2, -1, -1, -1, 0, 0]);
    expect(Array.from(b.subarray(27))).toEqual(new Array(13).fill(-1));
  });
  it('ECG triggers land on the nearest arm with 2.5 ms ticks', () => {
    // ECG at 2.5 ms samples starting 10 ticks (25 ms) before the first arm; TR 10 ms
    const trigger = new Array(100).fill(0);
    trigger[10 + 8] = 1; // 8 samples = 20 ms after the first arm -> arm 2
    trigger[10 + 33] = 1; // 82.5 ms -> arm 8
    const ecg = wf(0, [trigger, trigger, trigger, trigger, trigger], 2500, 100);
    const t = ecgArmTriggers([ecg], 110, 20, 0.01);
    expect(Array.from(t).map((v, i) => (v ? i : -1)).filter((i) => i >= 0)).toEqual([2, 8]);
  });
  it('pilot-tone triggers shifted by the delay; a delay under one sample shifts nothing', () => {
    const O = 2 ** 31;
    const ch = [O, O, O + 1, O, O, O, O + 1, O];
    const pt = wf(1025, [ch, ch, ch, ch, ch], 10_000, 0);
    expect(Array.from(pilotToneTriggers([pt], 2, 0.005))).toEqual([0, 0, 1, 0, 0, 0, 1, 0]);
    expect(Array.from(pilotToneTriggers([pt], 2, 0.02))).toEqual([1, 0, 0, 0, 1, 0, 0, 0]);
  });
  it('arm discard in seconds; 0 after keeps the end', () => {
    expect(armDiscardRange(1000, 1, 0, 0.01)).toEqual({ start: 100, end: 1000 });
    expect(armDiscardRange(1000, 1, 2, 0.01)).toEqual({ start: 100, end: 800 });
    expect(armDiscardRange(10, 1, 1, 0.01)).toEqual({ start: 10, end: 10 });
  });
});

describe('shipped example configs', () => {
  it('parse with every key set (but threads, left to mrd-server --threads) and equal the documented defaults', async () => {
    const { fileURLToPath } = await import('node:url');
    const { dirname, join } = await import('node:path');
    const configs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'configs');
    const { loadXdGraspConfig, defaultXdGraspConfig } = await import('./config.js');
    const { loadTvReconConfig, defaultTvReconConfig } = await import('../rtspiral-bart-tvrecon/config.js');
    const xd = loadXdGraspConfig([configs]);
    // threads is shipped commented out: not set, the server's --threads (default the cores) applies
    expect(xd.defaulted).toEqual(['reconstruction.threads']);
    expect(xd.config).toEqual(defaultXdGraspConfig());
    const tv = loadTvReconConfig([configs]);
    expect(tv.defaulted).toEqual(['reconstruction.threads']);
    expect(tv.config).toEqual(defaultTvReconConfig());
  });
});

describe('threads key of the iterative recons\' configs', () => {
  it('a whole number 1..256 is read; anything else is an error naming the key', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { loadXdGraspConfig } = await import('./config.js');
    const { loadTvReconConfig } = await import('../rtspiral-bart-tvrecon/config.js');
    const dir = mkdtempSync(join(tmpdir(), 'threads-key-'));
    writeFileSync(join(dir, 'rtspiral_bart_tvrecon_config.toml'), '[reconstruction]\nthreads = 2\n');
    writeFileSync(join(dir, 'spiral_xdgrasp_config.toml'), '[reconstruction]\nthreads = 1\n');
    expect(loadTvReconConfig([dir]).config.reconstruction.threads).toBe(2);
    expect(loadXdGraspConfig([dir]).config.reconstruction.threads).toBe(1);
    for (const bad of ['0', '2.5', '"2"', '300']) {
      writeFileSync(join(dir, 'spiral_xdgrasp_config.toml'), `[reconstruction]\nthreads = ${bad}\n`);
      expect(() => loadXdGraspConfig([dir])).toThrow(/key reconstruction\.threads must be a whole number from 1 to 256/);
    }
  });
});
