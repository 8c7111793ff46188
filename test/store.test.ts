/**
 * The call store (issue 13 §1–2): one suite run against embedded PGlite (a temp directory) and a
 * real PostgreSQL 15 started by the test (initdb into a temp directory, a free port on
 * 127.0.0.1). Also: the committed migrations match the schema, PGlite's data directory lock, and
 * the writer (buffering while the database is down, flush on close).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CallSummary } from '../src/call/types.js';
import { systemClock } from '../src/core/clock.js';
import { DataDirLockedError, LOCK_FILE, lockDataDir } from '../src/store/lock.js';
import { openPgliteStore } from '../src/store/pglite.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { DAY_MS, startRetention } from '../src/store/retention.js';
import { InvalidCursorError, type CallStore } from '../src/store/types.js';
import { CallWriter } from '../src/store/writer.js';
import { sampleCall } from './fakes/call-records.js';
import { RecordingLogger } from './fakes/logger.js';
import { postgresBinDir, startTestPostgres, type TestPostgres } from './helpers/postgres.js';
import { eventually } from './helpers/wait.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EVERYTHING = new Date('9999-01-01T00:00:00Z');

/** A backend under test: how to open it, and (PostgreSQL only) how to take it down and back. */
interface Backend {
  name: string;
  skip?: string;
  open(): Promise<CallStore>;
  /** Takes the database away and brings it back; absent when the backend cannot be stopped (PGlite is in-process). */
  outage?: { stop(): Promise<void>; start(): Promise<void> };
  teardown(): Promise<void>;
}

const tempDirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function pgliteBackend(): Backend {
  const dir = tempDir('vb-store-');
  return { name: 'PGlite', open: () => openPgliteStore(dir), teardown: async () => undefined };
}

function postgresBackend(): Backend {
  const bin = postgresBinDir();
  let pg: TestPostgres | undefined;
  const backend: Backend = {
    name: 'PostgreSQL',
    skip: bin ? undefined : 'PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql): skipping the PostgreSQL run of the store suite',
    async open() {
      pg ??= await startTestPostgres();
      return openPostgresStore(pg.url, new RecordingLogger(), { connectTimeoutMs: 2000 });
    },
    outage: { stop: () => pg!.stop(), start: () => pg!.start() },
    teardown: async () => pg?.destroy(),
  };
  return backend;
}

/** A store whose `insert` fails while `down` (an outage of a backend that cannot be stopped). */
function withOutage(store: CallStore): { store: CallStore; down: boolean } {
  const s = { down: false, store: undefined as unknown as CallStore };
  s.store = Object.assign(Object.create(store) as CallStore, {
    insert: (records: readonly CallSummary[]) => (s.down ? Promise.reject(new Error('connection refused')) : store.insert(records)),
  });
  return s;
}

const backends = [pgliteBackend(), postgresBackend()];
for (const b of backends) if (b.skip) console.warn(b.skip);

