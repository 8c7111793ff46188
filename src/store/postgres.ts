/**
 * The server backend: PostgreSQL through node-postgres (`DATABASE_URL`), migrations applied with
 * drizzle's migrator under an advisory lock (instances starting together migrate one at a time).
 * Connections fail fast while the server is down (the writer retries; calls never wait on it).
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { DrizzleCallStore, type StoreDatabase } from './drizzle-store.js';
import { MIGRATIONS_FOLDER } from './migrations.js';
import * as schema from './schema.js';
import type { CallStore } from './types.js';

/** Advisory lock key held while migrating (any fixed 64-bit number; "vbstore" in ASCII). */
const MIGRATION_LOCK_KEY = 0x7662_7374_6f72_65n;

/** Connection settings beyond the URL. */
export interface PostgresStoreOptions {
  /** Longest wait for a new connection, ms (default 5000). */
  connectTimeoutMs?: number;
  /** Longest a query may run before it is abandoned, ms (default 30,000). */
  queryTimeoutMs?: number;
  /** Pooled connections at most (default 4). */
  maxConnections?: number;
}

/**
 * Connects to `url`, brings the schema up to date, and returns the store. Errors of idle pooled
 * connections (the server restarting) are logged, never thrown.
 * @throws Error naming the host (not the URL, which holds the password) and node-postgres's error when the server cannot be reached or the migration fails (the pool is closed).
 */
export async function openPostgresStore(url: string, logger: Logger, options: PostgresStoreOptions = {}): Promise<CallStore> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000, query_timeout: options.queryTimeoutMs ?? 30_000, max: options.maxConnections ?? 4 });
  pool.on('error', (err) => logger.warn({ err: err.message }, 'call store: a pooled PostgreSQL connection failed'));
  try {
    const client = await pool.connect();
    try {
      await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      try {
        await migrate(drizzle({ client, schema }), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
      }
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => undefined);
    // Names the server, never the URL (it holds the password).
    throw new Error(`call store: cannot open the PostgreSQL database at ${hostOf(url)} (DATABASE_URL): ${errorMessage(err)}`, { cause: err });
  }
  const db = drizzle({ client: pool, schema });
  return new DrizzleCallStore('postgres', db as unknown as StoreDatabase, (fn) => db.transaction((tx) => fn(tx as unknown as StoreDatabase)), () => pool.end());
}

/** `host:port` of a connection URL, or "an unreadable URL". */
function hostOf(url: string): string {
  try {
    return new URL(url).host || 'localhost';
  } catch {
    return 'an unreadable URL';
  }
}
