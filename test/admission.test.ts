/**
 * Calls and sockets per client address and in all, against a server process with small limits:
 * refusals are a close 1013 once upgraded (calls at once) or 503 with `Retry-After` (upgrades and
 * WebRTC offers per minute, offers when calls are full), each counted in `/stats`. Loopback
 * addresses 127.0.0.x stand for different clients.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';

let srv: ServerProcess;

beforeAll(async () => {
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, MAX_CALLS: 3, MAX_CALLS_PER_ADDRESS: 2, WS_UPGRADES_PER_MINUTE: 6, WEBRTC_OFFERS_PER_MINUTE: 2 });
}, 120_000);

afterAll(async () => {
  expect(await srv?.stop()).toBe(0);
});

interface Refusals {
  maxCalls: number;
  callsPerAddress: number;
  upgradesPerMinute: number;
  offersPerMinute: number;
}
const refused = async () => ((await (await fetch(`${srv.url}/stats`)).json()) as { limits: { refused: Refusals } }).limits.refused;

interface Socket {
  ws: WebSocket;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `/ws` from `localAddress`; resolves once open, or with the HTTP refusal of the upgrade. */
function openFrom(localAddress: string, path = '/ws'): Promise<Socket | { status: number; retryAfter: string | undefined; body: string }> {
  const ws = new WebSocket(`${srv.url.replace('http', 'ws')}${path}`, { localAddress });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body }));
    });
    ws.once('error', (err) => reject(err));
  });
}

async function openSocket(localAddress: string, path = '/ws'): Promise<Socket> {
  const s = await openFrom(localAddress, path);
  if (!('ws' in s)) throw new Error(`upgrade refused: ${s.status} ${s.body}`);
  return s;
}

/** POSTs `body` to `/webrtc/offer` from `localAddress`. */
function postOffer(localAddress: string, body: string): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${srv.url}/webrtc/offer`, { method: 'POST', localAddress, headers: { 'content-type': 'application/sdp' } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

describe('calls at once', () => {
  it('refuses a third call from one address and a fourth in all with close 1013, counts both, and frees slots as calls end', async () => {
    const a1 = await openSocket('127.0.0.11');
    const a2 = await openSocket('127.0.0.11');
    const a3 = await openSocket('127.0.0.11');
    const a3Closed = await a3.closed;
    expect(a3Closed.code).toBe(1013);
    expect(a3Closed.reason).toMatch(/too many calls from your address/);
    const b1 = await openSocket('127.0.0.12');
    const b2 = await openSocket('127.0.0.12');
    const b2Closed = await b2.closed;
    expect(b2Closed.code).toBe(1013);
    expect(b2Closed.reason).toMatch(/call limit/);
    expect(await refused()).toMatchObject({ callsPerAddress: 1, maxCalls: 1 });
    // An offer while calls are full: 503 with Retry-After, before any peer connection is made.
    const offer = await postOffer('127.0.0.13', 'v=0\r\n');
    expect(offer.status).toBe(503);
    expect(Number(offer.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(offer.body)).toMatchObject({ error: 'over_limit', limit: 'maxCalls' });
    // The survivors are still served, and a slot comes back when a call ends.
    expect(a1.ws.readyState).toBe(WebSocket.OPEN);
    a1.ws.close();
    await a1.closed;
    const again = await eventually(async () => {
      const c = await openSocket('127.0.0.12');
      const outcome = await Promise.race([c.closed, new Promise<null>((r) => setTimeout(() => r(null), 300))]);
      if (outcome === null) return c;
      return undefined;
    }, 'a slot freed by the ended call');
    for (const s of [a2, b1, again]) s.ws.close();
  }, 30_000);
});

describe('plain requests to a WebSocket route', () => {
  it('hold no call slot: open keep-alive connections that never upgrade do not keep a caller out', async () => {
    const agents = [0, 1].map(() => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    for (const agent of agents) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.get(`${srv.url}/ws`, { agent, localAddress: '127.0.0.41' }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode ?? 0))));
        req.once('error', reject);
      });
      expect(status).toBe(404);
    }
    // Both connections stay open (keep-alive); this address's two call slots must still be free:
    // two browser sessions start (a refused one would be closed 1013 before it could).
    const sessions = await Promise.all([0, 1].map(() => openSocket('127.0.0.41', '/client')));
    await Promise.all(
      sessions.map(
        (x) =>
          new Promise<void>((resolve, reject) => {
            x.ws.on('message', (d) => JSON.parse(d.toString()).type === 'session.started' && resolve());
            void x.closed.then((c) => reject(new Error(`closed ${c.code} ${c.reason}`)));
            x.ws.send(JSON.stringify({ type: 'session.start', sampleRateHz: 16000 }));
          }),
      ),
    );
    for (const x of sessions) x.ws.close();
    await Promise.all(sessions.map((x) => x.closed));
    for (const agent of agents) agent.destroy();
  });
});

describe('upgrades per minute', () => {
  it('answers 503 with Retry-After before the upgrade once an address has opened its share, and counts it', async () => {
    const before = (await refused()).upgradesPerMinute;
    const sockets: Socket[] = [];
    for (let i = 0; i < 6; i++) {
      const s = await openSocket('127.0.0.21');
      s.ws.close();
      await s.closed;
      sockets.push(s);
    }
    const over = await openFrom('127.0.0.21');
    expect('status' in over && over.status).toBe(503);
    if (!('status' in over)) return;
    expect(Number(over.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(over.body)).toMatchObject({ error: 'over_limit', limit: 'upgradesPerMinute' });
    // Another address is not affected.
    const other = await openSocket('127.0.0.22');
    other.ws.close();
    expect((await refused()).upgradesPerMinute).toBe(before + 1);
  });
});

describe('WebRTC offers per minute', () => {
  it('answers 503 with Retry-After after an address sent its share of offers, and counts it', async () => {
    expect((await postOffer('127.0.0.31', 'not an offer')).status).toBe(400);
    expect((await postOffer('127.0.0.31', 'not an offer')).status).toBe(400);
    const over = await postOffer('127.0.0.31', 'not an offer');
    expect(over.status).toBe(503);
    expect(Number(over.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(over.body)).toMatchObject({ error: 'over_limit', limit: 'offersPerMinute' });
    expect((await postOffer('127.0.0.32', 'not an offer')).status).toBe(400);
    expect((await refused()).offersPerMinute).toBe(1);
  });
});