describe.each(backends)('the call store on $name', (backend) => {
  let store: CallStore;
  beforeAll(async () => {
    if (backend.skip) return;
    store = await backend.open();
  });
  afterAll(async () => {
    await store?.close();
    await backend.teardown();
  });
  beforeEach(async () => {
    if (backend.skip) return;
    await store.deleteEndedBefore(EVERYTHING);
  });
  const test = backend.skip ? it.skip : it;

  test('stores a whole record and gives it back as it was', async () => {
    const call = sampleCall(1);
    await store.insert([call]);
    expect(await store.get(call.id)).toEqual(call);
    // Without the optional parts too.
    const bare = sampleCall(2, { id: 'bare', carrierCallId: undefined, handoff: undefined, turns: [], transcript: [], toolCalls: [], bargeInEvents: [], history: [] });
    delete bare.carrierCallId;
    delete bare.handoff;
    await store.insert([bare]);
    expect(await store.get('bare')).toEqual(bare);
    expect(await store.get('nope')).toBeUndefined();
  });

  test('keeps turn timings, barge-in times, usage, cost and model events', async () => {
    const call = sampleCall(3);
    await store.insert([call]);
    const back = (await store.get(call.id))!;
    expect(back.turns[0]).toMatchObject({ atMs: 300, callerSpeechMs: 1400, endpointingMs: 500, firstAudioMs: 420, replyMs: 1900, replyAtMs: 2312 });
    expect(back.turns[1]).not.toHaveProperty('endpointingMs');
    expect(back.bargeInEvents[0]!.atMs).toBe(6950);
    expect(back).toMatchObject({ usage: { inputTokens: 1203, outputTokens: 800 }, costUsd: 0.128 });
    expect(back.events).toEqual([{ kind: 'renewal', atMs: 20_000, code: 'limit' }, { kind: 'model-error', atMs: 29_003, code: 'model_error', message: '1011 upstream' }]);
    // A record without them (an older one, a model with no price).
    const plain = sampleCall(4, { id: 'plain', usage: undefined, costUsd: undefined, events: [] });
    await store.insert([plain]);
    const plainBack = (await store.get('plain'))!;
    expect(plainBack).not.toHaveProperty('usage');
    expect(plainBack).not.toHaveProperty('costUsd');
    expect(plainBack.events).toEqual([]);
  });

  test('totals calls, duration and cost over every matching call, leaving out the ids asked', async () => {
    expect(await store.totals({})).toEqual({ calls: 0, durationMs: 0, costUsd: null });
    await store.insert(Array.from({ length: 8 }, (_, i) => sampleCall(i)));
    await store.insert([sampleCall(20, { id: 'free', model: 'local', usage: undefined, costUsd: undefined })]);
    const all = await store.totals({});
    const expected = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => sampleCall(i));
    expect(all.calls).toBe(9);
    expect(all.durationMs).toBe(expected.reduce((t, c) => t + c.durationMs, 0) + sampleCall(20).durationMs);
    expect(all.costUsd).toBeCloseTo(expected.reduce((t, c) => t + c.costUsd!, 0), 9);
    // Filters as `list` applies them, on every page (not only the first).
    const openai = await store.totals({ model: 'openai' });
    expect(openai.calls).toBe(3);
    expect(openai.costUsd).toBeCloseTo([0, 3, 6].reduce((t, i) => t + sampleCall(i).costUsd!, 0), 9);
    expect(await store.totals({ text: 'city3' })).toMatchObject({ calls: 1, durationMs: sampleCall(3).durationMs });
    // No matching call has a cost: null, not 0.
    expect(await store.totals({ model: 'local' })).toEqual({ calls: 1, durationMs: sampleCall(20).durationMs, costUsd: null });
    expect(await store.totals({ model: 'openai' }, ['call-0000', 'call-0003'])).toMatchObject({ calls: 1, durationMs: sampleCall(6).durationMs });
    // Thousands of queued ids (a burst of ended calls), quotes and backslashes included.
    const many = [...Array.from({ length: 3000 }, (_, i) => `queued-${i}`), `it's "odd" \\ {x,y}`, 'free'];
    expect(await store.totals({}, many)).toMatchObject({ calls: 8 });
  });

  test('skips a record it already has (a retried write)', async () => {
    await store.insert([sampleCall(1)]);
    await store.insert([sampleCall(1), sampleCall(2)]);
    expect((await store.list({ limit: 10 })).calls.map((c) => c.id)).toEqual(['call-0002', 'call-0001']);
    expect((await store.get('call-0001'))!.transcript).toHaveLength(4);
  });

  test('lists newest first, page by page with a cursor', async () => {
    await store.insert(Array.from({ length: 7 }, (_, i) => sampleCall(i)));
    // Two calls that start at the same instant are ordered by id.
    await store.insert([sampleCall(3, { id: 'call-0003b' })]);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; ; pages++) {
      const page = await store.list({ limit: 3, cursor });
      seen.push(...page.calls.map((c) => c.id));
      expect(page.calls.length).toBeLessThanOrEqual(3);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
      expect(pages).toBeLessThan(5);
    }
    expect(seen).toEqual(['call-0006', 'call-0005', 'call-0004', 'call-0003b', 'call-0003', 'call-0002', 'call-0001', 'call-0000']);
    await expect(store.list({ limit: 3, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  test('filters by time range, carrier, model and end reason', async () => {
    await store.insert(Array.from({ length: 8 }, (_, i) => sampleCall(i)));
    const ids = async (q: Parameters<CallStore['list']>[0]) => (await store.list(q)).calls.map((c) => c.id).sort();
    const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 60_000);
    expect(await ids({ limit: 50, from: at(2), to: at(5) })).toEqual(['call-0002', 'call-0003', 'call-0004']);
    expect(await ids({ limit: 50, carrier: 'vonage' })).toEqual(['call-0001', 'call-0003', 'call-0005', 'call-0007']);
    expect(await ids({ limit: 50, model: 'openai' })).toEqual(['call-0000', 'call-0003', 'call-0006']);
    // A reason code matches itself and its detailed forms (`model-closed: …`).
    expect(await ids({ limit: 50, endReason: 'model-closed' })).toEqual(['call-0003', 'call-0007']);
    expect(await ids({ limit: 50, endReason: 'model-closed: 1011 upstream' })).toEqual(['call-0003', 'call-0007']);
    expect(await ids({ limit: 50, endReason: 'model' })).toEqual([]);
    expect(await ids({ limit: 50, carrier: 'vonage', model: 'openai', from: at(1) })).toEqual(['call-0003']);
  });

  test('finds calls by words in their transcripts', async () => {
    await store.insert(Array.from({ length: 5 }, (_, i) => sampleCall(i)));
    await store.insert([sampleCall(9, { id: 'pizza', transcript: [{ role: 'user', text: 'I would like to order a Large Pizza, please', atMs: 900 }] })]);
    const ids = async (text: string) => (await store.list({ limit: 50, text })).calls.map((c) => c.id).sort();
    expect(await ids('pizza')).toEqual(['pizza']);
    expect(await ids('large PIZZA')).toEqual(['pizza']);
    expect(await ids('city3')).toEqual(['call-0003']);
    expect(await ids('sunny')).toHaveLength(5);
    expect(await ids('pizza sunny')).toEqual([]); // all words in one line
    expect(await ids("o'brien & | !")).toEqual([]); // query syntax is not interpreted
  });

  test('deletes one call with everything recorded with it', async () => {
    await store.insert([sampleCall(1), sampleCall(2)]);
    expect(await store.delete('call-0001')).toBe(true);
    expect(await store.delete('call-0001')).toBe(false);
    expect(await store.get('call-0001')).toBeUndefined();
    expect((await store.list({ limit: 10, text: 'city1' })).calls).toEqual([]);
    expect(await store.get('call-0002')).toEqual(sampleCall(2));
  });

  test('purges calls past the retention period on the clock', async () => {
    const now = Date.UTC(2026, 0, 31);
    // Ended 40 and 20 days before `now`.
    const old = sampleCall(1, { id: 'old', startedAt: new Date(now - 40 * DAY_MS).toISOString() });
    const recent = sampleCall(2, { id: 'recent', startedAt: new Date(now - 20 * DAY_MS).toISOString() });
    await store.insert([old, recent]);
    const { FakeClock } = await import('../src/core/clock.js');
    const clock = new FakeClock();
    let wall = now;
    const retention = startRetention(30, { store, clock, wallClockMs: () => wall, logger: new RecordingLogger() }, 3_600_000);
    await eventually(async () => !(await store.get('old')), 'the 40-day-old call purged at start-up');
    expect(await store.get('recent')).toEqual(recent);
    wall += 11 * DAY_MS;
    clock.advance(3_600_000); // the next hourly purge
    await eventually(async () => !(await store.get('recent')), 'the call purged once 31 days old');
    await retention.stop();
  });

  test('the writer keeps records while the database is down and writes them all when it is back', async () => {
    const logger = new RecordingLogger();
    // PostgreSQL is stopped for real; PGlite runs in this process, so its writes are made to fail.
    const faulty = withOutage(store);
    const outage = backend.outage ?? { stop: async () => void (faulty.down = true), start: async () => void (faulty.down = false) };
    const target = backend.outage ? store : faulty.store;
    const writer = new CallWriter(target, systemClock, logger, { batchDelayMs: 5, retryDelayMs: 20, maxRetryDelayMs: 200 });
    writer.enqueue(sampleCall(1));
    await eventually(async () => await store.get('call-0001'), 'the first record written');
    await outage.stop();
    for (let i = 2; i <= 6; i++) expect(writer.enqueue(sampleCall(i))).toBe(true);
    await eventually(() => writer.stats().failedWrites >= 2, 'writes failing and retried');
    expect(writer.stats().queued).toBe(5);
    expect(logger.lines.some((l) => l.level === 'warn' && /write failed/.test(l.msg))).toBe(true);
    await outage.start();
    await eventually(() => writer.stats().queued === 0, 'the backlog written');
    expect((await store.list({ limit: 50 })).calls.map((c) => c.id)).toEqual(['call-0006', 'call-0005', 'call-0004', 'call-0003', 'call-0002', 'call-0001']);
    for (let i = 1; i <= 6; i++) expect(await store.get(sampleCall(i).id)).toEqual(sampleCall(i));
    expect(writer.stats()).toMatchObject({ written: 6, dropped: 0, lastError: null });
    await writer.close(1000);
  });

  test('the writer flushes everything queued on close', async () => {
    const writer = new CallWriter(store, systemClock, new RecordingLogger(), { batchDelayMs: 60_000, maxBatchCalls: 4 });
    for (let i = 0; i < 10; i++) writer.enqueue(sampleCall(i));
    expect(await store.get('call-0000')).toBeUndefined();
    await writer.close(30_000);
    expect((await store.list({ limit: 50 })).calls).toHaveLength(10);
    expect(writer.stats()).toMatchObject({ queued: 0, written: 10, dropped: 0 });
    expect(writer.enqueue(sampleCall(11))).toBe(false);
  });
});

describe('the embedded store\'s data directory', () => {
  it('refuses a second opener with a clear error, and opens again once released', async () => {
    const dir = tempDir('vb-lock-');
    const first = await openPgliteStore(dir);
    const err = await openPgliteStore(dir).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirLockedError);
    expect((err as Error).message).toMatch(new RegExp(`in use by process ${process.pid}.*DATA_DIR`));
    await first.insert([sampleCall(1)]);
    await first.close();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
    const again = await openPgliteStore(dir);
    expect(await again.get('call-0001')).toEqual(sampleCall(1));
    await again.close();
  });

  it('refuses a lock held by another live process and takes over one whose process is gone', () => {
    const dir = tempDir('vb-lock-');
    fs.writeFileSync(path.join(dir, LOCK_FILE), `${process.ppid}\n`);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)']).stdout.toString().trim();
    fs.writeFileSync(path.join(dir, LOCK_FILE), `${gone}\n`);
    const lock = lockDataDir(dir);
    expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });
});

