/**
 * Browser-caller auth against a real server process with `AUTH_JWT_SECRET`: without a valid
 * bearer token, `/client`, `/ws`, `/webrtc/offer` and `/calls` answer 401 and nothing else; with
 * one they work (`/calls` only with the admin scope). Also: WebRTC offers that are not SDP, or have no Opus audio, get 400.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

const SECRET = 'a-development-secret-of-enough-length';
let srv: ServerProcess;

async function token(secret = SECRET, claims: Record<string, unknown> = {}, expiresIn = '5m'): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject('tester').setAudience('voicebridge').setIssuedAt().setExpirationTime(expiresIn).sign(new TextEncoder().encode(secret));
}

/** Opens a WebSocket; resolves with the HTTP status of a refused upgrade, or 101 when it opened. */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve(0));
  });
}

beforeAll(async () => {
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', AUTH_JWT_SECRET: SECRET, AUTH_AUDIENCE: 'voicebridge', WEBRTC_BIND_ADDRESS: '127.0.0.1' });
}, 60_000);

afterAll(async () => {
  expect(await srv?.stop()).toBe(0);
});

describe('browser auth with AUTH_JWT_SECRET', () => {
  it('refuses WebSocket callers without a valid token with 401, and admits a valid one', async () => {
    const ws = srv.url.replace('http', 'ws');
    expect(await upgradeStatus(`${ws}/client`)).toBe(401);
    expect(await upgradeStatus(`${ws}/ws`)).toBe(401);
    expect(await upgradeStatus(`${ws}/client?token=${await token('wrong-secret-wrong-secret')}`)).toBe(401);
    expect(await upgradeStatus(`${ws}/client?token=${await token(SECRET, {}, '-1m')}`)).toBe(401);
    expect(await upgradeStatus(`${ws}/client`, { authorization: `Bearer ${await token()}` })).toBe(101);
    expect(await upgradeStatus(`${ws}/client?token=${await token()}`)).toBe(101);
  });

  it('checks the audience', async () => {
    const other = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience('someone-else').setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
    const res = await fetch(`${srv.url}/calls`, { headers: { authorization: `Bearer ${other}` } });
    expect(res.status).toBe(401);
  });

  it('guards /webrtc/offer and /calls, and says why', async () => {
    const offer = await fetch(`${srv.url}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
    expect(offer.status).toBe(401);
    expect(offer.headers.get('www-authenticate')).toBe('Bearer');
    expect(await offer.json()).toMatchObject({ error: 'unauthorized', message: 'a bearer token is required' });
    expect((await fetch(`${srv.url}/calls`)).status).toBe(401);
    // A caller's token does not read every caller's records: that takes the admin scope.
    expect((await fetch(`${srv.url}/calls`, { headers: { authorization: `Bearer ${await token()}` } })).status).toBe(403);
    expect((await fetch(`${srv.url}/calls`, { headers: { authorization: `Bearer ${await token(SECRET, { scope: 'voicebridge:admin' })}` } })).status).toBe(200);
    // Health and readiness stay open for load balancers.
    expect((await fetch(`${srv.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${srv.url}/health`)).json()).toMatchObject({ authRequired: true });
  });

  it('answers bad WebRTC offers with 400 and a reason', async () => {
    const auth = { authorization: `Bearer ${await token()}` };
    const notSdp = await fetch(`${srv.url}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: 'hello' });
    expect(notSdp.status).toBe(400);
    const noAudio = await fetch(`${srv.url}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/sdp', ...auth }, body: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n' });
    expect(noAudio.status).toBe(400);
    expect(await noAudio.json()).toMatchObject({ error: 'bad_offer', message: expect.stringContaining('Opus') });
    expect((await fetch(`${srv.url}/webrtc/sessions/nope`, { method: 'DELETE', headers: auth })).status).toBe(404);
  });
});

describe('browser auth with AUTH_JWKS_URL (e.g. a Cognito user pool)', () => {
  it('verifies RS256 tokens against the key set, issuer and audience', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwks = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', () => resolve()));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    const issuer = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TEST';
    const server = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: 'app-client' });
    try {
      const sign = (iss: string) => new SignJWT({ token_use: 'id' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(iss).setAudience('app-client').setExpirationTime('5m').sign(privateKey);
      const ws = server.url.replace('http', 'ws');
      expect(await upgradeStatus(`${ws}/client`)).toBe(401);
      expect(await upgradeStatus(`${ws}/client?token=${await sign('https://someone-else')}`)).toBe(401);
      expect(await upgradeStatus(`${ws}/client?token=${await token()}`)).toBe(401); // HS256 is not accepted here
      expect(await upgradeStatus(`${ws}/client?token=${await sign(issuer)}`)).toBe(101);
    } finally {
      expect(await server.stop()).toBe(0);
      jwks.close();
    }
  });
});
