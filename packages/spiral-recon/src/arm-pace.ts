/**
 * The pace of a session's arms, for how long the frame threads may wait busy for the next one
 * (the view-sharing window's steps posted ahead, ViewSharingWindow.prepareBlockStep): a thread
 * that keeps its core until the arm comes is not queued on the session thread's core when the
 * arm wakes it (docs/numerics.md, "branch rt-p99"); one that waits longer than the arms' pace
 * (the scanner paused, the session over) goes to sleep instead of holding a core.
 */

/** The longest busy wait (ms), whatever the pace. */
export const ARM_SPIN_MAX_MS = 25;

/** Gaps between arms remembered. */
const GAPS = 4;

export class ArmPace {
  private readonly gaps: number[] = [];
  private last = NaN;

  /** An arm taken at time `t` (ms, one clock for all calls). */
  arrived(t: number): void {
    if (Number.isFinite(this.last)) {
      this.gaps.push(Math.max(0, t - this.last));
      if (this.gaps.length > GAPS) this.gaps.shift();
    }
    this.last = t;
  }

  /** Twice the longest of the last few gaps between arms, at most ARM_SPIN_MAX_MS; 0 before the second arm. */
  spinMs(): number {
    let g = 0;
    for (const x of this.gaps) if (x > g) g = x;
    return Math.min(ARM_SPIN_MAX_MS, 2 * g);
  }
}
