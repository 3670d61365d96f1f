/**
 * Complex FFTs of every size, on complex64 data (interleaved re/im in a Float32Array, C order),
 * with numpy.fft's conventions: forward e^{-2 pi i jk/n} unnormalised, inverse e^{+2 pi i jk/n}
 * divided by n (norm "backward"), so `ifft` here equals `numpy.fft.ifft` on complex64 input.
 *
 * PFFFT in WebAssembly with SIMD (`@echogarden/pffft-wasm`) for its sizes (5-smooth multiples of
 * 16 from 64 points), the mixed-radix SIMD kernel of mixed-radix.ts for other lengths with prime
 * factors up to 31, Bluestein's chirp-z over a PFFFT size for the rest; strided lines (the column
 * pass of fftn) are gathered by the kernel. Batches of contiguous PFFFT lines are looped over
 * inside WebAssembly (pffft-lines.ts), not one JS call a line. Why these, and the measurements:
 * docs/numerics.md.
 *
 * The engine owns a WebAssembly heap: `getFftEngine()` loads it once per thread (the server runs
 * modules in workers; each gets its own). All transforms are synchronous once loaded.
 */
import { MixedRadixKernel } from './mixed-radix.js';
import { pffftLines, type PffftLines } from './pffft-lines.js';
import { loadSimdPffftWithMemory } from './pffft-memory.js';
import type { PffftModule } from './pffft-module.js';

const PFFFT_COMPLEX = 1;
const PFFFT_FORWARD = 0;
const PFFFT_BACKWARD = 1;

/** True when PFFFT (SIMD build) accepts a complex transform of size n: n % 16 == 0 and 5-smooth. */
export function isPffftSize(n: number): boolean {
  if (n < 16 || n % 16 !== 0) return false;
  let m = n / 16;
  for (const p of [2, 3, 5]) while (m % p === 0) m /= p;
  return m === 1;
}

/**
 * The radix passes of PFFFT's SIMD complex transform of n points (isPffftSize(n)): its
 * decomposition of n / 4 into the factors 5, 3, 4, 2, in that order (pffft.c's cffti1_ps). For
 * cost models: such a transform costs about n (passes + 1) (the +1: its finalising pass).
 */
export function pffftPasses(n: number): number {
  if (!isPffftSize(n)) throw new Error(`pffftPasses: ${n} is not a PFFFT size`);
  let m = n / 4, passes = 0;
  for (const p of [5, 3, 4, 2]) while (m % p === 0) { m /= p; passes++; }
  return passes;
}

/** The smallest PFFFT size >= n. */
export function nextPffftSize(n: number): number {
  let m = Math.max(16, Math.ceil(n / 16) * 16);
  while (!isPffftSize(m)) m += 16;
  return m;
}

/** A heap block of the wasm module; `f32`/`i32` offsets are element indices into HEAPF32/HEAP32. */
interface Block {
  ptr: number;
  bytes: number;
}

interface BluesteinPlan {
  m: number;
  /** chirp c[k] = exp(-i pi k^2 / n), float64 interleaved, length 2n */
  chirp: Float64Array;
  /** FFT of the conjugate chirp filter, in PFFFT's internal order, in the heap (complex64, length m) */
  filter: Block;
  /** scratch lines of m complex values */
  line: Block;
  product: Block;
}

interface Plan {
  n: number;
  /** PFFFT setup pointer in the main (SIMD) module, 0 when not handled there */
  setup: number;
  /** PFFFT setup pointer in the scalar module (5-smooth sizes the SIMD build refuses), else 0 */
  scalarSetup: number;
  /** transformed by the mixed-radix kernel */
  mixed: boolean;
  bluestein: BluesteinPlan | null;
}

/**
 * PFFFT sizes below this go to the mixed-radix kernel when it is there: PFFFT transforms one line
 * per call, which for such short lines costs more than the transform (2-3x the kernel's time).
 * From 64 on PFFFT is kept, so the outputs matched against the reference recons (64 x 128
 * planes) keep their bits.
 */
