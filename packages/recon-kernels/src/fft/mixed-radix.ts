/**
 * Mixed-radix complex FFT (radices 2, 4 and every odd prime up to MAX_RADIX) in WebAssembly
 * SIMD, four transforms at a time (one per f32x4 lane), for the sizes PFFFT's SIMD build refuses
 * (anything not a 5-smooth multiple of 16, e.g. 250, 300, 405, 500, 600, 1000) and short lines.
 * Ours because no well-kept library fits (docs/numerics.md has the candidates and figures).
 *
 * How: the code is emitted at run time (wasm-emitter.ts) into a module that imports the PFFFT
 * module's memory and works in place on its heap. Groups of four lines are gathered into a
 * lane-split layout, transformed by Stockham auto-sort passes (odd prime radices by the symmetric
 * direct DFT; twiddles computed in float64, rounded to float32) and scattered back; the inverse is
 * conj(fft(conj(x))). Lanes never mix, so a line's result depends on that line only: not on its
 * neighbours, its place in a batch, or how lines are split between calls or threads.
 *
 * The module also holds the few pointwise SIMD loops the Toeplitz normal operator
 * (../mri/sense/toeplitz.ts) runs on the same heap: complex times real (ordered, or in PFFFT's
 * internal order with K read once per bin), complex products.
 */
import { wasm, type WasmMemory } from './wasm-api.js';
import { FunctionBuilder, I32, V128, buildModule } from './wasm-emitter.js';

/** Largest prime factor handled by a direct butterfly; sizes with larger ones use Bluestein. */
export const MAX_RADIX = 31;

/** Complex points per batch (G groups of four lines, G * n <= BATCH_POINTS): two buffers of 32 bytes a point. */
const BATCH_POINTS = 4096;

/** The radices of n in pass order (4s, then a 2, then odd primes ascending), or null if a prime factor exceeds MAX_RADIX. */
export function mixedRadixFactors(n: number): number[] | null {
  if (!Number.isInteger(n) || n < 2) return null;
  const f: number[] = [];
  let m = n;
  while (m % 4 === 0) { f.push(4); m /= 4; }
  if (m % 2 === 0) { f.push(2); m /= 2; }
  for (let p = 3; m > 1; p += 2) {
    if (p > MAX_RADIX) return null;
    while (m % p === 0) { f.push(p); m /= p; }
  }
  return f;
}

interface Complex { re: number; im: number }

/** f32 lane indices for the shuffles (0-3: first operand, 4-7: second). */
type Lanes = [number, number, number, number];
const LO_PAIRS: Lanes = [0, 4, 1, 5];
const HI_PAIRS: Lanes = [2, 6, 3, 7];
const LOW_HALVES: Lanes = [0, 1, 4, 5];
const HIGH_HALVES: Lanes = [2, 3, 6, 7];
const EVEN: Lanes = [0, 2, 4, 6];
const ODD: Lanes = [1, 3, 5, 7];

function cplx(f: FunctionBuilder): Complex {
  return { re: f.local(V128), im: f.local(V128) };
}

/** dst = a op b on both parts. */
function cop(f: FunctionBuilder, dst: Complex, a: Complex, b: Complex, op: 'add' | 'sub'): void {
  for (const k of ['re', 'im'] as const) {
    f.get(a[k]).get(b[k]);
    if (op === 'add') f.fadd(); else f.fsub();
    f.set(dst[k]);
  }
}

/** Radix-4 forward butterfly (w = -i). */
function butterfly4(f: FunctionBuilder, a: Complex[]): Complex[] {
  const t = [cplx(f), cplx(f), cplx(f), cplx(f)];
  cop(f, t[0], a[0], a[2], 'add');
  cop(f, t[1], a[0], a[2], 'sub');
  cop(f, t[2], a[1], a[3], 'add');
  cop(f, t[3], a[1], a[3], 'sub');
  const y = [cplx(f), cplx(f), cplx(f), cplx(f)];
  cop(f, y[0], t[0], t[2], 'add');
  cop(f, y[2], t[0], t[2], 'sub');
  // y1 = t1 - i t3, y3 = t1 + i t3
  f.get(t[1].re).get(t[3].im).fadd().set(y[1].re);
  f.get(t[1].im).get(t[3].re).fsub().set(y[1].im);
  f.get(t[1].re).get(t[3].im).fsub().set(y[3].re);
  f.get(t[1].im).get(t[3].re).fadd().set(y[3].im);
  return y;
}

function butterfly2(f: FunctionBuilder, a: Complex[]): Complex[] {
  const y = [cplx(f), cplx(f)];
  cop(f, y[0], a[0], a[1], 'add');
  cop(f, y[1], a[0], a[1], 'sub');
  return y;
}

/** Direct forward DFT of odd prime length p with the symmetric pairs. `consts` hold cos/sin(2 pi q / p), q = 1..h. */
function butterflyOdd(f: FunctionBuilder, a: Complex[], p: number, cos: number[], sin: number[]): Complex[] {
  const h = (p - 1) / 2;
  const s: Complex[] = [], d: Complex[] = [];
  for (let j = 1; j <= h; j++) {
    const sj = cplx(f), dj = cplx(f);
    cop(f, sj, a[j], a[p - j], 'add');
    cop(f, dj, a[j], a[p - j], 'sub');
    s.push(sj);
    d.push(dj);
  }
  const y: Complex[] = new Array(p);
  y[0] = cplx(f);
  for (const k of ['re', 'im'] as const) {
    f.get(a[0][k]);
    for (let j = 0; j < h; j++) f.get(s[j][k]).fadd();
    f.set(y[0][k]);
  }
  for (let k = 1; k <= h; k++) {
    const A = cplx(f), B = cplx(f);
    for (const part of ['re', 'im'] as const) {
      f.get(a[0][part]);
      for (let j = 1; j <= h; j++) {
        const q = (j * k) % p;
        f.get(s[j - 1][part]).get(cos[Math.min(q, p - q) - 1]).fmul().fadd();
      }
      f.set(A[part]);
      let first = true;
      for (let j = 1; j <= h; j++) {
        const q = (j * k) % p;
        const neg = q > h;
        f.get(d[j - 1][part]).get(sin[Math.min(q, p - q) - 1]).fmul();
        if (first) { if (neg) f.fneg(); first = false; } else if (neg) f.fsub(); else f.fadd();
      }
      f.set(B[part]);
    }
    // y_k = A - i B, y_{p-k} = A + i B
    const yk = cplx(f), ymk = cplx(f);
    f.get(A.re).get(B.im).fadd().set(yk.re);
    f.get(A.im).get(B.re).fsub().set(yk.im);
    f.get(A.re).get(B.im).fsub().set(ymk.re);
    f.get(A.im).get(B.re).fadd().set(ymk.im);
    y[k] = yk;
    y[p - k] = ymk;
  }
  return y;
}

