/**
 * The spare session runner is not booted while a session streams (it would compete with it for
 * the cores), but once the sessions are quiet, none runs, or a connection arrives.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SpareRunnerTiming } from './spare-runner-timing.js';

function harness() {
  const state = { ready: false, sessions: 1, traffic: 0, boots: 0 };
  const timing = new SpareRunnerTiming({
    needed: () => !state.ready,
    boot: () => {
      state.boots++;
      state.ready = true;
    },
    sessions: () => state.sessions,
    traffic: () => state.traffic,
  }, 100, 1_000_000);
  return { state, timing };
}

describe('SpareRunnerTiming', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('does not boot while the session streams, boots once it is quiet', () => {
    const { state, timing } = harness();
    timing.whenQuiet();
    expect(state.boots).toBe(0);
    for (let i = 0; i < 20; i++) {
      state.traffic += 20_000_000; // 200 MB/s
      vi.advanceTimersByTime(100);
      expect(state.boots).toBe(0);
      expect(timing.pending).toBe(true);
    }
    state.traffic += 10_000; // the module computes: a trickle
    vi.advanceTimersByTime(100);
    expect(state.boots).toBe(1);
    expect(timing.pending).toBe(false);
  });

  it('boots when no session runs any more', () => {
    const { state, timing } = harness();
    timing.whenQuiet();
    state.traffic += 50_000_000;
    state.sessions = 0;
    vi.advanceTimersByTime(100);
    expect(state.boots).toBe(1);
  });

  it('a session leaving the total (traffic falls) counts as no traffic', () => {
    const { state, timing } = harness();
    state.traffic = 200_000_000;
    timing.whenQuiet();
    state.traffic = 0; // that session ended; another (still quiet) runs
    vi.advanceTimersByTime(100);
    expect(state.boots).toBe(1);
  });

  it('boots at once when a connection arrives (now), and only once', () => {
    const { state, timing } = harness();
    timing.whenQuiet();
    state.traffic += 50_000_000;
    timing.now();
    expect(state.boots).toBe(1);
    expect(timing.pending).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(state.boots).toBe(1);
  });

  it('does nothing when a runner is ready (a finished session gave its worker back)', () => {
    const { state, timing } = harness();
    timing.whenQuiet();
    state.ready = true;
    vi.advanceTimersByTime(500);
    expect(state.boots).toBe(0);
    expect(timing.pending).toBe(false);
    timing.whenQuiet();
    expect(timing.pending).toBe(false);
  });

  it('cancel drops a pending boot', () => {
    const { state, timing } = harness();
    timing.whenQuiet();
    timing.cancel();
    vi.advanceTimersByTime(1000);
    expect(state.boots).toBe(0);
  });
});
