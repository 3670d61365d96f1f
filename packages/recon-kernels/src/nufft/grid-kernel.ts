/**
 * The width-4 float32 gridding of Nufft.gridAdd as WebAssembly SIMD, on a shared WebAssembly
 * memory that every thread of a session instantiates the kernel on: the grid, an arm's samples
 * and a 64-byte record of each point's taps live there (Float32Array views of it, on its
 * SharedArrayBuffer, serve everything else: the transforms, the steps' other work, postMessage).
 *
 * Why: the JS gridding was the real-time view sharing's largest CPU cost (every arm, and the last
 * arm of a block on the frame path), per tap a typed-array load, float64 multiply-add and float32
 * store with their bounds checks; here a tap is one f64x2 multiply-add on its (re, im) pair.
 *
 * The same bits as the JS code: per tap the same float64 operations (w_y * sample, times w_x,
 * added to the float32 slot, rounded to float32), and per grid slot the same order (the points in
 * order; per point its 4 x 4 taps row by row; a point on a kernel edge gets its 5th taps from the
 * plan's JS code right after its 4 x 4, before the next point). Kernel width 4, float32 samples
 * and grid, scale 1; the natural grid layout or the FFT's internal order (NufftOptions.internalOrderGrid:
 * a tap's real and imaginary slots 16 bytes apart, moved as two lanes).
 *
 * The memory also holds image slots (a session's sum, frame and block images) and the
 * apodization factors, so that imageFromGrid's last pass (apodization, and the add into the sum)
 * runs here too (apodizeAdd, f64x2 and f32x4: the JS loop's bits) when its output and sum are slots;
 * likewise the block image's later subtraction from the sum (subtract) and a frame with an
 * incomplete block, the sum added to that block's image (addInto).
 * And the magnitude combination (combineRange; room for maps and output).
 */
import { FunctionBuilder, I32, V128, buildModule } from '../fft/wasm-emitter.js';
import { wasm, type WasmMemory } from '../fft/wasm-api.js';
import type { Nufft, NufftTables } from './nufft.js';

/** Bytes of a point's record: 4 row offsets and 4 column offsets in bytes (i32), 4 row and 4 column weights (f32). */
const RECORD_BYTES = 64;
const PAGE = 65536;

/** Where a SharedGrid's arrays sit in its memory (what another thread needs to attach to it). */
export interface SharedGridLayout {
  /** a shared WebAssembly.Memory (postMessage gives the receiving thread the same bytes) */
  memory: WasmMemory;
  pages: number;
  /** tells one session's memory from another's (a thread keeps the kernel of the last one it attached to) */
  id: string;
  ncoils: number;
  armSamples: number;
  npts: number;
  /** the grid's rows in the FFT's internal order (NufftOptions.internalOrderGrid), else the natural layout */
  internal: boolean;
  /** floats of one coil's grid plane (2 osy osx) */
  planeFloats: number;
  recPtr: number;
  dataPtr: number;
  gridPtr: number;
  /** [ny] float64: the apodization of the image's rows times imageFromGrid's scale; [nx] float64: of its columns */
  apodYPtr: number;
  apodXPtr: number;
  ny: number;
  nx: number;
  /** the image slots (`images`): the first's byte address, and how many of 2 ncoils ny nx floats there are */
  imagesPtr: number;
  imageSlots: number;
  mapsPtr: number;
  combinedPtr: number;
}

/** Image slots of a SharedGrid (images of all coils: the window's sum, its frame and block images). */
export const SHARED_IMAGE_SLOTS = 8;

type GridFn = (data: number, dStep: number, ncoils: number, grid: number, plane: number, rec: number, n: number) => void;

/**
 * grid4(data, dStep, ncoils, grid, plane, rec, n): n points (n >= 1, ncoils >= 1) from the
 * record at byte address rec on; the samples of point k of coil c at data + c dStep + 8 k
 * (complex64), coil c's plane at grid + c plane. Per point the coils inner (the taps read once).
 */
