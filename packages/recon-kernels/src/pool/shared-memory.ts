/**
 * Typed arrays on SharedArrayBuffers: what the worker pool's tasks carry, so that a worker reads
 * and writes the caller's k-space and images where they are (postMessage shares such a buffer
 * instead of copying it).
 */

/** A zeroed Float32Array of `length` on a SharedArrayBuffer. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * length));
}

/** `a` itself when it already lives on a SharedArrayBuffer, else a copy on one. */
export function asShared(a: Float32Array): Float32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const out = sharedFloat32(a.length);
  out.set(a);
  return out;
}

/** True when the array's memory is shared (a worker can write into it). */
export function isShared(a: ArrayBufferView): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/**
 * [start, end) ranges splitting `count` items into at most `parts` contiguous runs of sizes
 * differing by at most one (the larger first), none empty.
 */
export function splitRange(count: number, parts: number): [number, number][] {
  const p = Math.max(1, Math.min(parts, count));
  const out: [number, number][] = [];
  const base = Math.floor(count / p), extra = count % p;
  let s = 0;
  for (let i = 0; i < p; i++) {
    const e = s + base + (i < extra ? 1 : 0);
    out.push([s, e]);
    s = e;
  }
  return out;
}

/**
 * A step's work items (coils, pixel chunks) handed out one at a time to whichever thread asks
 * next: [0] the next item, [1] the items finished. The calling thread and the pool's threads
 * share one per step, so a thread that starts late (its core busy) takes fewer items, or none,
 * instead of holding the step up. Each item is the same arithmetic whoever does it.
 */
export function newWorkClaims(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

/** The next unclaimed item of `count`, or -1 when all are taken. */
export function claimWork(claims: Int32Array, count: number): number {
  if (Atomics.load(claims, 0) >= count) return -1;
  const i = Atomics.add(claims, 0, 1);
  return i < count ? i : -1;
}

/**
 * The items a loop takes in turn, -1 when none is left: those `claim` hands out (claimWork on
 * claims shared with other threads), or without it the range [i0, i1) in order.
 */
export function itemSource(i0: number, i1: number, claim?: () => number): () => number {
  let i = i0;
  return claim ?? ((): number => (i < i1 ? i++ : -1));
}

/** Records one item finished (and wakes a thread waiting for the step). */
export function finishWork(claims: Int32Array): void {
  Atomics.add(claims, 1, 1);
  Atomics.notify(claims, 1);
}

/** True when all `count` items are finished. */
export function workFinished(claims: Int32Array, count: number): boolean {
  return Atomics.load(claims, 1) >= count;
}

/** Atomics.waitAsync (ES2024; in Node since 16): resolves when index is notified or no longer holds value. */
type WaitAsync = (a: Int32Array, index: number, value: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * Runs the step's items on this thread (`item(i)` for each claimed i) while `onPool` (the pool's
 * tasks over the same claims) runs; returns as soon as every item is finished, without waiting
 * for a pool task that has not started or found nothing left to take (it ends by itself); waits
 * only for items a pool thread is doing, and rethrows a pool failure then.
 */
export async function runClaimedWork(claims: Int32Array, count: number, item: (i: number) => void, onPool: Promise<unknown>): Promise<void> {
  let poolError: unknown;
  let poolDone = false;
  const settled = onPool.then(() => { poolDone = true; }, (e: unknown) => { poolDone = true; poolError = e ?? new Error('pool step failed'); });
  try {
    takeClaimedWork(claims, count, item);
  } catch (e) {
    await settled; // the pool's threads may still write the step's arrays
    throw e;
  }
  for (;;) {
    const done = Atomics.load(claims, 1);
    if (done >= count) return;
    if (poolError !== undefined) throw poolError;
    if (poolDone) throw new Error(`pool step: ${count - done} of ${count} items not finished by the pool`);
    const w = waitAsync(claims, 1, done);
    if (w.async) await Promise.race([w.value, settled]);
  }
}

/** A pool thread's share of a step: items claimed and done until none is left. */
export function takeClaimedWork(claims: Int32Array, count: number, item: (i: number) => void): void {
  for (let i = claimWork(claims, count); i >= 0; i = claimWork(claims, count)) {
    item(i);
    finishWork(claims);
  }
}

/**
 * A go cell for pool tasks posted ahead of their work (a real-time frame path posts its next
 * step's task in the idle time before the data is there, so that neither the post nor the
 * thread's start is on the frame's latency): [0] is 0 while held, 1 once released, -1 cancelled.
 */
export function newGoCell(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Lets the tasks waiting on `go` run (the caller's writes before this are visible to them). */
export function releaseGo(go: Int32Array): void {
  Atomics.store(go, 0, 1);
  Atomics.notify(go, 0);
}

/** Tells the tasks waiting on `go` to end without doing anything. */
export function cancelGo(go: Int32Array): void {
  Atomics.store(go, 0, -1);
  Atomics.notify(go, 0);
}

/**
 * In a pool thread: resolves once `go` is released (true) or cancelled (false), waiting on the
 * thread's event loop (Atomics.waitAsync), not in a blocking Atomics.wait: two tasks posted ahead
 * to one thread (a frame's step, then its combination) may start in either order (piscina starts
 * every message it has read, each up to its first await), and a blocking wait in the second would
 * hold the thread while the first, released first, waits behind it.
 */
export async function awaitGo(go: Int32Array): Promise<boolean> {
  for (;;) {
    const g = Atomics.load(go, 0);
    if (g !== 0) return g > 0;
    const w = waitAsync(go, 0, 0);
    if (w.async) await w.value;
  }
}
