/**
 * Several instances (issue 14 §1, §3): three voicebridge processes (A, B, C) sharing one real
 * Redis (Debian's redis-server, started here) and one real PostgreSQL 15, answering Twilio calls
 * through the OpenAI Realtime emulator's echo brain (transcripts `utterance N` / `echo N`):
 * a stream token handed out by A is admitted once by B and refused everywhere after; `/calls` on
 * any instance lists every instance's live calls and the ended calls' records with transcripts
 * from PostgreSQL; an operator's transfer asked of B reaches the call held by A, and Twilio's
 * after-stream request then dials from any instance; Redis stopped mid-call: the call goes on, new
 * streams are refused, and all recovers when Redis is back; `kill -9` of A: its calls are ended
 * (`instance-lost`) by a survivor within the heartbeat TTL; SIGTERM of B: it turns unready, hangs
 * up its calls at the drain timeout, and their records reach PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mulawEncode } from '../src/audio/g711.js';
import { postgresBinDir, startTestPostgres, type TestPostgres } from './helpers/postgres.js';
import { redisServerBin, startTestRedis, type TestRedis } from './helpers/redis-server.js';
import { openAIEmulatorSettings, startEmulatorProcess, startServerProcess, type EmulatorProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';

const ADMIN = 'admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN}` };
const HEARTBEAT_TTL_MS = 1500;

let redis: TestRedis | undefined;
let pg: TestPostgres | undefined;
let emulator: EmulatorProcess | undefined;
const servers: Record<'A' | 'B' | 'C', ServerProcess | undefined> = { A: undefined, B: undefined, C: undefined };
const srv = (name: 'A' | 'B' | 'C') => servers[name]!;

interface LiveCall { id: string; instance: string; carrierCallId?: string; transcript: Array<{ role: string; text: string }> }
interface Record_ { id: string; carrierCallId?: string; reason: string; reasonLabel: string; transcript: Array<{ role: string; text: string }> }
interface CallsPage { live: LiveCall[]; recent: Record_[]; liveElsewhere?: string }

async function calls(name: 'A' | 'B' | 'C'): Promise<CallsPage> {
  const res = await fetch(`${srv(name).url}/calls?limit=200`, { headers: admin });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as CallsPage;
}

/** A Twilio call answered by `webhook`'s instance whose media stream goes to `stream`'s instance. */
async function twilioCall(webhook: 'A' | 'B' | 'C', stream: 'A' | 'B' | 'C', callSid: string) {
  const res = await fetch(`${srv(webhook).url}/twilio/voice`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ CallSid: callSid, From: '+15550100000', To: '+15550100001' }).toString() });
  const twiml = await res.text();
  expect(res.status, twiml).toBe(200);
  const parameters: Record<string, string> = {};
  for (const m of twiml.matchAll(/<Parameter\s+name="([^"]*)"\s+value="([^"]*)"\s*\/>/g)) parameters[m[1]] = m[2].replace(/&amp;/g, '&');
  expect(twiml).toContain(`${srv(webhook).url.replace(/^http/, 'ws')}/twilio/media`);
  return openStream(stream, callSid, parameters);
}

/** Opens a Twilio media stream to `to` with these custom parameters (the one-time token among them). */
async function openStream(to: 'A' | 'B' | 'C', callSid: string, parameters: Record<string, string>) {
  const ws = new WebSocket(`${srv(to).url.replace(/^http/, 'ws')}/twilio/media`);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  ws.send(JSON.stringify({ event: 'start', sequenceNumber: '1', streamSid: `MZ${callSid}`, start: { callSid, streamSid: `MZ${callSid}`, customParameters: parameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, tracks: ['inbound'] } }));
  return { ws, closed, parameters, callSid };
}

const TONE = Buffer.from(mulawEncode(Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 8000))))).toString('base64');
const SILENCE = Buffer.from(mulawEncode(new Int16Array(160))).toString('base64');

/** Speaks: `toneMs` of a 300 Hz tone then `silenceMs` of silence, at real time (20 ms frames). */
async function speak(ws: WebSocket, toneMs = 800, silenceMs = 1200): Promise<void> {
  const frames = [...Array(toneMs / 20).fill(TONE), ...Array(silenceMs / 20).fill(SILENCE)];
  const t0 = performance.now();
  for (let i = 0; i < frames.length && ws.readyState === WebSocket.OPEN; i++) {
    ws.send(JSON.stringify({ event: 'media', media: { track: 'inbound', chunk: String(i + 1), timestamp: String(i * 20), payload: frames[i] } }));
    // Pacing the simulated carrier's audio at real time (not a wait for the server).
    const due = t0 + (i + 1) * 20 - performance.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
  }
}

