// @ts-check
/**
 * The embedded database's thread: PGlite (PostgreSQL compiled to WebAssembly) runs its queries
 * synchronously on the thread that calls it, for milliseconds to tens of milliseconds each, so it
 * lives here, never on the main thread that paces every call's audio. A plain ES module (no
 * TypeScript loader in workers): it loads the same from `src/` under the test runner and from
 * `dist/`. The main thread (`pglite.ts`) builds the SQL with Drizzle and sends it here.
 *
 * workerData: `{ dir, niceDelta }`: PGlite's data directory, and how much higher a nice value this
 * thread takes than the main thread's (Linux: setpriority(2) on the calling thread changes that
 * thread alone), so that on a busy core writing records yields to the audio. Messages in: `{ id, op, ... }` with `op`
 * `query` (`sql`, `params`, `rowMode`: 'array' | 'object'), `transaction` (`statements`:
 * `{ sql, params }[]`, all or nothing), `exec` (`statements`: SQL texts run in one transaction, for
 * migrations) or `close`. Each is answered `{ id, rows }` or `{ id, error: { message, code } }`,
 * one at a time in arrival order. Once open, it posts `{ ready: true }` (or `{ ready: false, error }`).
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

if (workerData.niceDelta > 0) {
  try {
    os.setPriority(0, Math.min(19, os.getPriority(0) + workerData.niceDelta));
  } catch {
    // not permitted here: keep the priority
  }
}

/** @type {PGlite} */
let db;
try {
  db = await PGlite.create(workerData.dir);
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: { message: err instanceof Error ? err.message : String(err) } });
  process.exit(1);
}

/**
 * @param {any} m
 * @returns {Promise<unknown[] | undefined>}
 */
async function run(m) {
  switch (m.op) {
    case 'query':
      return (await db.query(m.sql, m.params, { rowMode: m.rowMode })).rows;
    case 'transaction':
      await db.transaction(async (tx) => {
        for (const s of m.statements) await tx.query(s.sql, s.params);
      });
      return [];
    case 'exec':
      await db.transaction(async (tx) => {
        for (const s of m.statements) await tx.exec(s);
      });
      return [];
    case 'close':
      await db.close();
      return [];
    default:
      throw new Error(`unknown operation ${m.op}`);
  }
}

let queue = Promise.resolve();
port.on('message', (m) => {
  queue = queue.then(async () => {
    try {
      port.postMessage({ id: m.id, rows: await run(m) });
    } catch (err) {
      const e = /** @type {{ message?: string, code?: string }} */ (err);
      port.postMessage({ id: m.id, error: { message: e?.message ?? String(err), code: e?.code } });
    }
    if (m.op === 'close') port.close();
  });
});
