/**
 * Upgrading the call store: a database made by an earlier release (only the first migration,
 * `drizzle/0000_init.sql`, applied, with a call in it) is opened by this release, embedded (a
 * `DATA_DIR` made by PGlite) and on a real PostgreSQL 15: the later migrations run, the old call
 * reads back (with none of the newer fields), and a new call with every field round-trips. Shipped
 * migrations are pinned by hash so none is edited in place.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openPgliteStore } from '../src/store/pglite.js';
import { openPostgresStore } from '../src/store/postgres.js';
import type { CallStore } from '../src/store/types.js';
import { sampleCall } from './fakes/call-records.js';
import { RecordingLogger } from './fakes/logger.js';
import { postgresBinDir, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dirs: string[] = [];
let postgres: TestPostgres | undefined;
afterAll(async () => {
  await postgres?.destroy();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The SQL statements of the first migration, as drizzle splits them. */
function firstMigration(): string[] {
  return fs
    .readFileSync(path.join(ROOT, 'drizzle/0000_init.sql'), 'utf8')
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Drizzle's record that the first migration ran (the journal's timestamp), so later ones apply on top. */
function journalRowSql(): string {
  const journal = JSON.parse(fs.readFileSync(path.join(ROOT, 'drizzle/meta/_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };
  const first = journal.entries.find((e) => e.tag === '0000_init');
  if (!first) throw new Error('drizzle/meta/_journal.json has no 0000_init entry');
  return `create schema if not exists drizzle;
create table if not exists drizzle.__drizzle_migrations (id serial primary key, hash text not null, created_at bigint);
insert into drizzle.__drizzle_migrations (hash, created_at) values ('0000_init', ${first.when});`;
}

/** A call as the first release wrote it: the columns and child rows of 0000_init only. */
const OLD_CALL = `insert into calls (id, carrier, parameters, model, started_at, ended_at, duration_ms, end_reason, end_reason_label, error, frames_in, frames_out, underruns, barge_ins, false_interruptions, model_stats, history)
  values ('old-call', 'twilio', '{}', 'local', '2026-11-01T10:00:00Z', '2026-11-01T10:00:30Z', 30000, 'stop', 'caller hung up', false, 1500, 900, 0, 0, 0, '{}', '[]');
insert into turns (call_id, seq, turn, response_id, user_text, assistant_text, reply_latency_ms, interrupted) values ('old-call', 0, 1, 'r1', 'good morning', 'Hello.', 700, false);
insert into transcript_entries (call_id, seq, role, text, at_ms) values ('old-call', 0, 'user', 'good morning', 2000);`;

async function checkUpgraded(store: CallStore): Promise<void> {
  try {
    const old = await store.get('old-call');
    expect(old?.transcript.map((e) => e.text)).toEqual(['good morning']);
    expect(old?.turns[0]).toMatchObject({ userText: 'good morning', replyLatencyMs: 700 });
    expect(old?.events ?? []).toEqual([]);
    const fresh = sampleCall(7);
    await store.insert([fresh]);
    expect(await store.get(fresh.id)).toEqual(fresh);
    expect((await store.list({ text: 'morning', limit: 10 })).calls.map((c) => c.id)).toEqual(['old-call']);
  } finally {
    await store.close();
  }
}

/**
 * Migrations that have landed on main, by file, with their SHA-256: users' databases have run them,
 * so they never change; a schema change is a new migration (`npm run db:generate`).
 */
const SHIPPED: Record<string, string> = {
  '0000_init.sql': '5c0d666ed294a8311b0e6a85123d211754c45eabd9ee20345690946efb5eaa20',
};

describe('a store made by the first release', () => {
  it('keeps every shipped migration as it shipped', () => {
    for (const [file, sha256] of Object.entries(SHIPPED)) {
      const actual = createHash('sha256').update(fs.readFileSync(path.join(ROOT, 'drizzle', file))).digest('hex');
      expect(actual, `drizzle/${file} shipped and was changed since: restore it and add the change as a new migration (npm run db:generate)`).toBe(sha256);
    }
  });

  it('PGlite: an old DATA_DIR is migrated when opened', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-upgrade-'));
    dirs.push(dataDir);
    const db = new PGlite(path.join(dataDir, 'pglite'));
    await db.exec(firstMigration().join(';\n'));
    await db.exec(journalRowSql());
    await db.exec(OLD_CALL);
    await db.close();
    await checkUpgraded(await openPgliteStore(dataDir));
  }, 60_000);

  it.skipIf(!postgresBinDir())('PostgreSQL: an old database is migrated when opened', async () => {
    postgres = await startTestPostgres();
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      for (const statement of firstMigration()) await client.query(statement);
      await client.query(journalRowSql());
      await client.query(OLD_CALL);
    } finally {
      await client.end();
    }
    await checkUpgraded(await openPostgresStore(postgres.url, new RecordingLogger(), { connectTimeoutMs: 5000 }));
  }, 120_000);
});
