/**
 * PFFFT's line transforms called in a loop inside WebAssembly: `count` lines `stride` bytes apart,
 * each transformed in place by PFFFT's own pffft_transform_ordered or pffft_transform (imported
 * into a small emitted module, so a call is a wasm-to-wasm call). The FFT engine transforms many
 * short lines (the Toeplitz operator: ~2,300 per coil and application at 192 x 192), and from JS
 * each is a JS-to-wasm call whose entry and exit cost about as much as a few % of the transform;
 * here there is one JS call per batch of lines. The same PFFFT function on the same bytes, so the
 * same bits as the JS loop (engine.test.ts).
 */
import { FunctionBuilder, I32, buildModule } from './wasm-emitter.js';
import { wasm, type WasmMemory } from './wasm-api.js';

/** (setup, ptr, count, stride, work, direction): `count` lines from ptr, `stride` bytes apart, in place. */
export type LinesFn = (setup: number, ptr: number, count: number, stride: number, work: number, direction: number) => void;

export interface PffftLines {
  /** pffft_transform_ordered on each line */
  ordered: LinesFn;
  /** pffft_transform (the spectrum in PFFFT's internal order) on each line */
  internal: LinesFn;
}

/** The PFFFT exports (raw WebAssembly functions of the module whose memory is `memory`). */
export interface PffftTransforms {
  ordered: unknown;
  internal: unknown;
}

function linesFunction(name: string, callee: number): FunctionBuilder {
  const f = new FunctionBuilder(name, 6);
  const [SETUP, PTR, COUNT, STRIDE, WORK, DIR] = [0, 1, 2, 3, 4, 5];
  const i = f.local(I32), q = f.local(I32);
  f.get(PTR).set(q);
  f.loop(i, 0, COUNT, () => {
    f.get(SETUP).get(q).get(q).get(WORK).get(DIR).call(callee);
    f.incBy(q, STRIDE);
  });
  return f;
}

/** The two loops over PFFFT's transforms in `memory` (their callers skip count 0: the loop runs its body once first). */
export function pffftLines(memory: WasmMemory, transforms: PffftTransforms): PffftLines {
  const imports = [{ name: 'ordered', params: 5 }, { name: 'internal', params: 5 }];
  const module = new wasm.Module(buildModule([linesFunction('linesOrdered', 0), linesFunction('linesInternal', 1)], undefined, imports));
  const ex = new wasm.Instance(module, { env: { memory, ordered: transforms.ordered, internal: transforms.internal } }).exports;
  return { ordered: ex.linesOrdered as LinesFn, internal: ex.linesInternal as LinesFn };
}
