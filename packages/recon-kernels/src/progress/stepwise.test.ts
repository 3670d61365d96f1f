import { describe, expect, it } from 'vitest';
import { runSteps, runStepsCooperatively } from './stepwise.js';

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