/**
 * One Stockham pass of radix p over `groups` transforms of length n (lane-split, 32 bytes a
 * point): params (src, dst, groups, n, l, tw, m) with l the product of the earlier radices,
 * m = n / (p l), tw the twiddle table [k][r - 1] (f32 re, im) of w = exp(-2 pi i r k / (l p)).
 * With `twiddles` false the pass is a first pass (l = 1; tw unused).
 */
function passFunction(p: number, twiddles: boolean): FunctionBuilder {
  const f = new FunctionBuilder(`pass${p}${twiddles ? 't' : ''}`, 7);
  const [SRC, DST, GROUPS, N, L, TW, M] = [0, 1, 2, 3, 4, 5, 6];
  const g = f.local(I32), b = f.local(I32), k = f.local(I32);
  const sg = f.local(I32), dg = f.local(I32), sp = f.local(I32), dp = f.local(I32), tp = f.local(I32);
  const nbytes = f.local(I32), lbytes = f.local(I32), lpbytes = f.local(I32);
  const ss: number[] = [0], ds: number[] = [0];
  for (let r = 1; r < p; r++) { ss.push(f.local(I32)); ds.push(f.local(I32)); }
  let cos: number[] = [], sin: number[] = [];
  if (p % 2 === 1) {
    const h = (p - 1) / 2;
    cos = Array.from({ length: h }, () => f.local(V128));
    sin = Array.from({ length: h }, () => f.local(V128));
    for (let q = 1; q <= h; q++) {
      f.fconst(Math.cos((2 * Math.PI * q) / p)).set(cos[q - 1]);
      f.fconst(Math.sin((2 * Math.PI * q) / p)).set(sin[q - 1]);
    }
  }
  f.get(N).i32(5).shl().set(nbytes);
  f.get(L).i32(5).shl().set(lbytes);
  f.get(lbytes).i32(p).mul().set(lpbytes);
  // source stride between butterfly inputs: n / p points; destination stride: l points
  for (let r = 1; r < p; r++) {
    f.get(M).get(lbytes).mul().i32(r).mul().set(ss[r]);
    f.get(lbytes).i32(r).mul().set(ds[r]);
  }
  const a: Complex[] = Array.from({ length: p }, () => cplx(f));
  const w = cplx(f);
  const body = (): void => {
    for (let r = 0; r < p; r++) {
      for (const [part, off] of [['re', 0], ['im', 16]] as const) {
        f.get(sp);
        if (r > 0) f.get(ss[r]).add();
        f.load(off).set(a[r][part]);
      }
    }
    if (twiddles) {
      for (let r = 1; r < p; r++) {
        f.get(tp).load32Splat(8 * (r - 1)).set(w.re);
        f.get(tp).load32Splat(8 * (r - 1) + 4).set(w.im);
        const t = cplx(f);
        f.get(a[r].re).get(w.re).fmul().get(a[r].im).get(w.im).fmul().fsub().set(t.re);
        f.get(a[r].re).get(w.im).fmul().get(a[r].im).get(w.re).fmul().fadd().set(t.im);
        a[r] = t;
      }
    }
    const y = p === 4 ? butterfly4(f, a) : p === 2 ? butterfly2(f, a) : butterflyOdd(f, a, p, cos, sin);
    for (let r = 0; r < p; r++) {
      for (const [part, off] of [['re', 0], ['im', 16]] as const) {
        f.get(dp);
        if (r > 0) f.get(ds[r]).add();
        f.get(y[r][part]).store(off);
      }
    }
  };
  f.get(SRC).set(sg);
  f.get(DST).set(dg);
  f.loop(g, 0, GROUPS, () => {
    f.get(sg).set(sp);
    f.get(dg).set(dp);
    f.loop(b, 0, M, () => {
      if (twiddles) {
        f.get(TW).set(tp);
        f.loop(k, 0, L, () => {
          body();
          f.inc(sp, 32).inc(dp, 32).inc(tp, 8 * (p - 1));
        });
        // sp advanced by l points already; dp by l points, the block spans l p
        f.get(dp).get(lpbytes).add().get(lbytes).sub().set(dp);
      } else {
        body();
        f.inc(sp, 32).inc(dp, 32 * p);
      }
    });
    f.incBy(sg, nbytes).incBy(dg, nbytes);
  });
  return f;
}

/** Shared prologue: the conjugation mask (sign bit in every lane when `conj` != 0). */
function conjMask(f: FunctionBuilder, conjParam: number): number {
  const mask = f.local(V128);
  f.get(conjParam).i32(31).shl().i32x4Splat().set(mask);
  return mask;
}

/**
 * gatherRows(src, n, count, dst, groups, conj): lines 4g..4g+3 (clamped to count - 1) of n
 * interleaved complex64 values at src (line stride 8 n bytes) into lane-split dst.
 */
function gatherRows(): FunctionBuilder {
  const f = new FunctionBuilder('gatherRows', 6);
  const [SRC, N, COUNT, DST, GROUPS, CONJ] = [0, 1, 2, 3, 4, 5];
  const mask = conjMask(f, CONJ);
  const g = f.local(I32), j = f.local(I32), pairs = f.local(I32), lb = f.local(I32), last = f.local(I32), dp = f.local(I32), off = f.local(I32);
  const line = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const v = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const t = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  f.get(N).i32(3).shl().set(lb);
  f.get(N).i32(1).shrU().set(pairs);
  f.get(COUNT).i32(1).sub().set(last);
  f.get(DST).set(dp);
  f.loop(g, 0, GROUPS, () => {
    for (let q = 0; q < 4; q++) {
      // line index min(4 g + q, count - 1)
      f.get(g).i32(2).shl().i32(q).add().get(last);
      f.get(g).i32(2).shl().i32(q).add().get(last).ltS().select();
      f.get(lb).mul().get(SRC).add().set(line[q]);
    }
    f.i32(0).set(off);
    f.loop(j, 0, pairs, () => {
      for (let q = 0; q < 4; q++) f.get(line[q]).get(off).add().load().set(v[q]);
      f.get(v[0]).get(v[1]).shuffle32(...LO_PAIRS).set(t[0]);
      f.get(v[2]).get(v[3]).shuffle32(...LO_PAIRS).set(t[1]);
      f.get(v[0]).get(v[1]).shuffle32(...HI_PAIRS).set(t[2]);
      f.get(v[2]).get(v[3]).shuffle32(...HI_PAIRS).set(t[3]);
      f.get(dp).get(t[0]).get(t[1]).shuffle32(...LOW_HALVES).store(0);
      f.get(dp).get(t[0]).get(t[1]).shuffle32(...HIGH_HALVES).get(mask).xor().store(16);
      f.get(dp).get(t[2]).get(t[3]).shuffle32(...LOW_HALVES).store(32);
      f.get(dp).get(t[2]).get(t[3]).shuffle32(...HIGH_HALVES).get(mask).xor().store(48);
      f.inc(off, 16).inc(dp, 64);
    });
    f.get(N).i32(1).and();
    f.if(() => {
      for (let q = 0; q < 4; q++) f.get(line[q]).get(off).add().load64Zero().set(v[q]);
      f.get(v[0]).get(v[1]).shuffle32(...LO_PAIRS).set(t[0]);
      f.get(v[2]).get(v[3]).shuffle32(...LO_PAIRS).set(t[1]);
      f.get(dp).get(t[0]).get(t[1]).shuffle32(...LOW_HALVES).store(0);
      f.get(dp).get(t[0]).get(t[1]).shuffle32(...HIGH_HALVES).get(mask).xor().store(16);
      f.inc(dp, 32);
    });
  });
  return f;
}

