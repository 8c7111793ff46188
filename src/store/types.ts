/**
 * The call store's interface (`CallStore`), implemented once over Drizzle for both backends
 * (embedded PGlite, node-postgres: `drizzle-store.ts`), and the shapes of its queries.
 */
import type { CallSummary } from '../call/types.js';

/** Filters and page of `CallStore.list`. Every filter is optional; they combine with AND. */
export interface CallListQuery {
  /** Calls that started at or after this instant. */
  from?: Date;
  /** Calls that started before this instant. */
  to?: Date;
  /** The caller protocol (`twilio`, `vonage`, `browser`, …). */
  carrier?: string;
  /** The model id (`nova-sonic`, `openai`, `local`, …). */
  model?: string;
  /** End reason code: exactly this, or this followed by `:` and a detail (`model-closed` matches `model-closed: 1011`). */
  endReason?: string;
  /** Words that must all appear in one transcript line (PostgreSQL full-text search, `simple` configuration: no stemming, any language). */
  text?: string;
  /** The `nextCursor` of the previous page; absent: the newest page. */
  cursor?: string;
  /** Calls per page (1–200). */
  limit: number;
}

/** The filters of a `CallListQuery` (no page). */
export type CallFilters = Omit<CallListQuery, 'cursor' | 'limit'>;

/** Sums over every call matching some filters (all pages). */
export interface CallTotals {
  /** Calls, count. */
  calls: number;
  /** Their durations summed, ms. */
  durationMs: number;
  /** Their costs summed, US dollars; null when none of them has a cost. */
  costUsd: number | null;
}

/** One page of calls, newest first (by start time, then id). */
export interface CallPage {
  calls: CallSummary[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * Where ended calls' records are kept. Every method rejects when the database cannot be reached;
 * the writer (`writer.ts`) retries `insert`.
 */
export interface CallStore {
  /** Which backend: `pglite` (embedded, in `DATA_DIR`) or `postgres` (`DATABASE_URL`). */
  readonly backend: 'pglite' | 'postgres';
  /** Writes whole records in one transaction; a record whose id is already stored is skipped (retries are safe). */
  insert(records: readonly CallSummary[]): Promise<void>;
  /**
   * A page of calls matching `query`, newest first.
   * @throws InvalidCursorError when `query.cursor` is not one this store handed out.
   */
  list(query: CallListQuery): Promise<CallPage>;
  /** Totals over every stored call matching `filters` (all pages) but those whose id is in `exclude`. */
  totals(filters: CallFilters, exclude?: readonly string[]): Promise<CallTotals>;
  /** The whole record of call `id`, or undefined. */
  get(id: string): Promise<CallSummary | undefined>;
  /** Deletes call `id` and everything recorded with it; resolves whether it existed. */
  delete(id: string): Promise<boolean>;
  /** Deletes every call that ended before `before`; resolves how many. */
  deleteEndedBefore(before: Date): Promise<number>;
  /** Closes the connection (and releases the data directory's lock). Idempotent. */
  close(): Promise<void>;
}

/** Thrown by `CallStore.list` for a cursor it cannot read (an HTTP 400). */
export class InvalidCursorError extends Error {
  constructor() {
    super('invalid cursor: pass the nextCursor of a previous page');
  }
}