const KERNEL_BELOW = 64;

/** Strided lines per transposing copy when the kernel's wasm transposes are there (few enough for the cache). */
const KERNEL_TRANSPOSE_LINES = 8;

/** Complex values per chunk of independent sub-arrays in fftn (1 MB: stays in the cache). */
const CHUNK_POINTS = 1 << 17;

/** Lines are carried to the scalar module's heap in batches of at most this many bytes. */
const SCALAR_BATCH_BYTES = 1 << 20;

export class FftEngine {
  private readonly plans = new Map<number, Plan>();
  private work: Block = { ptr: 0, bytes: 0 };
  private scratch: Block[] = [];

  private scalarBuf = 0;
  private scalarBufBytes = 0;
  private scalarWork = 0;
  private scalarWorkBytes = 0;

  /**
   * `mod`: the module whose heap holds the data (the SIMD build when available); `scalar`: the
   * scalar build, used for the 5-smooth sizes that are not multiples of 16 (data is carried to
   * its heap and back in batches), which otherwise would need the slower Bluestein path.
   */
  constructor(
    private readonly mod: PffftModule, readonly simd: boolean, private readonly scalar: PffftModule | null = null,
    /** the mixed-radix SIMD kernel working in `mod`'s memory, for the sizes PFFFT's SIMD build refuses */
    readonly kernel: MixedRadixKernel | null = null,
    /** PFFFT's transforms looped over lines inside WebAssembly (pffft-lines.ts), for `mod` */
    private readonly lines: PffftLines | null = null,
  ) {}

  /** Current views of the wasm heap (they change when the heap grows). */
  heapF32(): Float32Array {
    return this.mod.HEAPF32;
  }
  heapI32(): Int32Array {
    return this.mod.HEAP32;
  }

  /** Allocates `bytes` in the wasm heap (64-byte aligned). Free with `free`. */
  malloc(bytes: number): Block {
    const ptr = this.mod._pffft_aligned_malloc(Math.max(64, bytes));
    if (ptr === 0) throw new Error(`FFT engine: out of WebAssembly memory allocating ${bytes} bytes`);
    return { ptr, bytes };
  }

  free(block: Block): void {
    if (block.ptr !== 0) this.mod._pffft_aligned_free(block.ptr);
    block.ptr = 0;
    block.bytes = 0;
  }

  /**
   * A scratch block of at least `bytes`, kept between calls (index `slot` lets callers hold
   * several at once). Contents are undefined.
   */
  scratchBlock(slot: number, bytes: number): Block {
    let b = this.scratch[slot];
    if (b === undefined || b.bytes < bytes) {
      if (b !== undefined) this.free(b);
      b = this.malloc(bytes);
      this.scratch[slot] = b;
    }
    return b;
  }

  /** Releases the scratch blocks (call after a very large transform to give memory back). */
  releaseScratch(): void {
    for (const b of this.scratch) if (b !== undefined) this.free(b);
    this.scratch = [];
  }

  private workFor(n: number): number {
    const bytes = 8 * n;
    if (this.work.bytes < bytes) {
      this.free(this.work);
      this.work = this.malloc(bytes);
    }
    return this.work.ptr;
  }