/**
 * scatterRows(src, n, count, dst, groups, conj): the inverse of gatherRows; lines at or beyond
 * `count` are not written.
 */
function scatterRows(): FunctionBuilder {
  const f = new FunctionBuilder('scatterRows', 6);
  const [SRC, N, COUNT, DST, GROUPS, CONJ] = [0, 1, 2, 3, 4, 5];
  const mask = conjMask(f, CONJ);
  const g = f.local(I32), j = f.local(I32), pairs = f.local(I32), lb = f.local(I32), valid = f.local(I32), sp = f.local(I32), off = f.local(I32);
  const line = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const R0 = f.local(V128), I0 = f.local(V128), R1 = f.local(V128), I1 = f.local(V128);
  const u0 = f.local(V128), u1 = f.local(V128), w0 = f.local(V128), w1 = f.local(V128);
  const out = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const storeLines = (wide: boolean): void => {
    for (let q = 0; q < 4; q++) {
      const st = (): void => { f.get(line[q]).get(off).add().get(out[q]); if (wide) f.store(); else f.store64Low(); };
      if (q === 0) st();
      else { f.get(valid).i32(q).gtS(); f.if(st); }
    }
  };
  f.get(N).i32(3).shl().set(lb);
  f.get(N).i32(1).shrU().set(pairs);
  f.get(SRC).set(sp);
  f.loop(g, 0, GROUPS, () => {
    f.get(COUNT).get(g).i32(2).shl().sub().set(valid);
    for (let q = 0; q < 4; q++) f.get(g).i32(2).shl().i32(q).add().get(lb).mul().get(DST).add().set(line[q]);
    f.i32(0).set(off);
    f.loop(j, 0, pairs, () => {
      f.get(sp).load(0).set(R0);
      f.get(sp).load(16).get(mask).xor().set(I0);
      f.get(sp).load(32).set(R1);
      f.get(sp).load(48).get(mask).xor().set(I1);
      f.get(R0).get(I0).shuffle32(...LO_PAIRS).set(u0); // re L0, im L0, re L1, im L1 (point j)
      f.get(R0).get(I0).shuffle32(...HI_PAIRS).set(u1); // L2, L3
      f.get(R1).get(I1).shuffle32(...LO_PAIRS).set(w0); // point j + 1
      f.get(R1).get(I1).shuffle32(...HI_PAIRS).set(w1);
      f.get(u0).get(w0).shuffle32(...LOW_HALVES).set(out[0]);
      f.get(u0).get(w0).shuffle32(...HIGH_HALVES).set(out[1]);
      f.get(u1).get(w1).shuffle32(...LOW_HALVES).set(out[2]);
      f.get(u1).get(w1).shuffle32(...HIGH_HALVES).set(out[3]);
      storeLines(true);
      f.inc(off, 16).inc(sp, 64);
    });
    f.get(N).i32(1).and();
    f.if(() => {
      f.get(sp).load(0).set(R0);
      f.get(sp).load(16).get(mask).xor().set(I0);
      f.get(R0).get(I0).shuffle32(...LO_PAIRS).set(out[0]);
      f.get(out[0]).get(out[0]).shuffle32(2, 3, 0, 1).set(out[1]);
      f.get(R0).get(I0).shuffle32(...HI_PAIRS).set(out[2]);
      f.get(out[2]).get(out[2]).shuffle32(2, 3, 0, 1).set(out[3]);
      storeLines(false);
      f.inc(sp, 32);
    });
  });
  return f;
}

/**
 * gatherCols(src, n, stride, dst, groups, conj): group g is the four neighbouring columns
 * 4g..4g+3 starting at src (point j of column c at src + j stride + 8 c).
 */
function gatherCols(): FunctionBuilder {
  const f = new FunctionBuilder('gatherCols', 6);
  const [SRC, N, STRIDE, DST, GROUPS, CONJ] = [0, 1, 2, 3, 4, 5];
  const mask = conjMask(f, CONJ);
  const g = f.local(I32), j = f.local(I32), p = f.local(I32), dp = f.local(I32);
  const v0 = f.local(V128), v1 = f.local(V128);
  f.get(DST).set(dp);
  f.loop(g, 0, GROUPS, () => {
    f.get(g).i32(5).shl().get(SRC).add().set(p);
    f.loop(j, 0, N, () => {
      f.get(p).load(0).set(v0);
      f.get(p).load(16).set(v1);
      f.get(dp).get(v0).get(v1).shuffle32(...EVEN).store(0);
      f.get(dp).get(v0).get(v1).shuffle32(...ODD).get(mask).xor().store(16);
      f.incBy(p, STRIDE).inc(dp, 32);
    });
  });
  return f;
}

/** scatterCols(src, n, stride, dst, groups, conj): the inverse of gatherCols. */
function scatterCols(): FunctionBuilder {
  const f = new FunctionBuilder('scatterCols', 6);
  const [SRC, N, STRIDE, DST, GROUPS, CONJ] = [0, 1, 2, 3, 4, 5];
  const mask = conjMask(f, CONJ);
  const g = f.local(I32), j = f.local(I32), p = f.local(I32), sp = f.local(I32);
  const R = f.local(V128), I = f.local(V128);
  f.get(SRC).set(sp);
  f.loop(g, 0, GROUPS, () => {
    f.get(g).i32(5).shl().get(DST).add().set(p);
    f.loop(j, 0, N, () => {
      f.get(sp).load(0).set(R);
      f.get(sp).load(16).get(mask).xor().set(I);
      f.get(p).get(R).get(I).shuffle32(...LO_PAIRS).store(0);
      f.get(p).get(R).get(I).shuffle32(...HI_PAIRS).store(16);
      f.incBy(p, STRIDE).inc(sp, 32);
    });
  });
  return f;
}

