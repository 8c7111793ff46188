/**
 * The call records routes on a server with its real embedded store (PGlite in a temp DATA_DIR):
 * a live call listed with its state and its record stored when it ends; pages, filters and text
 * search through `GET /calls`; `DELETE /calls/:id`; admins only; records outlive the server
 * (close flushes the queue); a second server on the same DATA_DIR refuses; an unreachable store
 * is a 503, not a crash.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSummary } from '../src/call/types.js';
import { loadConfig } from '../src/config/config.js';
import { loopbackModel } from '../src/models/loopback/model.js';
import { createServer, type Server } from '../src/server.js';
import { DataDirLockedError } from '../src/store/lock.js';
import { MemoryCallStore } from './fakes/call-store.js';
import { sampleCall } from './fakes/call-records.js';
import { startBrowserSession } from './helpers/browser-session.js';
import { eventually } from './helpers/wait.js';

const REMOTE = '203.0.113.7';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-routes-'));
const config = (dir = dataDir) => loadConfig({}, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: 0, BARGE_IN_VAD: false, DATA_DIR: dir });
const make = (dir = dataDir) => createServer(config(dir), { logger: pino({ level: 'silent' }), model: loopbackModel(), webrtc: { available: false, reason: 'not in this test' } });

let server: Server;
let base: string;
beforeAll(async () => {
  server = await make();
  base = await server.listen();
});
afterAll(async () => {
  await server?.close(100);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const get = async (url: string, remoteAddress = '127.0.0.1') => {
  const res = await server.app.inject({ method: 'GET', url, remoteAddress });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
};
const del = async (url: string, remoteAddress = '127.0.0.1') => (await server.app.inject({ method: 'DELETE', url, remoteAddress })).statusCode;
const written = () => eventually(() => server.writer.stats().queued === 0, 'the queued records written');

describe('GET /calls and /calls/:id with live and ended calls', () => {
  it('lists a live call with its state, refuses to delete it, and stores its record when it ends', async () => {
    const session = await startBrowserSession(base);
    const live = await eventually(async () => (await get('/calls')).body.live[0], 'the live call listed');
    expect(live).toMatchObject({ phase: expect.any(String), startedAt: expect.any(String) });
    const one = await get(`/calls/${live.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ live: true, id: live.id, phase: expect.any(String) });
    expect(await del(`/calls/${live.id}`)).toBe(409);
    session.ws.close();
    await session.closed;
    const record = await eventually(() => server.store.get(live.id), 'the ended call in the store');
    expect(record).toMatchObject({ id: live.id, kind: 'browser', model: 'loopback' });
    const ended = await get(`/calls/${live.id}`);
    expect(ended.body).toEqual(record);
    expect((await get('/calls')).body.recent.map((c: CallSummary) => c.id)).toContain(live.id);
  });
});

describe('GET /calls pages and filters', () => {
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) server.writer.enqueue(sampleCall(i));
    await written();
  });

  it('pages newest first with a cursor', async () => {
    const ids: string[] = [];
    let url = '/calls?limit=3&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z';
    for (;;) {
      const { status, body } = await get(url);
      expect(status).toBe(200);
      expect(body.recent.length).toBeLessThanOrEqual(3);
      ids.push(...body.recent.map((c: CallSummary) => c.id));
      if (!body.nextCursor) break;
      url = `/calls?limit=3&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&cursor=${encodeURIComponent(body.nextCursor)}`;
    }
    expect(ids).toEqual(['call-0006', 'call-0005', 'call-0004', 'call-0003', 'call-0002', 'call-0001', 'call-0000']);
  });

  it('totals every matching call on every page, whatever the page asked', async () => {
    const calls = [0, 1, 2, 3, 4, 5, 6].map((i) => sampleCall(i));
    const window = 'from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z';
    const first = (await get(`/calls?limit=2&${window}`)).body;
    expect(first.totals).toMatchObject({ calls: 7, durationMs: calls.reduce((t, c) => t + c.durationMs, 0) });
    expect(first.totals.costUsd).toBeCloseTo(calls.reduce((t, c) => t + c.costUsd!, 0), 9);
    const second = (await get(`/calls?limit=2&${window}&cursor=${encodeURIComponent(first.nextCursor)}`)).body;
    expect(second.totals).toEqual(first.totals);
    expect((await get(`/calls?model=openai&${window}`)).body.totals).toMatchObject({ calls: 3 });
    expect((await get('/calls?q=nothing-says-this')).body.totals).toEqual({ calls: 0, durationMs: 0, costUsd: null });
  });

  it('filters by carrier, model, end reason, time and words', async () => {
    const ids = async (q: string) => (await get(`/calls?${q}`)).body.recent.map((c: CallSummary) => c.id).sort();
    expect(await ids('carrier=vonage&model=openai')).toEqual(['call-0003']);
    expect(await ids('endReason=model-closed')).toEqual(['call-0003']);
    expect(await ids('from=2026-01-01T00:02:00Z&to=2026-01-01T00:04:00Z')).toEqual(['call-0002', 'call-0003']);
    expect(await ids('q=city5')).toEqual(['call-0005']);
  });

  it('answers 400 to a query it cannot read', async () => {
    for (const q of ['limit=0', 'limit=1000', 'from=yesterday', 'cursor=junk']) {
      const { status, body } = await get(`/calls?${q}`);
      expect(status, q).toBe(400);
      expect(body.message, q).toEqual(expect.any(String));
    }
  });

  it('shows records still queued for the store', async () => {
    server.writer.enqueue(sampleCall(40, { id: 'queued' }));
    // Answered from the queue or the store, whichever holds it when asked.
    expect((await get('/calls/queued')).body).toEqual(sampleCall(40, { id: 'queued' }));
    const found = (await get('/calls?q=city40')).body;
    expect(found.recent.map((c: CallSummary) => c.id)).toEqual(['queued']);
    // Counted once, queued or stored.
    expect(found.totals).toMatchObject({ calls: 1, durationMs: sampleCall(40).durationMs });
    await written();
    expect((await get('/calls?q=city40')).body.totals).toMatchObject({ calls: 1 });
  });
});

describe('DELETE /calls/:id', () => {
  it('deletes the whole record: 204, then 404', async () => {
    server.writer.enqueue(sampleCall(50, { id: 'private' }));
    await written();
    expect(await del('/calls/private')).toBe(204);
    expect(await server.store.get('private')).toBeUndefined();
    expect((await get('/calls/private')).status).toBe(404);
    expect(await del('/calls/private')).toBe(404);
  });

  it('deletes a record before it was written', async () => {
    server.writer.enqueue(sampleCall(51, { id: 'early' }));
    expect(await del('/calls/early')).toBe(204);
    await written();
    expect(await server.store.get('early')).toBeUndefined();
  });

  it('is for admins only, like the list', async () => {
    server.writer.enqueue(sampleCall(52, { id: 'guarded' }));
    await written();
    expect((await get('/calls/guarded', REMOTE)).status).toBe(403);
    expect(await del('/calls/guarded', REMOTE)).toBe(403);
    expect(await server.store.get('guarded')).toBeDefined();
  });
});

describe('records outlive the server', () => {
  it('a second server refuses the same DATA_DIR; records queued at close are written and read by the next one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-restart-'));
    try {
      const first = await make(dir);
      await expect(make(dir)).rejects.toBeInstanceOf(DataDirLockedError);
      first.writer.enqueue(sampleCall(60, { id: 'last-words' }));
      expect(first.writer.stats().queued).toBe(1);
      await first.close(100);
      const second = await make(dir);
      try {
        expect(await second.store.get('last-words')).toEqual(sampleCall(60, { id: 'last-words' }));
      } finally {
        await second.close(100);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('RETENTION_DAYS', () => {
  it('makes the server delete records older than that, at start-up', async () => {
    const store = new MemoryCallStore();
    const now = Date.UTC(2026, 5, 1);
    await store.insert([sampleCall(1, { id: 'old', startedAt: new Date(now - 8 * 86_400_000).toISOString() }), sampleCall(2, { id: 'new', startedAt: new Date(now - 6 * 86_400_000).toISOString() })]);
    const s = await createServer(loadConfig({}, { LOG_LEVEL: 'silent', BARGE_IN_VAD: false, RETENTION_DAYS: 7 }), { store, wallClockMs: () => now, logger: pino({ level: 'silent' }), model: loopbackModel(), webrtc: { available: false, reason: 'not in this test' } });
    try {
      await eventually(() => !store.records.has('old'), 'the 8-day-old record deleted');
      expect([...store.records.keys()]).toEqual(['new']);
    } finally {
      await s.close(100);
    }
  });
});

describe('an unreachable store', () => {
  it('is answered 503 with a message, and the server goes on', async () => {
    const broken = Object.assign(new MemoryCallStore(), {
      list: () => Promise.reject(new Error('connection refused')),
      get: () => Promise.reject(new Error('connection refused')),
      delete: () => Promise.reject(new Error('connection refused')),
    });
    const s = await createServer(config(), { store: broken, logger: pino({ level: 'silent' }), model: loopbackModel(), webrtc: { available: false, reason: 'not in this test' } });
    try {
      for (const [method, url] of [['GET', '/calls'], ['GET', '/calls/x'], ['DELETE', '/calls/x']] as const) {
        const res = await s.app.inject({ method, url });
        expect(res.statusCode, `${method} ${url}`).toBe(503);
        expect(res.json()).toMatchObject({ error: 'store-unavailable' });
      }
      expect((await s.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    } finally {
      await s.close(100);
    }
  });
});
