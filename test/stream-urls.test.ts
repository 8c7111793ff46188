/**
 * Signed, one-time, short-lived stream URLs (issue 9 §1), against a real server on 127.0.0.1 with
 * every secret set, as a hostile caller would meet it: honest Twilio and Vonage streams that went
 * through the answer webhook work; a stream without a token, with an expired, replayed, forged one,
 * or one for another route or call is refused (Twilio: close 1008 on `start`; Vonage: 401/403 at
 * the upgrade, 1008 for another call) with a log line saying why, and no model session is opened.
 * Presigned `/ws` URLs (`POST /streams`, `voicebridge sign-url`) work once and expire. Token
 * lifetimes run on a fake wall clock.
 */
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import pino from 'pino';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MemoryReplayStore } from '../src/auth/replay-store.js';
import { signStreamToken } from '../src/auth/stream-token.js';
import { StreamTokens } from '../src/auth/stream-tokens.js';
import { runSignUrl } from '../src/cli/sign-url.js';
import { loadConfig } from '../src/config/config.js';
import { createServer, type Server } from '../src/server.js';
import { connectCaller } from '../src/sim/clients.js';
import { answerTwilioCall, answerVonageCall } from '../src/sim/webhooks.js';
import { countingModel, type CountingModel } from './fakes/counting-model.js';
import { eventually } from './helpers/wait.js';
import { MemoryCallStore } from './fakes/call-store.js';

const T0 = 1_800_000_000_000;
const STREAM_SECRET = 'stream-secret-of-the-test-server';
const JWT_SECRET = 'a-development-secret-of-enough-length';
const TWILIO_AUTH_TOKEN = 'twilio-auth-token';
const VONAGE_SECRET = 'vonage-signature-secret';
const secrets = { twilioAuthToken: TWILIO_AUTH_TOKEN, vonageSignatureSecret: VONAGE_SECRET };

let wallMs = T0;
let server: Server;
let model: CountingModel;
let url = '';
let logs = '';

/** A running server with every secret set, its model counting sessions, tokens on the fake wall clock. */
async function start(settings: Record<string, unknown>, out: (line: string) => void, m = countingModel()): Promise<{ server: Server; url: string }> {
  const sink = new Writable({
    write(chunk, _enc, done) {
      out(chunk.toString());
      done();
    },
  });
  const streamTokens = new StreamTokens({ secret: Buffer.from(STREAM_SECRET), ttlMs: 30_000, nowMs: () => wallMs, store: new MemoryReplayStore(() => wallMs) });
  const s = await createServer(loadConfig({}, { BARGE_IN_VAD: false, ...settings }), { store: new MemoryCallStore(), logger: pino({ level: 'info' }, sink), model: m, streamTokens, webrtc: { available: false, reason: 'not in this test' } });
  return { server: s, url: await s.app.listen({ port: 0, host: '127.0.0.1' }) };
}

beforeAll(async () => {
  model = countingModel();
  ({ server, url } = await start({ AUTH_JWT_SECRET: JWT_SECRET, TWILIO_AUTH_TOKEN, VONAGE_SIGNATURE_SECRET: VONAGE_SECRET, STREAM_TOKEN_SECRET: STREAM_SECRET }, (l) => (logs += l), model));
});
afterAll(async () => {
  await server?.close(100);
});
beforeEach(() => {
  wallMs = T0;
});

/** Opens a WebSocket; resolves with it once open, or with the HTTP status of a refused upgrade. */
function connect(wsUrl: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status: number; closed?: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl, { headers });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('open', () => resolve({ ws, status: 101, closed }));
    ws.once('error', () => resolve({ status: 0 }));
  });
}

const signedUpgrade = (streamUrl: string) => ({ 'x-twilio-signature': twilio.getExpectedTwilioSignature(TWILIO_AUTH_TOKEN, streamUrl, {}) });

/** Plays Twilio's part on a raw socket: connected, then start with `callSid` and `parameters`. */
async function twilioStream(streamUrl: string, callSid: string, parameters: Record<string, string>) {
  const opened = await connect(streamUrl, signedUpgrade(streamUrl));
  expect(opened.status).toBe(101);
  const ws = opened.ws!;
  ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  ws.send(JSON.stringify({ event: 'start', streamSid: `MZ${callSid}`, start: { streamSid: `MZ${callSid}`, callSid, customParameters: parameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } }));
  // Twilio sends media right after start: held until the stream is admitted, or dropped with it.
  ws.send(JSON.stringify({ event: 'media', streamSid: `MZ${callSid}`, media: { track: 'inbound', chunk: '1', timestamp: '0', payload: Buffer.alloc(160, 0xff).toString('base64') } }));
  return { ws, closed: opened.closed! };
}

