/**
 * An in-memory `CallStore` for tests whose servers do not test the store (opening PGlite costs
 * seconds, and a server must not write into the repository's `./data`). Same filters, order and
 * cursor as the real store (`src/store/drizzle-store.ts`, tested in test/store.test.ts).
 */
import type { CallSummary } from '../../src/call/types.js';
import { addTotals, decodeCursor, encodeCursor, matchesQuery } from '../../src/store/records.js';
import type { CallFilters, CallListQuery, CallPage, CallStore, CallTotals } from '../../src/store/types.js';

/** Records in a map; `structuredClone`d in and out, as a database would. */
export class MemoryCallStore implements CallStore {
  readonly backend = 'pglite' as const;
  readonly records = new Map<string, CallSummary>();

  async insert(records: readonly CallSummary[]): Promise<void> {
    for (const r of records) if (!this.records.has(r.id)) this.records.set(r.id, structuredClone(r));
  }

  async list(query: CallListQuery): Promise<CallPage> {
    const key = (r: CallSummary) => ({ startedAtMs: Date.parse(r.startedAt), id: r.id });
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const older = (r: CallSummary) => !after || key(r).startedAtMs < after.startedAtMs || (key(r).startedAtMs === after.startedAtMs && r.id < after.id);
    const all = [...this.records.values()]
      .filter((r) => matchesQuery(r, query) && older(r))
      .sort((a, b) => key(b).startedAtMs - key(a).startedAtMs || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0));
    const page = all.slice(0, query.limit);
    const last = page[page.length - 1];
    return { calls: page.map((r) => structuredClone(r)), nextCursor: all.length > query.limit && last ? encodeCursor(key(last)) : null };
  }

  async totals(filters: CallFilters, exclude: readonly string[] = []): Promise<CallTotals> {
    const matching = [...this.records.values()].filter((r) => matchesQuery(r, filters) && !exclude.includes(r.id));
    return addTotals({ calls: 0, durationMs: 0, costUsd: null }, matching);
  }

  async get(id: string): Promise<CallSummary | undefined> {
    const r = this.records.get(id);
    return r && structuredClone(r);
  }

  async delete(id: string): Promise<boolean> {
    return this.records.delete(id);
  }

  async deleteEndedBefore(before: Date): Promise<number> {
    let n = 0;
    for (const [id, r] of this.records) if (Date.parse(r.startedAt) + r.durationMs < before.getTime() && this.records.delete(id)) n++;
    return n;
  }

  async close(): Promise<void> {}
}