  private plan(n: number): Plan {
    let p = this.plans.get(n);
    if (p !== undefined) return p;
    if (!Number.isInteger(n) || n < 1) throw new Error(`FFT engine: invalid transform length ${n}`);
    if (this.simd ? isPffftSize(n) && (this.kernel === null || n >= KERNEL_BELOW) : isScalarPffftSize(n)) {
      const setup = this.mod._pffft_new_setup(n, PFFFT_COMPLEX);
      if (setup !== 0) {
        p = { n, setup, scalarSetup: 0, mixed: false, bluestein: null };
        this.plans.set(n, p);
        return p;
      }
    }
    if (this.kernel !== null && n > 1 && MixedRadixKernel.supports(n)) {
      this.kernel.plan(n);
      p = { n, setup: 0, scalarSetup: 0, mixed: true, bluestein: null };
      this.plans.set(n, p);
      return p;
    }
    if (this.scalar !== null && isScalarPffftSize(n)) {
      const scalarSetup = this.scalar._pffft_new_setup(n, PFFFT_COMPLEX);
      if (scalarSetup !== 0) {
        p = { n, setup: 0, scalarSetup, mixed: false, bluestein: null };
        this.plans.set(n, p);
        return p;
      }
    }
    p = { n, setup: 0, scalarSetup: 0, mixed: false, bluestein: n === 1 ? null : this.bluesteinPlan(n) };
    this.plans.set(n, p);
    return p;
  }

  /** Scalar-module buffers for batches of lines of length n (grown on demand). */
  private scalarBuffers(n: number): { buf: number; work: number; lines: number } {
    const sc = this.scalar!;
    const lineBytes = 8 * n;
    const bytes = Math.max(lineBytes, Math.floor(SCALAR_BATCH_BYTES / lineBytes) * lineBytes);
    if (this.scalarBufBytes < bytes) {
      if (this.scalarBuf !== 0) sc._pffft_aligned_free(this.scalarBuf);
      this.scalarBuf = sc._pffft_aligned_malloc(bytes);
      if (this.scalarBuf === 0) throw new Error(`FFT engine: out of WebAssembly memory allocating ${bytes} bytes`);
      this.scalarBufBytes = bytes;
    }
    if (this.scalarWorkBytes < lineBytes) {
      if (this.scalarWork !== 0) sc._pffft_aligned_free(this.scalarWork);
      this.scalarWork = sc._pffft_aligned_malloc(lineBytes);
      if (this.scalarWork === 0) throw new Error(`FFT engine: out of WebAssembly memory allocating ${lineBytes} bytes`);
      this.scalarWorkBytes = lineBytes;
    }
    return { buf: this.scalarBuf, work: this.scalarWork, lines: Math.floor(this.scalarBufBytes / lineBytes) };
  }

  private bluesteinPlan(n: number): BluesteinPlan {
    // at least KERNEL_BELOW so that the convolution runs on PFFFT (its spectral multiply)
    const m = nextPffftSize(Math.max(2 * n - 1, KERNEL_BELOW));
    const chirp = new Float64Array(2 * n);
    const twoN = 2 * n;
    for (let k = 0; k < n; k++) {
      // k^2 mod 2n without overflow: k < 2^26 keeps k*k below 2^53
      const r = (k * k) % twoN;
      const a = (-Math.PI * r) / n;
      chirp[2 * k] = Math.cos(a);
      chirp[2 * k + 1] = Math.sin(a);
    }
    const filter = this.malloc(8 * m);
    const line = this.malloc(8 * m);
    const product = this.malloc(8 * m);
    const h = this.mod.HEAPF32;
    const f = filter.ptr >> 2;
    h.fill(0, f, f + 2 * m);
    // b[j] = conj(c[j]) for |j| < n, wrapped
    for (let j = 0; j < n; j++) {
      h[f + 2 * j] = chirp[2 * j];
      h[f + 2 * j + 1] = -chirp[2 * j + 1];
      if (j > 0) {
        h[f + 2 * (m - j)] = chirp[2 * j];
        h[f + 2 * (m - j) + 1] = -chirp[2 * j + 1];
      }
    }
    const mp = this.plan(m);
    this.mod._pffft_transform(mp.setup, filter.ptr, filter.ptr, this.workFor(m), PFFFT_FORWARD);
    return { m, chirp, filter, line, product };
  }

