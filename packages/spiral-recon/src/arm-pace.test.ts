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

  it('keepAwake: event-loop turns one after another until the next arm, the bound, or a gap of 1 ms between turns (preempted); none for 0 ms', async () => {
    const turns = async (n: number): Promise<void> => {
      for (let k = 0; k < n; k++) await new Promise((r) => setImmediate(r));
    };
    let t = 0;
    const p = new ArmPace(() => t);
    let n = 0;
    p.keepAwake(5, () => { n++; t += 0.01; });
    await turns(50);
    expect(n).toBeGreaterThanOrEqual(40); // (one turn of its own per turn here)
    p.arrived(t); // the arm: it stops
    const atArm = n;
    await turns(50);
    expect(n).toBe(atArm);
    n = 0;
    p.keepAwake(1, () => { n++; t += 0.1; });
    await turns(50);
    expect(n).toBe(10); // the bound: 1 ms of its clock
    n = 0;
    p.keepAwake(20, () => { n++; t += n === 5 ? 2 : 0.01; }); // preempted after its 5th turn
    await turns(50);
    expect(n).toBe(5);
    n = 0;
    p.keepAwake(0, () => n++);
    await turns(10);
    expect(n).toBe(0);
  });
});
