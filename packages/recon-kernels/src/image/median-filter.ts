/**
 * scipy.ndimage.median_filter(data, size=s) with its defaults (mode 'reflect', origin 0) on a
 * C-order N-D array, as the reference `filter` module applies it to its whole stacked
 * [y, x, z, cha, img] array. Hand-written: no npm package reproduces scipy's N-D semantics.
 *
 * scipy details reproduced:
 * - the window covers offsets -floor(s/2) .. s - floor(s/2) - 1 along every axis;
 * - 'reflect' is half-sample symmetric: (d c b a | a b c d | d c b a);
 * - the result is the element of rank floor(s^N / 2) of the window (upper median for an even
 *   window, no averaging).
 * Axes of length 1 contribute the same element s times; rather than gathering those copies the
 * rank is divided by their multiplicity, which selects the same element.
 */

/** scipy's 'reflect' boundary mapping of index i on an axis of length n. */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n;
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - 1 - j;
}

/** k-th smallest (0-based) of buf[0 .. len) by quickselect; reorders buf. */
function select(buf: Float64Array, len: number, k: number): number {
  let lo = 0, hi = len - 1;
  while (hi > lo) {
    const pivot = buf[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (buf[i] < pivot) i++;
      while (buf[j] > pivot) j--;
      if (i <= j) {
        const t = buf[i]; buf[i] = buf[j]; buf[j] = t;
        i++; j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return buf[k];
  }
  return buf[k];
}

export function medianFilter<T extends Int16Array | Uint16Array | Int32Array | Float32Array | Float64Array>(
  data: T, shape: readonly number[], size: number,
): T {
  const nd = shape.length;
  const total = shape.reduce((a, b) => a * b, 1);
  if (data.length !== total) throw new Error(`medianFilter: data length ${data.length} does not match shape ${JSON.stringify(shape)}`);
  if (!Number.isInteger(size) || size < 1) throw new Error(`medianFilter: size must be a positive integer, got ${size}`);
  const out = new (data.constructor as { new (n: number): T })(total);
  if (size === 1 || total === 0) { out.set(data); return out; }
  const axes: number[] = []; // axes with length > 1
  let multiplicity = 1;
  for (let d = 0; d < nd; d++) {
    if (shape[d] > 1) axes.push(d);
    else multiplicity *= size;
  }
  const strides = new Array<number>(nd);
  let s = 1;
  for (let d = nd - 1; d >= 0; d--) { strides[d] = s; s *= shape[d]; }
  const windowLen = size ** axes.length;
  const rank = Math.floor(size ** nd / 2);
  const k = Math.floor(rank / multiplicity);
  const half = Math.floor(size / 2);
  // per axis, the reflected source offsets (times stride) for every position and window offset
  const table = axes.map((d) => {
    const n = shape[d];
    const t = new Int32Array(n * size);
    for (let i = 0; i < n; i++) for (let w = 0; w < size; w++) t[i * size + w] = reflectIndex(i - half + w, n) * strides[d];
    return t;
  });
  const buf = new Float64Array(windowLen);
  const pos = new Array<number>(nd).fill(0);
  const wi = new Int32Array(axes.length);
  const m = axes.length;
  for (let flat = 0; flat < total; flat++) {
    // gather the window
    wi.fill(0);
    for (let c = 0; c < windowLen; c++) {
      let src = 0;
      for (let a = 0; a < m; a++) src += table[a][pos[axes[a]] * size + wi[a]];
      buf[c] = data[src];
      for (let a = m - 1; a >= 0; a--) {
        if (++wi[a] < size) break;
        wi[a] = 0;
      }
    }
    out[flat] = select(buf, windowLen, k);
    for (let d = nd - 1; d >= 0; d--) {
      if (++pos[d] < shape[d]) break;
      pos[d] = 0;
    }
  }
  return out;
}
