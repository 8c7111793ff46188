/**
 * Pipecat's signalling against a real server process with browser auth and CORS on: `POST /connect`
 * (401 without a JWT, 400 for a bad body, an empty body accepted), CORS preflights for allowed and
 * other origins, `GET /status/:id` through a session's life, and the SmallWebRTC offer and trickle
 * PATCH from a node-datachannel peer (answer JSON, the token used once, PATCH bound to the offer's
 * credential), with RTVI `client-ready` → `bot-ready` on its data channel.
 */
import nodeDataChannel from 'node-datachannel';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';
import { within } from './helpers/webrtc-peer.js';

const { Audio, PeerConnection } = nodeDataChannel;
const SECRET = 'pipecat-http-test-secret-0123456789';
const ORIGIN = 'http://127.0.0.1:5173';
let srv: ServerProcess;
let jwt: string;

const connect = (init: { body?: string; headers?: Record<string, string> } = {}) =>
  fetch(`${srv.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}`, ...init.headers }, body: init.body });

interface Connected {
  sessionId: string;
  webrtcRequestParams: { endpoint: string };
  iceConfig: { iceServers: { urls: string[] }[] };
  token: string;
  expiresAt: string;
}

const status = async (id: string) => (await (await fetch(`${srv.url}/status/${id}`, { headers: { authorization: `Bearer ${jwt}` } })).json()) as { state: string; callId?: string; endedReason?: string };

/** A node-datachannel offerer: Opus audio and Pipecat's `chat` channel, with its full SDP offer. */
async function offerer() {
  const pc = new PeerConnection('pipecat-http', { iceServers: [], bindAddress: '127.0.0.1' });
  const gathered = new Promise<void>((resolve) => pc.onGatheringStateChange((s) => s === 'complete' && resolve()));
  const media = new Audio('0', 'SendRecv');
  media.addOpusCodec(111, 'minptime=10;useinbandfec=1');
  const track = pc.addTrack(media);
  const dc = pc.createDataChannel('chat');
  const received: Record<string, any>[] = [];
  dc.onMessage((m) => received.push(JSON.parse(String(m))));
  pc.setLocalDescription();
  await within(gathered, 5000, 'ICE gathering');
  const close = () => {
    dc.close();
    track.close();
    pc.close();
  };
  return { pc, dc, received, sdp: pc.localDescription()!.sdp, close };
}

const postOffer = (endpoint: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const patch = (endpoint: string, body: unknown) => fetch(endpoint, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, WEBRTC_BIND_ADDRESS: '127.0.0.1', AUTH_JWT_SECRET: SECRET, CORS_ORIGINS: ORIGIN });
  jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('tester').setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
}, 120_000);

afterAll(async () => {
  expect(await srv?.stop()).toBe(0);
});

