import { afterAll, describe, expect, it, vi } from 'vitest';
import { getFftEngine } from '../fft/index.js';
import { Nufft } from '../nufft/index.js';
import { SharedGrid } from '../nufft/grid-kernel.js';
import { asShared, closeReconPools, newWorkClaims, ReconPool, reconPool, sharedFloat32, workFinished } from '../pool/index.js';
import { type DensityInput, runViewSharingStep, ViewSharingWindow, type ViewSharingStepTask, type ViewSharingWindowOptions } from './view-sharing-window.js';
import { heldPool, randomFloat32 as random } from '../testing/index.js';

/** `arms` spiral-like arms of `samples` points (grid units for an n x n image) */
function armCoords(arms: number, samples: number, n: number): Float64Array {
  const c = new Float64Array(2 * arms * samples);
  for (let a = 0; a < arms; a++) {
    for (let k = 0; k < samples; k++) {
      const r = (k / samples) * (n / 2), t = 6 * Math.PI * (k / samples) + (2 * Math.PI * a) / arms;
      c[2 * (a * samples + k)] = r * Math.sin(t);
      c[2 * (a * samples + k) + 1] = r * Math.cos(t);
    }
  }
  return c;
}

afterAll(async () => {
  await closeReconPools();
});

const ARMS = 6, S = 200, N = 32, NC = 5;

/** Feeds `stream` (arm indices) through a window with the given pool; frames every `shift` arms once `perFrame` are in (the module's loop). */
async function frames(
  threads: number, stream: number[], perFrame: number, shift: number, data: Float32Array[], skipAt = Infinity, awaitWarmUp = true, n = N, internalOrderGrid = false,
  prepare: 'none' | 'ahead' | 'every arm, some wrong' = 'none',
  density?: { raw: Float32Array[]; samples: number; preDiscard: number; w: Float64Array },
  options: ViewSharingWindowOptions = {},
): Promise<Float32Array[]> {
  const fft = await getFftEngine();
  const plan = Nufft.withEngine(fft, armCoords(ARMS, S, n), [n, n], { internalOrderGrid });
  expect(plan.gridInternalOrder).toBe(internalOrderGrid);
  const win = new ViewSharingWindow(plan, NC, S, reconPool(threads), density, options);
  const warming = win.warmUp();
  if (awaitWarmUp) await warming; // else the first steps run here while the threads warm up
  const out: Float32Array[] = [];
  let blockArms = 0;
  for (let j = 0; j < stream.length; j++) {
    if (density === undefined) win.armData.set(data[j]);
    else win.rawData!.set(density.raw[j]);
    blockArms++;
    await win.addArm(stream[j] * S, blockArms === shift);
    if (blockArms === shift) blockArms = 0;
    const counter = j + 1 + (j >= skipAt ? 1 : 0); // a counter skipped at skipAt: frames then fall inside blocks
    if (counter % shift === 0 && counter >= perFrame) {
      out.push((await win.frame(blockArms > 0)).slice());
      if (win.heldBlocks === 0) blockArms = 0;
      win.shiftOut();
    }
    // the next arm's step posted ahead, as the module does when that arm completes a block; or
    // prepared for every arm, every third with a wrong p0 (all those are cancelled and run as without)
    const next = j + 1 < stream.length ? stream[j + 1] * S : 0;
    if (prepare === 'ahead' && blockArms === shift - 1) win.prepareBlockStep(next);
    if (prepare === 'every arm, some wrong') win.prepareBlockStep(j % 3 === 0 ? (next + S) % (ARMS * S) : next);
  }
  win.cancelPrepared();
  await warming;
  plan.dispose();
  return out;
}

