/**
 * Long computations written as generators that yield after each step (a CG iteration, a Newton
 * step): run to the end at once (`runSteps`), or cooperatively (`runStepsCooperatively`), giving
 * the event loop a turn at most every `everyMs` so that what the progress callbacks queued (log
 * lines to another thread, text messages to a client) actually leaves while the computation goes
 * on. The numerics stay free of any I/O: they yield and call plain callbacks.
 */

/** A computation that yields after each step and returns its result. */
export type Steps<T> = Generator<void, T, void>;

/** Runs all steps synchronously; returns the result. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs the steps, letting the event loop run at most every `everyMs` of computing (default 100 ms). */
export async function runStepsCooperatively<T>(steps: Steps<T>, everyMs = 100): Promise<T> {
  let last = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - last >= everyMs) {
      await turn();
      last = performance.now();
    }
  }
}
