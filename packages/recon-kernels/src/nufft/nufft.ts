/**
 * 2-D non-uniform FFT (type 1 "adjoint" and type 2 "forward") with SigPy's conventions, so that
 * `adjoint` equals `sigpy.fourier.nufft_adjoint(input, coord, (ncoils, ny, nx))` and `forward`
 * equals `sigpy.fourier.nufft(image, coord)` with the defaults oversampling 1.25, width 4:
 *
 * - `coord` holds, per point, [c0, c1]: c0 along the image's rows axis (axis -2, length ny), c1
 *   along its columns axis (axis -1, length nx), in grid units (-n/2 .. n/2 spans k-space);
 * - gridding onto the oversampled grid ceil(os * n) with the Kaiser-Bessel kernel, periodic
 *   wrap, divided by width^2; centred inverse FFT; centred crop; scaled by
 *   prod(os shape) / sqrt(prod(shape)) after numpy's 1/N inverse; apodization (and the reverse
 *   for `forward`).
 *
 * Speed: the interpolation taps (wrapped indices and separable weights) are computed once per
 * trajectory when the plan is made; the oversampled grid lives in the FFT engine's WebAssembly
 * heap, so transforms run in place (rows first, then only the columns the crop keeps, gathered
 * and read back by the FFT kernel's wasm transposes when it is there). The
 * centring shifts are folded into the tap indices (the grid is stored ifftshift-ed). Several
 * coils of float32 data are gridded with the coils inner (a point's taps read once); a WebAssembly
 * SIMD version of the width-4 gridding on a shared memory, for a session's threads, is
 * ./grid-kernel.ts (the same bits).
 */
import { getFftEngine, type FftEngine } from '../fft/index.js';
import { DEFAULT_KERNEL_WIDTH, DEFAULT_OVERSAMPLING, apodization, kaiserBesselBeta, kaiserBesselKernel, oversampledLength } from './kaiser-bessel.js';

export interface NufftOptions {
  oversampling?: number;
  width?: number;
  /**
   * false: kernel taps beyond the oversampled grid's edge are dropped instead of wrapped around
   * (BART's gridding, conf.periodic = false by default). Default true (SigPy).
   */
  periodic?: boolean;
  /**
   * Kernel values by linear interpolation in a table of this many points over the half-width
   * (BART's kb_table of 100: src/noncart/grid.c intlookup) instead of evaluated exactly (SigPy).
   */
  kernelTable?: number;
  /**
   * true: the plan's grid lives in the FFT engine's shared scratch blocks instead of blocks of
   * its own (many plans of one thread used one at a time, e.g. a series' frames). Default false.
   */
  sharedHeapBlocks?: boolean;
  /**
   * true: the grid of gridAdd / imageFromGrid / adjoint holds each row (osx complex values) in
   * the FFT engine's internal spectral order (PFFFT's, a fixed permutation of the row's float32
   * slots), so that the row transforms skip their reordering pass; the same values, permuted, so
   * the images are the same bits. Only where the engine has that order for osx with each bin's
   * imaginary slot 4 after its real one (PFFFT's SIMD build); else, and by default, the natural
   * layout. `gridInternalOrder` tells which is in force (a caller that reads the grid itself needs it).
   */
  internalOrderGrid?: boolean;
}

/** A plan's precomputed tables (see `Nufft.tables`), typed arrays on SharedArrayBuffers. */
export interface NufftTables {
  ny: number; nx: number; oversampling: number; width: number; beta: number; osy: number; osx: number; npts: number; taps: number;
  rowOff: Int32Array; col: Int32Array; wy: Float32Array; wx: Float32Array; wide: Uint8Array; apodY: Float64Array; apodX: Float64Array;
  /** with internalOrderGrid: per point and tap, the float offset of the real slot within a row of the internal-order grid (its imaginary slot 4 further); else null */
  colF: Int32Array | null;
}

/**
 * Where imageFromGrid's last pass (the apodization, written to `out` and added into `addTo`) can
 * run instead of its JS loop: ./grid-kernel.ts's SharedGrid, when out and addTo are views of its
 * memory. `out` holds the image's rows before apodization; the same float32 values as the loop.
 */
export interface ImageApodizer {
  apodizeAdd(out: Float32Array, addTo: Float32Array): void;
}

/** Imaginary slot minus real slot of a bin in PFFFT's internal order (SIMD build: 4 floats a vector). */
const INTERNAL_IM_OFFSET = 4;

/** Lines per wasm transposing copy in imageFromGrid (their cache lines stay in L1; 8 measured fastest of 8, 16, 32). */
const GATHER_LINES = 8;

/** Largest number of taps along one axis (width + 1 when a point sits exactly on the kernel edge). */
function maxTaps(width: number): number {
  return Math.floor(width) + 1;
}

/**
 * The kernel as BART evaluates it: a float32 table of I0(beta sqrt(1 - u^2)) at u = i / (size - 1),
 * i = 0..size (0 from u = 1 on), read with linear interpolation (src/noncart/grid.c kb_precompute, intlookup).
 * BART's table is of the kernel divided by I0(beta); this one keeps SigPy's scale.
 */
function kernelTableLookup(size: number, beta: number): (u: number) => number {
  const table = new Float32Array(size + 1);
  // zero from the edge u = 1 on, as BART's kb()
  for (let i = 0; i < size - 1; i++) table[i] = kaiserBesselKernel(i / (size - 1), beta);
  return (u: number): number => {
    const x = Math.fround(Math.abs(u));
    if (x > 1) return 0;
    const index = Math.floor(x * (size - 1));
    const f = Math.fround(x * (size - 1) - index);
    return Math.fround(table[index] * (1 - f) + table[index + 1] * f);
  };
}