/** Asserts that nothing reached the model or the call list, and the log says why without the token. */
async function expectRefusedWithoutModel(opensBefore: number, why: RegExp, token?: string): Promise<void> {
  expect(model.opened).toBe(opensBefore);
  expect(server.manager.size).toBe(0);
  await eventually(() => why.test(logs), `a log line matching ${why}`);
  if (token) expect(ownLogLines().filter((l) => l.includes(token.split('.')[2]))).toEqual([]);
}

/**
 * The server's log lines other than Fastify's per-request lines (whose URL redaction is issue 9 §3's
 * business): the refusal lines must not carry the token.
 */
function ownLogLines(): string[] {
  return logs.split('\n').filter((l) => l && !/"msg":"(incoming request|request completed)"/.test(l));
}

let seq = 0;
const nextCallSid = () => `CA${(++seq).toString().padStart(32, '0')}`;

describe('Twilio: the one-time token from the answer webhook, checked on start', () => {
  it('an honest call through the webhook is admitted and heard; the token does not reach the call record', async () => {
    const before = model.opened;
    const caller = await connectCaller({ url, via: 'twilio', ...secrets });
    for (let i = 0; i < 10; i++) caller.sendFrame(new Int16Array(160).fill(3000));
    await eventually(() => caller.playout.endMs > 0, 'echoed audio');
    expect(model.opened).toBe(before + 1);
    const call = server.manager.calls()[0];
    expect(call.startInfo.carrierCallId).toBe(caller.carrierCallId);
    expect(Object.keys(call.startInfo.parameters).sort()).toEqual(['CallSid', 'From', 'To']);
    await caller.hangup();
    await eventually(() => server.manager.size === 0, 'the call to end');
  });

  it.each([
    ['without a token', /refused: no stream token/, (t: { callSid: string; parameters: Record<string, string> }) => ({ ...t, parameters: { CallSid: t.callSid } })],
    ['with an expired token', /refused: stream token expired/, (t: { callSid: string; parameters: Record<string, string> }) => ((wallMs += 30_000), t)],
    ['with a token for another call', /refused: stream token is for another call/, (t: { callSid: string; parameters: Record<string, string> }) => ({ ...t, callSid: nextCallSid() })],
    ['with a forged token', /refused: stream token signature does not match/, (t: { callSid: string; parameters: Record<string, string> }) => ({ ...t, parameters: { ...t.parameters, token: signStreamToken(Buffer.from('a-guessed-secret-a-guessed-secret'), { route: 'twilio', carrierCallId: t.callSid, expiresAtMs: T0 + 1e9 }) } })],
    ['with a tampered token', /refused: stream token signature does not match/, (t: { callSid: string; parameters: Record<string, string> }) => ({ ...t, parameters: { ...t.parameters, token: t.parameters.token.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) } })],
  ])('a stream %s is closed with 1008 and opens no model session', async (_name, why, tamper) => {
    const callSid = nextCallSid();
    const twiml = await answerTwilioCall(url, { callSid, authToken: TWILIO_AUTH_TOKEN });
    const sent = tamper({ callSid, parameters: twiml.parameters });
    const before = model.opened;
    const { closed } = await twilioStream(twiml.streamUrl, sent.callSid, sent.parameters);
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(why);
    await expectRefusedWithoutModel(before, why, twiml.parameters.token);
  });

  it('a token for another route (a Vonage stream URL) is refused', async () => {
    const callSid = nextCallSid();
    const twiml = await answerTwilioCall(url, { callSid, authToken: TWILIO_AUTH_TOKEN });
    const ncco = await answerVonageCall(url, { uuid: callSid, signatureSecret: VONAGE_SECRET });
    const vonageToken = new URL(ncco.uri).searchParams.get('token')!;
    const before = model.opened;
    const { closed } = await twilioStream(twiml.streamUrl, callSid, { ...twiml.parameters, token: vonageToken });
    expect(await closed).toEqual({ code: 1008, reason: 'refused: stream token is for another route' });
    await expectRefusedWithoutModel(before, /refused: stream token is for another route/, vonageToken);
  });

  it('a replayed token is refused: the second stream gets 1008 and no second model session', async () => {
    const callSid = nextCallSid();
    const twiml = await answerTwilioCall(url, { callSid, authToken: TWILIO_AUTH_TOKEN });
    const before = model.opened;
    const first = await twilioStream(twiml.streamUrl, callSid, twiml.parameters);
    await eventually(() => server.manager.size === 1, 'the first stream to become a call');
    expect(model.opened).toBe(before + 1);
    first.ws.close();
    await eventually(() => server.manager.size === 0, 'the first call to end');
    const replay = await twilioStream(twiml.streamUrl, callSid, twiml.parameters);
    expect(await replay.closed).toEqual({ code: 1008, reason: 'refused: stream token was already used' });
    await expectRefusedWithoutModel(before + 1, /refused: stream token was already used/, twiml.parameters.token);
  });

  it('with TWILIO_AUTH_TOKEN set, an upgrade without a valid X-Twilio-Signature is refused with 403', async () => {
    const twiml = await answerTwilioCall(url, { callSid: nextCallSid(), authToken: TWILIO_AUTH_TOKEN });
    expect((await connect(twiml.streamUrl)).status).toBe(403);
    expect((await connect(twiml.streamUrl, { 'x-twilio-signature': twilio.getExpectedTwilioSignature('another-account', twiml.streamUrl, {}) })).status).toBe(403);
    await eventually(() => /refused Twilio media stream: bad X-Twilio-Signature/.test(logs), 'the refusal in the log');
    expect((await connect(twiml.streamUrl, signedUpgrade(twiml.streamUrl))).status).toBe(101);
  });
});

