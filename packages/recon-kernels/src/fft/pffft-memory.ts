/**
 * Loads the SIMD build of PFFFT (@echogarden/pffft-wasm/simd) and hands back, besides the
 * Emscripten module, its WebAssembly.Memory, which the Emscripten glue keeps to itself: the
 * mixed-radix kernel (mixed-radix.ts) imports that memory to work in place on the same heap.
 * The module is instantiated through Emscripten's `instantiateWasm` hook from the package's own
 * pffft.wasm, found offline beside the glue: resolved from this file, or -- in bundles whose
 * import of the package was rewritten to a file URL (the benchmarks), where that resolution
 * fails -- asked of the glue itself through its `locateFile` hook.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PffftTransforms } from './pffft-lines.js';
import type { PffftModule } from './pffft-module.js';
import { wasm, type WasmImports, type WasmInstance, type WasmMemory, type WasmModule } from './wasm-api.js';

export interface LoadedPffft {
  module: PffftModule;
  memory: WasmMemory;
  /** pffft_transform_ordered and pffft_transform as the instance's own exports (for pffft-lines.ts), or null when the glue's functions are not those */
  transforms: PffftTransforms | null;
}

type ReceiveInstance = (instance: WasmInstance, module: WasmModule) => void;
export type CreateModule = (moduleArg?: Record<string, unknown>) => Promise<unknown>;

class Located extends Error {}

const resolveGlue = (): string => createRequire(import.meta.url).resolve('@echogarden/pffft-wasm/simd');

/** Path of the pffft.wasm beside the glue `create` (`resolve` finds the glue's file). */
export async function pffftWasmPath(create: CreateModule, resolve: () => string = resolveGlue): Promise<string> {
  try {
    return join(dirname(resolve()), 'pffft.wasm');
  } catch {
    // the glue calls locateFile(name, its directory) just before it would load the binary;
    // stopping it there costs no compilation and no heap
    const loc: { path?: string } = {};
    await create({
      locateFile(name: string, dir: string) {
        loc.path = dir + name;
        throw new Located();
      },
    }).catch((e: unknown) => {
      if (!(e instanceof Located)) throw e;
    });
    if (loc.path === undefined) throw new Error('FFT engine: cannot locate pffft.wasm');
    return loc.path.startsWith('file:') ? fileURLToPath(loc.path) : loc.path;
  }
}

export async function loadSimdPffftWithMemory(): Promise<LoadedPffft> {
  const create = (await import('@echogarden/pffft-wasm/simd')).default as CreateModule;
  const compiled = await wasm.compile(await readFile(await pffftWasmPath(create)));
  const found: { memory?: WasmMemory; exports?: unknown[] } = {};
  const module = (await create({
    instantiateWasm(imports: WasmImports, receive: ReceiveInstance) {
      const instance = new wasm.Instance(compiled, imports);
      for (const v of Object.values(instance.exports)) if (v instanceof wasm.Memory) found.memory = v;
      found.exports = Object.values(instance.exports);
      receive(instance, compiled);
      return instance.exports;
    },
  })) as PffftModule;
  if (found.memory === undefined) throw new Error('FFT engine: the PFFFT module exports no memory');
  return { module, memory: found.memory, transforms: rawTransforms(module, found.exports ?? []) };
}

/**
 * The instance's own pffft_transform_ordered and pffft_transform: the Emscripten glue's
 * functions are wrappers that replace themselves with the instance's export at their first call,
 * so one transform of 16 points each, then the functions are taken if they are among the exports.
 */
function rawTransforms(module: PffftModule, exports: readonly unknown[]): PffftTransforms | null {
  const setup = module._pffft_new_setup(16, 1);
  const buf = module._pffft_aligned_malloc(256);
  if (setup === 0 || buf === 0) return null;
  module._pffft_transform_ordered(setup, buf, buf, buf + 128, 0);
  module._pffft_transform(setup, buf, buf, buf + 128, 0);
  module._pffft_aligned_free(buf);
  module._pffft_destroy_setup(setup);
  const ordered = module._pffft_transform_ordered, internal = module._pffft_transform;
  return exports.includes(ordered) && exports.includes(internal) ? { ordered, internal } : null;
}