export class Nufft {
  readonly ny: number;
  readonly nx: number;
  readonly osy: number;
  readonly osx: number;
  readonly npts: number;
  readonly width: number;
  readonly oversampling: number;
  readonly beta: number;
  private readonly taps: number;
  /** per point and tap: row offset (wrapped y * osx) and wrapped x; weight 0 for unused taps */
  /** (these tables move to SharedArrayBuffers at the first `tables()`: one copy for every thread) */
  private rowOff: Int32Array;
  private col: Int32Array;
  private wy: Float32Array;
  private wx: Float32Array;
  private apodY: Float64Array;
  private apodX: Float64Array;
  /** 1 where a point has a 5th tap along either axis (it sits exactly on a kernel edge) */
  private wide: Uint8Array;
  /** internal-order grid (internalOrderGrid): float offset of each tap's real slot in its row; null for the natural layout */
  private colF: Int32Array | null;
  private ownGrid: { ptr: number; bytes: number } | null = null;
  private ownCol: { ptr: number; bytes: number } | null = null;

  private constructor(private readonly fft: FftEngine, coord: ArrayLike<number> | null, shape: readonly [number, number], options: NufftOptions, tables?: NufftTables) {
    const [ny, nx] = shape;
    if (tables !== undefined) {
      // a plan made elsewhere (another thread), its tables shared: no per-plan heap blocks
      this.ny = ny; this.nx = nx;
      this.oversampling = tables.oversampling; this.width = tables.width; this.beta = tables.beta;
      this.osy = tables.osy; this.osx = tables.osx; this.npts = tables.npts; this.taps = tables.taps;
      this.rowOff = tables.rowOff; this.col = tables.col; this.wy = tables.wy; this.wx = tables.wx; this.wide = tables.wide;
      this.apodY = tables.apodY; this.apodX = tables.apodX;
      this.colF = tables.colF;
      fft.prepare(this.osx);
      fft.prepare(this.osy);
      return;
    }
    if (coord === null) throw new Error('NUFFT: no coordinates');
    if (!(Number.isInteger(ny) && Number.isInteger(nx) && ny > 0 && nx > 0)) throw new Error(`NUFFT: invalid image shape ${ny} x ${nx}`);
    if (coord.length % 2 !== 0) throw new Error(`NUFFT: coordinates must be pairs (got ${coord.length} numbers)`);
    this.ny = ny;
    this.nx = nx;
    this.oversampling = options.oversampling ?? DEFAULT_OVERSAMPLING;
    this.width = options.width ?? DEFAULT_KERNEL_WIDTH;
    this.beta = kaiserBesselBeta(this.width, this.oversampling);
    this.osy = oversampledLength(ny, this.oversampling);
    this.osx = oversampledLength(nx, this.oversampling);
    this.npts = coord.length / 2;
    const T = (this.taps = maxTaps(this.width));
    const n = this.npts;
    this.rowOff = new Int32Array(n * T);
    this.col = new Int32Array(n * T);
    this.wy = new Float32Array(n * T);
    this.wx = new Float32Array(n * T);
    this.wide = new Uint8Array(n);
    const sy = this.osy / ny, sx = this.osx / nx;
    const half = this.width / 2;
    const { osy, osx, beta } = this;
    const periodic = options.periodic ?? true;
    const table = options.kernelTable ? kernelTableLookup(options.kernelTable, beta) : null;
    const yLo = -Math.floor(osy / 2), yHi = osy - Math.floor(osy / 2) - 1;
    const xLo = -Math.floor(osx / 2), xHi = osx - Math.floor(osx / 2) - 1;
    for (let p = 0; p < n; p++) {
      const ky = coord[2 * p] * sy, kx = coord[2 * p + 1] * sx;
      if (!Number.isFinite(ky) || !Number.isFinite(kx)) throw new Error(`NUFFT: coordinate ${p} is not finite`);
      const y0 = Math.ceil(ky - half), y1 = Math.floor(ky + half);
      const x0 = Math.ceil(kx - half), x1 = Math.floor(kx + half);
      if (y1 - y0 + 1 > 4 || x1 - x0 + 1 > 4) this.wide[p] = 1;
      for (let t = 0; t < T; t++) {
        const y = y0 + t;
        if (y <= y1) {
          this.rowOff[p * T + t] = (((y % osy) + osy) % osy) * osx;
          const u = (y - ky) / half;
          this.wy[p * T + t] = periodic || (y >= yLo && y <= yHi) ? (table === null ? kaiserBesselKernel(u, beta) : table(u)) : 0;
        }
        const x = x0 + t;
        if (x <= x1) {
          this.col[p * T + t] = ((x % osx) + osx) % osx;
          const u = (x - kx) / half;
          this.wx[p * T + t] = periodic || (x >= xLo && x <= xHi) ? (table === null ? kaiserBesselKernel(u, beta) : table(u)) : 0;
        }
      }
    }
    this.apodY = apodization(ny, this.oversampling, this.width, this.beta);
    this.apodX = apodization(nx, this.oversampling, this.width, this.beta);
    this.colF = options.internalOrderGrid ? internalColumnSlots(fft, this.osx, this.col) : null;
    fft.prepare(this.osx);
    fft.prepare(this.osy);
    if (!options.sharedHeapBlocks) {
      this.ownGrid = fft.malloc(8 * this.osy * this.osx);
      this.ownCol = fft.malloc(8 * this.osy * Math.max(this.osx, this.nx));
    }
  }

  /** The oversampled grid's heap block: the plan's own, or the engine's shared scratch (slot 4). */
  private get gridBlock(): { ptr: number; bytes: number } {
    return this.ownGrid ?? this.fft.scratchBlock(4, 8 * this.osy * this.osx);
  }

  /** The column lines' heap block: own, or the engine's shared scratch (slot 5). */
  private get colBlock(): { ptr: number; bytes: number } {
    return this.ownCol ?? this.fft.scratchBlock(5, 8 * this.osy * Math.max(this.osx, this.nx));
  }

