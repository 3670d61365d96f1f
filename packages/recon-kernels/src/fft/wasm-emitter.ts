/**
 * A minimal WebAssembly binary writer: just what the mixed-radix FFT kernel (mixed-radix.ts)
 * needs to emit its SIMD code at run time (i32 arithmetic, loops, v128 loads/stores, f32x4
 * arithmetic and shuffles) into a module that imports the PFFFT module's memory.
 *
 * Emitting the code here instead of shipping a compiled .wasm keeps the kernel as source in the
 * repository (no C toolchain, no binary blob) and lets it specialise codelets (any odd radix) on
 * demand. Opcodes follow the WebAssembly core specification 2.0 with the fixed-width SIMD
 * proposal (supported by Node 20).
 */

/** Value types. */
export const I32 = 0x7f;
export const V128 = 0x7b;

function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function sleb(out: number[], v: number): void {
  let more = true;
  while (more) {
    let b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) more = false;
    else b |= 0x80;
    out.push(b);
  }
}

function utf8(out: number[], s: string): void {
  const b = new TextEncoder().encode(s);
  uleb(out, b.length);
  for (const x of b) out.push(x);
}

/** SIMD opcodes (after the 0xfd prefix). */
const SIMD = {
  load: 0x00, load32Splat: 0x09, store: 0x0b, const: 0x0c, shuffle: 0x0d, f32x4Splat: 0x13,
  xor: 0x51, store64Lane: 0x5b, load64Zero: 0x5d, load32Lane: 0x56, load64Lane: 0x57, store32Lane: 0x5a, load32Zero: 0x5c,
  i32x4Splat: 0x11, load64Splat: 0x0a,
  f32x4DemoteF64x2Zero: 0x5e, f64x2PromoteLowF32x4: 0x5f, f64x2Add: 0xf0, f64x2Sub: 0xf1, f64x2Mul: 0xf2, f64x2Sqrt: 0xef,
  f32x4Neg: 0xe1, f32x4Add: 0xe4, f32x4Sub: 0xe5, f32x4Mul: 0xe6,
} as const;

