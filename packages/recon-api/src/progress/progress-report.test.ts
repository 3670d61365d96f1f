import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressReport, formatDuration, isProgressUpdate } from './progress-report.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ProgressReport', () => {
  it('reports every stage, updates at most every interval, with elapsed time and an estimate', () => {
    let t = 0;
    const lines: string[] = [];
    const r = new ProgressReport({ label: 'recon', sink: (l) => lines.push(l), intervalMs: 5000, now: () => t });
    r.stage('coil maps', 'nlinv, 96 arms');
    t = 1000; r.update(0.1, 'Newton step 1 of 10'); // too soon after the stage line
    t = 6000; r.update(0.5, 'Newton step 5 of 10');
    t = 7000; r.update(0.6, 'Newton step 6 of 10'); // too soon
    t = 12_000; r.stage('TV solve');
    t = 72_000; r.update(0.25, 'chunk 1 of 4, CG step 30 of 121');
    t = 80_000; r.finish('reconstruction finished');
    expect(lines).toEqual([
      'recon: coil maps (nlinv, 96 arms): started, elapsed 0s',
      'recon: coil maps: Newton step 5 of 10 (50%), elapsed 6s, about 6s left in this stage',
      'recon: TV solve: started, elapsed 12s',
      'recon: TV solve: chunk 1 of 4, CG step 30 of 121 (25%), elapsed 1m12s, about 3m00s left in this stage',
      'recon: reconstruction finished in 1m20s',
    ]);
    expect(lines.filter(isProgressUpdate)).toEqual([lines[1], lines[3]]);
  });

  it('formats durations', () => {
    expect([formatDuration(4.4), formatDuration(75), formatDuration(3725)]).toEqual(['4s', '1m15s', '1h02m05s']);
  });

  it('during: lines while another process works, stopped when it ends', async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const r = new ProgressReport({ label: 'x', sink: (l) => lines.push(l), intervalMs: 1000 });
    r.stage('TV solve');
    let done!: () => void;
    const work = new Promise<void>((res) => (done = res));
    const p = r.during(work, 'bart pics');
    await vi.advanceTimersByTimeAsync(3500);
    done();
    await p;
    await vi.advanceTimersByTimeAsync(5000);
    expect(lines.filter((l) => l.includes('bart pics, running for'))).toHaveLength(3);
  });
});
