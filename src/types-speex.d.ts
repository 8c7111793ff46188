declare module '@echogarden/speex-resampler-wasm/simd' {
  /** Emscripten module factory for the SIMD build of the Speex resampler. */
  const factory: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
  export default factory;
}
