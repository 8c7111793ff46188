/**
 * Locates a worker-thread script next to the calling module, both when running compiled JavaScript
 * (dist/) and TypeScript sources under the test runner (which loads `.ts` workers through tsx).
 */
import { Worker } from 'node:worker_threads';

/**
 * Starts `name` (without extension) from the directory of `baseUrl`.
 * @param baseUrl `import.meta.url` of the caller.
 * @param name worker module name, e.g. `pocketsphinx-worker`.
 * @param workerData data passed to the worker.
 */
export function startWorker(baseUrl: string, name: string, workerData?: unknown): Worker {
  const isTs = baseUrl.endsWith('.ts');
  const url = new URL(`./${name}${isTs ? '.ts' : '.js'}`, baseUrl);
  if (!isTs) return new Worker(url, { workerData });
  // Under the test runner: register tsx's loader inside the worker, then import the TypeScript file.
  const bootstrap = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}