/**
 * transposeIn(src, n, stride, dst, w): w strided lines (point k of line i at src + k stride + 8 i)
 * into w contiguous lines of n complex64 at dst; transposeOut(src, n, stride, dst, w) the reverse
 * (src the contiguous lines, dst the strided ones). Values are moved as 8-byte integers.
 * With `lineBytes` (transposeInLines / transposeOutLines, a sixth argument): the contiguous
 * lines start `lineBytes` apart instead of 8 n (n points of longer lines: a zero-padded or
 * cropped half).
 */
function transposeFunction(out: boolean, lineBytes = false): FunctionBuilder {
  const f = new FunctionBuilder(`${out ? 'transposeOut' : 'transposeIn'}${lineBytes ? 'Lines' : ''}`, lineBytes ? 6 : 5);
  const [SRC, N, STRIDE, DST, W, LB] = [0, 1, 2, 3, 4, 5];
  const k = f.local(I32), i = f.local(I32), row = f.local(I32), col = f.local(I32), r = f.local(I32), c = f.local(I32), lb = f.local(I32);
  if (lineBytes) f.get(LB).set(lb);
  else f.get(N).i32(3).shl().set(lb);
  // row: the strided side (point k of the w lines), col: point k of line 0 on the contiguous side
  f.get(out ? DST : SRC).set(row);
  f.get(out ? SRC : DST).set(col);
  f.loop(k, 0, N, () => {
    f.get(row).set(r);
    f.get(col).set(c);
    f.loop(i, 0, W, () => {
      if (out) f.get(r).get(c).load64().store64();
      else f.get(c).get(r).load64().store64();
      f.inc(r, 8).incBy(c, lb);
    });
    f.incBy(row, STRIDE).inc(col, 8);
  });
  return f;
}

/**
 * scale(ptr, quads, sPtr): the 4 * quads float32 at ptr multiplied by the float64 at sPtr, each
 * product formed in float64 and rounded once to float32 -- the same bits as `f32[i] * s` in JS.
 */
function scaleFunction(): FunctionBuilder {
  const f = new FunctionBuilder('scale', 3);
  const [PTR, QUADS, SPTR] = [0, 1, 2];
  const s = f.local(V128), v = f.local(V128), i = f.local(I32), p = f.local(I32);
  f.get(SPTR).load64Splat().set(s);
  f.get(PTR).set(p);
  f.loop(i, 0, QUADS, () => {
    f.get(p).load().set(v);
    f.get(p);
    f.get(v).promoteLow().get(s).dmul().demote();
    f.get(v).get(v).shuffle32(2, 3, 0, 1).promoteLow().get(s).dmul().demote();
    f.shuffle32(0, 1, 4, 5).store();
    f.inc(p, 16);
  });
  return f;
}

/**
 * powerSums(src, dst, pairs): dst[i] += re_i * re_i + im_i * im_i for 2 * pairs complex64 values
 * at src into float64 sums at dst, two a step; each square and sum is JS's on the float32 values
 * (exact squares in float64, then two roundings in the same order), so the same bits.
 */
function powerSumsFunction(): FunctionBuilder {
  const f = new FunctionBuilder('powerSums', 3);
  const [SRC, DST, PAIRS] = [0, 1, 2];
  const v = f.local(V128), re = f.local(V128), im = f.local(V128), i = f.local(I32), p = f.local(I32), q = f.local(I32);
  f.get(SRC).set(p);
  f.get(DST).set(q);
  f.loop(i, 0, PAIRS, () => {
    f.get(p).load().set(v);
    f.get(v).get(v).shuffle32(0, 2, 0, 2).promoteLow().set(re);
    f.get(v).get(v).shuffle32(1, 3, 1, 3).promoteLow().set(im);
    f.get(q);
    f.get(q).load();
    f.get(re).get(re).dmul().get(im).get(im).dmul().dadd();
    f.dadd().store();
    f.inc(p, 16);
    f.inc(q, 16);
  });
  return f;
}

/**
 * rowSums(src, passes, rowBytes, tab, n1, n2, off1, out) with `rows` rows a pass (4 or 1): the
 * float64 sums of centredIfft2PowersAtPoints's row pass (centred-fft.ts `rowSums`) for
 * `rows * passes` rows of complex64 `rowBytes` apart from src, one column's tables at tab (per u
 * 32 bytes: cos, sin, -sin, cos as float64). Each row's sum runs over u = 0 .. n1 + n2 - 1, the
 * samples of u < n1 at row + off1 + 8 u, the others at row + 8 (u - n1) (the fftshift along the
 * row as two segments), as `acc + ((kr * cos, kr * sin) + (ki * -sin, ki * cos))` in float64:
 * lane 0 is JS's `re += kr * cv - ki * sv` (adding the exact negation of a product is the
 * subtraction), lane 1 `im += kr * sv + ki * cv`, in the same order, so the same bits. The sums
 * (re, im) of row r go to out + 16 r. Several rows a pass keep independent sums in flight.
 */
function rowSumsFunction(rows: number): FunctionBuilder {
  const f = new FunctionBuilder(`rowSums${rows}`, 8);
  const [SRC, PASSES, ROWBYTES, TAB, N1, N2, OFF1, OUT] = [0, 1, 2, 3, 4, 5, 6, 7];
  const acc = Array.from({ length: rows }, () => f.local(V128));
  const p = Array.from({ length: rows }, () => f.local(I32));
  const tv = f.local(V128), tw = f.local(V128);
  const g = f.local(I32), u = f.local(I32), t = f.local(I32), base = f.local(I32), o = f.local(I32);
  const segment = (count: number): void => {
    f.loop(u, 0, count, () => {
      f.get(t).load().set(tv);
      f.get(t).load(16).set(tw);
      for (let r = 0; r < rows; r++) {
        f.get(acc[r]);
        f.get(p[r]).load32Splat().promoteLow().get(tv).dmul();
        f.get(p[r]).load32Splat(4).promoteLow().get(tw).dmul();
        f.dadd().dadd().set(acc[r]);
        f.inc(p[r], 8);
      }
      f.inc(t, 32);
    });
  };
  f.get(SRC).set(base);
  f.get(OUT).set(o);
  f.loop(g, 0, PASSES, () => {
    for (let r = 0; r < rows; r++) f.fconst(0).set(acc[r]);
    f.get(TAB).set(t);
    for (let r = 0; r < rows; r++) f.get(base).get(ROWBYTES).i32(r).mul().add().get(OFF1).add().set(p[r]);
    segment(N1);
    for (let r = 0; r < rows; r++) f.get(base).get(ROWBYTES).i32(r).mul().add().set(p[r]);
    segment(N2);
    for (let r = 0; r < rows; r++) f.get(o).get(acc[r]).store(16 * r);
    f.inc(o, 16 * rows);
    f.get(base).get(ROWBYTES).i32(rows).mul().add().set(base);
  });
  return f;
}