describe('Vonage: the one-time token in the NCCO uri, checked at the upgrade', () => {
  it('an honest call through the webhook is admitted and heard', async () => {
    const before = model.opened;
    const caller = await connectCaller({ url, via: 'vonage', ...secrets });
    for (let i = 0; i < 10; i++) caller.sendFrame(new Int16Array(caller.sampleRateHz / 50).fill(3000));
    await eventually(() => caller.playout.endMs > 0, 'echoed audio');
    expect(model.opened).toBe(before + 1);
    await caller.hangup();
    await eventually(() => server.manager.size === 0, 'the call to end');
  });

  const media = (uri: string, token: string | null) => {
    const u = new URL(uri);
    if (token === null) u.searchParams.delete('token');
    else u.searchParams.set('token', token);
    return u.toString();
  };

  it.each([
    ['without a token', 401, /refused Vonage media stream: no stream token/, (uri: string) => media(uri, null)],
    ['with an expired token', 403, /refused Vonage media stream: stream token expired/, (uri: string) => ((wallMs += 30_000), uri)],
    ['with a forged token', 403, /refused Vonage media stream: stream token signature does not match/, (uri: string) => media(uri, signStreamToken(Buffer.from('a-guessed-secret-a-guessed-secret'), { route: 'vonage', expiresAtMs: T0 + 1e9 }))],
    ['with a token for another route', 403, /refused Vonage media stream: stream token is for another route/, (uri: string) => media(uri, signStreamToken(Buffer.from(STREAM_SECRET), { route: 'ws', expiresAtMs: T0 + 1e9 }))],
  ])('an upgrade %s is refused with %i before any socket opens', async (_name, status, why, tamper) => {
    const ncco = await answerVonageCall(url, { uuid: nextCallSid(), signatureSecret: VONAGE_SECRET });
    const before = model.opened;
    expect((await connect(tamper(ncco.uri))).status).toBe(status);
    await expectRefusedWithoutModel(before, why, new URL(ncco.uri).searchParams.get('token')!);
  });

  it('a replayed token is refused with 403', async () => {
    const uuid = nextCallSid();
    const ncco = await answerVonageCall(url, { uuid, signatureSecret: VONAGE_SECRET });
    const first = await connect(ncco.uri);
    expect(first.status).toBe(101);
    const before = model.opened;
    expect((await connect(ncco.uri)).status).toBe(403);
    await expectRefusedWithoutModel(before, /refused Vonage media stream: stream token was already used/);
    first.ws!.close();
  });

  it('a stream for another call than its token is closed with 1008 on websocket:connected', async () => {
    const ncco = await answerVonageCall(url, { uuid: nextCallSid(), signatureSecret: VONAGE_SECRET });
    const before = model.opened;
    const opened = await connect(ncco.uri);
    opened.ws!.send(JSON.stringify({ ...ncco.headers, uuid: nextCallSid(), event: 'websocket:connected', 'content-type': ncco.contentType }));
    expect(await opened.closed).toEqual({ code: 1008, reason: 'refused: stream token is for another call' });
    await expectRefusedWithoutModel(before, /refused: stream token is for another call/);
  });
});