function gridFunction(internal: boolean): FunctionBuilder {
  const f = new FunctionBuilder(internal ? 'grid4i' : 'grid4', 7);
  const DATA = 0, DSTEP = 1, NC = 2, GRID = 3, PLANE = 4, REC = 5, N = 6;
  const k = f.local(I32), c = f.local(I32), dp = f.local(I32), gb = f.local(I32), row = f.local(I32);
  const r = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const col = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const wy = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const wx = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const reim = f.local(V128), wri = f.local(V128), nv = f.local(V128), at = f.local(I32);
  f.loop(k, 0, N, () => {
    for (let t = 0; t < 4; t++) {
      f.get(REC).loadI32(4 * t).set(r[t]);
      f.get(REC).loadI32(16 + 4 * t).set(col[t]);
      f.get(REC).load32Splat(32 + 4 * t).promoteLow().set(wy[t]);
      f.get(REC).load32Splat(48 + 4 * t).promoteLow().set(wx[t]);
    }
    f.get(DATA).set(dp);
    f.get(GRID).set(gb);
    f.loop(c, 0, NC, () => {
      f.get(dp).load64Zero().promoteLow().set(reim); // (re, im) as float64
      for (let t = 0; t < 4; t++) {
        f.get(wy[t]).get(reim).dmul().set(wri); // w_y re, w_y im
        f.get(gb).get(r[t]).add().set(row);
        for (let s = 0; s < 4; s++) {
          // slot += w_x (w_y re, w_y im), in float64, rounded to float32
          if (!internal) {
            f.get(row).get(col[s]).add();
            f.get(row).get(col[s]).add().load64Zero().promoteLow();
            f.get(wx[s]).get(wri).dmul().dadd().demote().store64Low();
          } else {
            // the internal order: the imaginary slot 4 floats (16 bytes) after the real one
            f.get(row).get(col[s]).add().set(at);
            f.get(at).get(at).load32Zero().load32Lane(16, 1).promoteLow();
            f.get(wx[s]).get(wri).dmul().dadd().demote().set(nv);
            f.get(at).get(nv).store32Lane(0, 0);
            f.get(at).get(nv).store32Lane(16, 1);
          }
        }
      }
      f.incBy(dp, DSTEP);
      f.incBy(gb, PLANE);
    });
    f.inc(REC, RECORD_BYTES);
    f.inc(DATA, 8);
  });
  return f;
}

type CombineFn = (...args: number[]) => void;

/** combineWithMapsRange's float64 operations, lanes (re, im) (IEEE: a mr - b (-mi) is a mr + b mi, a (-mi) + b mr is b mr - a mi). */
function mapsFunction(): FunctionBuilder {
  const f = new FunctionBuilder('combineMaps', 7);
  const IMG = 0, MAPS = 1, OUT = 2, NC = 3, COUNT = 4, ISTEP = 5, MSTEP = 6;
  const p = f.local(I32), c = f.local(I32), ip = f.local(I32), mp = f.local(I32);
  const acc = f.local(V128), m = f.local(V128), t1 = f.local(V128), t2 = f.local(V128);
  f.loop(p, 0, COUNT, () => {
    f.fconst(0).set(acc);
    f.get(IMG).set(ip);
    f.get(MAPS).set(mp);
    f.loop(c, 0, NC, () => {
      f.get(mp).load().set(m);
      f.get(ip).load32Splat().promoteLow().get(m).dmul().set(t1);
      f.get(ip).load32Splat(4).promoteLow().get(m).get(m).shuffle32(2, 3, 0, 1).dmul().set(t2);
      f.get(acc);
      f.get(t1).get(t2).dadd().get(t2).get(t1).dsub().shuffle32(0, 1, 6, 7).dadd().set(acc);
      f.incBy(ip, ISTEP);
      f.incBy(mp, MSTEP);
    });
    f.get(acc).get(acc).dmul().set(t1);
    f.get(OUT).get(t1).get(t1).get(t1).shuffle32(2, 3, 0, 1).dadd().dsqrt().demote().store32Lane(0, 0);
    f.inc(IMG, 8);
    f.inc(MAPS, 16);
    f.inc(OUT, 4);
  });
  return f;
}

