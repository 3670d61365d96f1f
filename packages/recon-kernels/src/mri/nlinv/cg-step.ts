/**
 * One step of nlinv's inner conjugate gradients (./nlinv.ts) as one pool call: every pool thread
 * gets the same task and the threads claim its work item by item (shared claims), phase after
 * phase: the new direction's image part (block by block), the 'normal' coil step (coil by coil,
 * ./coil-steps.ts, with the direction's k parts and the fused inner-product blocks), the image
 * part of the normal-dot (./cg-vectors.ts, block by block), then, with pAp summed by each thread
 * from the block sums, the h / r update with |r|^2 (block by block). Before, these were three
 * pool calls and a serial part on the calling thread per CG step, each call a round trip through
 * the calling thread's event loop, with the coils split in fixed halves (a thread that started
 * late held the step up). A thread waits between phases only for items that a running thread
 * has claimed, so a task that starts late (or never, while another does all) cannot hold the
 * step up for more than the items in flight, and the tasks cannot wait for each other in a
 * circle. Every item is the same arithmetic whichever thread does it, and the sums are per block
 * in block order: the same bits as the single-thread loop.
 */
import type { FftEngine } from '../../fft/index.js';
import { SUM_BLOCK, sumBlockCount, sumBlocksInOrder } from '../../pool/block-sums.js';
import { claimWork, finishWork } from '../../pool/shared-memory.js';
import { nlinvCoilStep, type NlinvModel } from './coil-steps.js';
import { directionRange, normalDotRange, stepRange, type TermsBox } from './cg-vectors.js';

/** The phases of a CG step, in order (each with a pair of claim cells: next item, items finished). */
const Phase = { Direction: 0, Coils: 1, ImageDot: 2, Step: 3 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];
const PHASES = 4;
/** The claims' cell set when a thread failed (the others stop waiting). */
const FAILED = 2 * PHASES;

/** Fresh claims for one CG step's task (zeroed; reset with `.fill(0)` before each step). */
export function newCgStepClaims(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4 * (FAILED + 1)));
}

/** A CG step of nlinv on the pool: the same task to every thread. */
export interface NlinvCgStepTask {
  kind: 'nlinv-cg-step';
  model: NlinvModel;
  /** the CG's solution h, residual r, direction p and A p (q), all [rho | k_0 .. k_{nc-1}] */
  h: Float64Array;
  r: Float64Array;
  p: Float64Array;
  q: Float64Array;
  /** p = r + beta p first (null on the first step: p as it is) */
  beta: number | null;
  alpha: number;
  /** |r|^2 before the step */
  rsold: number;
  /** the normal-dot's block sums (pAp) and the step's (|r|^2 after it) */
  dotSums: Float64Array;
  stepSums: Float64Array;
  /** values [0, dotEnd) of the normal-dot left to its own phase (the coil step fuses the rest's blocks when dotEnd < the vector's length) */
  dotEnd: number;
  inBox: TermsBox | null;
  claims: Int32Array;
}

/** Waits until all `count` items of the phase are finished (or a thread failed). */
function awaitPhase(claims: Int32Array, phase: Phase, count: number): void {
  const cell = 2 * phase + 1;
  for (;;) {
    if (Atomics.load(claims, FAILED) !== 0) throw new Error('nlinv CG step: another thread failed');
    const done = Atomics.load(claims, cell);
    if (done >= count) return;
    Atomics.wait(claims, cell, done);
  }
}

/** Claims and does the phase's items until none is left, then waits for the others' items. */
function runPhase(claims: Int32Array, phase: Phase, count: number, item: (i: number) => void): void {
  const cells = claims.subarray(2 * phase, 2 * phase + 2);
  for (let i = claimWork(cells, count); i >= 0; i = claimWork(cells, count)) {
    item(i);
    finishWork(cells);
  }
  awaitPhase(claims, phase, count);
}

/**
 * A thread's part of the CG step (in a pool worker; a single call with fresh claims does the
 * whole step). Returns after every phase is finished, or after the normal-dot when pAp is 0 (the
 * CG stops there, h and r as they were).
 */
export function runNlinvCgStepTask(fft: FftEngine, t: NlinvCgStepTask): void {
  const { model, h, r, p, q, beta, alpha, rsold, dotSums, stepSums, dotEnd, inBox, claims } = t;
  const { ncoils, n0, n1 } = model;
  const npix = n0 * n1, img = 2 * npix, nx = p.length;
  const blocks = (end: number): number => sumBlockCount(end);
  const block = (b: number, end: number): [number, number] => [b * SUM_BLOCK, Math.min(end, (b + 1) * SUM_BLOCK)];
  try {
    if (beta !== null) runPhase(claims, Phase.Direction, blocks(img), (b) => directionRange(p, r, beta, ...block(b, img)));
    const direction = beta === null ? null : { r, beta };
    const normalDot = dotEnd < nx ? { alpha, sums: dotSums } : null;
    runPhase(claims, Phase.Coils, ncoils, (c) => nlinvCoilStep(fft, model, 'normal', p, q, c, c + 1, direction, normalDot));
    runPhase(claims, Phase.ImageDot, blocks(dotEnd), (b) => normalDotRange(model.rhoTerms, ncoils, npix, alpha, p, q, dotSums, ...block(b, dotEnd), inBox));
    const pAp = sumBlocksInOrder(dotSums);
    if (pAp === 0) return;
    const a = rsold / pAp;
    runPhase(claims, Phase.Step, blocks(nx), (b) => stepRange(h, r, p, q, a, stepSums, ...block(b, nx)));
  } catch (e) {
    Atomics.store(claims, FAILED, 1);
    for (let ph = 0; ph < PHASES; ph++) Atomics.notify(claims, 2 * ph + 1);
    throw e;
  }
}