describe('presigned caller URLs (POST /streams, voicebridge sign-url)', () => {
  const jwt = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('backend').setExpirationTime('5m').sign(new TextEncoder().encode(JWT_SECRET));
  const presign = async (body: unknown, auth = true) =>
    fetch(`${url}/streams`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${await jwt()}` } : {}) }, body: JSON.stringify(body) });

  it('POST /streams needs a JWT and a presignable route and lifetime', async () => {
    expect((await presign({ route: 'ws', ttlSeconds: 60 }, false)).status).toBe(401);
    expect((await presign({ route: 'twilio', ttlSeconds: 60 })).status).toBe(400);
    expect((await presign({ route: 'ws', ttlSeconds: 0 })).status).toBe(400);
    expect((await presign({ route: 'ws', ttlSeconds: 3601 })).status).toBe(400);
    const res = await presign({ route: 'ws', ttlSeconds: 60 });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ route: 'ws', url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/ws\?token=vbs1\./), expiresAt: new Date(T0 + 60_000).toISOString() });
  });

  it('a presigned /ws URL opens one call, once; the token does not become a call parameter', async () => {
    const { url: wsUrl } = (await (await presign({ route: 'ws', ttlSeconds: 60 })).json()) as { url: string };
    const before = model.opened;
    const first = await connect(`${wsUrl}&callerId=bridge-1`);
    expect(first.status).toBe(101);
    await eventually(() => server.manager.size === 1, 'the presigned call');
    expect(model.opened).toBe(before + 1);
    expect(server.manager.calls()[0].startInfo.parameters).toEqual({ callerId: 'bridge-1' });
    expect((await connect(wsUrl)).status).toBe(403);
    first.ws!.close();
    await eventually(() => server.manager.size === 0, 'the call to end');
    expect(model.opened).toBe(before + 1);
    await eventually(() => /refused ws caller: stream token was already used/.test(logs), 'the refusal in the log');
    expect((await connect(`${url.replace('http', 'ws')}/ws`)).status).toBe(401);
  });

  it('a presigned URL expires, and one for another route is refused', async () => {
    const { url: wsUrl } = (await (await presign({ route: 'ws', ttlSeconds: 60 })).json()) as { url: string };
    const { url: clientUrl } = (await (await presign({ route: 'client', ttlSeconds: 60 })).json()) as { url: string };
    const before = model.opened;
    expect((await connect(clientUrl.replace('/client?', '/ws?'))).status).toBe(403);
    wallMs += 60_000;
    expect((await connect(wsUrl)).status).toBe(403);
    expect(model.opened).toBe(before);
    await eventually(() => /refused ws caller: stream token expired/.test(logs), 'the refusal in the log');
  });

  it('a presigned WebRTC offer URL passes the auth check once', async () => {
    const { url: offerUrl } = (await (await presign({ route: 'webrtc', ttlSeconds: 60 })).json()) as { url: string };
    const offer = () => fetch(offerUrl, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
    expect((await offer()).status).toBe(503); // past auth: this test server has no WebRTC
    expect((await offer()).status).toBe(403);
  });

  it('voicebridge sign-url signs with the shared STREAM_TOKEN_SECRET a URL the server admits once', async () => {
    let out = '';
    let err = '';
    const io = { stdout: new Writable({ write: (c, _e, d) => ((out += c), d()) }), stderr: new Writable({ write: (c, _e, d) => ((err += c), d()) }) };
    expect(runSignUrl({ route: 'ws', ttl: '60', url }, {}, io, () => wallMs)).toBe(2);
    expect(err).toMatch(/STREAM_TOKEN_SECRET is not set/);
    expect(runSignUrl({ route: 'twilio', url }, { STREAM_TOKEN_SECRET: STREAM_SECRET }, io, () => wallMs)).toBe(2);
    expect(runSignUrl({ route: 'ws', ttl: '60' }, { STREAM_TOKEN_SECRET: STREAM_SECRET }, io, () => wallMs)).toBe(2);
    expect(runSignUrl({ route: 'ws', ttl: '60', url }, { STREAM_TOKEN_SECRET: STREAM_SECRET }, io, () => wallMs)).toBe(0);
    const signed = out.trim();
    expect(signed).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\?token=vbs1\./);
    const first = await connect(signed);
    expect(first.status).toBe(101);
    expect((await connect(signed)).status).toBe(403);
    first.ws!.close();
    await eventually(() => server.manager.size === 0, 'the call to end');
  });
});

describe('start-up warnings', () => {
  it('without JWT auth and STREAM_TOKEN_SECRET, says who can reach what and that the key suits one instance', async () => {
    let out = '';
    const loose = await createServer(loadConfig({}, { LOG_LEVEL: 'warn' }), { store: new MemoryCallStore(), logger: pino({ level: 'warn' }, new Writable({ write: (c, _e, d) => ((out += c), d()) })), model: countingModel(), webrtc: { available: false, reason: 'not in this test' } });
    await loose.close(0);
    expect(out).toMatch(/anyone who can reach this server can open browser and raw PCM calls \(\/client, \/ws, \/webrtc\/offer\)/);
    expect(out).toMatch(/Twilio and Vonage media streams still need the one-time URL their answer webhook hands out/);
    expect(out).toMatch(/STREAM_TOKEN_SECRET is not set: .*suits one instance only/);
  });
});