  /**
   * Float indices of the grid and column blocks, both taken (allocated if shared and not yet
   * there) before any view of the heap: taking a shared block can grow the heap and detach a
   * view taken earlier.
   */
  private heapBlocks(): { g: number; cb: number } {
    const g = this.gridBlock.ptr >> 2;
    return { g, cb: this.colBlock.ptr >> 2 };
  }

  /**
   * The plan's tables (interpolation taps, apodization) in SharedArrayBuffers, for `fromTables`
   * in another thread: the same plan there without recomputing it and without copying it. The
   * plan itself reads the shared copies from then on (the same values), so the threads that run
   * it share one copy in memory and in the caches, and later calls return the same arrays.
   */
  tables(): NufftTables {
    const share = <T extends Int32Array | Float32Array | Float64Array | Uint8Array>(a: T): T => {
      if (a.buffer instanceof SharedArrayBuffer) return a;
      const C = a.constructor as { new (b: SharedArrayBuffer): T };
      const out = new C(new SharedArrayBuffer(a.byteLength));
      (out as unknown as { set(x: ArrayLike<number>): void }).set(a);
      return out;
    };
    this.rowOff = share(this.rowOff); this.col = share(this.col); this.wy = share(this.wy); this.wx = share(this.wx);
    this.wide = share(this.wide); this.apodY = share(this.apodY); this.apodX = share(this.apodX);
    if (this.colF !== null) this.colF = share(this.colF);
    return {
      ny: this.ny, nx: this.nx, oversampling: this.oversampling, width: this.width, beta: this.beta, osy: this.osy, osx: this.osx,
      npts: this.npts, taps: this.taps,
      rowOff: this.rowOff, col: this.col, wy: this.wy, wx: this.wx, wide: this.wide, apodY: this.apodY, apodX: this.apodX, colF: this.colF,
    };
  }

  /**
   * A plan from `tables()` of a plan made in another thread (same results, bit for bit). Its
   * grid lives in the engine's shared scratch blocks, so any number of such plans cost no heap.
   */
  static fromTables(fft: FftEngine, tables: NufftTables): Nufft {
    return new Nufft(fft, null, [tables.ny, tables.nx], {}, tables);
  }

  /** A plan for these coordinates (npts x 2, see the file header) and image shape [ny, nx]. */
  static async create(coord: ArrayLike<number>, shape: readonly [number, number], options: NufftOptions = {}): Promise<Nufft> {
    return new Nufft(await getFftEngine(), coord, shape, options);
  }

  /** Same, with an engine already loaded. */
  static withEngine(fft: FftEngine, coord: ArrayLike<number>, shape: readonly [number, number], options: NufftOptions = {}): Nufft {
    return new Nufft(fft, coord, shape, options);
  }

  /** Frees the plan's WebAssembly memory (the plan is unusable afterwards). */
  dispose(): void {
    if (this.ownGrid !== null) this.fft.free(this.ownGrid);
    if (this.ownCol !== null) this.fft.free(this.ownCol);
  }

  /** True when the grid's rows are in the FFT engine's internal order (NufftOptions.internalOrderGrid and the engine has it for osx). */
  get gridInternalOrder(): boolean {
    return this.colF !== null;
  }

  /** Complex values of one oversampled grid plane. */
  get gridSize(): number {
    return this.osy * this.osx;
  }

  /**
   * Adds `scale` x the Kaiser-Bessel gridding of points [p0, p0 + count) to `grid` (ncoils
   * planes of osy x osx complex, interleaved; the ifftshift-ed layout `imageFromGrid` expects).
   * `data` is [coil][count] complex interleaved. Not divided by width^2 (imageFromGrid does it).
   */
  gridAdd(data: ArrayLike<number>, ncoils: number, grid: Float32Array | Float64Array, p0 = 0, count = this.npts - p0, scale = 1): void {
    if (p0 < 0 || p0 + count > this.npts) throw new Error(`NUFFT: points ${p0}..${p0 + count} outside the plan's ${this.npts}`);
    if (data.length < 2 * ncoils * count) throw new Error(`NUFFT: ${data.length / 2} data values for ${ncoils} coils x ${count} points`);
    const plane = 2 * this.osy * this.osx;
    if (grid.length < ncoils * plane) throw new Error('NUFFT: grid too small');
    if (ncoils > 1 && this.taps === 5 && data instanceof Float32Array && grid instanceof Float32Array) {
      // coils inner: each point's taps are read once for all the coils (per coil the same additions in the same order)
      if (this.colF !== null) this.gridPlanesWidth4Internal(data, ncoils, grid, plane, p0, count, scale, this.colF);
      else this.gridPlanesWidth4(data, ncoils, grid, plane, p0, count, scale);
      return;
    }
    for (let c = 0; c < ncoils; c++) this.gridPlane(data, 2 * c * count, grid, c * plane, p0, count, scale);
  }

