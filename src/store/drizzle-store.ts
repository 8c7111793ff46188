/**
 * `DrizzleCallStore`: the `CallStore` over any Drizzle PostgreSQL database (PGlite or
 * node-postgres: both are `PgDatabase`s over the same schema). Queries only; opening, migrating,
 * running a batch atomically and closing belong to the backend that built it (`pglite.ts`, `postgres.ts`).
 */
import { and, count, desc, eq, like, lt, gte, or, sql, sum, type AnyColumn, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { CallSummary } from '../call/types.js';
import { decodeCursor, encodeCursor, fromRows, toRows } from './records.js';
import * as schema from './schema.js';
import type { CallFilters, CallListQuery, CallPage, CallStore, CallTotals } from './types.js';

/**
 * `column = any(ids)` with every id in one JSON parameter. Drizzle's `inArray` builds one
 * placeholder per id on the main thread (≈6 ms for 300 ids on an idle core, several times that on a
 * busy one), which a `GET /calls` during a burst of ended calls (their ids excluded from the stored
 * totals while they are queued) turned into a stall of every live call's audio.
 */
function idIn(column: AnyColumn, ids: readonly string[]): SQL {
  return sql`(${column} = any(array(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))))`;
}

/** A Drizzle database over the store's schema, whichever driver. */
export type StoreDatabase = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Rows per INSERT statement: keeps every statement far below PostgreSQL's 65,535 parameters. */
const ROWS_PER_STATEMENT = 1000;

function chunks<T>(rows: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) out.push(rows.slice(i, i + ROWS_PER_STATEMENT));
  return out;
}

/** `%`, `_` and `\` escaped for a LIKE pattern. */
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Runs `fn`'s statements all or nothing: `fn` issues them through the database it is given (their
 * results are not used), e.g. inside `db.transaction`.
 */
export type Atomically = (fn: (tx: StoreDatabase) => Promise<void>) => Promise<void>;

/** The call store over `db`; inserts go through `atomic`; `close` runs `onClose` once (the backend's own teardown). */
export class DrizzleCallStore implements CallStore {
  private closing: Promise<void> | undefined;

  constructor(
    readonly backend: CallStore['backend'],
    private readonly db: StoreDatabase,
    private readonly atomic: Atomically,
    private readonly onClose: () => Promise<void>,
  ) {}

  async insert(records: readonly CallSummary[]): Promise<void> {
    if (records.length === 0) return;
    const rows = records.map(toRows);
    // Ids already stored are skipped with their children (a retry after a commit whose answer was
    // lost): a call's rows are always written together, so its children conflict too.
    await this.atomic(async (tx) => {
      await tx.insert(schema.calls).values(rows.map((r) => r.call)).onConflictDoNothing();
      for (const part of chunks(rows.flatMap((r) => r.transcript))) await tx.insert(schema.transcriptEntries).values(part).onConflictDoNothing();
      for (const part of chunks(rows.flatMap((r) => r.turns))) await tx.insert(schema.turns).values(part).onConflictDoNothing();
      for (const part of chunks(rows.flatMap((r) => r.toolCalls))) await tx.insert(schema.toolCalls).values(part).onConflictDoNothing();
      for (const part of chunks(rows.flatMap((r) => r.bargeIns))) await tx.insert(schema.bargeIns).values(part).onConflictDoNothing();
      for (const part of chunks(rows.flatMap((r) => r.events))) await tx.insert(schema.callEvents).values(part).onConflictDoNothing();
    });
  }

  /** The WHERE conditions of `query`'s filters (not its cursor). */
  private filters(query: CallFilters): SQL[] {
    const c = schema.calls;
    const where: SQL[] = [];
    if (query.from) where.push(gte(c.startedAt, query.from));
    if (query.to) where.push(lt(c.startedAt, query.to));
    if (query.carrier) where.push(eq(c.carrier, query.carrier));
    if (query.model) where.push(eq(c.model, query.model));
    if (query.endReason) where.push(or(eq(c.endReason, query.endReason), like(c.endReason, `${likeEscape(query.endReason)}:%`))!);
    if (query.text?.trim()) {
      const t = schema.transcriptEntries;
      where.push(sql`exists (select 1 from ${t} where ${t.callId} = ${c.id} and to_tsvector('simple', ${t.text}) @@ plainto_tsquery('simple', ${query.text}))`);
    }
    return where;
  }

