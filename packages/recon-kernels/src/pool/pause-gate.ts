/**
 * A pause gate on shared memory: one thread (a real-time frame path) holds it while it needs the
 * cores, and background work on another thread (the adaptive coil maps' estimate) waits at its
 * checkpoints while it is held, off the CPU (Atomics.wait), instead of competing for a core. The
 * background work's results do not depend on it: it only changes when the work runs.
 *
 * Layout (Int32): [0] holds (0: open), [1] how many times a waiter blocked (for tests and
 * diagnostics). Holds nest (a count), so that two overlapping holders cannot open it early.
 */

/** The gate's shared cells: carried to a worker in a task. */
export type PauseGateCells = Int32Array;

export class PauseGate {
  readonly cells: PauseGateCells;

  constructor(cells: PauseGateCells = new Int32Array(new SharedArrayBuffer(8))) {
    if (!(cells.buffer instanceof SharedArrayBuffer) || cells.length < 2) throw new Error('a pause gate needs 2 Int32 cells on a SharedArrayBuffer');
    this.cells = cells;
  }

  /** Closes the gate (nested: opens when every hold is released). */
  hold(): void {
    Atomics.add(this.cells, 0, 1);
  }

  /** Releases one hold; the last one opens the gate and wakes the waiters. */
  release(): void {
    if (Atomics.sub(this.cells, 0, 1) <= 0) {
      Atomics.store(this.cells, 0, 0);
      throw new Error('pause gate released more often than held');
    }
    if (Atomics.load(this.cells, 0) === 0) Atomics.notify(this.cells, 0);
  }

  get held(): boolean {
    return Atomics.load(this.cells, 0) !== 0;
  }

  /** How many times a waiter blocked at a checkpoint so far. */
  get pauses(): number {
    return Atomics.load(this.cells, 1);
  }
}

/**
 * A checkpoint for background work on a worker thread: returns at once when the gate is open,
 * else blocks this thread (off the CPU) until it opens. Not for the main thread of a process
 * (Atomics.wait may not block there in every host).
 */
export function pauseCheckpoint(cells: PauseGateCells): () => void {
  return () => {
    let v = Atomics.load(cells, 0);
    if (v === 0) return;
    Atomics.add(cells, 1, 1);
    while (v !== 0) {
      Atomics.wait(cells, 0, v);
      v = Atomics.load(cells, 0);
    }
  };
}