describe('view-sharing window', () => {
  const stream = Array.from({ length: 30 }, (_, j) => j % ARMS);
  const data = stream.map((_, j) => random(2 * NC * S, 100 + j));

  it('a frame is the adjoint NUFFT of the arms in the window (within float32 rounding of the running sum)', async () => {
    const perFrame = 5, shift = 2; // frames hold ceil(5 / 2) * 2 = 6 arms
    const got = await frames(1, stream, perFrame, shift, data);
    expect(got.length).toBe(13);
    const fft = await getFftEngine();
    for (const [f, frame] of got.entries()) {
      const last = 6 + 2 * f; // arms [last - 6, last)
      const expected = new Float32Array(frame.length);
      for (let j = last - 6; j < last; j++) {
        const plan = Nufft.withEngine(fft, armCoords(ARMS, S, N).subarray(2 * stream[j] * S, 2 * (stream[j] + 1) * S), [N, N]);
        const img = plan.adjoint(data[j], NC);
        plan.dispose();
        for (let i = 0; i < img.length; i++) expected[i] += img[i];
      }
      let num = 0, den = 0;
      for (let i = 0; i < frame.length; i++) { num += (frame[i] - expected[i]) ** 2; den += expected[i] ** 2; }
      expect(Math.sqrt(num / den)).toBeLessThan(1e-5);
    }
  });

  it('frames do not depend on the thread count (bit for bit), with and without an incomplete block, steps here while the threads warm up', async () => {
    for (const [perFrame, shift, skipAt] of [[5, 2, Infinity], [4, 4, Infinity], [3, 1, Infinity], [6, 3, 10]] as const) {
      const one = await frames(1, stream, perFrame, shift, data, skipAt);
      const two = await frames(2, stream, perFrame, shift, data, skipAt);
      const three = await frames(3, stream, perFrame, shift, data, skipAt);
      const mixed = await frames(2, stream, perFrame, shift, data, skipAt, false);
      expect(mixed).toEqual(one);
      expect(one.length).toBeGreaterThan(4);
      expect(two).toEqual(one);
      expect(three).toEqual(one);
    }
  });

  it('the arms gridded by the wasm kernel in a shared WebAssembly memory (the default where it applies) give the JS gridding\'s frames, bit for bit, at 1, 2 and 3 threads, natural and internal-order grids, with density weights and steps posted ahead', async () => {
    const fft = await getFftEngine();
    const plan = Nufft.withEngine(fft, armCoords(ARMS, S, 64), [64, 64], { internalOrderGrid: true }); // (rows of 80: an internal order)
    expect(plan.gridInternalOrder).toBe(true);
    const withKernel = new ViewSharingWindow(plan, NC, S, null), without = new ViewSharingWindow(plan, NC, S, null, undefined, { wasmGridding: false });
    // the kernel's window: its grid and arm data on the wasm memory's buffer, not separate SharedArrayBuffers
    expect(withKernel.armData.buffer).not.toBe(without.armData.buffer);
    expect(withKernel.armData.byteOffset).toBeGreaterThan(0);
    expect(without.armData.byteOffset).toBe(0);
    plan.dispose();
    const preDiscard = 3, samples = preDiscard + S;
    const raw = stream.map((_, j) => random(2 * NC * samples, 500 + j));
    const w = Float64Array.from({ length: S }, (_, s) => 0.2 + ((s * 104729) % 97) / 31);
    const density = { raw, samples, preDiscard, w };
    for (const [perFrame, shift, skipAt] of [[5, 2, Infinity], [6, 3, 10]] as const) {
      const js = await frames(1, stream, perFrame, shift, data, skipAt, true, N, false, 'none', undefined, { wasmGridding: false });
      expect(js.length).toBeGreaterThan(4);
      for (const threads of [1, 2, 3]) expect(await frames(threads, stream, perFrame, shift, data, skipAt, true, N, false, 'ahead')).toEqual(js);
      // the internal-order grid (64^2: rows of 80), kernel or not: the natural grid's frames
      const js64 = await frames(1, stream, perFrame, shift, data, skipAt, true, 64, false, 'none', undefined, { wasmGridding: false });
      expect(await frames(1, stream, perFrame, shift, data, skipAt, true, 64, true, 'none', undefined, { wasmGridding: false })).toEqual(js64);
      for (const threads of [1, 2]) expect(await frames(threads, stream, perFrame, shift, data, skipAt, true, 64, true, 'ahead')).toEqual(js64);
      const jsDensity = await frames(1, stream, perFrame, shift, [], skipAt, true, N, false, 'none', density, { wasmGridding: false });
      for (const threads of [1, 2]) expect(await frames(threads, stream, perFrame, shift, [], skipAt, false, N, false, 'ahead', density)).toEqual(jsDensity);
    }
  });

  it('a frame with an incomplete block adds the sum in the wasm memory (SharedGrid.addInto), the JS gridding\'s frames bit for bit', async () => {
    const perFrame = 6, shift = 3, skipAt = 10; // the counter skipped: frames fall inside blocks
    const js = await frames(1, stream, perFrame, shift, data, skipAt, true, N, false, 'none', undefined, { wasmGridding: false });
    const added = vi.spyOn(SharedGrid.prototype, 'addInto');
    try {
      expect(await frames(1, stream, perFrame, shift, data, skipAt)).toEqual(js);
      expect(added).toHaveBeenCalled(); // (this thread's steps: no pool)
      added.mockClear();
      await frames(1, stream, perFrame, shift, data); // (no incomplete block: not called)
      expect(added).not.toHaveBeenCalled();
    } finally {
      added.mockRestore();
    }
  });

  it('with the next block\'s step posted ahead (prepareBlockStep), the same bits; prepared steps that the next arm does not match are cancelled', async () => {
    for (const [perFrame, shift, skipAt] of [[5, 2, Infinity], [3, 1, Infinity], [6, 3, 10]] as const) {
      const one = await frames(1, stream, perFrame, shift, data, skipAt);
      expect(one.length).toBeGreaterThan(4);
      for (const threads of [2, 3]) {
        expect(await frames(threads, stream, perFrame, shift, data, skipAt, true, N, false, 'ahead')).toEqual(one);
        expect(await frames(threads, stream, perFrame, shift, data, skipAt, true, N, false, 'every arm, some wrong')).toEqual(one);
      }
      expect(await frames(2, stream, perFrame, shift, data, skipAt, false, N, false, 'ahead')).toEqual(one); // (no-op until warm)
      expect(await frames(1, stream, perFrame, shift, data, skipAt, true, N, false, 'ahead')).toEqual(one); // (no pool: no-op)
    }
  });

  it('a window with density weights (raw readouts copied in, each coil weighted by the thread that grids it): the frames of the weighted arms bit for bit, at 1, 2 and 3 threads, steps posted ahead or not', async () => {
    const preDiscard = 7, samples = preDiscard + S + 3;
    const raw = stream.map((_, j) => random(2 * NC * samples, 300 + j));
    const w = Float64Array.from({ length: S }, (_, s) => 0.1 + ((s * 7919) % 101) / 37);
    // the samples after preDiscard times the weights (float64 products stored as float32), as the module weighted them before the window did
    const weighted = raw.map((r) => {
      const out = new Float32Array(2 * NC * S);
      for (let c = 0; c < NC; c++) {
        for (let k = 0; k < S; k++) {
          out[2 * (c * S + k)] = r[2 * (c * samples + preDiscard + k)] * w[k];
          out[2 * (c * S + k) + 1] = r[2 * (c * samples + preDiscard + k) + 1] * w[k];
        }
      }
      return out;
    });
    const density = { raw, samples, preDiscard, w };
    for (const [perFrame, shift, skipAt] of [[5, 2, Infinity], [6, 3, 10]] as const) {
      const one = await frames(1, stream, perFrame, shift, weighted, skipAt);
      expect(one.length).toBeGreaterThan(4);
      for (const threads of [1, 2, 3]) {
        expect(await frames(threads, stream, perFrame, shift, [], skipAt, true, N, false, 'none', density)).toEqual(one);
        expect(await frames(threads, stream, perFrame, shift, [], skipAt, true, N, false, 'ahead', density)).toEqual(one);
      }
      expect(await frames(2, stream, perFrame, shift, [], skipAt, false, N, false, 'ahead', density)).toEqual(one); // (steps here while the threads warm up)
    }
    // a step's coils weighted and gridded on a pool thread alone (above, this thread may take them all): the same block image
    const fft = await getFftEngine();
    const plan = Nufft.withEngine(fft, armCoords(ARMS, S, N), [N, N]);
    const pool = new ReconPool(1, undefined, { immediateHandOut: true });
    try {
      const ip = 2 * NC * N * N;
      const shared64 = (a: Float64Array): Float64Array => { const o = new Float64Array(new SharedArrayBuffer(a.byteLength)); o.set(a); return o; };
      const step = (armData: Float32Array, rawIn: DensityInput | null): ViewSharingStepTask => ({
        kind: 'view-sharing-step', tables: plan.tables(), c0: 0, c1: NC, claims: newWorkClaims(), grid: sharedFloat32(NC * 2 * plan.gridSize), sum: sharedFloat32(ip),
        frame: sharedFloat32(ip), drop: null, zeroGrid: false, data: armData, raw: rawIn, p0: 0, count: S, block: sharedFloat32(ip), partial: false,
      });
      const here = step(asShared(weighted[3]), null);
      runViewSharingStep(plan, here);
      const there = step(sharedFloat32(2 * NC * S), { data: asShared(raw[3]), samples, preDiscard, w: shared64(w) });
      await pool.runAll([there]);
      expect(workFinished(there.claims!, NC)).toBe(true);
      expect(there.data).toEqual(weighted[3]);
      expect(there.block).toEqual(here.block);
      expect(here.block!.some((v) => v !== 0)).toBe(true);
    } finally {
      await pool.close();
      plan.dispose();
    }
  });

  it('with the grid in the FFT\'s internal order (64^2: rows of 80), the natural grid\'s frames bit for bit at 1 and 2 threads', async () => {
    for (const [perFrame, shift, skipAt] of [[5, 2, Infinity], [6, 3, 10]] as const) {
      const natural = await frames(1, stream, perFrame, shift, data, skipAt, true, 64, false);
      expect(natural.length).toBeGreaterThan(4);
      for (const threads of [1, 2]) expect(await frames(threads, stream, perFrame, shift, data, skipAt, true, 64, true)).toEqual(natural);
      expect(await frames(2, stream, perFrame, shift, data, skipAt, false, 64, true)).toEqual(natural);
    }
  });

  it('the steps go to the pool once its threads are warm, without the caller having had an event-loop turn since (a session behind its arms)', async () => {
    // the bug: the window learnt of the warm-up only from its promise, which a caller that keeps
    // taking arms in microtasks never lets resolve: every step stayed on the calling thread
    const fft = await getFftEngine();
    const plan = Nufft.withEngine(fft, armCoords(ARMS, S, N), [N, N]);
    const pool = new ReconPool(1);
    try {
      await pool.runAll([]); // (nothing: the thread is started below by the warm-up's task)
      pool.start();
      await new Promise((r) => setTimeout(r, 200)); // the thread up (its start-up message read)
      const win = new ViewSharingWindow(plan, NC, S, pool);
      const warming = win.warmUp();
      const t0 = performance.now();
      while (!win.onPool && performance.now() - t0 < 20000) { /* busy: no event-loop turn */ }
      expect(win.onPool).toBe(true);
      await warming;
    } finally {
      await pool.close();
      plan.dispose();
    }
  }, 60000);

  it('a step does not wait for a pool thread that is busy (the calling thread takes every coil), the same bits', async () => {
    // the bug: the coils were split in fixed ranges, and a frame waited for the pool's range however late its thread ran
    const perFrame = 5, shift = 2;
    const expected = await frames(1, stream, perFrame, shift, data);
    const held = heldPool((script) => new ReconPool(1, script));
    const fft = await getFftEngine();
    const plan = Nufft.withEngine(fft, armCoords(ARMS, S, N), [N, N]);
    try {
      const win = new ViewSharingWindow(plan, NC, S, held.pool);
      await win.warmUp();
      expect(win.onPool).toBe(true);
      await held.hold();
      const feed = async (): Promise<Float32Array[]> => {
        const out: Float32Array[] = [];
        let blockArms = 0;
        for (let j = 0; j < stream.length; j++) {
          win.armData.set(data[j]);
          blockArms++;
          await win.addArm(stream[j] * S, blockArms === shift);
          if (blockArms === shift) blockArms = 0;
          if ((j + 1) % shift === 0 && j + 1 >= perFrame) {
            out.push((await win.frame(blockArms > 0)).slice());
            if (win.heldBlocks === 0) blockArms = 0;
            win.shiftOut();
          }
        }
        return out;
      };
      let bound: ReturnType<typeof setTimeout> | undefined;
      const waited = new Promise<never>((_, reject) => { bound = setTimeout(() => reject(new Error('a step waited for the busy pool thread')), 20000); });
      try {
        expect(await Promise.race([feed(), waited])).toEqual(expected);
      } finally {
        clearTimeout(bound);
      }
      await held.release(); // the queued steps then find no coil left to take
    } finally {
      await held.close();
      plan.dispose();
    }
  }, 60000);
});
