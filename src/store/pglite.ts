/**
 * The embedded backend: PGlite (PostgreSQL compiled to WebAssembly) in `DATA_DIR/pglite`, the data
 * directory locked for this process (`lock.ts`), migrations applied with drizzle's migrator.
 */
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { DrizzleCallStore, type StoreDatabase } from './drizzle-store.js';
import { lockDataDir } from './lock.js';
import { MIGRATIONS_FOLDER } from './migrations.js';
import * as schema from './schema.js';
import type { CallStore } from './types.js';

/**
 * Opens (creating when new) the embedded store in `dataDir` and brings its schema up to date.
 * Closing it closes PGlite and releases the lock.
 * @throws DataDirLockedError when another live process has `dataDir` open.
 * @throws PGlite's or the migrator's error when the database cannot be opened or migrated (the lock is released).
 */
export async function openPgliteStore(dataDir: string): Promise<CallStore> {
  const lock = lockDataDir(dataDir);
  let client: PGlite | undefined;
  try {
    client = await PGlite.create(path.join(dataDir, 'pglite'));
    const db = drizzle({ client, schema });
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    const open = client;
    return new DrizzleCallStore('pglite', db as unknown as StoreDatabase, async () => {
      try {
        await open.close();
      } finally {
        lock.release();
      }
    });
  } catch (err) {
    await client?.close().catch(() => undefined);
    lock.release();
    throw err;
  }
}
