/**
 * HTTP routes in-process (Fastify inject): health and readiness, Twilio and Vonage answer webhooks
 * with and without signature secrets.
 */
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import pino from 'pino';
import twilio from 'twilio';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { loopbackModel } from '../src/models/loopback/model.js';
import { createServer, type Server } from '../src/server.js';
import { eventually } from './helpers/wait.js';
import { MemoryCallStore } from './fakes/call-store.js';

const servers: Server[] = [];
async function make(settings: Record<string, unknown> = {}): Promise<Server> {
  const s = await createServer(loadConfig({}, { LOG_LEVEL: 'silent', ...settings }), { store: new MemoryCallStore(), logger: pino({ level: 'silent' }), model: loopbackModel() });
  servers.push(s);
  return s;
}
afterAll(async () => {
  for (const s of servers) await s.close(100);
});

describe('health and readiness', () => {
  it('reports the model and turns unready while draining', async () => {
    const s = await make();
    const health = await s.app.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toMatchObject({ status: 'ok', model: 'loopback', calls: 0 });
    expect((await s.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    await s.manager.drain(10);
    const ready = await s.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, reason: 'draining' });
  });
});

describe('readiness while warming up', () => {
  it('answers 503 "warming" until every warm-up task is done, then 200', async () => {
    const s = await make();
    let finish!: () => void;
    s.warmup.track('recognizers', new Promise<void>((resolve) => (finish = resolve)));
    const before = await s.app.inject({ method: 'GET', url: '/ready' });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toMatchObject({ ready: false, reason: 'warming' });
    expect((await s.app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ status: 'warming', warmup: { state: 'warming' } });
    finish();
    await new Promise((r) => setImmediate(r));
    expect((await s.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    expect((await s.app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ status: 'ok', warmup: { state: 'warm' } });
  });

  it('stays unready, saying why, when a warm-up task fails', async () => {
    const s = await make();
    s.warmup.track('recognizers', Promise.reject(new Error('pocketsphinx worker exited')));
    await new Promise((r) => setImmediate(r));
    const ready = await s.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, reason: 'failed', error: 'recognizers: pocketsphinx worker exited' });
  });
});

describe('Twilio answer webhook', () => {
  const form = { CallSid: 'CA123', From: '+15550001111', To: '+15550002222' };
  const body = new URLSearchParams(form).toString();

  it('returns <Connect><Stream> TwiML pointing at our media socket, with call parameters and a one-time token', async () => {
    const s = await make({ PUBLIC_URL: 'https://voice.example.com' });
    const res = await s.app.inject({ method: 'POST', url: '/twilio/voice', payload: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/xml/);
    expect(res.body).toContain('<Stream url="wss://voice.example.com/twilio/media">');
    expect(res.body).toContain('<Parameter name="From" value="+15550001111"/>');
    expect(res.body).toMatch(/<Parameter name="token" value="vbs1\.[\w.-]+"\/>/);
  });

  it('enforces X-Twilio-Signature when an auth token is configured', async () => {
    const s = await make({ PUBLIC_URL: 'https://voice.example.com', TWILIO_AUTH_TOKEN: 'tok' });
    const url = 'https://voice.example.com/twilio/voice';
    const good = twilio.getExpectedTwilioSignature('tok', url, form);
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const ok = await s.app.inject({ method: 'POST', url: '/twilio/voice', payload: body, headers: { ...headers, 'x-twilio-signature': good } });
    expect(ok.statusCode).toBe(200);
    const bad = await s.app.inject({ method: 'POST', url: '/twilio/voice', payload: body, headers: { ...headers, 'x-twilio-signature': 'AAAA' } });
    expect(bad.statusCode).toBe(403);
    expect(bad.body).toMatch(/X-Twilio-Signature/);
    const missing = await s.app.inject({ method: 'POST', url: '/twilio/voice', payload: body, headers });
    expect(missing.statusCode).toBe(403);
  });

  it("answers Twilio's request after the stream: <Dial> with a whisper for a pending transfer, <Hangup/> otherwise; signed like the answer", async () => {
    const s = await make({ PUBLIC_URL: 'https://voice.example.com', TWILIO_AUTH_TOKEN: 'tok' });
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const signed = (url: string, params: Record<string, string>) => ({ ...headers, 'x-twilio-signature': twilio.getExpectedTwilioSignature('tok', `https://voice.example.com${url}`, params) });
    const post = (url: string, params: Record<string, string>, h: Record<string, string> = signed(url, params)) => s.app.inject({ method: 'POST', url, payload: new URLSearchParams(params).toString(), headers: h });

    const answer = await post('/twilio/voice', form);
    expect(answer.body).toContain('<Connect action="https://voice.example.com/twilio/after-stream" method="POST">');

    const after = { CallSid: 'CA1', CallStatus: 'in-progress' };
    expect((await post('/twilio/after-stream', after)).body).toContain('<Response><Hangup/></Response>');
    s.transfers.put('CA1', {
      callId: 'c1', carrier: 'twilio', carrierIds: { CallSid: 'CA1' }, target: { kind: 'phone', number: '+15557654321' }, reason: 'asked for a person',
      source: 'operator', requestedAt: new Date(0).toISOString(), transcript: [], summary: 'Transferred call. Reason: asked for a person.',
    });
    const dial = await post('/twilio/after-stream', after);
    expect(dial.headers['content-type']).toMatch(/xml/);
    expect(dial.body).toContain('<Dial><Number url="https://voice.example.com/twilio/whisper?CallSid=CA1" method="POST">+15557654321</Number></Dial>');
    expect((await post('/twilio/after-stream', after, { ...headers, 'x-twilio-signature': 'AAAA' })).statusCode).toBe(403);
    expect((await post('/twilio/after-stream', after, headers)).statusCode).toBe(403);

    const child = { CallSid: 'CA2', ParentCallSid: 'CA1' };
    expect((await post('/twilio/whisper?CallSid=CA1', child, headers)).statusCode).toBe(403);
    expect((await post('/twilio/whisper?CallSid=CA1', child)).body).toContain('<Say>Transferred call. Reason: asked for a person.</Say>');
    expect(s.transfers.size).toBe(0);
  });

  it('passes the number\'s model choice (?model=) to the stream as a parameter; ignores a malformed one', async () => {
    const s = await make({ PUBLIC_URL: 'https://voice.example.com' });
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await s.app.inject({ method: 'POST', url: '/twilio/voice?model=nova-sonic', payload: body, headers })).body).toContain('<Parameter name="model" value="nova-sonic"/>');
    expect((await s.app.inject({ method: 'POST', url: '/twilio/voice?model=%3Cx%3E', payload: body, headers })).body).not.toContain('name="model"');
    const [connect] = (await s.app.inject({ method: 'GET', url: '/vonage/answer?uuid=u-1&model=openai' })).json();
    expect(connect.endpoint[0].headers).toMatchObject({ uuid: 'u-1', model: 'openai' });
  });

  it('derives the public URL from forwarded headers when PUBLIC_URL is unset', async () => {
    const s = await make();
    const res = await s.app.inject({ method: 'POST', url: '/twilio/voice', payload: body, headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'abc.ngrok.app', 'x-forwarded-proto': 'https' } });
    expect(res.body).toContain('wss://abc.ngrok.app/twilio/media');
  });
});

