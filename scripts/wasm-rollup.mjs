/**
 * `node --import ./scripts/wasm-rollup.mjs …` makes `import 'rollup'` (and `rollup/…`) resolve to
 * `@rollup/wasm-node`, rollup's WebAssembly build of the same version, so vite bundles without
 * rollup's native optional package (missing after `npm ci --omit=optional`). Used by build.mjs.
 */
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`export async function resolve(specifier, context, next) {
  if (specifier === 'rollup' || specifier.startsWith('rollup/')) return next('@rollup/wasm-node' + specifier.slice(6), context);
  return next(specifier, context);
}`),
  import.meta.url,
);
