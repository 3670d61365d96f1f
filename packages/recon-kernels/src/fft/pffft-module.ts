/** The part of the PFFFT Emscripten module (@echogarden/pffft-wasm) that the FFT engine calls. */
export interface PffftModule {
  /** `transform`: 0 real, 1 complex. Returns 0 when N is not supported (but asserts on N % 16 != 0 in the SIMD build). */
  _pffft_new_setup(n: number, transform: number): number;
  _pffft_destroy_setup(setup: number): void;
  /** `direction`: 0 forward (e^-i), 1 backward (e^+i); both unnormalised. In-place allowed. */
  _pffft_transform_ordered(setup: number, input: number, output: number, work: number, direction: number): void;
  /** As transform_ordered but the frequency side stays in PFFFT's internal order (for convolutions). */
  _pffft_transform(setup: number, input: number, output: number, work: number, direction: number): void;
  /** dft_ab += dft_a * dft_b * scaling, on internal-order spectra from `_pffft_transform`. */
  _pffft_zconvolve_accumulate(setup: number, dftA: number, dftB: number, dftAb: number, scaling: number): void;
  /** Ordered <-> internal order of a spectrum (`direction` 0: internal to ordered, 1: ordered to internal). */
  _pffft_zreorder(setup: number, input: number, output: number, direction: number): void;
  _pffft_aligned_malloc(bytes: number): number;
  _pffft_aligned_free(ptr: number): void;
  _pffft_simd_size(): number;
  HEAPF32: Float32Array;
  HEAP32: Int32Array;
}