describe('an unreachable DATABASE_URL', () => {
  it('is refused at start-up with an error that names the server and never the password', async () => {
    const err = await openPostgresStore('postgres://voice:hunter2secret@127.0.0.1:1/calls', new RecordingLogger(), { connectTimeoutMs: 2000 }).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/^call store: cannot open the PostgreSQL database at 127\.0\.0\.1:1 \(DATABASE_URL\): /);
    expect(err?.message).not.toContain('hunter2secret');
  });
});

describe('the embedded database off the main thread', () => {
  it('PGlite is loaded only by its worker thread (it runs every query synchronously on the thread that calls it)', () => {
    const src = path.join(ROOT, 'src');
    const files = (fs.readdirSync(src, { recursive: true }) as string[]).filter((f) => /\.(ts|mjs)$/.test(f) && !f.endsWith('.test.ts'));
    const importers = files.filter((f) => /from ['"]@electric-sql\/pglite['"]|import\(['"]@electric-sql\/pglite['"]\)/.test(fs.readFileSync(path.join(src, f), 'utf8')));
    expect(importers.map((f) => f.split(path.sep).join('/'))).toEqual(['store/pglite-worker.mjs']);
  });
});

describe('the committed migrations', () => {
  it('match the schema: drizzle-kit generates nothing new', () => {
    const out = path.join('test-output', `drizzle-check-${process.pid}`);
    fs.rmSync(path.join(ROOT, out), { recursive: true, force: true });
    fs.mkdirSync(path.join(ROOT, 'test-output'), { recursive: true });
    fs.cpSync(path.join(ROOT, 'drizzle'), path.join(ROOT, out), { recursive: true });
    try {
      const before = fs.readdirSync(path.join(ROOT, out)).sort();
      const log = execFileSync(path.join(ROOT, 'node_modules/.bin/drizzle-kit'), ['generate', '--dialect', 'postgresql', '--schema', 'src/store/schema.ts', '--out', out], { cwd: ROOT }).toString();
      expect(fs.readdirSync(path.join(ROOT, out)).sort(), `drizzle-kit wrote a migration: run npm run db:generate and commit drizzle/\n${log}`).toEqual(before);
    } finally {
      fs.rmSync(path.join(ROOT, out), { recursive: true, force: true });
    }
  });
});
