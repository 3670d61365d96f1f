// Complex FFTs of every size (PFFFT wasm SIMD, a mixed-radix wasm SIMD kernel, Bluestein); see
// engine.ts for the choice of library.
export * from './engine.js';
export type { PffftModule } from './pffft-module.js';