  /**
   * gridPlaneWidth4 for `ncoils` coils at once, the coils inner: a point's taps (rows, columns,
   * weights) are read once and applied to every coil's plane. Each grid slot gets the same
   * products added in the same order as coil by coil (the points in order, per point the same
   * taps in the same order), so the same float32 values; the table reads and index arithmetic
   * per point are shared by the coils.
   */
  private gridPlanesWidth4(data: Float32Array, ncoils: number, g: Float32Array, plane: number, p0: number, count: number, scale: number): void {
    const { rowOff, col, wy, wx, wide } = this;
    const dStep = 2 * count;
    for (let q = 0; q < count; q++) {
      const p = p0 + q;
      const b = p * 5;
      const c0 = 2 * col[b], c1 = 2 * col[b + 1], c2 = 2 * col[b + 2], c3 = 2 * col[b + 3];
      const x0 = wx[b], x1 = wx[b + 1], x2 = wx[b + 2], x3 = wx[b + 3];
      const w0 = wy[b], w1 = wy[b + 1], w2 = wy[b + 2], w3 = wy[b + 3];
      const r0 = 2 * rowOff[b], r1 = 2 * rowOff[b + 1], r2 = 2 * rowOff[b + 2], r3 = 2 * rowOff[b + 3];
      const isWide = wide[p] !== 0;
      for (let c = 0, d = 2 * q, gOff = 0; c < ncoils; c++, d += dStep, gOff += plane) {
        const re = data[d] * scale, im = data[d + 1] * scale;
        let r = gOff + r0, wr = w0 * re, wi = w0 * im;
        g[r + c0] += x0 * wr; g[r + c0 + 1] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 1] += x1 * wi;
        g[r + c2] += x2 * wr; g[r + c2 + 1] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 1] += x3 * wi;
        r = gOff + r1; wr = w1 * re; wi = w1 * im;
        g[r + c0] += x0 * wr; g[r + c0 + 1] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 1] += x1 * wi;
        g[r + c2] += x2 * wr; g[r + c2 + 1] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 1] += x3 * wi;
        r = gOff + r2; wr = w2 * re; wi = w2 * im;
        g[r + c0] += x0 * wr; g[r + c0 + 1] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 1] += x1 * wi;
        g[r + c2] += x2 * wr; g[r + c2 + 1] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 1] += x3 * wi;
        r = gOff + r3; wr = w3 * re; wi = w3 * im;
        g[r + c0] += x0 * wr; g[r + c0 + 1] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 1] += x1 * wi;
        g[r + c2] += x2 * wr; g[r + c2 + 1] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 1] += x3 * wi;
        if (isWide) this.gridWideTaps(g, gOff, b, re, im, null);
      }
    }
  }

  /**
   * gridPlanesWidth4 on an internal-order grid (colF: a tap's real slot in its row; the imaginary
   * one 4 further). A twin rather than a layout argument, as gridPlaneWidth4Internal: folded into
   * one function the gridding ran slower (docs/numerics.md, branch nufft-scale).
   */
  private gridPlanesWidth4Internal(data: Float32Array, ncoils: number, g: Float32Array, plane: number, p0: number, count: number, scale: number, colF: Int32Array): void {
    const { rowOff, wx, wy, wide } = this;
    const dStep = 2 * count;
    for (let q = 0; q < count; q++) {
      const p = p0 + q;
      const b = p * 5;
      const c0 = colF[b], c1 = colF[b + 1], c2 = colF[b + 2], c3 = colF[b + 3];
      const x0 = wx[b], x1 = wx[b + 1], x2 = wx[b + 2], x3 = wx[b + 3];
      const w0 = wy[b], w1 = wy[b + 1], w2 = wy[b + 2], w3 = wy[b + 3];
      const r0 = 2 * rowOff[b], r1 = 2 * rowOff[b + 1], r2 = 2 * rowOff[b + 2], r3 = 2 * rowOff[b + 3];
      const isWide = wide[p] !== 0;
      for (let c = 0, d = 2 * q, gOff = 0; c < ncoils; c++, d += dStep, gOff += plane) {
        const re = data[d] * scale, im = data[d + 1] * scale;
        let r = gOff + r0, wr = w0 * re, wi = w0 * im;
        g[r + c0] += x0 * wr; g[r + c0 + 4] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 4] += x1 * wi;
        g[r + c2] += x2 * wr; g[r + c2 + 4] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 4] += x3 * wi;
        r = gOff + r1; wr = w1 * re; wi = w1 * im;
        g[r + c0] += x0 * wr; g[r + c0 + 4] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 4] += x1 * wi;
        g[r + c2] += x2 * wr; g[r + c2 + 4] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 4] += x3 * wi;
        r = gOff + r2; wr = w2 * re; wi = w2 * im;
        g[r + c0] += x0 * wr; g[r + c0 + 4] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 4] += x1 * wi;
        g[r + c2] += x2 * wr; g[r + c2 + 4] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 4] += x3 * wi;
        r = gOff + r3; wr = w3 * re; wi = w3 * im;
        g[r + c0] += x0 * wr; g[r + c0 + 4] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 4] += x1 * wi;
        g[r + c2] += x2 * wr; g[r + c2 + 4] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 4] += x3 * wi;
        if (isWide) this.gridWideTaps(g, gOff, b, re, im, colF);
      }
    }
  }

  /**
   * For a gridding kernel that adds the 4 x 4 taps itself (./grid-kernel.ts): the 5th taps of
   * point p, which sits on a kernel edge (width 4), added to one float32 plane at float gOff in
   * this plan's layout, exactly as gridAdd adds them right after the point's 4 x 4.
   */
  gridEdgeTaps(g: Float32Array, gOff: number, p: number, re: number, im: number): void {
    if (this.taps !== 5 || this.wide[p] === 0) throw new Error(`NUFFT: point ${p} has no 5th taps`);
    this.gridWideTaps(g, gOff, 5 * p, re, im, this.colF);
  }

  /**
   * The 5th taps of a point on a kernel edge (the width-4 kernels' rare case), after its 4 x 4:
   * the 5th column for rows 0..3, then the 5th row for all 5 columns (as gridPlaneWidth4 /
   * gridPlaneWidth4Internal do inline); colF null for the natural layout.
   */
  private gridWideTaps(g: Float32Array, gOff: number, b: number, re: number, im: number, colF: Int32Array | null): void {
    const { rowOff, col, wy, wx } = this;
    const imOff = colF === null ? 1 : INTERNAL_IM_OFFSET;
    const slot = (k: number): number => (colF === null ? 2 * col[k] : colF[k]);
    const c4 = slot(b + 4), x4 = wx[b + 4];
    if (x4 !== 0) for (let t = 0; t < 4; t++) {
      const w = wy[b + t] * x4, r = gOff + 2 * rowOff[b + t];
      g[r + c4] += w * re; g[r + c4 + imOff] += w * im;
    }
    const w5 = wy[b + 4];
    if (w5 !== 0) {
      const r = gOff + 2 * rowOff[b + 4];
      for (let s = 0; s < 5; s++) {
        const v = w5 * wx[b + s];
        if (v === 0) continue;
        const i = r + slot(b + s);
        g[i] += v * re; g[i + imOff] += v * im;
      }
    }
  }

  private gridPlane(data: ArrayLike<number>, dOff: number, g: Float32Array | Float64Array, gOff: number, p0: number, count: number, scale: number): void {
    const T = this.taps;
    if (this.colF !== null) {
      if (T === 5 && data instanceof Float32Array && g instanceof Float32Array) this.gridPlaneWidth4Internal(data, dOff, g, gOff, p0, count, scale, this.colF);
      else this.gridPlaneInternal(data, dOff, g, gOff, p0, count, scale, this.colF);
      return;
    }
    if (T === 5 && data instanceof Float32Array && g instanceof Float32Array) {
      this.gridPlaneWidth4(data, dOff, g, gOff, p0, count, scale);
      return;
    }
    const { rowOff, col, wy, wx } = this;
    if (T === 5) {
      for (let q = 0; q < count; q++) {
        const re = data[dOff + 2 * q] * scale, im = data[dOff + 2 * q + 1] * scale;
        const b = (p0 + q) * 5;
        const c0 = 2 * col[b], c1 = 2 * col[b + 1], c2 = 2 * col[b + 2], c3 = 2 * col[b + 3], c4 = 2 * col[b + 4];
        const x0 = wx[b], x1 = wx[b + 1], x2 = wx[b + 2], x3 = wx[b + 3], x4 = wx[b + 4];
        for (let t = 0; t < 5; t++) {
          const w = wy[b + t];
          if (w === 0) continue;
          const r = gOff + 2 * rowOff[b + t];
          const wr = w * re, wi = w * im;
          g[r + c0] += x0 * wr; g[r + c0 + 1] += x0 * wi;
          g[r + c1] += x1 * wr; g[r + c1 + 1] += x1 * wi;
          g[r + c2] += x2 * wr; g[r + c2 + 1] += x2 * wi;
          g[r + c3] += x3 * wr; g[r + c3 + 1] += x3 * wi;
          if (x4 !== 0) { g[r + c4] += x4 * wr; g[r + c4 + 1] += x4 * wi; }
        }
      }
      return;
    }
    for (let q = 0; q < count; q++) {
      const re = data[dOff + 2 * q] * scale, im = data[dOff + 2 * q + 1] * scale;
      const b = (p0 + q) * T;
      for (let t = 0; t < T; t++) {
        const w = wy[b + t];
        if (w === 0) continue;
        const r = gOff + 2 * rowOff[b + t];
        for (let s = 0; s < T; s++) {
          const v = w * wx[b + s];
          if (v === 0) continue;
          const i = r + 2 * col[b + s];
          g[i] += v * re;
          g[i + 1] += v * im;
        }
      }
    }
  }

  /**
   * gridPlane's general loop for the internal-order grid: the same products added in the same
   * order, each bin's real value at its slot colF and its imaginary value 4 further.
   */
  private gridPlaneInternal(data: ArrayLike<number>, dOff: number, g: Float32Array | Float64Array, gOff: number, p0: number, count: number, scale: number, colF: Int32Array): void {
    const T = this.taps;
    const { rowOff, wy, wx } = this;
    const d = INTERNAL_IM_OFFSET;
    for (let q = 0; q < count; q++) {
      const re = data[dOff + 2 * q] * scale, im = data[dOff + 2 * q + 1] * scale;
      const b = (p0 + q) * T;
      for (let t = 0; t < T; t++) {
        const w = wy[b + t];
        if (w === 0) continue;
        const r = gOff + 2 * rowOff[b + t];
        for (let s = 0; s < T; s++) {
          const v = w * wx[b + s];
          if (v === 0) continue;
          const i = r + colF[b + s];
          g[i] += v * re;
          g[i + d] += v * im;
        }
      }
    }
  }

  /**
   * gridPlaneWidth4 for the internal-order grid: per slot the same products in the same order
   * (the real value at colF, the imaginary 4 further), so the grid holds the same float32
   * values, permuted within each row.
   */
  private gridPlaneWidth4Internal(data: Float32Array, dOff: number, g: Float32Array, gOff: number, p0: number, count: number, scale: number, colF: Int32Array): void {
    const { rowOff, wy, wx, wide } = this;
    for (let q = 0; q < count; q++) {
      const p = p0 + q;
      const re = data[dOff + 2 * q] * scale, im = data[dOff + 2 * q + 1] * scale;
      const b = p * 5;
      const c0 = colF[b], c1 = colF[b + 1], c2 = colF[b + 2], c3 = colF[b + 3];
      const x0 = wx[b], x1 = wx[b + 1], x2 = wx[b + 2], x3 = wx[b + 3];
      let w = wy[b], r = gOff + 2 * rowOff[b], wr = w * re, wi = w * im;
      g[r + c0] += x0 * wr; g[r + c0 + 4] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 4] += x1 * wi;
      g[r + c2] += x2 * wr; g[r + c2 + 4] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 4] += x3 * wi;
      w = wy[b + 1]; r = gOff + 2 * rowOff[b + 1]; wr = w * re; wi = w * im;
      g[r + c0] += x0 * wr; g[r + c0 + 4] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 4] += x1 * wi;
      g[r + c2] += x2 * wr; g[r + c2 + 4] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 4] += x3 * wi;
      w = wy[b + 2]; r = gOff + 2 * rowOff[b + 2]; wr = w * re; wi = w * im;
      g[r + c0] += x0 * wr; g[r + c0 + 4] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 4] += x1 * wi;
      g[r + c2] += x2 * wr; g[r + c2 + 4] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 4] += x3 * wi;
      w = wy[b + 3]; r = gOff + 2 * rowOff[b + 3]; wr = w * re; wi = w * im;
      g[r + c0] += x0 * wr; g[r + c0 + 4] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 4] += x1 * wi;
      g[r + c2] += x2 * wr; g[r + c2 + 4] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 4] += x3 * wi;
      if (wide[p] !== 0) {
        const c4 = colF[b + 4], x4 = wx[b + 4];
        if (x4 !== 0) for (let t = 0; t < 4; t++) {
          const w = wy[b + t] * x4, r = gOff + 2 * rowOff[b + t];
          g[r + c4] += w * re; g[r + c4 + 4] += w * im;
        }
        const w5 = wy[b + 4];
        if (w5 !== 0) {
          const r = gOff + 2 * rowOff[b + 4];
          for (let s = 0; s < 5; s++) {
            const v = w5 * wx[b + s];
            if (v === 0) continue;
            const i = r + colF[b + s];
            g[i] += v * re; g[i + 4] += v * im;
          }
        }
      }
    }
  }

  /**
   * The width-4 kernel on float32 arrays: 4 x 4 taps unrolled, the rare 5th tap separately.
   * Kept apart from its twin gridPlaneWidth4Internal: one function taking the layout (column
   * scale, imaginary offset) as arguments gridded measurably slower (docs/numerics.md, nufft-scale).
   */
  private gridPlaneWidth4(data: Float32Array, dOff: number, g: Float32Array, gOff: number, p0: number, count: number, scale: number): void {
    const { rowOff, col, wy, wx, wide } = this;
    for (let q = 0; q < count; q++) {
      const p = p0 + q;
      const re = data[dOff + 2 * q] * scale, im = data[dOff + 2 * q + 1] * scale;
      const b = p * 5;
      const c0 = 2 * col[b], c1 = 2 * col[b + 1], c2 = 2 * col[b + 2], c3 = 2 * col[b + 3];
      const x0 = wx[b], x1 = wx[b + 1], x2 = wx[b + 2], x3 = wx[b + 3];
      // the 4 rows written out (the row loop's overhead was ~15 % of the gridding); per row and
      // tap the same products in the same order as the loop
      let w = wy[b], r = gOff + 2 * rowOff[b], wr = w * re, wi = w * im;
      g[r + c0] += x0 * wr; g[r + c0 + 1] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 1] += x1 * wi;
      g[r + c2] += x2 * wr; g[r + c2 + 1] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 1] += x3 * wi;
      w = wy[b + 1]; r = gOff + 2 * rowOff[b + 1]; wr = w * re; wi = w * im;
      g[r + c0] += x0 * wr; g[r + c0 + 1] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 1] += x1 * wi;
      g[r + c2] += x2 * wr; g[r + c2 + 1] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 1] += x3 * wi;
      w = wy[b + 2]; r = gOff + 2 * rowOff[b + 2]; wr = w * re; wi = w * im;
      g[r + c0] += x0 * wr; g[r + c0 + 1] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 1] += x1 * wi;
      g[r + c2] += x2 * wr; g[r + c2 + 1] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 1] += x3 * wi;
      w = wy[b + 3]; r = gOff + 2 * rowOff[b + 3]; wr = w * re; wi = w * im;
      g[r + c0] += x0 * wr; g[r + c0 + 1] += x0 * wi; g[r + c1] += x1 * wr; g[r + c1 + 1] += x1 * wi;
      g[r + c2] += x2 * wr; g[r + c2 + 1] += x2 * wi; g[r + c3] += x3 * wr; g[r + c3 + 1] += x3 * wi;
      if (wide[p] !== 0) {
        // the 5th column for rows 0..3, then the 5th row for all 5 columns
        const c4 = 2 * col[b + 4], x4 = wx[b + 4];
        if (x4 !== 0) for (let t = 0; t < 4; t++) {
          const w = wy[b + t] * x4, r = gOff + 2 * rowOff[b + t];
          g[r + c4] += w * re; g[r + c4 + 1] += w * im;
        }
        const w5 = wy[b + 4];
        if (w5 !== 0) {
          const r = gOff + 2 * rowOff[b + 4];
          for (let s = 0; s < 5; s++) {
            const v = w5 * wx[b + s];
            if (v === 0) continue;
            const i = r + 2 * col[b + s];
            g[i] += v * re; g[i + 1] += v * im;
          }
        }
      }
    }
  }

  /**
   * Image of gridded planes (from gridAdd): centred inverse FFT, crop, scaling and apodization as
   * sigpy.nufft_adjoint. `out` is [coil][ny][nx] complex interleaved. With `addTo` (same layout)
   * the image is also added to it in the same pass (the same float32 values as a separate
   * `addTo[i] += out[i]` loop; one pass over memory less: a running sum of images).
   */
  imageFromGrid(
    grid: Float32Array | Float64Array, ncoils: number, out: Float32Array = new Float32Array(2 * ncoils * this.ny * this.nx), addTo: Float32Array | null = null,
    apodizer: ImageApodizer | null = null,
  ): Float32Array {
    const plane = 2 * this.osy * this.osx;
    if (addTo !== null && addTo.length < 2 * ncoils * this.ny * this.nx) throw new Error('NUFFT: image sum too small');
    for (let c = 0; c < ncoils; c++) {
      const base = this.heapBlocks().g;
      const h = this.fft.heapF32();
      const src = grid.subarray(c * plane, (c + 1) * plane);
      if (src instanceof Float32Array) h.set(src, base);
      else for (let i = 0; i < plane; i++) h[base + i] = src[i];
      this.heapGridToImage(out, 2 * c * this.ny * this.nx, addTo, apodizer);
    }
    return out;
  }

  /**
   * Inverse-transforms the grid block in the heap into out[off..] (one coil); with `addTo`, each
   * value written (rounded to float32) is also added to addTo[same index] (float32), as a later
   * `addTo[i] += out[i]` pass would, in the same pass.
   */
  private heapGridToImage(out: Float32Array, off: number, addTo: Float32Array | null = null, apodizer: ImageApodizer | null = null): void {
    const { osy, osx, ny, nx } = this;
    const { g, cb } = this.heapBlocks();
    // rows: an internal-order grid skips the reordering pass of the ordered inverse (the same values)
    if (this.colF !== null) this.fft.transformLinesInHeapInternal(g << 2, osy, osx, true);
    else this.fft.transformLinesInHeap(g << 2, osy, osx, true);
    const h = this.fft.heapF32();
    const hx = Math.floor(nx / 2), hy = Math.floor(ny / 2);
    // gather the kept columns into contiguous lines [j][y]
    const kernel = this.fft.kernel;
    if (kernel !== null && nx <= osx) {
      // two runs of neighbouring columns (x = osx - hx .. osx - 1, then 0 .. nx - hx - 1), moved
      // by the kernel's wasm transpose (8-byte moves: the same values) in blocks of lines
      for (const [x0, j0, w] of [[osx - hx, 0, hx], [0, hx, nx - hx]]) {
        for (let i = 0; i < w; i += GATHER_LINES) {
          kernel.transposeIn(4 * (g + 2 * (x0 + i)), osy, 8 * osx, 4 * (cb + 2 * osy * (j0 + i)), Math.min(GATHER_LINES, w - i));
        }
      }
    } else {
      for (let j = 0; j < nx; j++) {
        const x = (((j - hx) % osx) + osx) % osx;
        let s = g + 2 * x;
        let d = cb + 2 * osy * j;
        for (let y = 0; y < osy; y++, s += 2 * osx, d += 2) {
          h[d] = h[s];
          h[d + 1] = h[s + 1];
        }
      }
    }
    this.fft.transformLinesInHeap(cb << 2, nx, osy, true);
    // the kept rows are read along j: with the kernel, the lines [j][y] are first transposed back
    // into [y][j] in the grid block (free once gathered), so that the reads below are contiguous
    let base = cb, jStep = 2 * osy, yStep = 2; // float index of (y, j): base + y * yStep + j * jStep
    if (kernel !== null && nx <= osx) {
      for (let j = 0; j < nx; j += GATHER_LINES) {
        kernel.transposeOut(4 * (cb + 2 * osy * j), osy, 8 * nx, 4 * (g + 2 * j), Math.min(GATHER_LINES, nx - j));
      }
      base = g; jStep = 2; yStep = 2 * nx;
      if (apodizer !== null && addTo !== null) {
        // the kept rows copied in order into out (image rows 0..hy-1 are grid rows osy-hy.., then 0..), apodized and summed there
        const hr = this.fft.heapF32(), rowF = 2 * nx, len = 2 * ny * nx;
        const o = out.subarray(off, off + len);
        o.set(hr.subarray(g + rowF * (osy - hy), g + rowF * osy), 0);
        o.set(hr.subarray(g, g + rowF * (ny - hy)), rowF * hy);
        apodizer.apodizeAdd(o, addTo.subarray(off, off + len));
        return;
      }
    }
    const h2 = this.fft.heapF32();
    const scale = 1 / (Math.sqrt(ny * nx) * this.width * this.width);
    const { apodY, apodX } = this;
    for (let i = 0; i < ny; i++) {
      const y = (((i - hy) % osy) + osy) % osy;
      const ai = apodY[i] * scale;
      let o = off + 2 * i * nx;
      let s = base + yStep * y;
      if (addTo === null) {
        for (let j = 0; j < nx; j++, o += 2, s += jStep) {
          const a = ai * apodX[j];
          out[o] = h2[s] * a;
          out[o + 1] = h2[s + 1] * a;
        }
      } else {
        // two pixels a step (the loop's own overhead is a large part of its time)
        let j = 0;
        for (; j + 1 < nx; j += 2, o += 4, s += 2 * jStep) {
          const a = ai * apodX[j], b = ai * apodX[j + 1];
          const r0 = Math.fround(h2[s] * a), i0 = Math.fround(h2[s + 1] * a);
          const r1 = Math.fround(h2[s + jStep] * b), i1 = Math.fround(h2[s + jStep + 1] * b);
          out[o] = r0; out[o + 1] = i0; out[o + 2] = r1; out[o + 3] = i1;
          addTo[o] += r0; addTo[o + 1] += i0; addTo[o + 2] += r1; addTo[o + 3] += i1;
        }
        for (; j < nx; j++, o += 2, s += jStep) {
          const a = ai * apodX[j];
          const re = Math.fround(h2[s] * a), im = Math.fround(h2[s + 1] * a);
          out[o] = re;
          out[o + 1] = im;
          addTo[o] += re;
          addTo[o + 1] += im;
        }
      }
    }
  }

  /**
   * sigpy.fourier.nufft_adjoint: `data` [coil][npts] complex interleaved -> [coil][ny][nx].
   */
  adjoint(data: ArrayLike<number>, ncoils: number, out: Float32Array = new Float32Array(2 * ncoils * this.ny * this.nx)): Float32Array {
    const n = this.npts;
    if (data.length < 2 * ncoils * n) throw new Error(`NUFFT adjoint: ${data.length / 2} values for ${ncoils} coils x ${n} points`);
    if (out.length < 2 * ncoils * this.ny * this.nx) throw new Error('NUFFT adjoint: output too small');
    const plane = 2 * this.osy * this.osx;
    for (let c = 0; c < ncoils; c++) {
      const base = this.heapBlocks().g;
      const h = this.fft.heapF32();
      h.fill(0, base, base + plane);
      this.gridPlane(data, 2 * c * n, h, base, 0, n, 1);
      this.heapGridToImage(out, 2 * c * this.ny * this.nx);
    }
    return out;
  }

  /**
   * sigpy.fourier.nufft: `image` [coil][ny][nx] complex interleaved -> [coil][npts].
   */
  forward(image: ArrayLike<number>, ncoils: number, out: Float32Array = new Float32Array(2 * ncoils * this.npts)): Float32Array {
    const { osy, osx, ny, nx, npts } = this;
    if (image.length < 2 * ncoils * ny * nx) throw new Error(`NUFFT forward: image has ${image.length / 2} values for ${ncoils} x ${ny} x ${nx}`);
    if (out.length < 2 * ncoils * npts) throw new Error('NUFFT forward: output too small');
    const hx = Math.floor(nx / 2), hy = Math.floor(ny / 2);
    const scale = 1 / Math.sqrt(ny * nx);
    const { apodY, apodX } = this;
    for (let c = 0; c < ncoils; c++) {
      const { g, cb } = this.heapBlocks();
      let h = this.fft.heapF32();
      // the ny image rows, apodized and placed ifftshift-ed, each row x-wrapped
      const rowsPtr = this.gridBlock.ptr;
      for (let i = 0; i < ny; i++) {
        const d = g + 2 * osx * i;
        h.fill(0, d, d + 2 * osx);
        const ai = apodY[i] * scale;
        let s = 2 * (c * ny * nx + i * nx);
        for (let j = 0; j < nx; j++, s += 2) {
          const x = (((j - hx) % osx) + osx) % osx;
          const a = ai * apodX[j];
          h[d + 2 * x] = image[s] * a;
          h[d + 2 * x + 1] = image[s + 1] * a;
        }
      }
      this.fft.transformLinesInHeap(rowsPtr, ny, osx, false);
      h = this.fft.heapF32();
      // columns: line x holds [y] with the ny rows at their wrapped positions, zeros elsewhere
      for (let x = 0; x < osx; x++) {
        const d = cb + 2 * osy * x;
        h.fill(0, d, d + 2 * osy);
        for (let i = 0; i < ny; i++) {
          const y = (((i - hy) % osy) + osy) % osy;
          const s = g + 2 * (osx * i + x);
          h[d + 2 * y] = h[s];
          h[d + 2 * y + 1] = h[s + 1];
        }
      }
      this.fft.transformLinesInHeap(this.colBlock.ptr, osx, osy, false);
      h = this.fft.heapF32();
      // interpolation from the transposed grid [x][y]
      this.interpolateTransposed(h, cb, out, 2 * c * npts);
    }
    return out;
  }

  /** Interpolation (forward) from a transposed grid [x][y] in the heap at float index `cb`. */
  private interpolateTransposed(h: Float32Array, cb: number, out: Float32Array, o0: number): void {
    const { osy, osx, npts, rowOff, col, wy, wx, wide } = this;
    const T = this.taps;
    const inv = 1 / (this.width * this.width);
    const fast = T === 5;
    for (let p = 0; p < npts; p++) {
      const b = p * T;
      let re = 0, im = 0;
      if (fast && wide[p] === 0) {
        // 4 x 4 taps; along a column x the 4 y taps are rowOff / osx
        const y0 = 2 * (rowOff[b] / osx), y1 = 2 * (rowOff[b + 1] / osx), y2 = 2 * (rowOff[b + 2] / osx), y3 = 2 * (rowOff[b + 3] / osx);
        const w0 = wy[b], w1 = wy[b + 1], w2 = wy[b + 2], w3 = wy[b + 3];
        for (let s = 0; s < 4; s++) {
          const k = cb + 2 * osy * col[b + s];
          const v = wx[b + s];
          const r = w0 * h[k + y0] + w1 * h[k + y1] + w2 * h[k + y2] + w3 * h[k + y3];
          const i = w0 * h[k + y0 + 1] + w1 * h[k + y1 + 1] + w2 * h[k + y2 + 1] + w3 * h[k + y3 + 1];
          re += v * r;
          im += v * i;
        }
      } else {
        for (let t = 0; t < T; t++) {
          const w = wy[b + t];
          if (w === 0) continue;
          const y = rowOff[b + t] / osx;
          for (let s = 0; s < T; s++) {
            const v = w * wx[b + s];
            if (v === 0) continue;
            const k = cb + 2 * (col[b + s] * osy + y);
            re += v * h[k];
            im += v * h[k + 1];
          }
        }
      }
      out[o0 + 2 * p] = re * inv;
      out[o0 + 2 * p + 1] = im * inv;
    }
  }
}

