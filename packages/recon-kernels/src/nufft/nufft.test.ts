import { describe, expect, it } from 'vitest';
import { Nufft, applyDensityCompensation } from './nufft.js';
import { apodization, kaiserBesselBeta, kaiserBesselKernel } from './kaiser-bessel.js';
import { getFftEngine } from '../fft/index.js';

/** Direct non-uniform DFT with SigPy's scaling: adjoint sign +, 1/sqrt(N). */
function directAdjoint(coord: Float64Array, data: Float64Array, ny: number, nx: number): Float64Array {
  const n = coord.length / 2;
  const out = new Float64Array(2 * ny * nx);
  const s = 1 / Math.sqrt(ny * nx);
  for (let i = 0; i < ny; i++) for (let j = 0; j < nx; j++) {
    let re = 0, im = 0;
    for (let p = 0; p < n; p++) {
      const ph = 2 * Math.PI * (coord[2 * p] * (i - Math.floor(ny / 2)) / ny + coord[2 * p + 1] * (j - Math.floor(nx / 2)) / nx);
      const c = Math.cos(ph), si = Math.sin(ph);
      re += data[2 * p] * c - data[2 * p + 1] * si;
      im += data[2 * p] * si + data[2 * p + 1] * c;
    }
    out[2 * (i * nx + j)] = re * s;
    out[2 * (i * nx + j) + 1] = im * s;
  }
  return out;
}

function directForward(coord: Float64Array, img: Float64Array, ny: number, nx: number): Float64Array {
  const n = coord.length / 2;
  const out = new Float64Array(2 * n);
  const s = 1 / Math.sqrt(ny * nx);
  for (let p = 0; p < n; p++) {
    let re = 0, im = 0;
    for (let i = 0; i < ny; i++) for (let j = 0; j < nx; j++) {
      const ph = -2 * Math.PI * (coord[2 * p] * (i - Math.floor(ny / 2)) / ny + coord[2 * p + 1] * (j - Math.floor(nx / 2)) / nx);
      const c = Math.cos(ph), si = Math.sin(ph);
      const a = img[2 * (i * nx + j)], b = img[2 * (i * nx + j) + 1];
      re += a * c - b * si;
      im += a * si + b * c;
    }
    out[2 * p] = re * s;
    out[2 * p + 1] = im * s;
  }
  return out;
}

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

function randomProblem(seed: number, npts: number, ny: number, nx: number): { coord: Float64Array; data: Float64Array; img: Float64Array } {
  // Park-Miller: seeded, reproducible values in (0, 1)
  let state = seed + 1;
  const r = () => (state = (state * 16807) % 2147483647) / 2147483647;
  const coord = new Float64Array(2 * npts);
  for (let p = 0; p < npts; p++) {
    coord[2 * p] = (r() - 0.5) * ny;
    coord[2 * p + 1] = (r() - 0.5) * nx;
  }
  const data = Float64Array.from({ length: 2 * npts }, () => r() * 2 - 1);
  const img = Float64Array.from({ length: 2 * ny * nx }, () => r() * 2 - 1);
  return { coord, data, img };
}

describe('Kaiser-Bessel kernel (SigPy conventions)', () => {
  it('beta for width 4, oversampling 1.25 is pi*sqrt(((w/os)*(os-0.5))^2-0.8)', () => {
    expect(kaiserBesselBeta(4, 1.25)).toBeCloseTo(Math.PI * Math.sqrt((3.2 * 0.75) ** 2 - 0.8), 12);
  });
  it('kernel is I0(beta*sqrt(1-x^2)) within the A&S approximation, 1 at the edge, 0 beyond', () => {
    const beta = kaiserBesselBeta(4, 1.25);
    // I0 by its power series
    const i0 = (z: number): number => { let s = 1, t = 1; for (let k = 1; k < 60; k++) { t *= (z / 2) ** 2 / (k * k); s += t; } return s; };
    for (const x of [0, 0.1, 0.5, 0.8, 0.95, 1]) {
      expect(Math.abs(kaiserBesselKernel(x, beta) / i0(beta * Math.sqrt(1 - x * x)) - 1)).toBeLessThan(2e-7);
    }
    expect(kaiserBesselKernel(1.0000001, beta)).toBe(0);
    expect(kaiserBesselKernel(-1, beta)).toBe(1);
  });
  it('apodization is sqrt(beta^2-(pi w (i-n/2)/os)^2)/sinh(.)', () => {
    const beta = kaiserBesselBeta(4, 1.25);
    const a = apodization(10, 1.25, 4, beta);
    const os = 13;
    const v = Math.sqrt(beta ** 2 - (Math.PI * 4 * (0 - 5) / os) ** 2);
    expect(a[0]).toBeCloseTo(v / Math.sinh(v), 12);
  });
});