/** rootSumOfSquaresRange's. */
function rssFunction(): FunctionBuilder {
  const f = new FunctionBuilder('combineRss', 5);
  const IMG = 0, OUT = 1, NC = 2, COUNT = 3, ISTEP = 4;
  const p = f.local(I32), c = f.local(I32), ip = f.local(I32);
  const acc = f.local(V128), q = f.local(V128);
  f.loop(p, 0, COUNT, () => {
    f.fconst(0).set(acc);
    f.get(IMG).set(ip);
    f.loop(c, 0, NC, () => {
      f.get(ip).load64Zero().promoteLow().tee(q).get(q).dmul().set(q);
      f.get(acc).get(q).get(q).get(q).shuffle32(2, 3, 0, 1).dadd().dadd().set(acc);
      f.incBy(ip, ISTEP);
    });
    f.get(OUT).get(acc).dsqrt().demote().store32Lane(0, 0);
    f.inc(IMG, 8);
    f.inc(OUT, 4);
  });
  return f;
}

type ApodFn = (out: number, sum: number, ay: number, ax: number, ny: number, nx: number) => void;

/**
 * apodizeAdd(out, sum, ay, ax, ny, nx): over ny x nx complex64 pixels at out, each value v becomes
 * float32(v ay[i] ax[j]) (the factor a float64 product, as imageFromGrid's), and is added to the
 * pixel at sum (float32 addition: the same value as JS's float64 sum rounded to float32).
 */
function apodFunction(): FunctionBuilder {
  const f = new FunctionBuilder('apodizeAdd', 6);
  const OUT = 0, SUM = 1, AY = 2, AX = 3, NY = 4, NX = 5;
  const i = f.local(I32), j = f.local(I32), ax = f.local(I32), ai = f.local(V128), r = f.local(V128);
  f.loop(i, 0, NY, () => {
    f.get(AY).load64Splat().set(ai);
    f.get(AX).set(ax);
    f.loop(j, 0, NX, () => {
      f.get(OUT).get(OUT).load64Zero().promoteLow(); // (re, im)
      f.get(ai).get(ax).load64Splat().dmul().dmul().demote().tee(r).store64Low();
      f.get(SUM).get(SUM).load64Zero().get(r).fadd().store64Low();
      f.inc(OUT, 8);
      f.inc(SUM, 8);
      f.inc(ax, 8);
    });
    f.inc(AY, 8);
  });
  return f;
}

type SubFn = (sum: number, drop: number, quads: number) => void;

/**
 * subtract(out, a, quads) / add(out, a, quads): out -= a / out += a over quads x 4 float32 (float32
 * arithmetic: JS's float64 difference or sum of two float32 values rounded to float32; IEEE addition
 * commutes, so out + a is a + out too).
 */
function elementwiseFunction(name: 'subtract' | 'add'): FunctionBuilder {
  const f = new FunctionBuilder(name, 3);
  const OUT = 0, A = 1, Q = 2;
  const k = f.local(I32);
  f.loop(k, 0, Q, () => {
    f.get(OUT).get(OUT).load().get(A).load();
    if (name === 'add') f.fadd();
    else f.fsub();
    f.store();
    f.inc(OUT, 16);
    f.inc(A, 16);
  });
  return f;
}

let compiled: { pages: number; module: object } | null = null;

interface KernelFns { grid: GridFn; apod: ApodFn; sub: SubFn; add: SubFn; maps: CombineFn; rss: CombineFn }

function instantiate(memory: WasmMemory, pages: number, internal: boolean): KernelFns {
  if (compiled === null || compiled.pages !== pages) {
    compiled = { pages, module: new wasm.Module(buildModule([gridFunction(false), gridFunction(true), apodFunction(), elementwiseFunction('subtract'), elementwiseFunction('add'), mapsFunction(), rssFunction()], pages)) };
  }
  const ex = new wasm.Instance(compiled.module, { env: { memory } }).exports;
  return { grid: (internal ? ex.grid4i : ex.grid4) as GridFn, apod: ex.apodizeAdd as ApodFn, sub: ex.subtract as SubFn, add: ex.add as SubFn, maps: ex.combineMaps as CombineFn, rss: ex.combineRss as CombineFn };
}

