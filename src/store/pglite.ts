/**
 * The embedded backend: PGlite in `DATA_DIR/pglite`, on a worker thread of its own
 * (`pglite-worker.mjs`: PGlite runs each query synchronously, which must not stall the main
 * thread's audio), the data directory locked for this process (`lock.ts`). Drizzle builds the SQL
 * here (its pg-proxy driver) and the worker runs it; a batch of inserts goes over as one
 * all-or-nothing transaction. Migrations: drizzle's proxy migrator, in one transaction.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { drizzle, type RemoteCallback } from 'drizzle-orm/pg-proxy';
import { migrate } from 'drizzle-orm/pg-proxy/migrator';
import { DrizzleCallStore, type StoreDatabase } from './drizzle-store.js';
import { lockDataDir } from './lock.js';
import { MIGRATIONS_FOLDER } from './migrations.js';
import * as schema from './schema.js';
import type { CallStore } from './types.js';

/** One SQL statement with its parameters. */
interface Statement {
  sql: string;
  params: unknown[];
}

/** Requests to the worker, answered in order. */
class WorkerClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (rows: unknown[]) => void; reject: (err: Error) => void }>();
  private gone: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id?: number; rows?: unknown[]; error?: { message: string; code?: string } }) => {
      if (m.id === undefined) return;
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error) w?.reject(Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}));
      else w?.resolve(m.rows ?? []);
    });
    const fail = (err: Error) => {
      this.gone ??= err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the embedded database's thread exited (code ${code})`)));
  }

  request(message: Record<string, unknown>): Promise<unknown[]> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }
}

/** Starts the worker on `dir` and waits until PGlite is open. */
function startWorker(dir: string, niceDelta: number): Promise<Worker> {
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData: { dir, niceDelta } });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { ready: boolean; error?: { message: string } }) => (m.ready ? resolve(worker) : reject(new Error(`cannot open the embedded database in ${dir}: ${m.error?.message}`))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the embedded database's thread exited (code ${code}) while opening ${dir}`)));
  });
}

/** Options of the embedded store. */
export interface PgliteStoreOptions {
  /** Linux: the database thread's nice value above the main thread's (default 10; 0: leave it). */
  niceDelta?: number;
}

/**
 * Opens (creating when new) the embedded store in `dataDir` and brings its schema up to date.
 * Closing it closes PGlite, ends its thread and releases the lock.
 * @throws DataDirLockedError when another live process (or this one) has `dataDir` open.
 * @throws Error when PGlite cannot open the directory or a migration fails (the lock is released).
 */
export async function openPgliteStore(dataDir: string, options: PgliteStoreOptions = {}): Promise<CallStore> {
  const lock = lockDataDir(dataDir);
  let worker: Worker | undefined;
  try {
    worker = await startWorker(path.join(dataDir, 'pglite'), options.niceDelta ?? 10);
    const client = new WorkerClient(worker);
    const remote: RemoteCallback = async (sql, params, method) => ({ rows: await client.request({ op: 'query', sql, params, rowMode: method === 'all' ? 'array' : 'object' }) });
    const db = drizzle(remote, { schema });
    await migrate(db, (statements) => client.request({ op: 'exec', statements }).then(() => undefined), { migrationsFolder: MIGRATIONS_FOLDER });
    // All or nothing: the statements are recorded through a driver that runs nothing, then sent as one transaction.
    const atomic = async (fn: (tx: StoreDatabase) => Promise<void>) => {
      const statements: Statement[] = [];
      await fn(drizzle(async (sql, params) => (statements.push({ sql, params }), { rows: [] }), { schema }) as unknown as StoreDatabase);
      await client.request({ op: 'transaction', statements });
    };
    const open = worker;
    return new DrizzleCallStore('pglite', db as unknown as StoreDatabase, atomic, async () => {
      try {
        await client.request({ op: 'close' }).catch(() => undefined);
        await open.terminate();
      } finally {
        lock.release();
      }
    });
  } catch (err) {
    await worker?.terminate();
    lock.release();
    throw err;
  }
}