/**
 * Per point and tap, the float offset of column col[] in a row held in the engine's internal
 * order (its real slot; the imaginary one INTERNAL_IM_OFFSET further), or null when the engine
 * has no such order for rows of osx or it places a bin's slots otherwise (the natural layout then).
 */
function internalColumnSlots(fft: FftEngine, osx: number, col: Int32Array): Int32Array | null {
  if (!fft.hasInternalOrder(osx)) return null;
  const slots = fft.internalOrderSlots(osx);
  for (let x = 0; x < osx; x++) if (slots[2 * x + 1] !== slots[2 * x] + INTERNAL_IM_OFFSET) return null;
  const out = new Int32Array(col.length);
  for (let i = 0; i < col.length; i++) out[i] = slots[2 * col[i]];
  return out;
}

/** Multiplies [coil][npts] complex data by density weights w[npts] (in place). */
export function applyDensityCompensation(data: Float32Array, ncoils: number, w: ArrayLike<number>): Float32Array {
  const n = w.length;
  if (data.length !== 2 * ncoils * n) throw new Error(`density compensation: ${data.length / 2} values for ${ncoils} coils x ${n} weights`);
  for (let c = 0; c < ncoils; c++) {
    const o = 2 * c * n;
    for (let i = 0; i < n; i++) {
      data[o + 2 * i] *= w[i];
      data[o + 2 * i + 1] *= w[i];
    }
  }
  return data;
}
