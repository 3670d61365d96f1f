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
  const settled = onPool.then(() => undefined, () => undefined);
  try {
    takeClaimedWork(claims, count, item);
  } catch (e) {
    await settled; // the pool's threads may still write the step's arrays
    throw e;
  }
  await waitClaimedWork(claims, count, onPool);
}

/**
 * Waits, taking no item on this thread, until every item is finished (by the pool's tasks over
 * the claims, `onPool`, or by this thread in between: `takeClaimedWork`); rethrows a pool
 * failure, and fails when the pool is done with items still unfinished.
 */
export async function waitClaimedWork(claims: Int32Array, count: number, onPool: Promise<unknown>): Promise<void> {
  let poolError: unknown;
  let poolDone = false;
  const settled = onPool.then(() => { poolDone = true; }, (e: unknown) => { poolDone = true; poolError = e ?? new Error('pool step failed'); });
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
 * Items handed out from both ends: [0] packs the next low item (low 16 bits) and the end of the
 * unclaimed range (high 16 bits), [1] the items finished. One thread takes items in increasing
 * order from the low end (so it can add them up in order as it goes), another from the high end;
 * where they meet is `claimsMeet`. At most 65535 items.
 */
export function newTwoEndedClaims(count: number): Int32Array {
  if (!(Number.isInteger(count) && count >= 0 && count <= 0xffff)) throw new RangeError(`two-ended claims: ${count} items (at most 65535)`);
  const claims = new Int32Array(new SharedArrayBuffer(8));
  claims[0] = count << 16;
  return claims;
}

function claimEnd(claims: Int32Array, low: boolean): number {
  for (;;) {
    const v = Atomics.load(claims, 0);
    const lo = v & 0xffff, hi = v >>> 16;
    if (lo >= hi) return -1;
    const next = low ? (hi << 16) | (lo + 1) : ((hi - 1) << 16) | lo;
    if (Atomics.compareExchange(claims, 0, v, next) === v) return low ? lo : hi - 1;
  }
}

/** The next item from the low end of two-ended claims, or -1 when none is left. */
export function claimLowCoil(claims: Int32Array): number {
  return claimEnd(claims, true);
}

/** The next item from the high end of two-ended claims, or -1 when none is left. */
export function claimHighCoil(claims: Int32Array): number {
  return claimEnd(claims, false);
}

/** Once every item is claimed: the first item taken from the high end (items below it came from the low end). */
export function claimsMeet(claims: Int32Array): number {
  return Atomics.load(claims, 0) & 0xffff;
}