/** The points of the plan on a kernel edge (a 5th tap), ascending. */
function edgePointsOf(wide: Uint8Array): Int32Array {
  let n = 0;
  for (let p = 0; p < wide.length; p++) n += wide[p] !== 0 ? 1 : 0;
  const out = new Int32Array(n);
  for (let p = 0, k = 0; p < wide.length; p++) if (wide[p] !== 0) out[k++] = p;
  return out;
}

/** The memory this thread made or attached to last (a pool thread serves one window). */
let attached: SharedGrid | null = null;

/**
 * A session's gridding memory: `grid` (ncoils planes, in the layout the plan's gridAdd writes),
 * `data` ([coil][armSamples] complex, an arm's samples) and the plan's tap records, with the
 * kernel instantiated on it in this thread.
 */
export class SharedGrid {
  readonly grid: Float32Array;
  readonly data: Float32Array;
  /** SHARED_IMAGE_SLOTS images of [coil][ny][nx] complex (for imageFromGrid's out and addTo: apodizeAdd) */
  readonly images: Float32Array[];
  /** [coil][ny][nx] complex maps and [ny][nx] output, for combineRange */
  readonly maps: Float64Array;
  readonly combined: Float32Array;
  private readonly fns: KernelFns;
  /** the plan's points on a kernel edge, ascending */
  private readonly edgePoints: Int32Array;

  private constructor(readonly layout: SharedGridLayout, edgePoints: Int32Array) {
    const { memory, ncoils, armSamples, planeFloats, dataPtr, gridPtr, imagesPtr, imageSlots, ny, nx } = layout;
    this.grid = new Float32Array(memory.buffer, gridPtr, ncoils * planeFloats);
    this.data = new Float32Array(memory.buffer, dataPtr, 2 * ncoils * armSamples);
    const imageFloats = 2 * ncoils * ny * nx;
    this.images = Array.from({ length: imageSlots }, (_, k) => new Float32Array(memory.buffer, imagesPtr + 4 * imageFloats * k, imageFloats));
    this.maps = new Float64Array(memory.buffer, layout.mapsPtr, imageFloats);
    this.combined = new Float32Array(memory.buffer, layout.combinedPtr, ny * nx);
    this.fns = instantiate(memory, layout.pages, layout.internal);
    this.edgePoints = edgePoints;
  }

  /** True when `a` is a view of this memory: the kernel can address it. */
  holds(a: ArrayBufferView): boolean {
    return a.buffer === this.grid.buffer;
  }

  /** combineWithMapsRange (maps null: rootSumOfSquaresRange), its bits; false unless the arrays are this memory's (or `known`). */
  combineRange(images: Float32Array, maps: Float64Array | null, ncoils: number, npix: number, out: Float32Array, a: number, b: number, known = false): boolean {
    if (!known && (!this.holds(images) || !this.holds(out) || (maps !== null && !this.holds(maps)))) return false;
    if (a < 0 || b > npix) throw new Error('shared grid: pixels outside the frame');
    if (b <= a || ncoils < 1) return true;
    if (maps === null) this.fns.rss(images.byteOffset + 8 * a, out.byteOffset + 4 * a, ncoils, b - a, 8 * npix);
    else this.fns.maps(images.byteOffset + 8 * a, maps.byteOffset + 16 * a, out.byteOffset + 4 * a, ncoils, b - a, 8 * npix, 16 * npix);
    return true;
  }

  /** sum[i] -= drop[i] (float32; views of this memory of one length): a block image shifted out of the window's sum. */
  subtract(sum: Float32Array, drop: Float32Array): void {
    const n = sum.length;
    if (drop.length !== n) throw new Error('shared grid: subtract of arrays of different lengths');
    const quads = n >> 2;
    if (quads > 0) this.fns.sub(sum.byteOffset, drop.byteOffset, quads);
    for (let i = 4 * quads; i < n; i++) sum[i] -= drop[i];
  }

