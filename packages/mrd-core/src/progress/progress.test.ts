import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressReport, TextProgressBar, formatDuration, isProgressUpdate, runSteps, runStepsCooperatively } from './index.js';

/** A stand-in for process.stdout that records what is written. */
function fakeStream(isTTY: boolean, columns = 80): { stream: NodeJS.WriteStream; out: string[] } {
  const out: string[] = [];
  const stream = { isTTY, columns, write: (s: string) => (out.push(s), true) } as unknown as NodeJS.WriteStream;
  return { stream, out };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TextProgressBar', () => {
  it('draws nothing when the stream is not a terminal (or there is nothing to count)', () => {
    const { stream, out } = fakeStream(false);
    const bar = new TextProgressBar('Sending acquisitions', 10, stream);
    bar.update(5, true);
    bar.finish();
    const empty = new TextProgressBar('Sending', 0, fakeStream(true).stream);
    expect(empty.enabled).toBe(false);
    expect(out).toEqual([]);
  });

  it('redraws on one line at most 10 times a second and ends at 100 % with a newline', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    const { stream, out } = fakeStream(true, 80);
    const bar = new TextProgressBar('Sending', 4, stream);
    bar.update(1);
    bar.update(2); // within 100 ms: skipped
    vi.setSystemTime(1_000_150);
    bar.update(2);
    bar.finish();
    bar.finish(); // once only
    // width = min(40, 80 - 7 - 30) = 40
    expect(out).toEqual([
      `\rSending [${'#'.repeat(10)}${'.'.repeat(30)}]  25% 1/4`,
      `\rSending [${'#'.repeat(20)}${'.'.repeat(20)}]  50% 2/4`,
      `\rSending [${'#'.repeat(40)}] 100% 4/4`,
      '\n',
    ]);
  });
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

describe('step-wise computations', () => {
  function* busy(steps: number, ms: number) {
    for (let i = 0; i < steps; i++) {
      const end = performance.now() + ms;
      while (performance.now() < end) { /* compute */ }
      yield;
    }
    return steps;
  }

  it('runSteps runs to the end; runStepsCooperatively lets the event loop run meanwhile', async () => {
    expect(runSteps(busy(3, 1))).toBe(3);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      expect(await runStepsCooperatively(busy(10, 20), 10)).toBe(10);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThanOrEqual(5);
  });
});