describe('POST /connect', () => {
  it('needs a valid JWT (401, readable cross-origin), and refuses a body that is not a JSON object or names a bad voice (400)', async () => {
    const anonymous = await fetch(`${srv.url}/connect`, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect((await connect({ headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    for (const body of ['[1,2]', '"text"', 'null', '{"voice":"../etc"}', '{"model":7}', '{not json']) {
      const res = await connect({ body });
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { message: string }).message.length, body).toBeGreaterThan(0);
    }
  });

  it('accepts the empty body Pipecat sends, and answers where to post the offer, the ICE servers and a short-lived token', async () => {
    const res = await connect();
    expect(res.status).toBe(200);
    const c = (await res.json()) as Connected;
    const endpoint = new URL(c.webrtcRequestParams.endpoint);
    expect(endpoint.origin + endpoint.pathname).toBe(`${srv.url}/webrtc/offer`);
    expect(endpoint.searchParams.get('token')).toBe(c.token);
    expect(c.token).toMatch(/^vbs1\./);
    expect(c.iceConfig).toEqual({ iceServers: [] });
    expect(Date.parse(c.expiresAt)).toBeGreaterThan(Date.now());
    expect(await status(c.sessionId)).toEqual({ sessionId: c.sessionId, state: 'waiting' });
    // Pipecat's CLI template body and a voice are accepted; the voice rides on the offer URL.
    const templated = (await (await connect({ body: JSON.stringify({ createDailyRoom: false, enableDefaultIceServers: true, transport: 'webrtc', voice: 'slt' }) })).json()) as Connected;
    expect(new URL(templated.webrtcRequestParams.endpoint).searchParams.get('voice')).toBe('slt');
    // Pages made from Pipecat's CLI template post to /start: the same answer.
    const fromTemplate = await fetch(`${srv.url}/start`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` }, body: JSON.stringify({ createDailyRoom: false, enableDefaultIceServers: true, transport: 'webrtc' }) });
    expect(fromTemplate.status).toBe(200);
    expect(new URL(((await fromTemplate.json()) as Connected).webrtcRequestParams.endpoint).pathname).toBe('/webrtc/offer');
    expect((await fetch(`${srv.url}/start`, { method: 'POST' })).status).toBe(401);
  });

  it('answers CORS preflights for CORS_ORIGINS only', async () => {
    const preflight = (origin: string, path: string) =>
      fetch(`${srv.url}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
    for (const path of ['/connect', '/start', '/webrtc/offer?token=x', '/status/abc']) {
      const ok = await preflight(ORIGIN, path);
      expect(ok.status, path).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(ok.headers.get('access-control-allow-methods')).toContain('PATCH');
      expect(ok.headers.get('access-control-allow-headers')).toBe('content-type,authorization');
    }
    const other = await preflight('https://elsewhere.example', '/connect');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('GET /status/:id', () => {
  it('needs a JWT and knows only its own sessions', async () => {
    expect((await fetch(`${srv.url}/status/whatever`)).status).toBe(401);
    expect((await fetch(`${srv.url}/status/whatever`, { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(404);
  });
});

describe('the SmallWebRTC offer and trickle PATCH', () => {
  it('answers a JSON offer once per token, takes candidates only from that offer, speaks RTVI, and reports the session to its end', async () => {
    // node-datachannel 0.33.4 (libdatachannel 0.24.5) as the offerer sometimes cannot apply a good
    // answer: the server already ran ICE checks against the candidates in the offer, so applying the
    // answer connects ICE at once, and the offerer's DTLS (server role) verifies our certificate
    // before the answer's fingerprint is stored ("DTLS alert: unknown CA", handshake failed); the
    // connection closes and the answer's candidates find "no ICE transport" (libdatachannel's main
    // branch now commits the fingerprint first). A browser does not do this. Only that error gets a
    // new session and peer: any other refusal of our answer is a server bug and fails at once.
    let attempt: { c: Connected; peer: Awaited<ReturnType<typeof offerer>>; answer: { sdp: string; type: string; pc_id: string } } | undefined;
    for (let tries = 0; !attempt; tries++) {
      const c = (await (await connect()).json()) as Connected;
      const peer = await offerer();
      const res = await postOffer(c.webrtcRequestParams.endpoint, { sdp: peer.sdp, type: 'offer', pc_id: null, restart_pc: false });
      expect(res.status, srv.output().slice(-3000)).toBe(200);
      const answer = (await res.json()) as { sdp: string; type: string; pc_id: string };
      expect(answer.type).toBe('answer');
      expect(answer.sdp).toMatch(/a=candidate:/);
      expect(answer.pc_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(['connecting', 'connected']).toContain((await status(c.sessionId)).state);
      // Trickle with the offer's credential, as the browser does right after the answer (before
      // ICE completes: libdatachannel takes no candidate after that).
      const candidate = /a=(candidate:[^\r\n]+)/.exec(peer.sdp)![1];
      const trickled = await patch(c.webrtcRequestParams.endpoint, { pc_id: answer.pc_id, candidates: [{ candidate, sdp_mid: '0', sdp_mline_index: 0 }, { candidate: '', sdp_mid: '0', sdp_mline_index: 0 }] });
      expect(trickled.status).toBe(200);
      expect(await trickled.json()).toEqual({ status: 'success', applied: 1 });
      try {
        peer.pc.setRemoteDescription(answer.sdp, 'answer');
        attempt = { c, peer, answer };
      } catch (err) {
        peer.close();
        if (tries >= 3 || !/Got a remote candidate without ICE transport/.test(err instanceof Error ? err.message : String(err))) throw err;
        console.log(`the test peer could not apply the answer (${err instanceof Error ? err.message : err}); retrying`);
      }
    }
    const { c, peer, answer } = attempt;
    const endpoint = c.webrtcRequestParams.endpoint;
    try {
      // The one-time token cannot open a second peer.
      expect((await postOffer(endpoint, { sdp: peer.sdp, type: 'offer', pc_id: null, restart_pc: false })).status).toBe(403);

      // Trickle refusals: bad body 400, unknown peer 404, another credential 403.
      const candidate = /a=(candidate:[^\r\n]+)/.exec(peer.sdp)![1];
      expect((await patch(endpoint, { candidates: [] })).status).toBe(400);
      expect((await patch(endpoint, { pc_id: 'no-such-peer', candidates: [] })).status).toBe(404);
      const fresh = (await (await connect()).json()) as Connected;
      expect((await patch(fresh.webrtcRequestParams.endpoint, { pc_id: answer.pc_id, candidates: [{ candidate, sdp_mid: '0', sdp_mline_index: 0 }] })).status).toBe(403);

      await within(new Promise<void>((resolve) => (peer.dc.isOpen() ? resolve() : peer.dc.onOpen(() => resolve()))), 10_000, 'the data channel to open');
      peer.dc.sendMessage('ping: 1764568800123');
      peer.dc.sendMessage(JSON.stringify({ label: 'rtvi-ai', type: 'client-ready', id: 'abcd1234', data: { version: '2.1.0', about: { library: 'test' } } }));
      const ready = await eventually(() => peer.received.find((m) => m.type === 'bot-ready'), 'bot-ready');
      expect(ready).toEqual({ label: 'rtvi-ai', type: 'bot-ready', id: 'abcd1234', data: { version: '2.1.0', about: { library: 'voicebridge' } } });
      const started = await eventually(() => peer.received.find((m) => m.type === 'server-message' && m.data.type === 'session.started'), 'the call id as a server message');
      const connected = await eventually(async () => {
        const s = await status(c.sessionId);
        return s.state === 'connected' ? s : undefined;
      }, 'the session to be connected');
      expect(connected.callId).toBe(started.data.callId);

      // The bot hangs up on disconnect-bot: the client is told peerLeft, the session ends.
      peer.dc.sendMessage(JSON.stringify({ label: 'rtvi-ai', type: 'disconnect-bot', id: 'abcd1235', data: {} }));
      await eventually(() => peer.received.find((m) => m.type === 'signalling' && m.message.type === 'peerLeft'), 'peerLeft');
      const ended = await eventually(async () => {
        const s = await status(c.sessionId);
        return s.state === 'ended' ? s : undefined;
      }, 'the session to end');
      expect(ended.endedReason).toBe('caller-ended');
    } finally {
      peer.close();
    }
  }, 60_000);

  it('refuses a JSON offer that is not one (400) and a re-offer for an earlier peer (409), each with a fresh token', async () => {
    const peer = await offerer();
    try {
      const bad = (await (await connect()).json()) as Connected;
      const res = await postOffer(bad.webrtcRequestParams.endpoint, { sdp: peer.sdp, type: 'answer' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'bad_offer', message: expect.stringContaining('type') });
      const again = (await (await connect()).json()) as Connected;
      expect((await postOffer(again.webrtcRequestParams.endpoint, { sdp: peer.sdp, type: 'offer', pc_id: 'earlier', restart_pc: true })).status).toBe(409);
    } finally {
      peer.close();
    }
  });
});
