/**
 * Opens the configured call store: PostgreSQL when `DATABASE_URL` is set, else embedded PGlite in
 * `DATA_DIR` (relative paths from the working directory).
 */
import path from 'node:path';
import type { Logger } from '../core/logger.js';
import { openPgliteStore } from './pglite.js';
import { openPostgresStore } from './postgres.js';
import type { CallStore } from './types.js';

/** The settings that choose the store. */
export interface StoreSettings {
  DATA_DIR: string;
  DATABASE_URL?: string;
  /** The embedded database's thread runs at this much higher nice value than the main thread. */
  HELPER_THREAD_NICE: number;
}

/**
 * Opens and migrates the store `settings` choose.
 * @throws DataDirLockedError when another process has the embedded store's `DATA_DIR` open.
 * @throws the driver's error when the database cannot be reached or migrated.
 */
export async function openCallStore(settings: StoreSettings, logger: Logger): Promise<CallStore> {
  if (settings.DATABASE_URL) {
    const store = await openPostgresStore(settings.DATABASE_URL, logger);
    logger.debug('call store: PostgreSQL (DATABASE_URL)');
    return store;
  }
  const dir = path.resolve(settings.DATA_DIR);
  const store = await openPgliteStore(dir, { niceDelta: settings.HELPER_THREAD_NICE });
  logger.debug({ dataDir: dir }, 'call store: embedded PGlite (DATA_DIR)');
  return store;
}
