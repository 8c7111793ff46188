/**
 * Call records across failures, with real server processes (`voicebridge serve`) on the loopback
 * model: PostgreSQL stopped in the middle of a call leaves the call undisturbed and its record
 * complete once the database is back (issue 13, "Done when"); a call still live at SIGTERM is
 * hung up by the drain and its record is flushed before exit, so the next server on the same
 * DATA_DIR has it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CallSummary } from '../src/call/types.js';
import type { CallWriterStats } from '../src/store/writer.js';
import { startBrowserSession, type BrowserSession } from './helpers/browser-session.js';
import { postgresBinDir, startTestPostgres, type TestPostgres } from './helpers/postgres.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';

const running: ServerProcess[] = [];
const dirs: string[] = [];
let pg: TestPostgres | undefined;
afterAll(async () => {
  for (const s of running) await s.stop();
  await pg?.destroy();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function serve(settings: Record<string, string | number | boolean>): Promise<ServerProcess> {
  const s = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, ...settings });
  running.push(s);
  return s;
}

const json = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const storeStats = async (base: string) => (await json(`${base}/stats`)).body.store as CallWriterStats & { backend: string };

/** 20 ms of a 16 kHz tone as the browser protocol's base64 PCM16. */
const chunk = Buffer.from(new Int16Array(320).map((_, i) => Math.round(8000 * Math.sin(i / 5))).buffer).toString('base64');

/** Sends `n` chunks and waits until the loopback model's echo of them has come back. */
async function talk(session: BrowserSession, n: number): Promise<void> {
  const echoes = () => session.messages.filter((m) => m.type === 'audio').length;
  const before = echoes();
  for (let i = 0; i < n; i++) session.ws.send(JSON.stringify({ type: 'audio', audio: chunk }));
  await eventually(() => echoes() >= before + n, `the echo of ${n} chunks`);
}

async function callIdOf(session: BrowserSession): Promise<string> {
  const started = await eventually(() => session.messages.find((m) => m.type === 'session.started'), 'session.started');
  return started.callId as string;
}

describe.skipIf(!postgresBinDir())('PostgreSQL stopped during a call', () => {
  it('leaves the call undisturbed, and the record arrives complete when the database is back', async () => {
    pg = await startTestPostgres();
    const srv = await serve({ DATABASE_URL: pg.url });
    expect((await storeStats(srv.url)).backend).toBe('postgres');
    const session = await startBrowserSession(srv.url);
    const id = await callIdOf(session);
    await talk(session, 10);
    await pg.stop();
    // The call goes on while the database is down.
    await talk(session, 10);
    session.ws.send(JSON.stringify({ type: 'session.end' }));
    expect(await session.closed).toBe(1000);
    // The record waits in the queue (and is served from there); writes fail and are retried.
    await eventually(async () => (await storeStats(srv.url)).failedWrites > 0, 'a failed write while PostgreSQL is down');
    const queued = await json(`${srv.url}/calls/${id}`);
    expect(queued.status).toBe(200);
    expect((await json(`${srv.url}/calls`)).status).toBe(503);
    expect(await storeStats(srv.url)).toMatchObject({ queued: 1, written: 0 });
    await pg.start();
    await eventually(async () => (await storeStats(srv.url)).written === 1, 'the record written once PostgreSQL is back', 60_000);
    const list = await json(`${srv.url}/calls?carrier=browser`);
    const record = (list.body.recent as CallSummary[]).find((c) => c.id === id);
    expect(record).toEqual(queued.body);
    expect(record).toMatchObject({ kind: 'browser', model: 'loopback', framesIn: 20, reason: 'caller-ended', error: false });
    expect(record!.framesOut).toBeGreaterThanOrEqual(20);
    expect(await storeStats(srv.url)).toMatchObject({ queued: 0, dropped: 0, lastError: null });
  });
});

describe('SIGTERM with a call still live', () => {
  it('hangs it up, writes its record before exit, and the next server on the same DATA_DIR has it', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-sigterm-'));
    dirs.push(dataDir);
    const first = await serve({ DATA_DIR: dataDir, DRAIN_TIMEOUT_MS: 500 });
    const session = await startBrowserSession(first.url);
    const id = await callIdOf(session);
    await talk(session, 5);
    expect(await first.stop()).toBe(0);
    expect(first.output()).not.toMatch(/were not written/);
    const second = await serve({ DATA_DIR: dataDir });
    const { status, body } = await json(`${second.url}/calls/${id}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id, kind: 'browser', framesIn: 5, reason: 'server shutting down' });
  });
});