  async list(query: CallListQuery): Promise<CallPage> {
    const c = schema.calls;
    const where = this.filters(query);
    if (query.cursor) {
      const at = decodeCursor(query.cursor);
      where.push(sql`(${c.startedAt}, ${c.id}) < (${new Date(at.startedAtMs).toISOString()}::timestamptz, ${at.id})`);
    }
    const page = await this.db
      .select()
      .from(c)
      .where(and(...where))
      .orderBy(desc(c.startedAt), desc(c.id))
      .limit(query.limit + 1);
    const more = page.length > query.limit;
    const shown = page.slice(0, query.limit);
    const records = await this.children(shown);
    const last = shown[shown.length - 1];
    return { calls: records, nextCursor: more && last ? encodeCursor({ startedAtMs: last.startedAt.getTime(), id: last.id }) : null };
  }

  async totals(query: CallFilters, exclude: readonly string[] = []): Promise<CallTotals> {
    const c = schema.calls;
    const where = this.filters(query);
    if (exclude.length) where.push(sql`not ${idIn(c.id, exclude)}`);
    const [row] = await this.db
      .select({ calls: count(), durationMs: sum(c.durationMs), costUsd: sum(c.costUsd) })
      .from(c)
      .where(and(...where));
    // PostgreSQL's sum() is numeric (a string in node-postgres) and null over no rows.
    return { calls: Number(row?.calls ?? 0), durationMs: Number(row?.durationMs ?? 0), costUsd: row?.costUsd === null || row?.costUsd === undefined ? null : Number(row.costUsd) };
  }

  async get(id: string): Promise<CallSummary | undefined> {
    const rows = await this.db.select().from(schema.calls).where(eq(schema.calls.id, id));
    return (await this.children(rows))[0];
  }

  async delete(id: string): Promise<boolean> {
    const gone = await this.db.delete(schema.calls).where(eq(schema.calls.id, id)).returning({ id: schema.calls.id });
    return gone.length > 0;
  }

  async deleteEndedBefore(before: Date): Promise<number> {
    const gone = await this.db.delete(schema.calls).where(lt(schema.calls.endedAt, before)).returning({ id: schema.calls.id });
    return gone.length;
  }

  close(): Promise<void> {
    this.closing ??= this.onClose();
    return this.closing;
  }

  /** The whole records of `calls` (in the same order), with their child rows. */
  private async children(calls: (typeof schema.calls.$inferSelect)[]): Promise<CallSummary[]> {
    if (calls.length === 0) return [];
    const ids = calls.map((c) => c.id);
    const [transcript, turns, toolCalls, bargeIns, events] = await Promise.all([
      this.db.select().from(schema.transcriptEntries).where(idIn(schema.transcriptEntries.callId, ids)),
      this.db.select().from(schema.turns).where(idIn(schema.turns.callId, ids)),
      this.db.select().from(schema.toolCalls).where(idIn(schema.toolCalls.callId, ids)),
      this.db.select().from(schema.bargeIns).where(idIn(schema.bargeIns.callId, ids)),
      this.db.select().from(schema.callEvents).where(idIn(schema.callEvents.callId, ids)),
    ]);
    const byCall = <T extends { callId: string }>(rows: T[]): Map<string, T[]> => {
      const m = new Map<string, T[]>();
      for (const r of rows) (m.get(r.callId) ?? m.set(r.callId, []).get(r.callId)!).push(r);
      return m;
    };
    const [t, u, k, b, e] = [byCall(transcript), byCall(turns), byCall(toolCalls), byCall(bargeIns), byCall(events)];
    return calls.map((call) => fromRows({ call, transcript: t.get(call.id) ?? [], turns: u.get(call.id) ?? [], toolCalls: k.get(call.id) ?? [], bargeIns: b.get(call.id) ?? [], events: e.get(call.id) ?? [] }));
  }
}
