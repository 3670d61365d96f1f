import { describe, expect, it } from 'vitest';
import { PauseGate, pauseCheckpoint } from './pause-gate.js';

describe('PauseGate', () => {
  it('holds nest: open only when every hold is released; a release without a hold is an error', () => {
    const g = new PauseGate();
    expect(g.held).toBe(false);
    g.hold();
    g.hold();
    g.release();
    expect(g.held).toBe(true);
    g.release();
    expect(g.held).toBe(false);
    expect(() => g.release()).toThrow(/released more often than held/);
    expect(g.held).toBe(false); // left open, not negative
    expect(() => new PauseGate(new Int32Array(2))).toThrow(/SharedArrayBuffer/);
  });

  it('a checkpoint returns at once while the gate is open and counts no pause', () => {
    const g = new PauseGate();
    const cp = pauseCheckpoint(g.cells);
    for (let i = 0; i < 100; i++) cp();
    expect(g.pauses).toBe(0);
  });
});