/**
 * mulReal(ptr, kptr, pairs): complex64 values at ptr times float32 reals at kptr in place, two
 * values a step (x_i *= k_i for i < 2 pairs); the float32 products are those of JS's `x * k`.
 */
function mulRealFunction(): FunctionBuilder {
  const f = new FunctionBuilder('mulReal', 3);
  const [PTR, KPTR, PAIRS] = [0, 1, 2];
  const k = f.local(V128), i = f.local(I32), p = f.local(I32), q = f.local(I32);
  f.get(PTR).set(p);
  f.get(KPTR).set(q);
  f.loop(i, 0, PAIRS, () => {
    f.get(q).load64Zero().set(k);
    f.get(p);
    f.get(p).load();
    f.get(k).get(k).shuffle32(0, 0, 1, 1);
    f.fmul().store();
    f.inc(p, 16);
    f.inc(q, 8);
  });
  return f;
}

/**
 * mulPairedQuads(ptr, kptr, blocks): per block of 8 float32 at ptr (4 real parts, then the 4
 * imaginary parts of the same bins: PFFFT's internal spectral order), both quads times the one
 * quad of float32 at kptr, in place. K is read once for the re and im lanes; the float32
 * products are those of JS's `x * k`.
 */
function mulPairedQuadsFunction(): FunctionBuilder {
  const f = new FunctionBuilder('mulPairedQuads', 3);
  const [PTR, KPTR, BLOCKS] = [0, 1, 2];
  const k = f.local(V128), i = f.local(I32), p = f.local(I32), q = f.local(I32);
  f.get(PTR).set(p);
  f.get(KPTR).set(q);
  f.loop(i, 0, BLOCKS, () => {
    f.get(q).load().set(k);
    f.get(p);
    f.get(p).load();
    f.get(k).fmul().store();
    f.inc(p, 16);
    f.get(p);
    f.get(p).load();
    f.get(k).fmul().store();
    f.inc(p, 16);
    f.inc(q, 16);
  });
  return f;
}

/**
 * cmul(dst, a, b, pairs): dst = a * b (complex64, two values a step); conjMulAcc(dst, a, b,
 * pairs): dst += conj(a) * b. Products and sums in float32.
 */
function complexProductFunction(conjAcc: boolean): FunctionBuilder {
  const f = new FunctionBuilder(conjAcc ? 'conjMulAcc' : 'cmul', 4);
  const [DST, A, B, PAIRS] = [0, 1, 2, 3];
  const m = f.local(V128), v = f.local(V128), x = f.local(V128), y = f.local(V128);
  const i = f.local(I32), d = f.local(I32), p = f.local(I32), q = f.local(I32);
  f.get(DST).set(d);
  f.get(A).set(p);
  f.get(B).set(q);
  f.loop(i, 0, PAIRS, () => {
    f.get(p).load().set(m);
    f.get(q).load().set(v);
    // x = re(a) * b, y = im(a) * swap(b): [ar br, ar bi], [ai bi, ai br]
    f.get(m).get(m).shuffle32(0, 0, 2, 2).get(v).fmul().set(x);
    f.get(m).get(m).shuffle32(1, 1, 3, 3).get(v).get(v).shuffle32(1, 0, 3, 2).fmul().set(y);
    f.get(d);
    if (conjAcc) {
      f.get(d).load();
      f.get(x).get(y).fadd().get(x).get(y).fsub().shuffle32(0, 5, 2, 7);
      f.fadd();
    } else {
      f.get(x).get(y).fsub().get(x).get(y).fadd().shuffle32(0, 5, 2, 7);
    }
    f.store();
    f.inc(d, 16);
    f.inc(p, 16);
    f.inc(q, 16);
  });
  return f;
}

/**
 * The row passes of a pruned transform of length 2n (n = 2 pairs) fused with the coil expansion
 * and combination of the Toeplitz operator, on `rows` lines of 2n complex64 `rowBytes` apart from
 * ptr (tw: n complex64 twiddles; a, b, acc: rows x n complex64, contiguous):
 * - expandSplit(ptr, a, b, rows, pairs, rowBytes, tw): each line's first half = a * b (cmul's
 *   products) and its second half = tw times that first half (the odd bins' input of a line whose
 *   second half is zero);
 * - joinCombine(acc, a, ptr, rows, pairs, rowBytes, tw): acc += conj(a) * (first half + conj(tw)
 *   times second half) (the first half of the inverse from its even and odd parts, then
 *   conjMulAcc's sum); the lines are only read.
 * Each float32 product and sum is the one of the separate passes (cmul then the twiddle, the join
 * then conjMulAcc: the intermediate is the float32 value the separate pass stored), so the same bits.
 */
function twiddleRowsFunction(join: boolean): FunctionBuilder {
  const f = new FunctionBuilder(join ? 'joinCombine' : 'expandSplit', 7);
  // expandSplit(ptr, a, b, ...) / joinCombine(acc, a, ptr, ...)
  const [P0, A, P2, ROWS, PAIRS, RB, TW] = [0, 1, 2, 3, 4, 5, 6];
  const m = f.local(V128), v = f.local(V128), x = f.local(V128), y = f.local(V128), s = f.local(V128);
  const r = f.local(I32), i = f.local(I32), base = f.local(I32), d = f.local(I32), t = f.local(I32), half = f.local(I32);
  const p = f.local(I32), q = f.local(I32);
  f.get(PAIRS).i32(4).shl().set(half);
  f.get(join ? P2 : P0).set(base);
  f.get(A).set(p);
  f.get(join ? P0 : P2).set(q);
  // x = re(m) * v, y = im(m) * swap(v), as in complexProductFunction
  const products = (): void => {
    f.get(m).get(m).shuffle32(0, 0, 2, 2).get(v).fmul().set(x);
    f.get(m).get(m).shuffle32(1, 1, 3, 3).get(v).get(v).shuffle32(1, 0, 3, 2).fmul().set(y);
  };
  f.loop(r, 0, ROWS, () => {
    f.get(base).set(d);
    f.get(TW).set(t);
    f.loop(i, 0, PAIRS, () => {
      if (join) {
        // s = first half + conj(tw) * second half (joinTwiddle), then acc += conj(a) * s
        f.get(t).load().set(m);
        f.get(d).get(half).add().load().set(v);
        products();
        f.get(d).load();
        f.get(x).get(y).fadd().get(x).get(y).fsub().shuffle32(0, 5, 2, 7);
        f.fadd().set(s);
        f.get(p).load().set(m);
        f.get(s).set(v);
        products();
        f.get(q);
        f.get(q).load();
        f.get(x).get(y).fadd().get(x).get(y).fsub().shuffle32(0, 5, 2, 7);
        f.fadd().store();
      } else {
        // s = a * b (cmul) into the first half, tw * s into the second (splitTwiddle)
        f.get(p).load().set(m);
        f.get(q).load().set(v);
        products();
        f.get(d);
        f.get(x).get(y).fsub().get(x).get(y).fadd().shuffle32(0, 5, 2, 7).tee(s);
        f.store();
        f.get(t).load().set(m);
        f.get(s).set(v);
        products();
        f.get(d).get(half).add();
        f.get(x).get(y).fsub().get(x).get(y).fadd().shuffle32(0, 5, 2, 7);
        f.store();
      }
      f.inc(d, 16);
      f.inc(t, 16);
      f.inc(p, 16);
      f.inc(q, 16);
    });
    f.incBy(base, RB);
  });
  return f;
}