  /** out[i] = a[i] + out[i] (float32; views of this memory of one length): a frame with an incomplete block, the sum added to that block's image. */
  addInto(out: Float32Array, a: Float32Array): void {
    const n = out.length;
    if (a.length !== n) throw new Error('shared grid: add of arrays of different lengths');
    const quads = n >> 2;
    if (quads > 0) this.fns.add(out.byteOffset, a.byteOffset, quads);
    for (let i = 4 * quads; i < n; i++) out[i] = a[i] + out[i];
  }

  /**
   * imageFromGrid's last pass for one coil, here: `out` (ny x nx complex, a view of this memory)
   * holds the image's rows before apodization; each value becomes float32(value x apodY[i] scale
   * x apodX[j]) and is added to `addTo` (a view of this memory, same layout) in float32.
   */
  apodizeAdd(out: Float32Array, addTo: Float32Array): void {
    const { ny, nx, apodYPtr, apodXPtr } = this.layout;
    if (out.length < 2 * ny * nx || addTo.length < 2 * ny * nx) throw new Error('shared grid: image too small');
    this.fns.apod(out.byteOffset, addTo.byteOffset, apodYPtr, apodXPtr, ny, nx);
  }

  /**
   * The memory for `ncoils` coils and arms of `armSamples` points of `plan` (its taps copied in
   * arm by arm, see prepare), or null where the kernel does not apply (another kernel width) or the
   * runtime has no shared WebAssembly memory or SIMD: the JS gridding then.
   */
  static create(plan: Nufft, ncoils: number, armSamples: number): SharedGrid | null {
    const t = plan.tables();
    if (t.taps !== 5 || ncoils < 1 || armSamples < 1) return null;
    const align = (x: number): number => Math.ceil(x / 64) * 64;
    const planeFloats = 2 * t.osy * t.osx;
    const recPtr = 64; // (address 0 left unused)
    const dataPtr = align(recPtr + RECORD_BYTES * t.npts);
    const gridPtr = align(dataPtr + 8 * ncoils * armSamples);
    const apodYPtr = align(gridPtr + 4 * ncoils * planeFloats), apodXPtr = align(apodYPtr + 8 * t.ny);
    const imagesPtr = align(apodXPtr + 8 * t.nx);
    const mapsPtr = align(imagesPtr + SHARED_IMAGE_SLOTS * 8 * ncoils * t.ny * t.nx);
    const combinedPtr = align(mapsPtr + 16 * ncoils * t.ny * t.nx);
    const pages = Math.ceil((combinedPtr + 4 * t.ny * t.nx) / PAGE);
    let memory: WasmMemory;
    try {
      const Memory = wasm.Memory as unknown as new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
      memory = new Memory({ initial: pages, maximum: pages, shared: true });
    } catch {
      return null;
    }
    const layout: SharedGridLayout = {
      memory, pages, id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`, ncoils, armSamples, npts: t.npts, internal: t.colF !== null, planeFloats, recPtr, dataPtr, gridPtr,
      apodYPtr, apodXPtr, ny: t.ny, nx: t.nx, imagesPtr, imageSlots: SHARED_IMAGE_SLOTS, mapsPtr, combinedPtr,
    };
    // imageFromGrid's factors: apodY[i] times its scale (the same float64 expression), apodX[j]
    const scale = 1 / (Math.sqrt(t.ny * t.nx) * t.width * t.width);
    const ay = new Float64Array(memory.buffer, apodYPtr, t.ny), ax = new Float64Array(memory.buffer, apodXPtr, t.nx);
    for (let i = 0; i < t.ny; i++) ay[i] = t.apodY[i] * scale;
    ax.set(t.apodX);
    let g: SharedGrid;
    try {
      g = new SharedGrid(layout, edgePointsOf(t.wide));
    } catch {
      return null; // (no SIMD: the module does not compile)
    }
    g.tables = t;
    g.filled = new Set();
    attached = g;
    return g;
  }

  /** The creating thread's: the plan's tables, and the arms (their first point) whose records are written (see prepare). */
  private tables: NufftTables | null = null;
  private filled: Set<number> | null = null;

  /**
   * Writes the tap records of the arm [p0, p0 + armSamples) into the memory when not yet there
   * (each arm's at its first use: the session's first readout does not wait for all of them).
   * On the thread that made this memory (create), before it grids that arm or posts a step that
   * does: the threads that attached rely on it (the records are written before the post).
   */
  prepare(p0: number): void {
    const t = this.tables, filled = this.filled;
    if (t === null || filled === null || filled.has(p0)) return;
    const { recPtr, armSamples, memory } = this.layout;
    if (p0 < 0 || p0 + armSamples > t.npts) throw new Error(`shared grid: points ${p0}..${p0 + armSamples} outside the plan's ${t.npts}`);
    // (wasm memory is little-endian, as the typed arrays of every platform Node runs on)
    const words = (RECORD_BYTES / 4) * armSamples, at = recPtr + RECORD_BYTES * p0;
    const ri = new Int32Array(memory.buffer, at, words), rf = new Float32Array(memory.buffer, at, words);
    const { rowOff, col, colF, wy, wx } = t;
    for (let q = 0, o = 0, b = 5 * p0; q < armSamples; q++, o += RECORD_BYTES / 4, b += 5) {
      for (let k = 0; k < 4; k++) {
        ri[o + k] = 8 * rowOff[b + k];
        ri[o + 4 + k] = colF === null ? 8 * col[b + k] : 4 * colF[b + k]; // (the real slot's byte offset in the row)
        rf[o + 8 + k] = wy[b + k];
        rf[o + 12 + k] = wx[b + k];
      }
    }
    filled.add(p0);
  }

  /** This memory's kernel in this thread (another thread's SharedGrid.layout, posted here); kept for the next call with the same memory. */
  static attach(layout: SharedGridLayout, plan: Nufft): SharedGrid {
    if (attached !== null && attached.layout.id === layout.id) return attached;
    attached = new SharedGrid(layout, edgePointsOf(plan.tables().wide));
    return attached;
  }

  /** The memory this thread made or attached to last, if `a` is a view of it (or `known`). */
  static holding(a: ArrayBufferView, known = false): SharedGrid | null {
    return attached !== null && (known || attached.holds(a)) ? attached : null;
  }

  /**
   * plan.gridAdd(data's coils [c0, c1), c1 - c0, grid's planes from c0, p0, armSamples, 1): the
   * arm in `data` as points [p0, p0 + armSamples) of `plan` (the plan this memory was made for,
   * or one from its tables), added to the grid's planes of those coils. In a thread that
   * attached, the arm's records must have been written (prepare) by the thread that made the memory.
   */
  gridAdd(plan: Nufft, c0: number, c1: number, p0: number): void {
    const { ncoils, armSamples: count, npts, planeFloats, recPtr, dataPtr, gridPtr } = this.layout;
    if (c0 < 0 || c1 > ncoils || c0 >= c1) throw new Error(`shared grid: coils ${c0}..${c1} of ${ncoils}`);
    if (p0 < 0 || p0 + count > npts) throw new Error(`shared grid: points ${p0}..${p0 + count} outside the plan's ${npts}`);
    this.prepare(p0);
    const dStep = 8 * count, plane = 4 * planeFloats, n = c1 - c0;
    const d0 = dataPtr + c0 * dStep, g0 = gridPtr + c0 * plane;
    const run = (q0: number, q1: number): void => {
      if (q1 > q0) this.fns.grid(d0 + 8 * q0, dStep, n, g0, plane, recPtr + RECORD_BYTES * (p0 + q0), q1 - q0);
    };
    // the points on a kernel edge in the arm: their 5th taps (JS) right after their 4 x 4
    const edges = this.edgePoints;
    let lo = 0, hi = edges.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (edges[m] < p0) lo = m + 1; else hi = m; }
    let q = 0;
    for (let e = lo; e < edges.length && edges[e] < p0 + count; e++) {
      const qe = edges[e] - p0;
      run(q, qe + 1);
      for (let c = c0; c < c1; c++) {
        const d = 2 * (c * count + qe);
        plan.gridEdgeTaps(this.grid, c * planeFloats, edges[e], this.data[d], this.data[d + 1]);
      }
      q = qe + 1;
    }
    run(q, count);
  }
}