  /** Which code transforms lines of length n (for benchmarks and tests). */
  transformPath(n: number): 'none' | 'pffft-simd' | 'pffft-scalar' | 'mixed-radix-simd' | 'bluestein' {
    if (n <= 1) return 'none';
    const p = this.plan(n);
    if (p.setup !== 0) return this.simd ? 'pffft-simd' : 'pffft-scalar';
    if (p.scalarSetup !== 0) return 'pffft-scalar';
    return p.mixed ? 'mixed-radix-simd' : 'bluestein';
  }

  /**
   * Creates the plan and work memory for length n, so that later transforms of that length do
   * not grow the heap (heap views taken after `prepare` stay valid through the transforms).
   */
  prepare(n: number): void {
    if (n <= 1) return;
    const p = this.plan(n);
    if (!p.mixed) this.workFor(p.bluestein ? p.bluestein.m : n);
    if (p.scalarSetup !== 0) this.scalarBuffers(n);
  }

  /**
   * Unnormalised in-place transforms of `count` contiguous lines of `n` complex64 values that
   * live in the wasm heap at byte address `ptr`. `inverse` selects e^{+i}.
   */
  transformLinesInHeap(ptr: number, count: number, n: number, inverse: boolean): void {
    if (n === 1 || count <= 0) return;
    const p = this.plan(n);
    if (p.setup !== 0) {
      const work = this.workFor(n);
      const dir = inverse ? PFFFT_BACKWARD : PFFFT_FORWARD;
      const stride = 8 * n;
      if (this.lines !== null) {
        this.lines.ordered(p.setup, ptr, count, stride, work, dir);
        return;
      }
      const tr = this.mod._pffft_transform_ordered;
      for (let i = 0, q = ptr; i < count; i++, q += stride) tr(p.setup, q, q, work, dir);
      return;
    }
    if (p.mixed) {
      this.kernel!.transformLines(ptr, count, n, inverse);
      return;
    }
    if (p.scalarSetup !== 0) {
      const sc = this.scalar!;
      const { buf, work, lines } = this.scalarBuffers(n);
      const dir = inverse ? PFFFT_BACKWARD : PFFFT_FORWARD;
      const h = this.mod.HEAPF32;
      const hs = sc.HEAPF32;
      const floatsPerLine = 2 * n;
      const tr = sc._pffft_transform_ordered;
      for (let i0 = 0; i0 < count; i0 += lines) {
        const k = Math.min(lines, count - i0);
        const src = (ptr >> 2) + i0 * floatsPerLine;
        hs.set(h.subarray(src, src + k * floatsPerLine), buf >> 2);
        for (let i = 0, q = buf; i < k; i++, q += 8 * n) tr(p.scalarSetup, q, q, work, dir);
        h.set(hs.subarray(buf >> 2, (buf >> 2) + k * floatsPerLine), src);
      }
      return;
    }
    const b = p.bluestein!;
    for (let i = 0; i < count; i++) this.bluesteinLine(b, n, ptr + 8 * n * i, inverse);
  }

  /**
   * True when lines of length n are transformed by PFFFT's SIMD build, whose spectra can stay in
   * its internal order (transformLinesInHeapInternal, toInternalOrder).
   */
  hasInternalOrder(n: number): boolean {
    return n > 1 && this.plan(n).setup !== 0;
  }

  /**
   * As transformLinesInHeap for a length with hasInternalOrder(n), but the spectra in PFFFT's
   * internal order (a fixed permutation of the float32 slots of each line, re and im apart): the
   * forward leaves them so, the inverse takes them so. The values are the ordered transform's,
   * bit for bit (the ordered one is this plus the permutation), without the permutation pass; a
   * pointwise product between the two needs its factors in the same order (toInternalOrder).
   */
  transformLinesInHeapInternal(ptr: number, count: number, n: number, inverse: boolean): void {
    const p = this.plan(n);
    if (p.setup === 0) throw new Error(`FFT: length ${n} has no internal-order transform`);
    const work = this.workFor(n);
    const dir = inverse ? PFFFT_BACKWARD : PFFFT_FORWARD;
    if (count <= 0) return;
    if (this.lines !== null) {
      this.lines.internal(p.setup, ptr, count, 8 * n, work, dir);
      return;
    }
    const tr = this.mod._pffft_transform;
    for (let i = 0, q = ptr; i < count; i++, q += 8 * n) tr(p.setup, q, q, work, dir);
  }