/**
 * transposeInSplit(src, n, stride, dst, w, lineBytes, tw): n points of w strided lines into
 * lines `lineBytes` apart, with the pruned transform's split twiddle fused in: point k of each
 * line also times tw[k] at its place in the line's second half (n points on: the odd bins' input
 * of a pruned transform of 2n points). The strided side is in PFFFT's internal order (the rows'
 * spectra as pffft_transform leaves them): per 4 lines, a point is 32 bytes, the 4 real parts
 * then the 4 imaginary parts; line i of the call is place i of that order. transposeOutJoin(src,
 * n, stride, dst, w, lineBytes, tw): the reverse, with the join fused in: first half + conj(tw)
 * times second half, out to the strided lines in that order (as the inverse pffft_transform takes
 * them). w a multiple of 4. The float32 products and sums are those of twiddleRowsFunction's
 * twiddle halves (tested against the plain float32 formulas); the reordering moves floats only.
 */
function twiddleTransposeFunction(out: boolean): FunctionBuilder {
  const f = new FunctionBuilder(out ? 'transposeOutJoin' : 'transposeInSplit', 7);
  const [SRC, N, STRIDE, DST, W, LB, TW] = [0, 1, 2, 3, 4, 5, 6];
  const m = f.local(V128), mr = f.local(V128), mi = f.local(V128), v = f.local(V128), b = f.local(V128), x = f.local(V128), y = f.local(V128);
  const o0 = f.local(V128), a = f.local(V128);
  const k = f.local(I32), i = f.local(I32), row = f.local(I32), col = f.local(I32), r = f.local(I32), c = f.local(I32), half = f.local(I32), t = f.local(I32), lb2 = f.local(I32);
  f.get(N).i32(3).shl().set(half);
  f.get(LB).i32(1).shl().set(lb2);
  // row: point k of the w strided lines; col: point k of line 0 on the contiguous side
  f.get(out ? DST : SRC).set(row);
  f.get(out ? SRC : DST).set(col);
  f.get(TW).set(t);
  // lines i and i + 1 at point k (c): in, v their two values on the strided side; out, v the two results
  const pairIn = (): void => {
    f.get(c).get(v).store64Lane(0, 0);
    f.get(c).get(LB).add().get(v).store64Lane(0, 1);
    f.get(mr).get(v).fmul().set(x);
    f.get(mi).get(v).get(v).shuffle32(1, 0, 3, 2).fmul().set(y);
    f.get(x).get(y).fsub().get(x).get(y).fadd().shuffle32(0, 5, 2, 7).set(b);
    f.get(c).get(half).add().get(b).store64Lane(0, 0);
    f.get(c).get(LB).add().get(half).add().get(b).store64Lane(0, 1);
  };
  const pairOut = (): void => {
    // a: the first halves' points k of lines i and i + 1; b: their second halves'
    f.get(c).load64Zero().set(v);
    f.get(c).get(LB).add().get(v).load64Lane(0, 1).set(v);
    f.get(c).get(half).add().load64Zero().set(b);
    f.get(c).get(LB).add().get(half).add().get(b).load64Lane(0, 1).set(b);
    f.get(mr).get(b).fmul().set(x);
    f.get(mi).get(b).get(b).shuffle32(1, 0, 3, 2).fmul().set(y);
    f.get(v);
    f.get(x).get(y).fadd().get(x).get(y).fsub().shuffle32(0, 5, 2, 7);
    f.fadd().set(v);
  };
  f.loop(k, 0, N, () => {
    f.get(t).load64Splat().set(m);
    f.get(m).get(m).shuffle32(0, 0, 2, 2).set(mr);
    f.get(m).get(m).shuffle32(1, 1, 3, 3).set(mi);
    f.get(row).set(r);
    f.get(col).set(c);
    // per 4 lines: 4 real parts then 4 imaginary parts on the strided side, interleaved into
    // two pairs of complex values and back
    f.loop(i, 0, W, () => {
      if (out) {
        pairOut();
        f.get(v).set(o0);
        f.incBy(c, lb2);
        pairOut();
        f.get(r).get(o0).get(v).shuffle32(0, 2, 4, 6).store();
        f.get(r).get(o0).get(v).shuffle32(1, 3, 5, 7).store(16);
      } else {
        f.get(r).load().set(a);
        f.get(r).load(16).set(b);
        f.get(a).get(b).shuffle32(0, 4, 1, 5).set(v);
        f.get(a).get(b).shuffle32(2, 6, 3, 7).set(o0);
        pairIn();
        f.incBy(c, lb2);
        f.get(o0).set(v);
        pairIn();
      }
      f.inc(r, 32).incBy(c, lb2);
    }, 4);
    f.incBy(row, STRIDE).inc(col, 8).inc(t, 8);
  });
  return f;
}

type PassFn = (src: number, dst: number, groups: number, n: number, l: number, tw: number, m: number) => void;
type MoveFn = (src: number, n: number, countOrStride: number, dst: number, groups: number, conj: number) => void;

interface Pass { p: number; l: number; m: number; tw: number; fn: PassFn }

interface MixedRadixPlan {
  n: number;
  /** groups of four lines per batch */
  groups: number;
  passes: Pass[];
}

/** Heap allocation callbacks (the PFFFT module's aligned malloc). */
/** see rowSumsFunction */
type RowSumsFn = (src: number, passes: number, rowBytes: number, tab: number, n1: number, n2: number, off1: number, out: number) => void;

export interface HeapAllocator {
  malloc(bytes: number): number;
}

/**
 * The kernel: plans per length, two batch buffers, the compiled code. All pointers are byte
 * addresses in the shared memory.
 */
