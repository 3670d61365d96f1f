// Type declarations for @echogarden/pffft-wasm (an Emscripten build of PFFFT that ships no types).
// The module object is typed in pffft-module.ts; here it is left opaque.
declare module '@echogarden/pffft-wasm/simd' {
  const createModule: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
  export default createModule;
}
declare module '@echogarden/pffft-wasm' {
  const createModule: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
  export default createModule;
}