  /** The ordered spectrum of n complex64 at heap byte address src as PFFFT's internal order at dst (a permutation; src != dst). */
  toInternalOrder(n: number, src: number, dst: number): void {
    const p = this.plan(n);
    if (p.setup === 0) throw new Error(`FFT: length ${n} has no internal-order transform`);
    this.mod._pffft_zreorder(p.setup, src, dst, PFFFT_BACKWARD);
  }

  /**
   * Where each float32 slot of an ordered spectrum of length n (hasInternalOrder(n)) goes in
   * PFFFT's internal order: out[s] is the internal slot of ordered slot s (2 k: re of bin k,
   * 2 k + 1: its im). Read off toInternalOrder itself, on a line of distinct values.
   */
  internalOrderSlots(n: number): Int32Array {
    const src = this.malloc(8 * n), dst = this.malloc(8 * n);
    try {
      const h = this.mod.HEAPF32;
      const s0 = src.ptr >> 2, d0 = dst.ptr >> 2;
      for (let i = 0; i < 2 * n; i++) h[s0 + i] = i;
      this.toInternalOrder(n, src.ptr, dst.ptr);
      const h2 = this.mod.HEAPF32;
      const out = new Int32Array(2 * n).fill(-1);
      for (let j = 0; j < 2 * n; j++) out[h2[d0 + j]] = j;
      if (out.includes(-1)) throw new Error(`FFT: the internal order of length ${n} is not a permutation of the slots`);
      return out;
    } finally {
      this.free(src);
      this.free(dst);
    }
  }

  private bluesteinLine(b: BluesteinPlan, n: number, ptr: number, inverse: boolean): void {
    const { m, chirp } = b;
    const mp = this.plan(m);
    const work = this.workFor(m);
    const h = this.mod.HEAPF32;
    const x = ptr >> 2;
    const l = b.line.ptr >> 2;
    // Inverse via conjugation: ifft_unnorm(x) = conj(fft(conj(x)))
    const s = inverse ? -1 : 1;
    for (let j = 0; j < n; j++) {
      const xr = h[x + 2 * j], xi = s * h[x + 2 * j + 1];
      const cr = chirp[2 * j], ci = chirp[2 * j + 1];
      h[l + 2 * j] = xr * cr - xi * ci;
      h[l + 2 * j + 1] = xr * ci + xi * cr;
    }
    h.fill(0, l + 2 * n, l + 2 * m);
    // convolution with the chirp filter in PFFFT's internal spectral order (SIMD multiply)
    this.mod._pffft_transform(mp.setup, b.line.ptr, b.line.ptr, work, PFFFT_FORWARD);
    const pr = b.product.ptr >> 2;
    h.fill(0, pr, pr + 2 * m);
    this.mod._pffft_zconvolve_accumulate(mp.setup, b.line.ptr, b.filter.ptr, b.product.ptr, 1);
    this.mod._pffft_transform(mp.setup, b.product.ptr, b.line.ptr, work, PFFFT_BACKWARD);
    const inv = 1 / m;
    for (let k = 0; k < n; k++) {
      const yr = h[l + 2 * k] * inv, yi = h[l + 2 * k + 1] * inv;
      const cr = chirp[2 * k], ci = chirp[2 * k + 1];
      h[x + 2 * k] = yr * cr - yi * ci;
      h[x + 2 * k + 1] = s * (yr * ci + yi * cr);
    }
  }