describe('Vonage webhooks', () => {
  it('answers with an NCCO connecting our websocket (with a one-time token) at the configured L16 rate', async () => {
    const s = await make({ PUBLIC_URL: 'https://voice.example.com', VONAGE_RATE_HZ: 8000 });
    const res = await s.app.inject({ method: 'GET', url: '/vonage/answer?uuid=u-1&from=447700900000&to=447700900001' });
    expect(res.statusCode).toBe(200);
    const [connect] = res.json();
    expect(connect.action).toBe('connect');
    expect(connect.endpoint[0]).toMatchObject({ type: 'websocket', uri: expect.stringMatching(/^wss:\/\/voice\.example\.com\/vonage\/media\?token=vbs1\.[\w.-]+$/), 'content-type': 'audio/l16;rate=8000', headers: { uuid: 'u-1' } });
    expect((await s.app.inject({ method: 'POST', url: '/vonage/event', payload: { status: 'answered' } })).statusCode).toBe(204);
  });

  it('requires a valid signed-webhook JWT when a signature secret is configured', async () => {
    const s = await make({ VONAGE_SIGNATURE_SECRET: 'sig' });
    const payload = JSON.stringify({ status: 'completed', uuid: 'u-2' });
    const hash = createHash('sha256').update(payload).digest('hex');
    const token = await new SignJWT({ payload_hash: hash }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(new TextEncoder().encode('sig'));
    const headers = { 'content-type': 'application/json' };
    const ok = await s.app.inject({ method: 'POST', url: '/vonage/event', payload, headers: { ...headers, authorization: `Bearer ${token}` } });
    expect(ok.statusCode).toBe(204);
    const tampered = await s.app.inject({ method: 'POST', url: '/vonage/event', payload: payload.replace('completed', 'answered'), headers: { ...headers, authorization: `Bearer ${token}` } });
    expect(tampered.statusCode).toBe(401);
    expect((await s.app.inject({ method: 'GET', url: '/vonage/answer' })).statusCode).toBe(401);
    const malformed = await s.app.inject({ method: 'POST', url: '/vonage/event', payload: '{oops', headers: { ...headers, authorization: `Bearer ${token}` } });
    expect(malformed.statusCode).toBe(400);
  });
});

describe('graceful shutdown (a real server process)', () => {
  it('on SIGTERM: turns unready, refuses new calls, lets live calls run until the drain timeout, then hangs up and exits 0', async () => {
    const { startServerProcess } = await import('./helpers/server-process.js');
    const { connectCaller } = await import('../src/sim/clients.js');
    const srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, DRAIN_TIMEOUT_MS: 1500 });
    const caller = await connectCaller({ url: srv.url, via: 'twilio' });
    const frames = setInterval(() => caller.sendFrame(new Int16Array(160).fill(500)), 20);
    await eventually(async () => ((await (await fetch(`${srv.url}/stats`)).json()) as { calls: number }).calls === 1, 'the call to be live');
    const t0 = Date.now();
    const exit = srv.stop(10_000);
    await eventually(async () => (await fetch(`${srv.url}/ready`)).status === 503, '/ready to turn 503');
    const late = await connectCaller({ url: srv.url, via: 'pcm' });
    expect((await late.closed).code).toBe(1013);
    expect(caller.socket.readyState).toBe(1); // still talking during the drain
    const closed = await caller.closed;
    expect(closed.reason).toMatch(/shutting down/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    clearInterval(frames);
    expect(await exit).toBe(0);
  });
});
