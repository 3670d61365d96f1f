// Complex FFTs of every size (PFFFT wasm + Bluestein); see engine.ts for the choice of library.
export * from './engine.js';
export type { PffftModule } from './pffft-module.js';
