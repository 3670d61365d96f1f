/**
 * Seeded, fast Gaussian noise for the simulated receivers.
 *
 * Hand-written on purpose: the phantom generators draw tens of millions of normal deviates per
 * run (e.g. 16 coils x 256 lines x 512 samples x 2 x 10 repetitions = 42 M) and must stay below
 * the ISMRMRD C++ tool's run time; that needs the generator state held in local variables of one
 * tight fill loop, which the npm random packages (one closure call per value, generic PRNG
 * wrappers) do not offer. It also needs reproducible streams from a user seed (`--seed`), which
 * `Math.random` does not.
 *
 * - Uniform source: xoshiro128** (Blackman & Vigna), 32-bit, seeded through splitmix32.
 * - Normal deviates: the 128-layer ziggurat in Doornik's form (ZIGNOR, "An Improved Ziggurat
 *   Method to Generate Normal Random Samples", 2005): layer index and value come from disjoint
 *   bits of the 32-bit draw (7 bits layer, 25 bits signed uniform), so they are independent; the
 *   wedge and the tail (Marsaglia's exponential method beyond R) use further fresh draws.
 */

const ZIG_C = 128;
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;

const ZIG_X = new Float64Array(ZIG_C + 1);
const ZIG_RATIO = new Float64Array(ZIG_C);
{
  let f = Math.exp(-0.5 * ZIG_R * ZIG_R);
  ZIG_X[0] = ZIG_V / f;
  ZIG_X[1] = ZIG_R;
  ZIG_X[ZIG_C] = 0;
  for (let i = 2; i < ZIG_C; i++) {
    ZIG_X[i] = Math.sqrt(-2 * Math.log(ZIG_V / ZIG_X[i - 1] + f));
    f = Math.exp(-0.5 * ZIG_X[i] * ZIG_X[i]);
  }
  for (let i = 0; i < ZIG_C; i++) ZIG_RATIO[i] = ZIG_X[i + 1] / ZIG_X[i];
}

const TWO_POW_32 = 4294967296;
/** Scale of the 25-bit signed uniform: (k + 0.5) / 2^24 - 1 lies in (-1, 1). */
const U25 = 1 / 16777216;

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [state, z >>> 0];
}

/** A random 32-bit seed from the platform's CSPRNG (for runs without --seed). */
export function randomSeed(): number {
  const a = new Uint32Array(1);
  globalThis.crypto.getRandomValues(a);
  return a[0];
}

/**
 * A Gaussian noise source. Equal seeds give equal streams (on every platform: only integer
 * arithmetic and IEEE double operations whose results are correctly rounded feed the fast path;
 * the rare wedge/tail paths use Math.exp/Math.log).
 */
export class GaussianNoise {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  readonly seed: number;

  /**
   * @param seed any non-negative integer up to 2^53 - 1; a random one when omitted.
   * @param stream given (a non-negative integer up to 2^53 - 1): that one of the seed's
   *   independent streams (see GaussianNoise.stream).
   */
  constructor(seed?: number, stream?: number) {
    const s = seed ?? randomSeed();
    if (!Number.isSafeInteger(s) || s < 0) throw new RangeError(`noise seed must be a non-negative integer, got ${seed}`);
    if (stream !== undefined && (!Number.isSafeInteger(stream) || stream < 0)) throw new RangeError(`noise stream must be a non-negative integer, got ${stream}`);
    this.seed = s;
    let st = (s % TWO_POW_32) ^ Math.floor(s / TWO_POW_32) * 0x27d4eb2d;
    // a stream's words: the seed's XOR a splitmix32 chain of the stream number (distinct per stream)
    let kt = stream === undefined ? 0 : (stream % TWO_POW_32) | 0;
    const kHi = stream === undefined ? 0 : Math.imul(Math.floor(stream / TWO_POW_32), 0x165667b1);
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [ns, z] = splitmix32(st);
      st = ns;
      let w = z | 0;
      if (stream !== undefined) {
        const [nk, zk] = splitmix32(kt);
        kt = nk;
        w ^= zk ^ kHi;
      }
      out.push(w);
    }
    if ((out[0] | out[1] | out[2] | out[3]) === 0) out[0] = 1; // all-zero state is the one forbidden state
    [this.s0, this.s1, this.s2, this.s3] = out;
  }

  /**
   * Stream `stream` of `seed`: independent generators drawn from one seed, so that parts of a
   * simulation (the phantom's repetitions and coils) can be drawn in any order, on any thread,
   * and give the same numbers.
   */
  static stream(seed: number, stream: number): GaussianNoise {
    return new GaussianNoise(seed, stream);
  }

  /** One uniform 32-bit integer (unsigned). */
  nextUint32(): number {
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
    return r;
  }

  /** One uniform deviate in (0, 1). */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / TWO_POW_32;
  }

  /** One standard normal deviate. */
  nextNormal(): number {
    const a = new Float64Array(1);
    this.fill(a, 1, 0, 1);
    return a[0];
  }

  /**
   * `out[start + k] += sigma * N(0,1)` for k in [0, count) (or `=` when `add` is false). With an
   * interleaved complex array this gives complex noise whose real and imaginary parts each have
   * standard deviation sigma, as the reference generators (`sigma * (randn + 1j*randn)`).
   */
  fill(out: Float32Array | Float64Array, sigma: number, start = 0, count = out.length - start, add = false): void {
    if (start < 0 || count < 0 || start + count > out.length) throw new RangeError('GaussianNoise.fill: range outside the array');
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const X = ZIG_X, RATIO = ZIG_RATIO;
    const end = start + count;
    for (let k = start; k < end; k++) {
      let z: number;
      for (;;) {
        // xoshiro128** step
        const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
        const t = s1 << 9;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = (s3 << 11) | (s3 >>> 21);
        const i = r & 127;
        const u = ((r >>> 7) + 0.5) * U25 - 1;
        if (Math.abs(u) < RATIO[i]) { z = u * X[i]; break; }
        // Rare paths (a few per cent of draws): hand the state back to the object for extra uniforms.
        this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
        z = this.slowPath(i, u);
        s0 = this.s0; s1 = this.s1; s2 = this.s2; s3 = this.s3;
        if (!Number.isNaN(z)) break;
      }
      out[k] = add ? out[k] + sigma * z : sigma * z;
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
  }

  /** Wedge and tail of the ziggurat; NaN means "rejected, draw again". */
  private slowPath(i: number, u: number): number {
    if (i === 0) {
      // Tail beyond R (Marsaglia 1964).
      let x: number, y: number;
      do {
        x = Math.log(this.nextUniform()) / ZIG_R;
        y = Math.log(this.nextUniform());
      } while (-2 * y < x * x);
      return u < 0 ? x - ZIG_R : ZIG_R - x;
    }
    const x = u * ZIG_X[i];
    const x2 = x * x;
    const f0 = Math.exp(-0.5 * (ZIG_X[i] * ZIG_X[i] - x2));
    const f1 = Math.exp(-0.5 * (ZIG_X[i + 1] * ZIG_X[i + 1] - x2));
    return f1 + this.nextUniform() * (f0 - f1) < 1 ? x : NaN;
  }

  /** `out[k] += sigma * N(0,1)` over the whole array (complex data: both parts). */
  add(out: Float32Array | Float64Array, sigma: number): void {
    this.fill(out, sigma, 0, out.length, true);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