  /**
   * The `floats` float32 at heap byte address ptr multiplied by s in place, each product formed
   * in float64 and rounded once (the same bits as `h[i] * s` in JS; SIMD when the kernel is there).
   */
  scaleInHeap(ptr: number, floats: number, s: number): void {
    if (this.kernel !== null) {
      this.kernel.scale(ptr, floats, s);
      return;
    }
    const h = this.mod.HEAPF32;
    for (let i = ptr >> 2, end = (ptr >> 2) + floats; i < end; i++) h[i] = h[i] * s;
  }

  /**
   * numpy.fft.fftn / ifftn over `axes` of a C-order complex64 array of `shape`, in place
   * (norm "backward": the inverse divides by the product of the transformed lengths).
   */
  fftn(data: Float32Array, shape: readonly number[], axes: readonly number[], inverse: boolean): void {
    const total = shape.reduce((a, b) => a * b, 1);
    if (data.length !== 2 * total) throw new Error(`fftn: data has ${data.length / 2} complex values, shape ${JSON.stringify(shape)} needs ${total}`);
    const list: number[] = [];
    for (const a0 of axes) {
      const axis = a0 < 0 ? a0 + shape.length : a0;
      if (axis < 0 || axis >= shape.length) throw new Error(`fftn: axis ${a0} out of range for ${shape.length} dimensions`);
      if (!list.includes(axis)) list.push(axis);
    }
    if (total === 0) return;
    let norm = 1;
    for (const axis of list) {
      norm *= shape[axis];
      this.prepare(shape[axis]);
    }
    // The leading dimensions that no axis touches hold independent sub-arrays: they are done in
    // chunks of whole sub-arrays of about CHUNK_POINTS (copy in, all axes, copy out) that stay in
    // the cache, instead of each axis streaming the whole array through memory. The per-line
    // operations are the same either way, so are the results.
    const lead = list.length === 0 ? shape.length : Math.min(...list);
    let batch = 1;
    for (let d = 0; d < lead; d++) batch *= shape[d];
    const sub = total / batch;
    const per = Math.max(1, Math.floor(CHUNK_POINTS / sub));
    const block = this.scratchBlock(0, 8 * Math.min(batch, per) * sub);
    const base = block.ptr >> 2;
    for (let b0 = 0; b0 < batch; b0 += per) {
      const points = Math.min(per, batch - b0) * sub;
      const off = 2 * b0 * sub;
      this.mod.HEAPF32.set(data.subarray(off, off + 2 * points), base);
      for (const axis of list) this.transformAxis(block.ptr, points, shape, axis, inverse);
      if (inverse && norm !== 1 && this.kernel !== null) this.kernel.scale(block.ptr, 2 * points, 1 / norm);
      const h = this.mod.HEAPF32;
      if (inverse && norm !== 1 && this.kernel === null) {
        const s = 1 / norm;
        for (let i = 0; i < 2 * points; i++) data[off + i] = h[base + i] * s;
      } else {
        data.set(h.subarray(base, base + 2 * points), off);
      }
    }
  }