describe('Nufft vs direct non-uniform DFT', () => {
  // SigPy's defaults (oversampling 1.25, width 4) are accurate to about 1e-2 relative (the
  // kernel's own aliasing error, measured 5e-3..8e-3 here); a wider kernel on a finer grid shows
  // the implementation itself is exact to the kernel's accuracy.
  const cases = [
    [16, 16, 200, 1.25, 4, 1e-2], [32, 24, 300, 1.25, 4, 1e-2], [15, 20, 150, 1.25, 4, 1e-2],
    [16, 16, 200, 2, 6, 1e-4], [15, 20, 150, 2, 6, 1e-4], [32, 24, 300, 1.25, 6, 1e-3], [7, 9, 60, 2, 6, 1e-4],
  ] as const;
  for (const [ny, nx, npts, oversampling, width, tol] of cases) {
    it(`adjoint and forward on ${ny}x${nx}, ${npts} random points, 2 coils, os ${oversampling} width ${width}: within ${tol}`, async () => {
      const { coord, data, img } = randomProblem(ny * 1000 + nx, npts, ny, nx);
      const plan = await Nufft.create(coord, [ny, nx], { oversampling, width });
      // two coils: the second is the first times (0.5 - 2i)
      const d2 = new Float32Array(4 * npts);
      for (let p = 0; p < npts; p++) {
        d2[2 * p] = data[2 * p]; d2[2 * p + 1] = data[2 * p + 1];
        d2[2 * npts + 2 * p] = 0.5 * data[2 * p] + 2 * data[2 * p + 1];
        d2[2 * npts + 2 * p + 1] = 0.5 * data[2 * p + 1] - 2 * data[2 * p];
      }
      const adj = plan.adjoint(d2, 2);
      const ref = directAdjoint(coord, data, ny, nx);
      expect(relErr(adj.subarray(0, 2 * ny * nx), ref)).toBeLessThan(tol);
      const ref2 = new Float64Array(ref.length);
      for (let i = 0; i < ny * nx; i++) { ref2[2 * i] = 0.5 * ref[2 * i] + 2 * ref[2 * i + 1]; ref2[2 * i + 1] = 0.5 * ref[2 * i + 1] - 2 * ref[2 * i]; }
      expect(relErr(adj.subarray(2 * ny * nx), ref2)).toBeLessThan(tol);

      const fwd = plan.forward(Float32Array.from(img), 1);
      expect(relErr(fwd, directForward(coord, img, ny, nx))).toBeLessThan(tol);

      // adjoint of the forward (normal operator) vs the direct one
      const af = plan.adjoint(fwd, 1);
      const afRef = directAdjoint(coord, directForward(coord, img, ny, nx), ny, nx);
      expect(relErr(af, afRef)).toBeLessThan(tol);
      plan.dispose();
    });
  }

  it('forward and adjoint are adjoint operators (<A x, y> = <x, A^H y>)', async () => {
    const { coord, data, img } = randomProblem(7, 500, 24, 24);
    const plan = await Nufft.create(coord, [24, 24]);
    const ax = plan.forward(Float32Array.from(img), 1);
    const ahy = plan.adjoint(Float32Array.from(data), 1);
    let lr = 0, li = 0, rr = 0, ri = 0;
    for (let p = 0; p < 500; p++) { lr += ax[2 * p] * data[2 * p] + ax[2 * p + 1] * data[2 * p + 1]; li += ax[2 * p + 1] * data[2 * p] - ax[2 * p] * data[2 * p + 1]; }
    for (let i = 0; i < 24 * 24; i++) { rr += img[2 * i] * ahy[2 * i] + img[2 * i + 1] * ahy[2 * i + 1]; ri += img[2 * i + 1] * ahy[2 * i] - img[2 * i] * ahy[2 * i + 1]; }
    expect(Math.abs(lr - rr) / Math.abs(lr)).toBeLessThan(1e-4);
    expect(Math.abs(li - ri) / Math.abs(lr)).toBeLessThan(1e-4);
    plan.dispose();
  });

  it("BART's gridding options: no wrap-around changes only points whose kernel crosses the grid edge; the 100-point kernel table is within 1e-3 of the exact kernel; forward stays the adjoint's transpose", async () => {
    const n = 24, w = 6;
    const inner = randomProblem(21, 200, n / 2, n / 2); // |k| < n / 4: 2x grid of 48, kernel half-width 3 stays inside
    const exactPlan = await Nufft.create(inner.coord, [n, n], { oversampling: 2, width: w });
    const noWrap = await Nufft.create(inner.coord, [n, n], { oversampling: 2, width: w, periodic: false });
    expect(relErr(noWrap.adjoint(Float32Array.from(inner.data), 1), exactPlan.adjoint(Float32Array.from(inner.data), 1))).toBe(0);
    exactPlan.dispose();
    noWrap.dispose();
    // a point at the edge k = -n/2: wrap-around puts taps on the far side, no-wrap drops them
    const edge = Float64Array.of(-n / 2, 0);
    const one = Float32Array.of(1, 0);
    const wrapAdj = (await Nufft.create(edge, [n, n], { oversampling: 2, width: w })).adjoint(one, 1);
    const dropAdj = (await Nufft.create(edge, [n, n], { oversampling: 2, width: w, periodic: false })).adjoint(one, 1);
    const exact = directAdjoint(edge, Float64Array.of(1, 0), n, n);
    expect(relErr(wrapAdj, exact)).toBeLessThan(1e-4);
    expect(relErr(dropAdj, exact)).toBeGreaterThan(1e-2);
    // with both options, still a consistent operator pair
    const { coord, data, img } = randomProblem(22, 300, n, n);
    const tab = await Nufft.create(coord, [n, n], { oversampling: 2, width: w, kernelTable: 100, periodic: false });
    const ax = tab.forward(Float32Array.from(img), 1), ahy = tab.adjoint(Float32Array.from(data), 1);
    let l = 0, r = 0;
    for (let p = 0; p < 300; p++) l += ax[2 * p] * data[2 * p] + ax[2 * p + 1] * data[2 * p + 1];
    for (let i = 0; i < n * n; i++) r += img[2 * i] * ahy[2 * i] + img[2 * i + 1] * ahy[2 * i + 1];
    expect(Math.abs(l - r) / Math.abs(l)).toBeLessThan(1e-4);
    tab.dispose();
    const innerTab = await Nufft.create(inner.coord, [n, n], { oversampling: 2, width: w, kernelTable: 100 });
    const innerExact = await Nufft.create(inner.coord, [n, n], { oversampling: 2, width: w });
    // the table kernel against the exact one
    const e = relErr(innerTab.adjoint(Float32Array.from(inner.data), 1), innerExact.adjoint(Float32Array.from(inner.data), 1));
    expect(e).toBeGreaterThan(0);
    expect(e).toBeLessThan(1e-3);
    innerTab.dispose();
    innerExact.dispose();
  });

  it('gridAdd over point ranges + imageFromGrid equals adjoint of all points; subtracting removes a range', async () => {
    const { coord, data } = randomProblem(11, 300, 20, 20);
    const plan = await Nufft.create(coord, [20, 20]);
    const full = plan.adjoint(Float32Array.from(data), 1);
    const grid = new Float64Array(2 * plan.gridSize);
    plan.gridAdd(data.subarray(0, 200), 1, grid, 0, 100);
    plan.gridAdd(data.subarray(200, 600), 1, grid, 100, 200);
    expect(relErr(plan.imageFromGrid(grid, 1), full)).toBeLessThan(1e-6);
    plan.gridAdd(data.subarray(0, 200), 1, grid, 0, 100, -1);
    const tail = await Nufft.create(coord.subarray(200), [20, 20]);
    expect(relErr(plan.imageFromGrid(grid, 1), tail.adjoint(Float32Array.from(data.subarray(200)), 1))).toBeLessThan(1e-6);
    plan.dispose();
    tail.dispose();
  });

  it("imageFromGrid's wasm transposes (gather of the kept columns, kept rows read back) give the JS loops' bits; addTo adds the same float32 values as a separate pass", async () => {
    const fft = await getFftEngine();
    expect(fft.kernel).not.toBeNull();
    // the same engine without its kernel: the JS gather and the strided reads
    const noKernel = new Proxy(fft, {
      get: (t, k) => {
        if (k === 'kernel') return null;
        const v = Reflect.get(t, k) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    for (const [ny, nx, os] of [[256, 256, 1.25], [15, 20, 1.25], [7, 9, 2], [24, 24, 1]] as const) {
      const { coord, data } = randomProblem(ny * 31 + nx, 400, ny, nx);
      const a = Nufft.withEngine(fft, coord, [ny, nx], { oversampling: os });
      const b = Nufft.withEngine(noKernel, coord, [ny, nx], { oversampling: os });
      const grid = new Float32Array(2 * 2 * a.gridSize);
      a.gridAdd(Float32Array.from([...data, ...data.map((v) => 0.5 * v)]), 2, grid);
      const viaKernel = a.imageFromGrid(grid, 2);
      const viaJs = b.imageFromGrid(grid, 2);
      expect(Buffer.from(viaKernel.buffer).equals(Buffer.from(viaJs.buffer))).toBe(true);
      const sum = Float32Array.from(viaJs, (v, i) => (i % 7) - 3 + v / 3);
      const expected = Float32Array.from(sum);
      for (let i = 0; i < expected.length; i++) expected[i] += viaJs[i];
      const again = a.imageFromGrid(grid, 2, undefined, sum);
      expect(Buffer.from(again.buffer).equals(Buffer.from(viaJs.buffer))).toBe(true);
      expect(Buffer.from(sum.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
      a.dispose();
      b.dispose();
    }
  });

  it('an internal-order grid (internalOrderGrid) holds the natural grid\'s values permuted within each row, and gives the same image bits (imageFromGrid, addTo, adjoint, a plan from its tables)', async () => {
    const fft = await getFftEngine();
    const eq = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    // 256^2 (rows of 320: the spiral recon's), rows of 80, and rows of 40 (no internal order: the natural layout)
    for (const [ny, nx, internal] of [[256, 256, true], [52, 64, true], [32, 32, false]] as const) {
      const { coord, data } = randomProblem(ny + 7 * nx, 500, ny, nx);
      // points exactly on grid positions (a 5th tap along either axis)
      for (let p = 0; p < 40; p++) { coord[2 * p] = (p % 8) * 0.8; coord[2 * p + 1] = -(p % 5) * 1.6; }
      const nat = Nufft.withEngine(fft, coord, [ny, nx]);
      const int = Nufft.withEngine(fft, coord, [ny, nx], { internalOrderGrid: true });
      expect(nat.gridInternalOrder).toBe(false);
      expect(int.gridInternalOrder).toBe(internal);
      const two = Float32Array.from([...data, ...data.map((v) => 0.5 * v)]);
      const gn = new Float32Array(2 * 2 * nat.gridSize), gi = new Float32Array(2 * 2 * int.gridSize);
      nat.gridAdd(two, 2, gn, 0, 300);
      nat.gridAdd(two.subarray(600), 2, gn, 300, 200, -0.5);
      // (the second call's data: 2 coils x 200 points from the same array, as above)
      int.gridAdd(two, 2, gi, 0, 300);
      int.gridAdd(two.subarray(600), 2, gi, 300, 200, -0.5);
      const osx = nat.osx, rows = 2 * nat.osy;
      const slots = internal ? fft.internalOrderSlots(osx) : Int32Array.from({ length: 2 * osx }, (_, k) => k);
      const permuted = new Float32Array(gi.length);
      for (let r = 0; r < rows; r++) for (let k = 0; k < 2 * osx; k++) permuted[r * 2 * osx + k] = gi[r * 2 * osx + slots[k]];
      expect(eq(permuted, gn)).toBe(true);
      expect(eq(int.imageFromGrid(gi, 2), nat.imageFromGrid(gn, 2))).toBe(true);
      const s0 = Float32Array.from({ length: 2 * 2 * ny * nx }, (_, i) => (i % 5) - 2);
      const sn = Float32Array.from(s0), si = Float32Array.from(s0);
      nat.imageFromGrid(gn, 2, undefined, sn);
      int.imageFromGrid(gi, 2, undefined, si);
      expect(eq(si, sn)).toBe(true);
      // float64 grids (the general gridding loop)
      const dn = new Float64Array(2 * nat.gridSize), di = new Float64Array(2 * int.gridSize);
      nat.gridAdd(data, 1, dn);
      int.gridAdd(data, 1, di);
      expect(eq(int.imageFromGrid(di, 1), nat.imageFromGrid(dn, 1))).toBe(true);
      expect(eq(int.adjoint(two, 2), nat.adjoint(two, 2))).toBe(true);
      // the plan rebuilt from its tables (a worker's) keeps the layout
      const fromTables = Nufft.fromTables(fft, int.tables());
      expect(fromTables.gridInternalOrder).toBe(internal);
      expect(eq(fromTables.imageFromGrid(gi, 2), nat.imageFromGrid(gn, 2))).toBe(true);
      nat.dispose();
      int.dispose();
    }
  });

  it('the float32 width-4 fast paths (gridding, forward interpolation) agree with the general path and the DFT, including points on a kernel edge', async () => {
    const { coord, data } = randomProblem(13, 400, 32, 32);
    // some points exactly on integer grid positions after scaling (5 taps): c * 40/32 integer
    for (let p = 0; p < 40; p++) { coord[2 * p] = (p % 8) * 0.8; coord[2 * p + 1] = -(p % 5) * 1.6; }
    const plan = await Nufft.create(coord, [32, 32]);
    const g64 = new Float64Array(2 * plan.gridSize), g32 = new Float32Array(2 * plan.gridSize);
    plan.gridAdd(data, 1, g64);
    plan.gridAdd(Float32Array.from(data), 1, g32, 0, 400, 1);
    expect(relErr(g32, g64)).toBeLessThan(1e-6);
    // the forward's unrolled interpolation (and its 5-tap fallback) against the direct DFT
    const img = Float64Array.from({ length: 2 * 32 * 32 }, (_, i) => Math.sin(i * 0.37) + 0.2);
    expect(relErr(plan.forward(Float32Array.from(img), 1), directForward(coord, img, 32, 32))).toBeLessThan(1e-2);
    plan.dispose();
  });

  it('gridding several coils at once (the coils inner) gives each coil\'s grid as gridding it alone, bit for bit: natural and internal-order grids, points on a kernel edge, a scale, a point range', async () => {
    const fft = await getFftEngine();
    const eq = (a: Float32Array, b: Float32Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    const ncoils = 5, npts = 600;
    const { coord } = randomProblem(29, npts, 256, 256);
    // points exactly on grid positions (a 5th tap along either axis, or both)
    for (let p = 100; p < 160; p++) { coord[2 * p] = (p % 8) * 0.8; coord[2 * p + 1] = -(p % 5) * 1.6; }
    const data = Float32Array.from({ length: 2 * ncoils * 400 }, (_, i) => Math.sin(i * 0.61) * (1 + (i % 7)));
    for (const internalOrderGrid of [false, true]) {
      const plan = Nufft.withEngine(fft, coord, [256, 256], { internalOrderGrid });
      expect(plan.gridInternalOrder).toBe(internalOrderGrid);
      const plane = 2 * plan.gridSize;
      const together = new Float32Array(ncoils * plane), alone = new Float32Array(ncoils * plane);
      for (const [p0, count, scale] of [[50, 400, 1], [0, 300, -0.37], [200, 400, 2.5]] as const) {
        plan.gridAdd(data, ncoils, together, p0, count, scale);
        for (let c = 0; c < ncoils; c++) plan.gridAdd(data.subarray(2 * c * count, 2 * (c + 1) * count), 1, alone.subarray(c * plane, (c + 1) * plane), p0, count, scale);
      }
      expect(together.some((v) => v !== 0)).toBe(true);
      expect(eq(together, alone)).toBe(true);
      plan.dispose();
    }
  });

  it('rejects data of the wrong length and non-finite coordinates', async () => {
    const plan = await Nufft.create([0, 0, 1, 1], [8, 8]);
    expect(() => plan.adjoint(new Float32Array(2), 1)).toThrow(/values for 1 coils x 2 points/);
    await expect(Nufft.create([0, NaN], [8, 8])).rejects.toThrow(/not finite/);
  });

  it('density compensation multiplies each coil by w', () => {
    const d = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    applyDensityCompensation(d, 2, [2, 0.5]);
    expect([...d]).toEqual([2, 4, 1.5, 2, 10, 12, 3.5, 4]);
  });
  it('a plan on the shared scratch blocks gives the own-blocks result when taking its blocks grows the WebAssembly heap', async () => {
    // Bug: adjoint/forward/imageFromGrid took the heap view before the shared block, whose first
    // allocation can grow the heap and detach that view. The grid here is larger than the whole
    // heap, so the first call must grow it.
    const fft = await getFftEngine();
    const heap = fft.heapF32().buffer.byteLength;
    const n = [256, 512, 768, 1024, 1536, 2048].find((m) => 8 * 4 * m * m > heap);
    if (n === undefined) throw new Error(`WebAssembly heap of ${heap} bytes: no test size exceeds it`);
    const { coord, data } = randomProblem(17, 64, n, n);
    const img = Float32Array.from({ length: 2 * n * n }, (_, i) => Math.sin(i * 0.013));
    const sharedAdj = Nufft.withEngine(fft, coord, [n, n], { oversampling: 2, sharedHeapBlocks: true });
    const adj = sharedAdj.adjoint(Float32Array.from(data), 1);
    expect(fft.heapF32().buffer.byteLength).toBeGreaterThan(heap);
    const own = Nufft.withEngine(fft, coord, [n, n], { oversampling: 2 });
    expect(relErr(adj, own.adjoint(Float32Array.from(data), 1))).toBe(0);
    own.dispose();
    fft.releaseScratch();
    const sharedFwd = Nufft.withEngine(fft, coord, [n, n], { oversampling: 2, sharedHeapBlocks: true });
    const fwd = sharedFwd.forward(img, 1);
    const own2 = Nufft.withEngine(fft, coord, [n, n], { oversampling: 2 });
    expect(relErr(fwd, own2.forward(img, 1))).toBe(0);
    own2.dispose();
    fft.releaseScratch();
    const grid = new Float32Array(2 * sharedAdj.gridSize);
    sharedAdj.gridAdd(data, 1, grid);
    const own3 = Nufft.withEngine(fft, coord, [n, n], { oversampling: 2 });
    expect(relErr(sharedAdj.imageFromGrid(grid, 1), own3.imageFromGrid(grid, 1))).toBe(0);
    own3.dispose();
  });

  it('tables() shares the plan\'s own tables: the plan reads the shared copies from then on (one copy for every thread), with the same bits', async () => {
    const fft = await getFftEngine();
    const { coord, data } = randomProblem(31, 600, 40, 48);
    for (let p = 0; p < 20; p++) { coord[2 * p] = (p % 8) * 0.8; coord[2 * p + 1] = -(p % 5) * 1.6; }
    for (const internalOrderGrid of [false, true]) {
      const plan = Nufft.withEngine(fft, coord, [40, 48], { internalOrderGrid });
      const d = Float32Array.from([...data, ...data.map((v) => -0.25 * v)]);
      const img = Float32Array.from({ length: 2 * 2 * 40 * 48 }, (_, i) => Math.cos(0.01 * i));
      const adj = plan.adjoint(d, 2), fwd = plan.forward(img, 2);
      const t = plan.tables();
      const again = plan.tables();
      for (const k of ['rowOff', 'col', 'wy', 'wx', 'wide', 'apodY', 'apodX', 'colF'] as const) {
        expect(again[k]).toBe(t[k]);
        if (t[k] !== null) expect(t[k]!.buffer).toBeInstanceOf(SharedArrayBuffer);
      }
      expect(plan.adjoint(d, 2)).toEqual(adj);
      expect(plan.forward(img, 2)).toEqual(fwd);
      expect(Nufft.fromTables(fft, t).adjoint(d, 2)).toEqual(adj);
      plan.dispose();
    }
  });
});