/** The body of one function: locals and instructions. Local indices start after the parameters. */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: number[] = [];
  private depth = 0;

  constructor(readonly name: string, readonly params: number) {}

  /** A new local of `type`; returns its index. */
  local(type: number): number {
    this.localTypes.push(type);
    return this.params + this.localTypes.length - 1;
  }

  get(i: number): this { this.code.push(0x20); uleb(this.code, i); return this; }
  set(i: number): this { this.code.push(0x21); uleb(this.code, i); return this; }
  tee(i: number): this { this.code.push(0x22); uleb(this.code, i); return this; }
  i32(v: number): this { this.code.push(0x41); sleb(this.code, v | 0); return this; }
  add(): this { this.code.push(0x6a); return this; }
  sub(): this { this.code.push(0x6b); return this; }
  mul(): this { this.code.push(0x6c); return this; }
  ltU(): this { this.code.push(0x49); return this; }
  ltS(): this { this.code.push(0x48); return this; }
  eq(): this { this.code.push(0x46); return this; }
  eqz(): this { this.code.push(0x45); return this; }
  shl(): this { this.code.push(0x74); return this; }
  and(): this { this.code.push(0x71); return this; }
  shrU(): this { this.code.push(0x76); return this; }
  gtS(): this { this.code.push(0x4a); return this; }
  select(): this { this.code.push(0x1b); return this; }

  /** `if` (no result) ... `end`. */
  if(body: () => void, orElse?: () => void): this {
    this.code.push(0x04, 0x40);
    body();
    if (orElse) { this.code.push(0x05); orElse(); }
    this.code.push(0x0b);
    return this;
  }

  /**
   * A counted loop: counter = start; do { body } while (++counter < limit) -- i.e. the body runs
   * at least once (callers guarantee limit > start). `limit` is a local index.
   */
  loop(counter: number, start: number, limit: number, body: () => void, step = 1): this {
    this.i32(start).set(counter);
    this.code.push(0x03, 0x40); // loop
    this.depth++;
    body();
    this.get(counter).i32(step).add().tee(counter).get(limit).ltS();
    this.code.push(0x0d, 0x00); // br_if 0
    this.depth--;
    this.code.push(0x0b);
    return this;
  }

  /** Calls function `index` (the module's imported functions first, then its own). */
  call(index: number): this { this.code.push(0x10); uleb(this.code, index); return this; }

  /** local[i] += v (i32). */
  inc(i: number, v: number): this { return this.get(i).i32(v).add().set(i); }
  /** local[i] += local[j] (i32). */
  incBy(i: number, j: number): this { return this.get(i).get(j).add().set(i); }

  private simd(op: number): void { this.code.push(0xfd); uleb(this.code, op); }
  private memarg(align: number, offset: number): void { uleb(this.code, align); uleb(this.code, offset); }

  /** i32.load from [address on stack + offset]. */
  loadI32(offset = 0): this { this.code.push(0x28); this.memarg(2, offset); return this; }
  /** i64.load / i64.store: 8 bytes moved as an integer (bit-exact for any float pair). */
  load64(offset = 0): this { this.code.push(0x29); this.memarg(3, offset); return this; }
  store64(offset = 0): this { this.code.push(0x37); this.memarg(3, offset); return this; }
  /** v128.load from [address on stack + offset]. */
  load(offset = 0): this { this.simd(SIMD.load); this.memarg(4, offset); return this; }
  /** v128.load64_zero: 8 bytes into lanes 0-1, zeros above. */
  load64Zero(offset = 0): this { this.simd(SIMD.load64Zero); this.memarg(3, offset); return this; }
  /** v128.load32_zero: 4 bytes into lane 0, zeros above. */
  load32Zero(offset = 0): this { this.simd(SIMD.load32Zero); this.memarg(2, offset); return this; }
  /** v128.load32_lane: 4 bytes into lane `lane` of the v128 on the stack (address, then v128). */
  load32Lane(offset: number, lane: number): this { this.simd(SIMD.load32Lane); this.memarg(2, offset); this.code.push(lane); return this; }
  /** v128.store32_lane: lane `lane` (address, then v128 on the stack). */
  store32Lane(offset: number, lane: number): this { this.simd(SIMD.store32Lane); this.memarg(2, offset); this.code.push(lane); return this; }
  /** v128.load32_splat: one f32 into all four lanes. */
  load32Splat(offset = 0): this { this.simd(SIMD.load32Splat); this.memarg(2, offset); return this; }
  /** v128.store (address, value on stack). */
  store(offset = 0): this { this.simd(SIMD.store); this.memarg(4, offset); return this; }
  /** v128.store64_lane 0: the low 8 bytes. */
  store64Low(offset = 0): this { this.simd(SIMD.store64Lane); this.memarg(3, offset); this.code.push(0); return this; }
  /** v128.store64_lane: the 8 bytes of half `lane` (0 or 1; address, then v128 on the stack). */
  store64Lane(offset: number, lane: number): this { this.simd(SIMD.store64Lane); this.memarg(3, offset); this.code.push(lane); return this; }
  /** v128.load64_lane: 8 bytes into half `lane` of the v128 on the stack (address, then v128). */
  load64Lane(offset: number, lane: number): this { this.simd(SIMD.load64Lane); this.memarg(3, offset); this.code.push(lane); return this; }
  /** v128.load64_splat: 8 bytes into both halves. */
  load64Splat(offset = 0): this { this.simd(SIMD.load64Splat); this.memarg(3, offset); return this; }
  /** f64x2.promote_low_f32x4, f64x2.add, f64x2.mul, f32x4.demote_f64x2_zero. */
  promoteLow(): this { this.simd(SIMD.f64x2PromoteLowF32x4); return this; }
  dadd(): this { this.simd(SIMD.f64x2Add); return this; }
  dmul(): this { this.simd(SIMD.f64x2Mul); return this; }
  dsub(): this { this.simd(SIMD.f64x2Sub); return this; }
  dsqrt(): this { this.simd(SIMD.f64x2Sqrt); return this; }
  demote(): this { this.simd(SIMD.f32x4DemoteF64x2Zero); return this; }
  fadd(): this { this.simd(SIMD.f32x4Add); return this; }
  fsub(): this { this.simd(SIMD.f32x4Sub); return this; }
  fmul(): this { this.simd(SIMD.f32x4Mul); return this; }
  fneg(): this { this.simd(SIMD.f32x4Neg); return this; }
  xor(): this { this.simd(SIMD.xor); return this; }
  i32x4Splat(): this { this.simd(SIMD.i32x4Splat); return this; }
  /** f32x4 constant with all lanes = v (rounded to float32). */
  fconst(v: number): this {
    this.simd(SIMD.const);
    const b = new Uint8Array(new Float32Array([v, v, v, v]).buffer);
    for (const x of b) this.code.push(x);
    return this;
  }
  /** i8x16.shuffle of two f32x4 on the stack, choosing f32 lanes (0-3 first operand, 4-7 second). */
  shuffle32(l0: number, l1: number, l2: number, l3: number): this {
    this.simd(SIMD.shuffle);
    for (const l of [l0, l1, l2, l3]) for (let k = 0; k < 4; k++) this.code.push(4 * l + k);
    return this;
  }

  /** The encoded body (locals + code + end). */
  encode(): number[] {
    const out: number[] = [];
    // locals compressed into runs of equal type
    const runs: [number, number][] = [];
    for (const t of this.localTypes) {
      const last = runs[runs.length - 1];
      if (last !== undefined && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(out, runs.length);
    for (const [n, t] of runs) { uleb(out, n); out.push(t); }
    for (const b of this.code) out.push(b);
    out.push(0x0b);
    const body: number[] = [];
    uleb(body, out.length);
    for (const b of out) body.push(b);
    return body;
  }
}

/**
 * A module of functions taking only i32 parameters and returning nothing, importing its memory
 * as env.memory; each function is exported under its name. `sharedPages`: the memory imported is
 * a shared one of exactly that many 64 KiB pages (WebAssembly.Memory with shared: true; threads
 * that instantiate the module on it work on the same bytes), else an ordinary one of any size.
 * `imports`: functions of that many i32 parameters and no result imported as env.<name>, function
 * indices 0, 1, .. in this order (FunctionBuilder.call); the module's own functions follow them.
 */
export function buildModule(functions: readonly FunctionBuilder[], sharedPages?: number, imports: readonly { name: string; params: number }[] = []): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, content: number[]): void => {
    out.push(id);
    uleb(out, content.length);
    for (const b of content) out.push(b);
  };
  // types: one per distinct parameter count
  const arities = [...new Set([...imports, ...functions].map((f) => f.params))];
  const types: number[] = [];
  uleb(types, arities.length);
  for (const a of arities) {
    types.push(0x60);
    uleb(types, a);
    for (let i = 0; i < a; i++) types.push(I32);
    types.push(0x00);
  }
  section(1, types);
  const imported: number[] = [];
  uleb(imported, 1 + imports.length);
  for (const f of imports) {
    utf8(imported, 'env');
    utf8(imported, f.name);
    imported.push(0x00); // function of type
    uleb(imported, arities.indexOf(f.params));
  }
  utf8(imported, 'env');
  utf8(imported, 'memory');
  if (sharedPages === undefined) imported.push(0x02, 0x00, 0x00); // memory, limits: min 0, no max
  else {
    imported.push(0x02, 0x03); // memory, limits: shared, min and max
    uleb(imported, sharedPages);
    uleb(imported, sharedPages);
  }
  section(2, imported);
  const funcs: number[] = [];
  uleb(funcs, functions.length);
  for (const f of functions) uleb(funcs, arities.indexOf(f.params));
  section(3, funcs);
  const exports: number[] = [];
  uleb(exports, functions.length);
  functions.forEach((f, i) => { utf8(exports, f.name); exports.push(0x00); uleb(exports, imports.length + i); });
  section(7, exports);
  const code: number[] = [];
  uleb(code, functions.length);
  for (const f of functions) for (const b of f.encode()) code.push(b);
  section(10, code);
  return new Uint8Array(out);
}