  /**
   * Unnormalised in-place transforms along `axis` of a C-order complex64 array of `shape` that
   * lives in the wasm heap at byte address ptr; a strided axis is read and written where it is
   * (the caller needs no transposed copy). `inverse` selects e^{+i}.
   */
  transformAxisInHeap(ptr: number, shape: readonly number[], axis: number, inverse: boolean): void {
    if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) throw new Error(`transformAxisInHeap: axis ${axis} out of range for ${shape.length} dimensions`);
    const points = shape.reduce((a, b) => a * b, 1);
    if (points === 0) return;
    this.prepare(shape[axis]);
    this.transformAxis(ptr, points, shape, axis, inverse);
  }

  /**
   * The column transforms of an n0 x n1 complex64 array at heap byte address ptr (C order) for
   * the columns [c0, c1) only, the others left as they are: each column's values are
   * transformAxisInHeap(ptr, [n0, n1], 0, inverse)'s. For a 2-D transform whose output is read in
   * some columns only (a masked image).
   */
  transformColumnsInHeap(ptr: number, n0: number, n1: number, inverse: boolean, c0 = 0, c1 = n1): void {
    if (!(Number.isInteger(c0) && Number.isInteger(c1) && c0 >= 0 && c0 <= c1 && c1 <= n1)) throw new Error(`transformColumnsInHeap: columns [${c0}, ${c1}) outside 0..${n1}`);
    if (c1 === c0 || n0 * n1 === 0) return;
    this.prepare(n0);
    this.transformAxis(ptr, n0 * n1, [n0, n1], 0, inverse, c0, c1);
  }

  /**
   * True when `transformColumnsToLines` can transform columns of length n0: the SIMD kernel's
   * transposes are there and n0 is not one of the kernel's own lengths (those it transforms in place).
   */
  hasColumnLines(n0: number): boolean {
    return this.kernel !== null && n0 > 1 && !this.plan(n0).mixed;
  }

  /**
   * The column transforms of transformColumnsInHeap(ptr, n0, n1, inverse, c0, c1), not written
   * back: each block of w neighbouring columns [i, i + w) is handed to `visit(lines, i, w)` as w
   * contiguous lines of n0 complex64 at heap byte address `lines` (valid until visit returns; the
   * array at ptr keeps its untransformed columns). The same transposing copies and line transforms
   * as transformColumnsInHeap, so the same values, without the copy back. Needs hasColumnLines(n0).
   */
  transformColumnsToLines(ptr: number, n0: number, n1: number, inverse: boolean, c0: number, c1: number, visit: (lines: number, i: number, w: number) => void): void {
    if (!(Number.isInteger(c0) && Number.isInteger(c1) && c0 >= 0 && c0 <= c1 && c1 <= n1)) throw new Error(`transformColumnsToLines: columns [${c0}, ${c1}) outside 0..${n1}`);
    if (!this.hasColumnLines(n0)) throw new Error(`transformColumnsToLines: no kernel transposes for columns of length ${n0}`);
    this.prepare(n0);
    const k = this.kernel!;
    const W = KERNEL_TRANSPOSE_LINES;
    const lineBlock = this.scratchBlock(1, 8 * n0 * W);
    for (let i0 = c0; i0 < c1; i0 += W) {
      const w = Math.min(W, c1 - i0);
      k.transposeIn(ptr + 8 * i0, n0, 8 * n1, lineBlock.ptr, w);
      this.transformLinesInHeap(lineBlock.ptr, w, n0, inverse);
      visit(lineBlock.ptr, i0, w);
    }
  }

  /**
   * Unnormalised transforms along `axis` of the `points` complex values at heap byte address
   * ptr, C order, whose trailing dimensions from `axis` on are those of `shape`; only the lines
   * whose index in the trailing dimensions after `axis` is in [first, end) (default all).
   */
  private transformAxis(ptr: number, points: number, shape: readonly number[], axis: number, inverse: boolean, first = 0, end = -1): void {
    const n = shape[axis];
    if (n === 1) return;
    let inner = 1;
    for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
    const outer = points / (inner * n);
    if (end < 0) end = inner;
    if (inner === 1) {
      this.transformLinesInHeap(ptr, outer, n, inverse);
      return;
    }
    this.prepare(n);
    // the mixed-radix kernel reads and writes groups of four neighbouring strided lines itself
    const direct = this.plan(n).mixed ? (end - first) - ((end - first) % 4) : 0;
    if (direct > 0) {
      for (let o = 0; o < outer; o++) this.kernel!.transformColumns(ptr + 8 * (o * n * inner + first), direct, n, 8 * inner, inverse);
      if (first + direct === end) return;
    }
    // strided lines: per block of W neighbouring lines, a transposing copy into contiguous
    // lines (complex values moved as 8-byte units, bit-exact), transform, copy back
    const k = this.kernel;
    const W = Math.min(k !== null ? KERNEL_TRANSPOSE_LINES : 64, end - first - direct);
    const lineBlock = this.scratchBlock(1, 8 * n * W);
    for (let o = 0; o < outer; o++) {
      const blockBase = (ptr >> 3) + o * n * inner;
      for (let i0 = first + direct; i0 < end; i0 += W) {
        const w = Math.min(W, end - i0);
        if (k !== null) {
          const src = 8 * (blockBase + i0);
          k.transposeIn(src, n, 8 * inner, lineBlock.ptr, w);
          this.transformLinesInHeap(lineBlock.ptr, w, n, inverse);
          k.transposeOut(lineBlock.ptr, n, 8 * inner, src, w);
          continue;
        }
        const D = new Float64Array(this.mod.HEAPF32.buffer);
        const t = lineBlock.ptr >> 3;
        // gather: D[t + i * n + k] = element (k, i0 + i)
        for (let k = 0; k < n; k++) {
          const src = blockBase + k * inner + i0;
          for (let i = 0; i < w; i++) D[t + i * n + k] = D[src + i];
        }
        this.transformLinesInHeap(lineBlock.ptr, w, n, inverse);
        const D2 = new Float64Array(this.mod.HEAPF32.buffer);
        for (let k = 0; k < n; k++) {
          const dst = blockBase + k * inner + i0;
          for (let i = 0; i < w; i++) D2[dst + i] = D2[t + i * n + k];
        }
      }
    }
  }

  /** numpy.fft.fft along the last axis (length n) of a complex64 array, in place. */
  fft(data: Float32Array, n: number = data.length / 2): void {
    this.fftn(data, [data.length / 2 / n, n], [1], false);
  }

  /** numpy.fft.ifft along the last axis (length n) of a complex64 array, in place. */
  ifft(data: Float32Array, n: number = data.length / 2): void {
    this.fftn(data, [data.length / 2 / n, n], [1], true);
  }
}

