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
