/**
 * The centred FFT of the numerics, one implementation for every caller: numpy's shift
 * conventions (fftshift / ifftshift), the centred n-D transform `centredFftn` (inverse =
 * ifftshift(ifftn(fftshift(x))), k-space -> image as the reference recons; forward =
 * fftshift(fftn(ifftshift(x))); scale a number or 'ortho', numpy's unitary norm, as nlinv's
 * model uses it), and the fused centred 2-D inverse FFT of the reference recons ending in a
 * root-sum-of-squares coil combination (simplefft / invertcontrast), which never materialises
 * the complex images in JS memory. docs/numerics.md has the speed-ups and their figures.
 */
import type { FftEngine } from '../fft/engine.js';
import type { MixedRadixKernel } from '../fft/mixed-radix.js';

/**
 * numpy.fft.fftshift (or ifftshift with `inverse`) over `axes` of a C-order array of `shape`
 * whose elements are `elementSize` consecutive numbers (2 for interleaved complex). Returns a new
 * array of the same type.
 */
export function fftshift<T extends Float32Array | Float64Array | Int16Array | Uint16Array | Int32Array | Uint32Array>(
  data: T, shape: readonly number[], axes: readonly number[] = shape.map((_, i) => i), elementSize = 1, inverse = false,
): T {
  const nd = shape.length;
  const total = shape.reduce((a, b) => a * b, 1);
  if (data.length !== total * elementSize) throw new Error(`fftshift: data length ${data.length} does not match shape ${JSON.stringify(shape)} x ${elementSize}`);
  const shifts = new Array<number>(nd).fill(0);
  for (const a0 of axes) {
    const a = a0 < 0 ? a0 + nd : a0;
    const half = Math.floor(shape[a] / 2);
    shifts[a] = inverse ? (shape[a] - half) % Math.max(shape[a], 1) : half;
  }
  const out = new (data.constructor as { new (n: number): T })(data.length);
  // roll: out[(i + shift) % n] = in[i], done per innermost contiguous run
  const strides = new Array<number>(nd);
  let s = elementSize;
  for (let d = nd - 1; d >= 0; d--) { strides[d] = s; s *= shape[d]; }
  if (total === 0) return out;
  const last = nd - 1;
  const nLast = shape[last];
  const rows = total / nLast;
  const idx = new Array<number>(nd).fill(0);
  for (let r = 0; r < rows; r++) {
    // destination offset of this row, excluding the last axis
    let dst = 0, src = 0;
    for (let d = 0; d < last; d++) {
      src += idx[d] * strides[d];
      dst += ((idx[d] + shifts[d]) % shape[d]) * strides[d];
    }
    const sh = shifts[last];
    const es = elementSize;
    // in[0 .. n-sh) -> out[sh .. n), in[n-sh .. n) -> out[0 .. sh)
    out.set(data.subarray(src, src + (nLast - sh) * es), dst + sh * es);
    out.set(data.subarray(src + (nLast - sh) * es, src + nLast * es), dst);
    for (let d = last - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** numpy.fft.ifftshift: see `fftshift`. */
export function ifftshift<T extends Float32Array | Float64Array | Int16Array | Uint16Array | Int32Array | Uint32Array>(
  data: T, shape: readonly number[], axes: readonly number[] = shape.map((_, i) => i), elementSize = 1,
): T {
  return fftshift(data, shape, axes, elementSize, true);
}

/** numpy's normalisation of a centred transform: a factor, or 'ortho' (unitary: 1/sqrt(n) each way). */
export type CentredFftScale = number | 'ortho';

/** (-1)^(sum of the indices) over a C-order block of `shape` (all even), cached per shape. */
const signTables = new Map<string, Float32Array>();
function signTable(shape: readonly number[]): Float32Array {
  const key = shape.join('x');
  let t = signTables.get(key);
  if (!t) {
    const n = shape.reduce((a, b) => a * b, 1);
    t = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let rest = i, parity = 0;
      for (let d = shape.length - 1; d >= 0; d--) {
        parity += rest % shape[d];
        rest = Math.floor(rest / shape[d]);
      }
      t[i] = parity % 2 ? -1 : 1;
    }
    if (signTables.size >= 16) signTables.delete(signTables.keys().next().value as string);
    signTables.set(key, t);
  }
  return t;
}

/**
 * Centred N-D transform over `axes` of a C-order complex64 array of `shape`, in place, with
 * numpy's conventions: inverse = ifftshift(ifftn(fftshift(x))) (k-space -> image, as the
 * reference recons), forward = fftshift(fftn(ifftshift(x))) (image -> k-space, the usual
 * centred forward transform, e.g. SigPy's); then times `scale` ('ortho': unitary, numpy's
 * norm='ortho'). For even lengths the two are exact inverses (up to the 1/n of the inverse); for
 * odd lengths the reference's inverse shift order is not, exactly as in numpy.
 *
 * When the transformed axes are the last ones and all of even length (nlinv's grids), the shifts
 * are a modulation instead of copies: fftc(x)[k] = (-1)^(k + n/2) fft((-1)^j x)[k] per axis, so
 * each block is multiplied by a cached sign table before and after an in-place transform.
 */
export function centredFftn(engine: FftEngine, data: Float32Array, shape: readonly number[], axes: readonly number[], inverse: boolean, scale: CentredFftScale = 1): void {
  const nd = shape.length;
  const ax = axes.map((a) => (a < 0 ? a + nd : a));
  const n = ax.reduce((p, a) => p * shape[a], 1);
  const total = shape.reduce((p, d) => p * d, 1);
  if (data.length < 2 * total) throw new Error(`centredFftn: ${data.length / 2} complex values, ${shape.join(' x ')} needed`);
  const factor = scale === 'ortho' ? (inverse ? Math.sqrt(n) : 1 / Math.sqrt(n)) : scale;
  const sorted = [...ax].sort((a, b) => a - b);
  const trailing = sorted.every((a, i) => a === nd - ax.length + i);
  if (trailing && ax.every((a) => shape[a] % 2 === 0)) {
    const block = shape.slice(nd - ax.length);
    const local = block.map((_, i) => i);
    const sign = signTable(block);
    const parity = (ax.reduce((p, a) => p + shape[a] / 2, 0) % 2 ? -1 : 1) * factor;
    for (let c = 0; c < total / n; c++) {
      const plane = data.subarray(2 * c * n, 2 * (c + 1) * n);
      for (let i = 0; i < n; i++) { plane[2 * i] *= sign[i]; plane[2 * i + 1] *= sign[i]; }
      engine.fftn(plane, block, local, inverse);
      for (let i = 0; i < n; i++) { const f = sign[i] * parity; plane[2 * i] *= f; plane[2 * i + 1] *= f; }
    }
    return;
  }
  const pre = inverse ? fftshift(data, shape, ax, 2) : ifftshift(data, shape, ax, 2);
  engine.fftn(pre, shape, ax, inverse);
  const post = inverse ? ifftshift(pre, shape, ax, 2) : fftshift(pre, shape, ax, 2);
  if (factor === 1) data.set(post);
  else for (let i = 0; i < post.length; i++) data[i] = post[i] * factor;
}

/**
 * K-space given row by row: `(plane, y)` returns the nx complex64 samples of row y of that
 * plane (2 * nx floats), e.g. straight from the acquisitions, so they are copied only once.
 */
export type KspaceRows = (plane: number, y: number) => Float32Array;

/**
 * The shared pipeline: fftshifted copy of all planes into the heap (the shift folded into the
 * copy: rows in shifted order, each row as two segments), the row transforms, then the column
 * transforms in place along the strided axis (the engine's `transformAxisInHeap`: the kernel
 * reads and writes groups of neighbouring columns itself, no transposed copy in JS), plane by
 * plane, and
 * `consume(plane, ptr)` with each plane's result at heap byte address `ptr`, laid out [y][x]
 * (unshifted: the consumer folds the ifftshift into its read). With `columns` (unshifted column
 * ranges [c0, c1)), only those columns get their column transforms (each the same values as in
 * the whole transform); the others hold row-transform values the consumer must not read. With
 * `columnLines` too, those columns' transforms are not written back into the plane: each block of
 * w transformed columns [x, x + w) goes to `columnLines(lines, x, w)` as w contiguous lines of ny
 * values (engine.transformColumnsToLines), before `consume(plane, ptr)`.
 *
 * With `signFree` (a consumer that reads |value|^2 only), when `xShiftIsSign(engine, nx)`, the
 * rows are copied without their fftshift along x (each plane in two blocks, the rows in shifted
 * order): the row transform of a row rolled by nx / 2 is the unrolled row's times (-1)^k exactly
 * (see xShiftIsSign), the column transforms of a column times a sign are the same values times
 * that sign, so the results differ only in sign and the squares are the same bits.
 */
function ifft2Planes(
  engine: FftEngine, data: Float32Array | KspaceRows, batch: number, ny: number, nx: number, consume: (plane: number, ptr: number) => void,
  columns: readonly (readonly [number, number])[] | null = null, signFree = false,
  columnLines: ((lines: number, x: number, w: number) => void) | null = null,
): void {
  const total = batch * ny * nx;
  const rowOf: KspaceRows = typeof data === 'function' ? data : (c, y) => data.subarray(2 * (c * ny + y) * nx, 2 * (c * ny + y + 1) * nx);
  if (typeof data !== 'function' && data.length < 2 * total) throw new Error(`centred ifft2: ${data.length / 2} complex values, ${batch} x ${ny} x ${nx} needed`);
  engine.prepare(nx);
  engine.prepare(ny);
  const plane = ny * nx;
  const A = engine.scratchBlock(2, 8 * plane);
  const h = engine.heapF32();
  const a = A.ptr >> 2;
  const ny2 = Math.floor(ny / 2), nx2 = Math.floor(nx / 2);
  const tail = 2 * (nx - nx2); // floats in the segment in[0 .. nx - nx2)
  // plane by plane (one plane of heap, in the cache from the copy to the consumer)
  const blocks = signFree && typeof data !== 'function' && xShiftIsSign(engine, nx);
  for (let c = 0; c < batch; c++) {
    if (blocks) {
      // rows [ny - ny2, ny) then [0, ny - ny2) of the plane, each run of rows one copy
      const p = 2 * c * plane, split = 2 * (ny - ny2) * nx;
      h.set(data.subarray(p + split, p + 2 * plane), a);
      h.set(data.subarray(p, p + split), a + 2 * ny2 * nx);
    } else for (let y = 0; y < ny; y++) {
      const row = rowOf(c, (y - ny2 + ny) % ny);
      if (row.length !== 2 * nx) throw new Error(`centred ifft2: k-space row of ${row.length / 2} samples, ${nx} expected`);
      const d = a + 2 * y * nx;
      // fftshift along x: out[0 .. nx2) = in[nx - nx2 .. nx), out[nx2 .. nx) = in[0 .. nx - nx2)
      h.set(row.subarray(tail, 2 * nx), d);
      h.set(row.subarray(0, tail), d + 2 * nx2);
    }
    engine.transformLinesInHeap(A.ptr, ny, nx, true);
    if (columns === null) engine.transformAxisInHeap(A.ptr, [ny, nx], 0, true);
    else if (columnLines !== null) for (const [c0, c1] of columns) engine.transformColumnsToLines(A.ptr, ny, nx, true, c0, c1, columnLines);
    else for (const [c0, c1] of columns) engine.transformColumnsInHeap(A.ptr, ny, nx, true, c0, c1);
    consume(c, A.ptr);
  }
}

/**
 * True when the engine's row transform of length n, applied to a row rolled by n / 2, gives the
 * unrolled row's transform times (-1)^k bit for bit: n a power of two transformed by PFFFT
 * (radix-4 and radix-2 Cooley-Tukey passes on the SIMD lanes). Rolling by n / 2 swaps the
 * operands of the first butterflies (a + b is b + a exactly, a - b becomes -(a - b) exactly) and
 * every later operation on a negated half is the same operation on negated operands, whose
 * rounded result is the negated rounded result (round to nearest is symmetric). The tests check
 * the root sum of squares against the shifted path bit for bit (centred-fft.test.ts).
 */
export function xShiftIsSign(engine: FftEngine, n: number): boolean {
  return n >= 2 && (n & (n - 1)) === 0 && engine.hasInternalOrder(n);
}

/** ifftshift source index tables: out[j] = in[table[j]]. */
function ifftshiftTable(n: number): Int32Array {
  const t = new Int32Array(n);
  const h = Math.floor(n / 2);
  for (let j = 0; j < n; j++) t[j] = (j + h) % n;
  return t;
}

/**
 * In place: data[b] = ifftshift(ifft2(fftshift(data[b]))) * scale for each [ny][nx] complex64
 * plane b, with numpy's ifft2 normalisation (1 / (ny * nx)) times `scale`.
 */
export function centredIfft2(engine: FftEngine, data: Float32Array, batch: number, ny: number, nx: number, scale = 1): void {
  const f = scale / (ny * nx);
  const sy = ifftshiftTable(ny);
  const nx2 = Math.floor(nx / 2);
  ifft2Planes(engine, data, batch, ny, nx, (c, ptr) => {
    if (f !== 1) engine.scaleInHeap(ptr, 2 * ny * nx, f);
    const h = engine.heapF32();
    const b = ptr >> 2;
    const po = 2 * c * ny * nx;
    // result [y][x] unshifted -> data [y][x] ifftshifted: row sy[y], in two segments
    const seg = 2 * (nx - nx2); // out[0 .. nx - nx2) = in[nx2 .. nx)
    for (let y = 0; y < ny; y++) {
      const src = b + 2 * sy[y] * nx;
      const o = po + 2 * y * nx;
      data.set(h.subarray(src + 2 * nx2, src + 2 * nx), o);
      data.set(h.subarray(src, src + 2 * nx2), o + seg);
    }
  });
}

/**
 * The reference's recon core in one pass: for `coils` k-space planes [coils][ny][nx] (complex64),
 * sqrt(sum_c |ifftshift(ifft2(fftshift(k_c))) * scale|^2) as a float32 image [ny][nx].
 * `scale` multiplies numpy's normalised ifft2 (the reference uses prod(data.shape)). `kspace` is
 * the [coils][ny][nx] array or a row accessor.
 */
export function centredIfft2RootSumOfSquares(
  engine: FftEngine, kspace: Float32Array | KspaceRows, coils: number, ny: number, nx: number, scale = 1,
  out: Float32Array = new Float32Array(ny * nx), accumulator: Float64Array = new Float64Array(ny * nx),
): Float32Array {
  const sums = powerSums(engine, engine.kernel, accumulator, ny, nx, [[0, ny]], [[0, nx]]);
  ifft2Planes(engine, kspace, coils, ny, nx, sums.add, null, true);
  return rootSumOfSquaresImage(sums.done(), ny, nx, scale, out);
}

/** The engine's scratch slot of the power sums kept in the wasm heap (`powerSums`). */
const POWER_SUMS_SLOT = 3;

/**
 * The coil-by-coil sums of squares of the root sum of squares: `add(c, ptr)` adds |z|^2 of the
 * transformed plane at heap byte address ptr over `rows` x `cols` ([start, end) ranges, unshifted
 * indices) to the float64 sums, as `acc[i] += re * re + im * im`; `done()` gives `acc` holding
 * them there (its other cells untouched). With the engine's SIMD kernel the sums are made in the
 * heap, two values a step, and copied into `acc` at the end: the same bits (the squares of float32
 * values are exact in float64; the two additions are done in the same order) in a fraction of the
 * JS loop's time (docs/streaming-performance.md). `kernel`: the engine's, or null for the JS loop
 * (exported for the tests that compare the two; not part of the package's API).
 */
export function powerSums(
  engine: FftEngine, kernel: MixedRadixKernel | null, acc: Float64Array, ny: number, nx: number,
  rows: readonly (readonly [number, number])[], cols: readonly (readonly [number, number])[],
): { add: (c: number, ptr: number) => void; done: () => Float64Array } {
  // runs of consecutive cells [i, i + len): whole row ranges when the columns are all of them
  const runs: [number, number][] = [];
  for (const [r0, r1] of rows) {
    if (cols.length === 1 && cols[0][0] === 0 && cols[0][1] === nx) {
      if (r1 > r0) runs.push([r0 * nx, (r1 - r0) * nx]);
    } else for (let y = r0; y < r1; y++) for (const [c0, c1] of cols) if (c1 > c0) runs.push([y * nx + c0, c1 - c0]);
  }
  if (kernel === null) {
    for (const [i, len] of runs) acc.fill(0, i, i + len);
    return {
      add: (_c, ptr) => {
        const h = engine.heapF32();
        const b = ptr >> 2;
        for (const [i0, len] of runs) {
          let p = b + 2 * i0;
          for (let i = i0, e = i0 + len; i < e; i++, p += 2) {
            const re = h[p], im = h[p + 1];
            acc[i] += re * re + im * im;
          }
        }
      },
      done: () => acc,
    };
  }
  const base = engine.scratchBlock(POWER_SUMS_SLOT, 8 * ny * nx).ptr;
  const heapSums = (): Float64Array => new Float64Array(engine.heapF32().buffer, base, ny * nx);
  const zero = heapSums();
  for (const [i, len] of runs) zero.fill(0, i, i + len);
  return {
    add: (_c, ptr) => {
      for (const [i, len] of runs) kernel.powerSums(ptr + 8 * i, base + 8 * i, len);
    },
    done: () => {
      const s = heapSums(); // (a view made now: the heap may have grown since)
      for (const [i, len] of runs) acc.set(s.subarray(i, i + len), i);
      return acc;
    },
  };
}

/** acc [y][x] (unshifted sums of squares) -> f * sqrt(acc), ifftshifted on both axes, into out (the window's pixels only, [y1 - y0][x1 - x0]). */
function rootSumOfSquaresImage(acc: Float64Array, ny: number, nx: number, scale: number, out: Float32Array, window: CropWindow = fullWindow(ny, nx)): Float32Array {
  const f = Math.abs(scale / (ny * nx));
  const sx = ifftshiftTable(nx), sy = ifftshiftTable(ny);
  const { y0, y1, x0, x1 } = window;
  const w = x1 - x0;
  for (let y = y0; y < y1; y++) {
    const src = sy[y] * nx;
    const row = (y - y0) * w - x0;
    for (let x = x0; x < x1; x++) out[row + x] = f * Math.sqrt(acc[src + sx[x]]);
  }
  return out;
}

/**
 * A window of the centred image: rows [y0, y1) and columns [x0, x1) (the reference recons' crop
 * of the oversampling, recon-kernels/image `centredCropRange`).
 */
export interface CropWindow {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

function fullWindow(ny: number, nx: number): CropWindow {
  return { y0: 0, y1: ny, x0: 0, x1: nx };
}

function checkWindow(w: CropWindow, ny: number, nx: number): void {
  const ok = (a: number, b: number, n: number): boolean => Number.isInteger(a) && Number.isInteger(b) && a >= 0 && a <= b && b <= n;
  if (!ok(w.y0, w.y1, ny) || !ok(w.x0, w.x1, nx)) throw new Error(`centred ifft2: window rows [${w.y0}, ${w.y1}) x columns [${w.x0}, ${w.x1}) outside ${ny} x ${nx}`);
}

/**
 * Where output indices [o0, o1) of an ifftshifted axis of length n come from in the unshifted
 * transform: one or two ranges [start, end) (ifftshift's out[j] = in[(j + floor(n / 2)) % n]).
 */
function unshiftedRanges(n: number, o0: number, o1: number): [number, number][] {
  if (o1 <= o0) return [];
  if (o1 - o0 === n) return [[0, n]];
  const a = (o0 + Math.floor(n / 2)) % n, len = o1 - o0;
  return a + len <= n ? [[a, a + len]] : [[a, n], [0, a + len - n]];
}

/** True when the window is the whole ny x nx plane. */
function isFull(w: CropWindow, ny: number, nx: number): boolean {
  return w.y0 === 0 && w.y1 === ny && w.x0 === 0 && w.x1 === nx;
}

/**
 * `centredIfft2RootSumOfSquares` cropped to `window` ([y1 - y0][x1 - x0] float32, the same bits
 * as cropping the whole image), with the column transforms and the sums of the window's columns
 * only: for the reference's crop of the readout oversampling (half the columns) about half the
 * column transforms are saved. `accumulator` (at least ny * nx) is scratch.
 */
export function centredIfft2RootSumOfSquaresCropped(
  engine: FftEngine, kspace: Float32Array | KspaceRows, coils: number, ny: number, nx: number, scale: number, window: CropWindow,
  out?: Float32Array, accumulator: Float64Array = new Float64Array(ny * nx),
): Float32Array {
  checkWindow(window, ny, nx);
  const image = out ?? new Float32Array((window.y1 - window.y0) * (window.x1 - window.x0));
  if (isFull(window, ny, nx)) return centredIfft2RootSumOfSquares(engine, kspace, coils, ny, nx, scale, image, accumulator);
  const rows = unshiftedRanges(ny, window.y0, window.y1), cols = unshiftedRanges(nx, window.x0, window.x1);
  if (engine.kernel !== null && engine.hasColumnLines(ny)) {
    const sums = columnPowerSums(engine, engine.kernel, accumulator, ny, nx, rows, cols);
    ifft2Planes(engine, kspace, coils, ny, nx, () => undefined, cols, true, sums.addLines);
    return rootSumOfSquaresImage(sums.done(), ny, nx, scale, image, window);
  }
  const sums = powerSums(engine, engine.kernel, accumulator, ny, nx, rows, cols);
  ifft2Planes(engine, kspace, coils, ny, nx, sums.add, cols, true);
  return rootSumOfSquaresImage(sums.done(), ny, nx, scale, image, window);
}

/**
 * `powerSums` taken from the transformed columns themselves (ifft2Planes' `columnLines`: blocks
 * of contiguous column lines, before they would be copied back into the plane): the sums are kept
 * column by column in the heap ([x][y], the window's columns, every row) and `done()` puts the
 * window's cells into `acc` ([y][x]). Each cell gets the same additions in the same (coil) order
 * as `powerSums`, so the same bits, without the copy back and the strided read of the plane.
 */
function columnPowerSums(
  engine: FftEngine, kernel: MixedRadixKernel, acc: Float64Array, ny: number, nx: number,
  rows: readonly (readonly [number, number])[], cols: readonly (readonly [number, number])[],
): { addLines: (lines: number, x: number, w: number) => void; done: () => Float64Array } {
  const base = engine.scratchBlock(POWER_SUMS_SLOT, 8 * ny * nx).ptr;
  const heapSums = (): Float64Array => new Float64Array(engine.heapF32().buffer, base, ny * nx);
  const zero = heapSums();
  for (const [c0, c1] of cols) zero.fill(0, c0 * ny, c1 * ny);
  return {
    addLines: (lines, x, w) => kernel.powerSums(lines, base + 8 * x * ny, w * ny),
    done: () => {
      const s = heapSums(); // (a view made now: the heap may have grown since)
      for (const [r0, r1] of rows) {
        for (let y = r0; y < r1; y++) {
          for (const [c0, c1] of cols) for (let x = c0; x < c1; x++) acc[y * nx + x] = s[x * ny + y];
        }
      }
      return acc;
    },
  };
}

/**
 * One share of `centredIfft2RootSumOfSquares` (for a worker): for coils [c0, c1) of the
 * [coils][ny][nx] k-space, |ifft2 plane|^2 (float64, unscaled, unshifted [y][x]) into
 * power[(c - p0) * ny * nx ..] (`p0`: the coil of power's first plane). Adding the planes to an
 * accumulator in coil order (`addPowerPlanes`) then gives the same float64 sums, so the same
 * image bits, as the one-pass function.
 */
export function centredIfft2PowerPlanes(
  engine: FftEngine, kspace: Float32Array, c0: number, c1: number, ny: number, nx: number, power: Float64Array, p0 = 0, window?: CropWindow,
): void {
  const n = ny * nx;
  const cropped = window !== undefined && !isFull(window, ny, nx);
  if (window !== undefined) checkWindow(window, ny, nx);
  const rows = cropped ? unshiftedRanges(ny, window.y0, window.y1) : [[0, ny] as [number, number]];
  const cols = cropped ? unshiftedRanges(nx, window.x0, window.x1) : [[0, nx] as [number, number]];
  ifft2Planes(engine, kspace.subarray(2 * c0 * n, 2 * c1 * n), c1 - c0, ny, nx, (c, ptr) => {
    const h = engine.heapF32();
    const b = ptr >> 2;
    const o = (c0 + c - p0) * n;
    for (const [r0, r1] of rows) {
      for (const [x0, x1] of cols) {
        for (let y = r0; y < r1; y++) {
          let p = b + 2 * (y * nx + x0);
          for (let i = y * nx + x0, e = y * nx + x1; i < e; i++, p += 2) {
            const re = h[p], im = h[p + 1];
            power[o + i] = re * re + im * im;
          }
        }
      }
    }
  }, cropped ? cols : null, true);
}

/**
 * acc[i] += power planes 0..planes-1, in order (acc: [ny][nx] float64); with `window` (and the
 * row length nx), only the unshifted pixels of that window of the centred image.
 */
export function addPowerPlanes(acc: Float64Array, power: Float64Array, planes: number, n: number, window?: CropWindow, nx = n): void {
  if (window === undefined || isFull(window, n / nx, nx)) {
    for (let c = 0; c < planes; c++) {
      const o = c * n;
      for (let i = 0; i < n; i++) acc[i] += power[o + i];
    }
    return;
  }
  const ny = n / nx;
  checkWindow(window, ny, nx);
  const rows = unshiftedRanges(ny, window.y0, window.y1), cols = unshiftedRanges(nx, window.x0, window.x1);
  for (let c = 0; c < planes; c++) {
    const o = c * n;
    for (const [r0, r1] of rows) {
      for (let y = r0; y < r1; y++) {
        for (const [x0, x1] of cols) for (let i = y * nx + x0, e = y * nx + x1; i < e; i++) acc[i] += power[o + i];
      }
    }
  }
}

/**
 * The image of summed power planes: scale / (ny nx) * sqrt(acc), ifftshifted, into `out`; with
 * `window`, that window of it only ([y1 - y0][x1 - x0]).
 */
export function rootSumOfSquaresFromSums(
  acc: Float64Array, ny: number, nx: number, scale = 1, out?: Float32Array, window: CropWindow = fullWindow(ny, nx),
): Float32Array {
  checkWindow(window, ny, nx);
  return rootSumOfSquaresImage(acc, ny, nx, scale, out ?? new Float32Array((window.y1 - window.y0) * (window.x1 - window.x0)), window);
}

/**
 * One pixel of `centredIfft2RootSumOfSquares` computed directly in float64 (a separable
 * direct DFT, ny * nx complex multiply-adds per coil). The fast path computes in float32, as
 * numpy 2 does on complex64; the reference server ran numpy 1, which upcasts to complex128.
 * Where a printed value depends on one pixel (the complex option's WindowCenter is the image
 * maximum), recomputing that pixel this way reproduces the reference's digits.
 */
export function centredIfft2RootSumOfSquaresAt(
  kspace: Float32Array, coils: number, ny: number, nx: number, scale: number, y: number, x: number,
): number {
  return centredIfft2RootSumOfSquaresAtPoints(kspace, coils, ny, nx, scale, [[y, x]])[0];
}

/**
 * For each row v of the fftshifted plane of coil c: sum_u Ks[v][u] * exp(2 pi i b u / nx) (the
 * tables cu, su), in float64 into re[v], im[v]. The fftshift along u is two segments: u in
 * [0, nx2) reads stored column u - nx2 + nx, u in [nx2, nx) column u - nx2 (the order of one loop
 * over u with a modulo, without it). Four rows per pass (eight independent sums in flight, the
 * tables read once for all; two and then one for the last rows), each row's sums in the same
 * order as alone, so the same bits (docs/streaming-performance.md has the figures).
 */
function rowSums(kspace: Float32Array, c: number, ny: number, nx: number, cu: Float64Array, su: Float64Array, re: Float64Array, im: Float64Array): void {
  const ny2 = Math.floor(ny / 2), nx2 = Math.floor(nx / 2);
  const tail = 2 * (nx - nx2);
  const rowAt = (v: number): number => 2 * ((c * ny + ((v - ny2 + ny) % ny)) * nx);
  let v = 0;
  for (; v + 3 < ny; v += 4) {
    const rA = rowAt(v), rB = rowAt(v + 1), rC = rowAt(v + 2), rD = rowAt(v + 3);
    let ar = 0, ai = 0, br = 0, bi = 0, cr = 0, ci = 0, dr = 0, di = 0;
    for (let seg = 0; seg < 2; seg++) {
      const u1 = seg === 0 ? nx2 : nx, off = seg === 0 ? tail : -2 * nx2;
      for (let u = seg === 0 ? 0 : nx2, s = off + 2 * u; u < u1; u++, s += 2) {
        const cv = cu[u], sv = su[u];
        let kr = kspace[rA + s], ki = kspace[rA + s + 1];
        ar += kr * cv - ki * sv;
        ai += kr * sv + ki * cv;
        kr = kspace[rB + s]; ki = kspace[rB + s + 1];
        br += kr * cv - ki * sv;
        bi += kr * sv + ki * cv;
        kr = kspace[rC + s]; ki = kspace[rC + s + 1];
        cr += kr * cv - ki * sv;
        ci += kr * sv + ki * cv;
        kr = kspace[rD + s]; ki = kspace[rD + s + 1];
        dr += kr * cv - ki * sv;
        di += kr * sv + ki * cv;
      }
    }
    re[v] = ar; im[v] = ai;
    re[v + 1] = br; im[v + 1] = bi;
    re[v + 2] = cr; im[v + 2] = ci;
    re[v + 3] = dr; im[v + 3] = di;
  }
  for (; v + 1 < ny; v += 2) {
    const rowA = 2 * ((c * ny + ((v - ny2 + ny) % ny)) * nx);
    const rowB = 2 * ((c * ny + ((v + 1 - ny2 + ny) % ny)) * nx);
    let ar = 0, ai = 0, br = 0, bi = 0;
    for (let seg = 0; seg < 2; seg++) {
      const u1 = seg === 0 ? nx2 : nx, off = seg === 0 ? tail : -2 * nx2;
      for (let u = seg === 0 ? 0 : nx2, sa = rowA + off + 2 * u, sb = rowB + off + 2 * u; u < u1; u++, sa += 2, sb += 2) {
        const cv = cu[u], sv = su[u];
        const kr = kspace[sa], ki = kspace[sa + 1], lr = kspace[sb], li = kspace[sb + 1];
        ar += kr * cv - ki * sv;
        ai += kr * sv + ki * cv;
        br += lr * cv - li * sv;
        bi += lr * sv + li * cv;
      }
    }
    re[v] = ar;
    im[v] = ai;
    re[v + 1] = br;
    im[v + 1] = bi;
  }
  if (v < ny) {
    // odd ny: the last row alone
    const row = 2 * ((c * ny + ((v - ny2 + ny) % ny)) * nx);
    let rr = 0, ri = 0;
    for (let seg = 0; seg < 2; seg++) {
      const u1 = seg === 0 ? nx2 : nx, off = seg === 0 ? tail : -2 * nx2;
      for (let u = seg === 0 ? 0 : nx2, s = row + off + 2 * u; u < u1; u++, s += 2) {
        const kr = kspace[s], ki = kspace[s + 1];
        rr += kr * cu[u] - ki * su[u];
        ri += kr * su[u] + ki * cu[u];
      }
    }
    re[v] = rr;
    im[v] = ri;
  }
}

/**
 * `centredIfft2RootSumOfSquaresAt` for several pixels `[y, x]` of one k-space, the same float64
 * arithmetic in the same order for each (so the same values), with the row transforms shared by
 * the pixels of one column (the costly part: ny * nx multiply-adds per coil and column). With an
 * `engine` that has the SIMD kernel, the row sums run there (`kernelRowSums`: the same bits).
 */
export function centredIfft2RootSumOfSquaresAtPoints(
  kspace: Float32Array, coils: number, ny: number, nx: number, scale: number, points: readonly (readonly [number, number])[],
  engine: FftEngine | null = null,
): number[] {
  const powers = new Float64Array(coils * points.length);
  centredIfft2PowersAtPoints(kspace, 0, coils, ny, nx, points, powers, 0, engine);
  return rootSumOfSquaresOfPowers(powers, coils, points.length, ny, nx, scale);
}

/**
 * The points' values from their per-coil powers [coil][point] (`centredIfft2PowersAtPoints`):
 * |scale / (ny nx)| * sqrt(sum over coils, in coil order).
 */
export function rootSumOfSquaresOfPowers(powers: Float64Array, coils: number, count: number, ny: number, nx: number, scale: number): number[] {
  const result = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    let sum = 0;
    for (let c = 0; c < coils; c++) sum += powers[c * count + i];
    result[i] = Math.abs(scale / (ny * nx)) * Math.sqrt(sum);
  }
  return result;
}

/**
 * One share of `centredIfft2RootSumOfSquaresAtPoints` (for a worker): for coils [c0, c1) of the
 * [coils][ny][nx] k-space, each point's |centred ifft2|^2 (float64, unscaled) of that coil into
 * out[(c - p0) * points.length + i]. Summed in coil order (`rootSumOfSquaresOfPowers`) they give
 * the one-thread values bit for bit.
 */
export function centredIfft2PowersAtPoints(
  kspace: Float32Array, c0: number, c1: number, ny: number, nx: number, points: readonly (readonly [number, number])[], out: Float64Array, p0 = c0,
  engine: FftEngine | null = null,
): void {
  const ny2 = Math.floor(ny / 2), nx2 = Math.floor(nx / 2);
  const count = points.length;
  const byColumn = new Map<number, number[]>();
  points.forEach(([, x], i) => {
    const list = byColumn.get(x);
    if (list) list.push(i);
    else byColumn.set(x, [i]);
  });
  // Per column: the row tables, its pixels' column tables, the row sums of one coil.
  const columns = [...byColumn].map(([x, members]) => {
    // output (y, x) is unshifted result index (a, b); input sample Ks[v][u] = K[(v - ny2) mod ny][(u - nx2) mod nx]
    const b = (x + nx2) % nx;
    const cu = new Float64Array(nx), su = new Float64Array(nx);
    for (let u = 0; u < nx; u++) { const t = (2 * Math.PI * ((b * u) % nx)) / nx; cu[u] = Math.cos(t); su[u] = Math.sin(t); }
    const pixels = members.map((i) => {
      const a = (points[i][0] + ny2) % ny;
      const cv = new Float64Array(ny), sv = new Float64Array(ny);
      for (let v = 0; v < ny; v++) { const t = (2 * Math.PI * ((a * v) % ny)) / ny; cv[v] = Math.cos(t); sv[v] = Math.sin(t); }
      return { i, cv, sv };
    });
    return { cu, su, pixels, re: new Float64Array(ny), im: new Float64Array(ny) };
  });
  const pixelSums = (col: (typeof columns)[number], c: number): void => {
    for (const px of col.pixels) {
      const { cv, sv } = px;
      const rowRe = col.re, rowIm = col.im;
      let re = 0, im = 0;
      for (let v = 0; v < ny; v++) {
        const rr = rowRe[v], ri = rowIm[v];
        re += rr * cv[v] - ri * sv[v];
        im += rr * sv[v] + ri * cv[v];
      }
      out[(c - p0) * count + px.i] = re * re + im * im;
    }
  };
  const kernel = engine?.kernel ?? null;
  if (engine !== null && kernel !== null && nx >= 2 && ny >= 1 && columns.length > 0) {
    const rowSums = kernelRowSums(engine, kernel, kspace, ny, nx, columns);
    for (let c = c0; c < c1; c++) {
      rowSums(c);
      for (const col of columns) pixelSums(col, c);
    }
    return;
  }
  // Two columns per pass over the k-space (each read once for both: the pass is memory-bound).
  for (let k = 0; k < columns.length; k += 2) {
    const A = columns[k], B = columns[k + 1];
    for (let c = c0; c < c1; c++) {
      if (B) rowSums2(kspace, c, ny, nx, A.cu, A.su, A.re, A.im, B.cu, B.su, B.re, B.im);
      else rowSums(kspace, c, ny, nx, A.cu, A.su, A.re, A.im);
      for (const col of B ? [A, B] : [A]) pixelSums(col, c);
    }
  }
}

/** The engine's scratch slot of the row sums' heap block (`kernelRowSums`). */
const ROW_SUMS_SLOT = 4;

/** Bytes of k-space rows copied into the heap at a time for the row sums (they stay in the cache for every column). */
const ROW_SUMS_CHUNK_BYTES = 1 << 17;

/**
 * `rowSums` of every column on the engine's SIMD kernel (MixedRadixKernel.rowSums: the same
 * float64 operations in the same order, so the same bits): returns `(c) => void` that fills each
 * column's re / im with coil c's row sums. The rows are copied into the heap in the fftshifted
 * row order, a chunk at a time (each chunk read by every column while in the cache); the tables
 * are put in the heap once.
 */
function kernelRowSums(
  engine: FftEngine, kernel: MixedRadixKernel, kspace: Float32Array, ny: number, nx: number,
  columns: readonly { cu: Float64Array; su: Float64Array; re: Float64Array; im: Float64Array }[],
): (c: number) => void {
  const ny2 = Math.floor(ny / 2), nx2 = Math.floor(nx / 2);
  const rowFloats = 2 * nx;
  const chunkRows = Math.max(4, Math.floor(ROW_SUMS_CHUNK_BYTES / (8 * nx) / 4) * 4);
  const tabBytes = 32 * nx, outBytes = 16 * ny;
  const k = columns.length;
  const block = engine.scratchBlock(ROW_SUMS_SLOT, k * (tabBytes + outBytes) + 8 * chunkRows * nx);
  const tab0 = block.ptr, out0 = tab0 + k * tabBytes, rows0 = out0 + k * outBytes;
  // views taken after the allocation (the heap does not grow below)
  const h32 = engine.heapF32();
  const h64 = new Float64Array(h32.buffer);
  columns.forEach((col, j) => {
    const t = (tab0 + j * tabBytes) >> 3;
    for (let u = 0; u < nx; u++) {
      h64[t + 4 * u] = col.cu[u];
      h64[t + 4 * u + 1] = col.su[u];
      h64[t + 4 * u + 2] = -col.su[u];
      h64[t + 4 * u + 3] = col.cu[u];
    }
  });
  return (c) => {
    const plane = c * ny * rowFloats;
    for (let v0 = 0; v0 < ny; v0 += chunkRows) {
      const v1 = Math.min(ny, v0 + chunkRows);
      // row v of the shifted plane is stored row (v - ny2) mod ny: at most two runs of stored rows
      for (let v = v0; v < v1;) {
        const r = (v - ny2 + ny) % ny;
        const run = Math.min(v1 - v, ny - r);
        h32.set(kspace.subarray(plane + r * rowFloats, plane + (r + run) * rowFloats), (rows0 >> 2) + (v - v0) * rowFloats);
        v += run;
      }
      for (let j = 0; j < k; j++) {
        kernel.rowSums(rows0, v1 - v0, 8 * nx, tab0 + j * tabBytes, nx2, nx - nx2, 8 * (nx - nx2), out0 + j * outBytes + 16 * v0);
      }
    }
    columns.forEach((col, j) => {
      const o = (out0 + j * outBytes) >> 3;
      for (let v = 0; v < ny; v++) {
        col.re[v] = h64[o + 2 * v];
        col.im[v] = h64[o + 2 * v + 1];
      }
    });
  };
}

/** `rowSums` for two columns' tables at once (the same arithmetic and order for each). */
function rowSums2(
  kspace: Float32Array, c: number, ny: number, nx: number,
  cuA: Float64Array, suA: Float64Array, reA: Float64Array, imA: Float64Array,
  cuB: Float64Array, suB: Float64Array, reB: Float64Array, imB: Float64Array,
): void {
  const ny2 = Math.floor(ny / 2), nx2 = Math.floor(nx / 2);
  const tail = 2 * (nx - nx2);
  for (let v = 0; v < ny; v++) {
    const row = 2 * ((c * ny + ((v - ny2 + ny) % ny)) * nx);
    let ra = 0, ia = 0, rb = 0, ib = 0;
    // the two segments of the fftshift along u, as in rowSums
    for (let seg = 0; seg < 2; seg++) {
      const u1 = seg === 0 ? nx2 : nx, off = seg === 0 ? tail : -2 * nx2;
      for (let u = seg === 0 ? 0 : nx2, s = row + off + 2 * u; u < u1; u++, s += 2) {
        const kr = kspace[s], ki = kspace[s + 1];
        ra += kr * cuA[u] - ki * suA[u];
        ia += kr * suA[u] + ki * cuA[u];
        rb += kr * cuB[u] - ki * suB[u];
        ib += kr * suB[u] + ki * cuB[u];
      }
    }
    reA[v] = ra;
    imA[v] = ia;
    reB[v] = rb;
    imB[v] = ib;
  }
}
