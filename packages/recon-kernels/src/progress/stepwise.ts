/**
 * Long computations written as generators that yield after each step (a CG iteration, a Newton
 * step): run to the end at once (`runSteps`), or cooperatively (`runStepsCooperatively`), giving
 * the event loop a turn at most every `everyMs` so that what the progress callbacks queued (log
 * lines to another thread, text messages to a client) actually leaves while the computation goes
 * on. The numerics stay free of any I/O: they yield and call plain callbacks.
 */

/**
 * A computation that yields after each step and returns its result. A step that waits for work
 * done elsewhere (the worker pool) yields that promise: the cooperative runner awaits it before
 * the next step; the synchronous runner cannot and fails.
 */
export type Steps<T> = Generator<void | Promise<unknown>, T, void>;

/** Runs all steps synchronously; returns the result. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (r.value instanceof Promise) {
      r.value.catch(() => undefined);
      throw new Error('this computation waits for the worker pool: run it with the async (cooperative) runner');
    }
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Runs the steps, letting the event loop run at most every `everyMs` of computing (default 100 ms). */
export async function runStepsCooperatively<T>(steps: Steps<T>, everyMs = 100): Promise<T> {
  let last = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (r.value instanceof Promise) {
      await r.value;
      last = performance.now();
      continue;
    }
    if (performance.now() - last >= everyMs) {
      await turn();
      last = performance.now();
    }
  }
}