export class MixedRadixKernel {
  private readonly plans = new Map<number, MixedRadixPlan>();
  private readonly passFns = new Map<string, PassFn>();
  private readonly gatherRowsFn: MoveFn;
  private readonly scatterRowsFn: MoveFn;
  private readonly gatherColsFn: MoveFn;
  private readonly scatterColsFn: MoveFn;
  /** see transposeFunction */
  readonly transposeIn: (src: number, n: number, stride: number, dst: number, w: number) => void;
  readonly transposeOut: (src: number, n: number, stride: number, dst: number, w: number) => void;
  /** as transposeIn / transposeOut, the contiguous lines `lineBytes` apart (see transposeFunction) */
  readonly transposeInLines: (src: number, n: number, stride: number, dst: number, w: number, lineBytes: number) => void;
  readonly transposeOutLines: (src: number, n: number, stride: number, dst: number, w: number, lineBytes: number) => void;
  private readonly scaleFn: (ptr: number, quads: number, sPtr: number) => void;
  private readonly mulRealFn: (ptr: number, kptr: number, pairs: number) => void;
  private readonly powerSumsFn: (src: number, dst: number, pairs: number) => void;
  private readonly rowSums4Fn: RowSumsFn;
  private readonly rowSums1Fn: RowSumsFn;
  private readonly mulPairedQuadsFn: (ptr: number, kptr: number, blocks: number) => void;
  /** dst = a * b over `pairs` pairs of complex64 (byte addresses; see complexProductFunction) */
  readonly cmulPairs: (dst: number, a: number, b: number, pairs: number) => void;
  /** dst += conj(a) * b over `pairs` pairs of complex64 */
  readonly conjMulAccPairs: (dst: number, a: number, b: number, pairs: number) => void;
  /** the row twiddle passes of a pruned transform fused with the coil expansion and combination (see twiddleRowsFunction) */
  readonly expandSplit: (ptr: number, a: number, b: number, rows: number, pairs: number, rowBytes: number, tw: number) => void;
  readonly joinCombine: (acc: number, a: number, ptr: number, rows: number, pairs: number, rowBytes: number, tw: number) => void;
  /** transposeInLines / transposeOutLines with the twiddle passes fused in (see twiddleTransposeFunction) */
  readonly transposeInSplit: (src: number, n: number, stride: number, dst: number, w: number, lineBytes: number, tw: number) => void;
  readonly transposeOutJoin: (src: number, n: number, stride: number, dst: number, w: number, lineBytes: number, tw: number) => void;
  private readonly scalar: number;
  private bufA = 0;
  private bufB = 0;
  private bufBytes = 0;

  constructor(private readonly memory: WasmMemory, private readonly heap: HeapAllocator) {
    const ex = this.instantiate([gatherRows(), scatterRows(), gatherCols(), scatterCols(), passFunction(2, false), passFunction(2, true), passFunction(4, false), passFunction(4, true), transposeFunction(false), transposeFunction(true), transposeFunction(false, true), transposeFunction(true, true), scaleFunction(), mulRealFunction(), mulPairedQuadsFunction(), complexProductFunction(false), complexProductFunction(true), twiddleRowsFunction(false), twiddleRowsFunction(true), twiddleTransposeFunction(false), twiddleTransposeFunction(true), powerSumsFunction(), rowSumsFunction(4), rowSumsFunction(1)]);
    this.cmulPairs = ex.cmul as MixedRadixKernel['cmulPairs'];
    this.conjMulAccPairs = ex.conjMulAcc as MixedRadixKernel['conjMulAccPairs'];
    this.expandSplit = ex.expandSplit as MixedRadixKernel['expandSplit'];
    this.joinCombine = ex.joinCombine as MixedRadixKernel['joinCombine'];
    this.transposeInSplit = ex.transposeInSplit as MixedRadixKernel['transposeInSplit'];
    this.transposeOutJoin = ex.transposeOutJoin as MixedRadixKernel['transposeOutJoin'];
    this.scaleFn = ex.scale as MixedRadixKernel['scaleFn'];
    this.mulRealFn = ex.mulReal as MixedRadixKernel['mulRealFn'];
    this.powerSumsFn = ex.powerSums as MixedRadixKernel['powerSumsFn'];
    this.rowSums4Fn = ex.rowSums4 as RowSumsFn;
    this.rowSums1Fn = ex.rowSums1 as RowSumsFn;
    this.mulPairedQuadsFn = ex.mulPairedQuads as MixedRadixKernel['mulPairedQuadsFn'];
    this.scalar = heap.malloc(16);
    this.transposeIn = ex.transposeIn as MixedRadixKernel['transposeIn'];
    this.transposeOut = ex.transposeOut as MixedRadixKernel['transposeOut'];
    this.transposeInLines = ex.transposeInLines as MixedRadixKernel['transposeInLines'];
    this.transposeOutLines = ex.transposeOutLines as MixedRadixKernel['transposeOutLines'];
    this.gatherRowsFn = ex.gatherRows as MoveFn;
    this.scatterRowsFn = ex.scatterRows as MoveFn;
    this.gatherColsFn = ex.gatherCols as MoveFn;
    this.scatterColsFn = ex.scatterCols as MoveFn;
    for (const p of [2, 4]) for (const t of ['', 't']) this.passFns.set(`${p}${t}`, ex[`pass${p}${t}`] as PassFn);
  }

  private instantiate(fns: FunctionBuilder[]): Record<string, unknown> {
    const module = new wasm.Module(buildModule(fns));
    return new wasm.Instance(module, { env: { memory: this.memory } }).exports;
  }

  /** True when n is transformed here (all prime factors <= MAX_RADIX). */
  static supports(n: number): boolean {
    return mixedRadixFactors(n) !== null;
  }

  private passFn(p: number, twiddles: boolean): PassFn {
    const key = `${p}${twiddles ? 't' : ''}`;
    let fn = this.passFns.get(key);
    if (fn === undefined) {
      const ex = this.instantiate([passFunction(p, false), passFunction(p, true)]);
      this.passFns.set(`${p}`, ex[`pass${p}`] as PassFn);
      this.passFns.set(`${p}t`, ex[`pass${p}t`] as PassFn);
      fn = this.passFns.get(key)!;
    }
    return fn;
  }

