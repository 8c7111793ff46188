/**
 * Starts worker-thread modules that sit next to the calling module.
 */
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name.mjs` from the directory of `baseUrl`. Workers are plain ES modules
 * (checked with `// @ts-check`), so they load the same way from `src/` under the test runner and
 * from `dist/` in production, with no TypeScript loader inside the worker.
 * @param baseUrl `import.meta.url` of the caller.
 * @param name worker module name without extension, e.g. `pocketsphinx-worker`.
 * @param workerData data passed to the worker.
 */
export function startWorker(baseUrl: string, name: string, workerData?: unknown): Worker {
  return new Worker(new URL(`./${name}.mjs`, baseUrl), { workerData });
}