const hangUp = (ws: WebSocket, callSid: string) => ws.send(JSON.stringify({ event: 'stop', sequenceNumber: '99', streamSid: `MZ${callSid}`, stop: { callSid } }));
const liveOf = (page: CallsPage, callSid: string) => page.live.find((c) => c.carrierCallId === callSid);

describe.skipIf(!redisServerBin() || !postgresBinDir())('several instances on one Redis and one PostgreSQL', () => {
  beforeAll(async () => {
    [redis, pg, emulator] = await Promise.all([startTestRedis(), startTestPostgres(), startEmulatorProcess(['--brain', 'echo'], 60_000, 'openai-realtime')]);
    const settings = (instance: string) => ({
      ...openAIEmulatorSettings(emulator!),
      REDIS_URL: redis!.url,
      DATABASE_URL: pg!.url,
      INSTANCE_ID: instance,
      STREAM_TOKEN_SECRET: 'shared-stream-secret-0123456789',
      ADMIN_TOKEN: ADMIN,
      HEARTBEAT_INTERVAL_MS: 200,
      HEARTBEAT_TTL_MS,
      TRANSFER_TO: '+15557654321',
      DRAIN_TIMEOUT_MS: 3000,
      // Counted across the three instances (the tests hold at most three calls at once).
      MAX_CALLS: 3,
    });
    // A first: it migrates the shared schema; then B and C.
    servers.A = await startServerProcess(settings('A'));
    [servers.B, servers.C] = await Promise.all([startServerProcess(settings('B')), startServerProcess(settings('C'))]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s?.stop()));
    await Promise.all([emulator?.stop(), redis?.destroy(), pg?.destroy()]);
  }, 60_000);

  it('a stream token from A is admitted once by B, and refused on A and B after; /calls on every instance lists live calls of all, ended ones with transcripts from PostgreSQL', async () => {
    const first = await twilioCall('A', 'B', 'CA-multi-1');
    const second = await twilioCall('B', 'A', 'CA-multi-2');
    const onB = await eventually(async () => liveOf(await calls('B'), 'CA-multi-1'), 'the first call live on B');
    expect(onB.instance).toBe('B');

    // The same token again, on either instance: refused (policy violation), no call. A replay holds
    // a call slot until the server sees its connection close, a moment after the client does, so the
    // next one may still find MAX_CALLS (3) taken and be told to try again later (1013), as a
    // carrier would; it is tried again until the token itself is judged.
    for (const to of ['A', 'B'] as const) {
      const closed = await eventually(async () => {
        const replay = await openStream(to, 'CA-multi-1', first.parameters);
        const c = await replay.closed;
        return c.code === 1013 ? undefined : c;
      }, `the replay on ${to} judged by its token`);
      expect(closed).toEqual({ code: 1008, reason: 'refused: stream token was already used' });
    }

    for (const name of ['A', 'B', 'C'] as const) {
      const page = await eventually(async () => {
        const p = await calls(name);
        return liveOf(p, 'CA-multi-1') && liveOf(p, 'CA-multi-2') ? p : undefined;
      }, `both live calls listed on ${name}`);
      expect([liveOf(page, 'CA-multi-1')!.instance, liveOf(page, 'CA-multi-2')!.instance]).toEqual(['B', 'A']);
    }
    // Admin only, as ever: without the token, 401.
    expect((await fetch(`${srv('C').url}/calls`)).status).toBe(401);

    // The first caller speaks: its transcript so far reaches the other instances with the heartbeat.
    await speak(first.ws);
    const heard = await eventually(async () => {
      const c = liveOf(await calls('C'), 'CA-multi-1');
      return c && c.transcript.some((l) => l.role === 'assistant') ? c : undefined;
    }, "the first call's transcript on C");
    expect(heard.transcript.map((l) => l.text)).toContain('echo 1');
    const id = heard.id;
    // `/calls/:id` on an instance that does not hold it: the registry's entry.
    const one = await fetch(`${srv('A').url}/calls/${id}`, { headers: admin });
    expect(await one.json()).toMatchObject({ live: true, id, instance: 'B', carrierCallId: 'CA-multi-1' });

    hangUp(first.ws, 'CA-multi-1');
    await first.closed;
    // B wrote the record; A never held the call, so it reads it from PostgreSQL.
    const record = await eventually(async () => (await calls('A')).recent.find((r) => r.id === id), 'the ended call in /calls on A');
    expect(record).toMatchObject({ carrierCallId: 'CA-multi-1', reason: 'stop' });
    expect(record.transcript.map((l) => l.text)).toEqual(expect.arrayContaining(['utterance 1', 'echo 1']));
    expect(liveOf(await calls('A'), 'CA-multi-1')).toBeUndefined();

    hangUp(second.ws, 'CA-multi-2');
    await second.closed;
  }, 60_000);

  it("a Pipecat session made by A's POST /connect is reported by GET /status/:id on B; 404 for one no instance made", async () => {
    const res = await fetch(`${srv('A').url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status, await res.clone().text()).toBe(200);
    const { sessionId } = (await res.json()) as { sessionId: string };
    expect(await eventually(async () => (await fetch(`${srv('B').url}/status/${sessionId}`)).json(), 'the session on B')).toEqual({ sessionId, state: 'waiting' });
    expect((await fetch(`${srv('C').url}/status/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
  });

  it('MAX_CALLS counts the calls of every instance: a fourth call is refused (1013) wherever it arrives, and admitted once one ends', async () => {
    const held = [await twilioCall('A', 'A', 'CA-max-1'), await twilioCall('B', 'B', 'CA-max-2'), await twilioCall('C', 'C', 'CA-max-3')];
    await eventually(async () => {
      const p = await calls('A');
      return held.every((h) => liveOf(p, h.callSid));
    }, 'three calls live on three instances');
    const fourth = await twilioCall('B', 'A', 'CA-max-4');
    expect((await fourth.closed).code).toBe(1013);
    hangUp(held[1].ws, held[1].callSid);
    await held[1].closed;
    // The slot returns when the connection closes: a new call is admitted soon after.
    const admitted = await eventually(async () => {
      const c = await twilioCall('A', 'C', `CA-max-5-${Date.now()}`);
      let refused = false;
      void c.closed.then(() => (refused = true));
      await eventually(async () => refused || liveOf(await calls('C'), c.callSid), 'the call refused or live');
      return refused ? undefined : c;
    }, 'a call admitted after one ended');
    for (const c of [held[0], held[2], admitted]) {
      hangUp(c.ws, c.callSid);
      await c.closed;
    }
  }, 60_000);

  it("an operator's transfer asked of B reaches the call held by A; Twilio's after-stream request then dials from any instance; 404 when no instance has the call", async () => {
    const call = await twilioCall('A', 'A', 'CA-multi-3');
    const live = await eventually(async () => liveOf(await calls('B'), 'CA-multi-3'), 'the call held by A listed on B');
    expect(live.instance).toBe('A');
    const post = (name: 'A' | 'B' | 'C', id: string, headers: Record<string, string> = admin) =>
      fetch(`${srv(name).url}/calls/${id}/transfer`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'billing question' }) });

    expect((await post('B', live.id, {})).status).toBe(401);
    expect((await post('B', 'no-such-call')).status).toBe(404);
    const res = await post('B', live.id);
    expect(res.status, await res.clone().text()).toBe(202);
    expect(await res.json()).toMatchObject({ handoff: { callId: live.id, carrierIds: { CallSid: 'CA-multi-3' }, reason: 'billing question' } });
    // A ended the media stream (the hand-off happened there).
    expect((await call.closed).code).toBe(1000);

    // Twilio's <Connect action> request after the stream may reach another instance: C dials.
    const dial = await fetch(`${srv('C').url}/twilio/after-stream`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ CallSid: 'CA-multi-3', CallStatus: 'in-progress' }).toString() }).then((r) => r.text());
    expect(dial).toContain('>+15557654321</Number></Dial>');
    const record = await eventually(async () => (await calls('B')).recent.find((r) => r.id === live.id), 'the transferred call in /calls on B');
    expect(record).toMatchObject({ reason: 'transferred' });
    // Ended: no instance has it now.
    expect((await post('C', live.id)).status).toBe(404);
  }, 60_000);

  it('Redis stopped mid-call: the call goes on, new streams are refused (token unchecked), and all recovers when Redis is back', async () => {
    const call = await twilioCall('A', 'A', 'CA-multi-4');
    await eventually(async () => liveOf(await calls('B'), 'CA-multi-4'), 'the call listed on B');
    await redis!.stop();
    try {
      // The live call still answers the caller.
      await speak(call.ws);
      const page = await eventually(async () => {
        const p = await calls('A');
        return liveOf(p, 'CA-multi-4')?.transcript.some((l) => l.text === 'echo 1') ? p : undefined;
      }, 'the call answered while Redis is down');
      expect(page.liveElsewhere).toBe('unavailable');
      expect((await fetch(`${srv('A').url}/health`)).status).toBe(200);
      // A new stream: its token cannot be checked for single use, so it is refused.
      const refused = await twilioCall('B', 'B', 'CA-multi-5');
      const closed = await refused.closed;
      expect(closed.code).toBe(1008);
      expect(closed.reason).toContain('could not be checked');
      // Vonage's stream is checked at the upgrade: 503 with Retry-After.
      const answer = await fetch(`${srv('A').url}/vonage/answer?${new URLSearchParams({ uuid: 'vonage-down-1', from: '447700900000', to: '447700900001' })}`);
      const uri = ((await answer.json()) as Array<{ endpoint?: Array<{ uri?: string }> }>).flatMap((a) => a.endpoint ?? []).find((e) => e.uri)!.uri!;
      const upgrade = await new Promise<{ status: number; retryAfter?: string }>((resolve, reject) => {
        const ws = new WebSocket(uri.replace(srv('A').url.replace(/^http/, 'ws'), srv('B').url.replace(/^http/, 'ws')));
        ws.once('unexpected-response', (_req, res) => {
          resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined });
          ws.terminate();
        });
        ws.once('open', () => reject(new Error('the Vonage stream was admitted with Redis down')));
        ws.once('error', () => undefined);
      });
      expect(upgrade).toEqual({ status: 503, retryAfter: '5' });
    } finally {
      await redis!.start();
    }
    // Back: A's call is listed on B again (heartbeat), and a new call is admitted.
    await eventually(async () => liveOf(await calls('B'), 'CA-multi-4'), "A's call listed on B after Redis is back");
    const again = await twilioCall('B', 'C', 'CA-multi-6');
    await eventually(async () => liveOf(await calls('A'), 'CA-multi-6'), 'a new call admitted after Redis is back');
    expect(call.ws.readyState).toBe(WebSocket.OPEN);
    for (const c of [call, again]) {
      hangUp(c.ws, c.callSid);
      await c.closed;
    }
  }, 60_000);

  it('kill -9 of A: once its heartbeat lapses, a survivor ends its calls (instance-lost) and writes their records; B keeps serving', async () => {
    const lost = await twilioCall('A', 'A', 'CA-multi-7');
    await speak(lost.ws);
    const entry = await eventually(async () => {
      const c = liveOf(await calls('C'), 'CA-multi-7');
      return c?.transcript.some((l) => l.text === 'echo 1') ? c : undefined;
    }, "A's call with its transcript listed on C");
    srv('A').child.kill('SIGKILL');
    // Ended once A's heartbeat lapses (HEARTBEAT_TTL_MS) and a survivor's next beat claims it.
    const record = await eventually(async () => (await calls('C')).recent.find((r) => r.id === entry.id), "A's call ended in /calls on C", 20_000, 50);
    expect(record).toMatchObject({ reason: 'instance-lost', reasonLabel: 'server lost', carrierCallId: 'CA-multi-7' });
    expect(record.transcript.map((l) => l.text)).toContain('echo 1');
    expect(liveOf(await calls('B'), 'CA-multi-7')).toBeUndefined();

    // B keeps serving new calls.
    const next = await twilioCall('B', 'B', 'CA-multi-8');
    await eventually(async () => liveOf(await calls('C'), 'CA-multi-8'), 'a new call on B listed on C');
    hangUp(next.ws, 'CA-multi-8');
    await next.closed;
  }, 60_000);

  it('SIGTERM of B with live calls: B turns unready, hangs them up at the drain timeout, and their records reach PostgreSQL', async () => {
    const held = [await twilioCall('B', 'B', 'CA-multi-9'), await twilioCall('C', 'B', 'CA-multi-10')];
    const ids = await eventually(async () => {
      const p = await calls('C');
      const l = held.map((h) => liveOf(p, h.callSid));
      return l.every(Boolean) ? l.map((c) => c!.id) : undefined;
    }, "B's calls listed on C");
    const stopped = srv('B').stop();
    await eventually(async () => (await fetch(`${srv('B').url}/ready`)).status === 503, 'B unready while draining');
    // The calls go on during the drain, then are hung up (1001 going away).
    for (const h of held) expect((await h.closed).code).toBe(1001);
    expect(await stopped).toBe(0);
    const page = await eventually(async () => {
      const p = await calls('C');
      return ids.every((id) => p.recent.some((r) => r.id === id)) ? p : undefined;
    }, "B's drained calls in PostgreSQL, read by C");
    for (const id of ids) expect(page.recent.find((r) => r.id === id)).toMatchObject({ reason: 'server shutting down' });
    expect(page.live.filter((c) => ids.includes(c.id))).toEqual([]);
  }, 60_000);
});