  /** The plan for length n (twiddle tables and batch buffers allocated in the heap). */
  plan(n: number): MixedRadixPlan {
    let plan = this.plans.get(n);
    if (plan !== undefined) return plan;
    const factors = mixedRadixFactors(n);
    if (factors === null) throw new Error(`mixed-radix FFT: length ${n} has a prime factor above ${MAX_RADIX}`);
    const groups = Math.max(1, Math.floor(BATCH_POINTS / n));
    const bytes = 32 * groups * n;
    if (this.bufBytes < bytes) {
      // grown once to the largest batch; the old blocks are left to the heap (never freed: small)
      this.bufA = this.heap.malloc(bytes);
      this.bufB = this.heap.malloc(bytes);
      this.bufBytes = bytes;
    }
    const passes: Pass[] = [];
    let l = 1;
    for (const p of factors) {
      let tw = 0;
      if (l > 1) {
        tw = this.heap.malloc(8 * l * (p - 1));
        const h = new Float32Array(this.memory.buffer, tw, 2 * l * (p - 1));
        const lp = l * p;
        for (let k = 0; k < l; k++) {
          for (let r = 1; r < p; r++) {
            const a = (-2 * Math.PI * ((r * k) % lp)) / lp;
            h[2 * (k * (p - 1) + r - 1)] = Math.cos(a);
            h[2 * (k * (p - 1) + r - 1) + 1] = Math.sin(a);
          }
        }
      }
      passes.push({ p, l, m: n / (l * p), tw, fn: this.passFn(p, l > 1) });
      l *= p;
    }
    plan = { n, groups, passes };
    this.plans.set(n, plan);
    return plan;
  }

  /** Runs the passes on `groups` gathered transforms in bufA; returns the buffer holding the result. */
  private run(plan: MixedRadixPlan, groups: number): number {
    let src = this.bufA, dst = this.bufB;
    for (const ps of plan.passes) {
      ps.fn(src, dst, groups, plan.n, ps.l, ps.tw, ps.m);
      const t = src; src = dst; dst = t;
    }
    return src;
  }

  /** Multiplies `floats` float32 at byte address ptr by s in place, as `x * s` in JS would (product in float64). */
  scale(ptr: number, floats: number, s: number): void {
    new Float64Array(this.memory.buffer, this.scalar, 1)[0] = s;
    const quads = floats >> 2;
    if (quads > 0) this.scaleFn(ptr, quads, this.scalar);
    if (floats & 3) {
      const h = new Float32Array(this.memory.buffer);
      for (let i = ptr / 4 + 4 * quads, end = ptr / 4 + floats; i < end; i++) h[i] = h[i] * s;
    }
  }

  /**
   * The `floats` float32 at byte address ptr (a multiple of 8: blocks of 4 real parts then the 4
   * imaginary parts of the same bins, PFFFT's internal order) times the `floats / 2` float32 at
   * kptr (one per bin, each applied to its bin's real and imaginary slot), in place; bit for bit
   * as mulReal on the same bins in natural order (JS's `x * k`).
   */
  mulPairedQuads(ptr: number, kptr: number, floats: number): void {
    if (floats % 8 !== 0) throw new Error(`mulPairedQuads: ${floats} floats is not a whole number of 8-float blocks`);
    if (floats > 0) this.mulPairedQuadsFn(ptr, kptr, floats >> 3);
  }

  /**
   * sums[i] += re * re + im * im for the `count` complex64 at byte address src and the `count`
   * float64 at byte address dst (a multiple of 8), bit for bit as that JS statement on the float32 values.
   */
  powerSums(src: number, dst: number, count: number): void {
    const pairs = count >> 1;
    if (pairs > 0) this.powerSumsFn(src, dst, pairs);
    if (count & 1) {
      const h = new Float32Array(this.memory.buffer), s = new Float64Array(this.memory.buffer);
      const x = src / 4 + 2 * (count - 1), re = h[x], im = h[x + 1];
      s[dst / 8 + count - 1] += re * re + im * im;
    }
  }

  /**
   * The float64 row sums of one column of centredIfft2PowersAtPoints (see rowSumsFunction) for
   * `rows` rows of complex64 `rowBytes` apart at byte address src: row r's sum over u < n1 + n2
   * of sample (u < n1 ? off1 + 8 u : 8 (u - n1)) times the table entry u at tab (32 bytes each:
   * cos, sin, -sin, cos), into (re, im) float64 at out + 16 r; bit for bit as that JS loop.
   * n1 and n2 at least 1; src, tab and out multiples of 8.
   */
  rowSums(src: number, rows: number, rowBytes: number, tab: number, n1: number, n2: number, off1: number, out: number): void {
    if (!(n1 >= 1 && n2 >= 1)) throw new Error(`rowSums: segments of ${n1} and ${n2} samples (at least 1 each)`);
    const fours = rows >> 2;
    if (fours > 0) this.rowSums4Fn(src, fours, rowBytes, tab, n1, n2, off1, out);
    const rest = rows & 3;
    if (rest > 0) this.rowSums1Fn(src + 4 * fours * rowBytes, rest, rowBytes, tab, n1, n2, off1, out + 64 * fours);
  }

  /** The `count` complex64 at byte address ptr times the `count` float32 at kptr, in place (bit for bit as JS's `x * k`). */
  mulReal(ptr: number, kptr: number, count: number): void {
    const pairs = count >> 1;
    if (pairs > 0) this.mulRealFn(ptr, kptr, pairs);
    if (count & 1) {
      const h = new Float32Array(this.memory.buffer);
      const x = ptr / 4 + 2 * (count - 1), w = h[kptr / 4 + count - 1];
      h[x] *= w;
      h[x + 1] *= w;
    }
  }

  /** Unnormalised in-place transforms of `count` contiguous lines of n complex64 at byte address ptr. */
  transformLines(ptr: number, count: number, n: number, inverse: boolean): void {
    const plan = this.plan(n);
    const conj = inverse ? 1 : 0;
    const perBatch = 4 * plan.groups;
    for (let i0 = 0; i0 < count; i0 += perBatch) {
      const lines = Math.min(perBatch, count - i0);
      const groups = Math.ceil(lines / 4);
      const base = ptr + 8 * n * i0;
      this.gatherRowsFn(base, n, lines, this.bufA, groups, conj);
      const out = this.run(plan, groups);
      this.scatterRowsFn(out, n, lines, base, groups, conj);
    }
  }

  /**
   * Unnormalised in-place transforms along a strided axis: `cols` (a multiple of 4) neighbouring
   * lines starting at byte address ptr, point j of line c at ptr + j * strideBytes + 8 c.
   */
  transformColumns(ptr: number, cols: number, n: number, strideBytes: number, inverse: boolean): void {
    const plan = this.plan(n);
    const conj = inverse ? 1 : 0;
    const total = cols >> 2;
    for (let g0 = 0; g0 < total; g0 += plan.groups) {
      const groups = Math.min(plan.groups, total - g0);
      const base = ptr + 32 * g0;
      this.gatherColsFn(base, n, strideBytes, this.bufA, groups, conj);
      const out = this.run(plan, groups);
      this.scatterColsFn(out, n, strideBytes, base, groups, conj);
    }
  }
}