/**
 * Sizes the scalar PFFFT build transforms: 5-smooth multiples of 4. (Its radix-3 and radix-5
 * passes assert `ido > 2`, i.e. they must not be the last factor, which PFFFT's factor order
 * guarantees only when 4 divides n; a failed assertion would abort the whole wasm instance,
 * so other sizes never reach it.)
 */
export function isScalarPffftSize(n: number): boolean {
  return n >= 4 && n % 4 === 0 && isSmooth235(n);
}

function isSmooth235(n: number): boolean {
  let m = n;
  for (const p of [2, 3, 5]) while (m % p === 0) m /= p;
  return m === 1;
}

let enginePromise: Promise<FftEngine> | null = null;

/** The FFT engine of this thread, loaded on first use. */
export function getFftEngine(): Promise<FftEngine> {
  if (enginePromise === null) {
    enginePromise = (async () => {
      try {
        // PFFFT SIMD with the mixed-radix kernel in its memory (the scalar build is then not needed)
        const { module, memory, transforms } = await loadSimdPffftWithMemory();
        const kernel = new MixedRadixKernel(memory, {
          malloc: (bytes) => {
            const ptr = module._pffft_aligned_malloc(bytes);
            if (ptr === 0) throw new Error(`FFT engine: out of WebAssembly memory allocating ${bytes} bytes`);
            return ptr;
          },
        });
        return new FftEngine(module, true, null, kernel, transforms !== null ? pffftLines(memory, transforms) : null);
      } catch {
        // not expected on Node 20; the engine as it was before the kernel
      }
      const scalar = (await import('@echogarden/pffft-wasm')).default;
      try {
        const simd = (await import('@echogarden/pffft-wasm/simd')).default;
        return new FftEngine((await simd()) as PffftModule, true, (await scalar()) as PffftModule);
      } catch {
        // WebAssembly SIMD unavailable: the scalar build (same API, any 5-smooth size)
        return new FftEngine((await scalar()) as PffftModule, false);
      }
    })();
    enginePromise.catch(() => {
      enginePromise = null;
    });
  }
  return enginePromise;
}
