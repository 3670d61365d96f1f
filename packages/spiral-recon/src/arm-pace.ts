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

/** A gap this long (ms) between two turns of a kept-awake event loop: the thread was preempted (keepAwake stops). */
const AWAKE_PREEMPTED_MS = 1;

export class ArmPace {
  private readonly gaps: number[] = [];
  private last = NaN;
  /** bumped by each arm: a keepAwake of an earlier arm stops */
  private generation = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** An arm taken at time `t` (ms, the clock of `now`). */
  arrived(t: number): void {
    this.generation++;
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

  /**
   * Keeps this thread's event loop turning without sleeping (one setImmediate after another: a
   * poll that does not block) until the next arm arrives, `ms` have passed, or a turn comes 1 ms
   * or more after the last (the thread was preempted: its core is wanted). For the idle time
   * before an arm on the frame path: a thread that sleeps until the arm may be woken queued on
   * the core of the frame thread that waits for it busy (docs/numerics.md, branch rt-p99).
   * `onTurn` (tests) is called at each turn.
   */
  keepAwake(ms: number, onTurn?: () => void): void {
    if (!(ms > 0)) return;
    const gen = this.generation;
    let last = this.now();
    const end = last + ms;
    const turn = (): void => {
      const t = this.now();
      if (this.generation !== gen || t >= end || t - last >= AWAKE_PREEMPTED_MS) return;
      last = t;
      onTurn?.();
      setImmediate(turn);
    };
    setImmediate(turn);
  }
}
