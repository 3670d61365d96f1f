import { describe, expect, it } from 'vitest';
import { ARM_SPIN_MAX_MS, ArmPace } from './arm-pace.js';

describe('the arms\' pace (how long the frame threads wait busy for a prepared step)', () => {
  it('0 before the second arm; then twice the longest of the last 4 gaps, at most ARM_SPIN_MAX_MS', () => {
    const p = new ArmPace();
    expect(p.spinMs()).toBe(0);
    p.arrived(100);
    expect(p.spinMs()).toBe(0);
    p.arrived(108.5);
    expect(p.spinMs()).toBe(17);
    for (const t of [109, 109.5, 110, 110.5]) p.arrived(t); // a session behind its arms takes them back to back
    expect(p.spinMs()).toBe(1); // the 8.5 ms gap has left the last 4
    p.arrived(1000); // the scanner paused
    expect(p.spinMs()).toBe(ARM_SPIN_MAX_MS);
    p.arrived(999); // (a clock that went back counts as no gap)
    expect(p.spinMs()).toBe(ARM_SPIN_MAX_MS);
  });
});
