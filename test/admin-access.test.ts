/**
 * The admin routes (`GET /calls`, `GET /stats`, anything under `/calls/`) are not for every
 * caller: with no auth configured only clients on this machine may read them, `ADMIN_TOKEN`
 * opens them to its holder alone, and with browser JWT auth a caller's token is not enough
 * without the admin scope. Requests are injected with the client address they would come from.
 */
import { SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/core/log-output.js';
import { loopbackModel } from '../src/models/loopback/model.js';
import { createServer, type Server } from '../src/server.js';
import { MemoryCallStore } from './fakes/call-store.js';

const SECRET = 'a-development-secret-of-enough-length';
const ADMIN = 'admin-token-0123456789abcdef';
const REMOTE = '203.0.113.7';
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await s.close(100);
});

async function make(settings: Record<string, string> = {}): Promise<Server> {
  const logger = createLogger({ level: 'silent', format: 'json', service: 'test' });
  const s = await createServer(loadConfig({}, { BARGE_IN_VAD: 'false', ...settings }), { store: new MemoryCallStore(), logger, model: loopbackModel(), webRoot: '/nonexistent' });
  servers.push(s);
  return s;
}

function jwt(claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
}

async function status(s: Server, url: string, opts: { remoteAddress?: string; headers?: Record<string, string>; method?: 'GET' | 'HEAD' | 'DELETE' } = {}): Promise<number> {
  return (await s.app.inject({ method: opts.method ?? 'GET', url, remoteAddress: opts.remoteAddress ?? '127.0.0.1', headers: opts.headers })).statusCode;
}

describe('admin routes with no auth configured', () => {
  it('answer clients on this machine, and nobody else', async () => {
    const s = await make();
    for (const url of ['/calls', '/stats']) {
      expect(await status(s, url), url).toBe(200);
      expect(await status(s, url, { remoteAddress: '::1' })).toBe(200);
      expect(await status(s, url, { remoteAddress: '::ffff:127.0.0.1' })).toBe(200);
      expect(await status(s, url, { remoteAddress: REMOTE }), url).toBe(403);
      expect(await status(s, url, { remoteAddress: '::ffff:203.0.113.7' })).toBe(403);
      expect(await status(s, url, { remoteAddress: REMOTE, method: 'HEAD' })).toBe(403);
      // A header cannot pass for loopback; and through a same-host proxy everyone looks local.
      expect(await status(s, url, { remoteAddress: REMOTE, headers: { 'x-forwarded-for': '127.0.0.1' } })).toBe(403);
      expect(await status(s, url, { headers: { 'x-forwarded-for': REMOTE } })).toBe(403);
      expect(await status(s, url, { headers: { forwarded: `for=${REMOTE}` } })).toBe(403);
      // DNS rebinding: another site's page reaches us over loopback under its own name.
      expect(await status(s, url, { headers: { host: 'evil.example:3000' } })).toBe(403);
      expect(await status(s, url, { headers: { host: 'localhost.evil.example' } })).toBe(403);
      expect(await status(s, url, { headers: { host: '0.0.0.0:3000' } })).toBe(403);
      for (const host of ['localhost:3000', 'LOCALHOST', '127.0.0.1:3000', '[::1]:3000', '127.0.0.1']) expect(await status(s, url, { headers: { host } }), host).toBe(200);
    }
    const rebound = await s.app.inject({ method: 'GET', url: '/calls', headers: { host: 'evil.example:3000' } });
    expect(rebound.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('localhost, 127.0.0.1 or [::1]') });
    const res = await s.app.inject({ method: 'GET', url: '/calls', remoteAddress: REMOTE });
    expect(res.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('ADMIN_TOKEN') });
    // Probes stay open.
    expect(await status(s, '/health', { remoteAddress: REMOTE })).toBe(200);
  });

  it('guard one call\'s record (GET /calls/:id) alike: 404 for an unknown call only past the check', async () => {
    const s = await make();
    expect(await status(s, '/calls/no-such-call')).toBe(404);
    expect(await status(s, '/calls/no-such-call', { remoteAddress: REMOTE })).toBe(403);
    const t = await make({ ADMIN_TOKEN: ADMIN });
    expect(await status(t, '/calls/no-such-call')).toBe(401);
    expect(await status(t, '/calls/no-such-call', { remoteAddress: REMOTE, headers: { authorization: `Bearer ${ADMIN}` } })).toBe(404);
  });

  it('guard call control registered under /calls/ too', async () => {
    const s = await make();
    s.app.delete('/calls/:id/control', async () => ({ ended: true }));
    expect(await status(s, '/calls/abc/control', { method: 'DELETE', remoteAddress: REMOTE })).toBe(403);
    expect(await status(s, '/calls/abc/control', { method: 'DELETE' })).toBe(200);
  });
});

describe('admin routes with ADMIN_TOKEN', () => {
  it('need the admin token from every client, local ones too', async () => {
    const s = await make({ ADMIN_TOKEN: ADMIN });
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    for (const url of ['/calls', '/stats']) {
      expect(await status(s, url, { remoteAddress: REMOTE, headers: bearer(ADMIN) }), url).toBe(200);
      expect(await status(s, url, { headers: bearer(ADMIN) })).toBe(200);
      expect(await status(s, url)).toBe(401);
      expect(await status(s, url, { remoteAddress: REMOTE, headers: bearer(`${ADMIN}x`) })).toBe(401);
      expect(await status(s, url, { remoteAddress: REMOTE, headers: bearer(ADMIN.slice(0, -1)) })).toBe(401);
      // Never from a URL (it would be logged, bookmarked, sent as Referer).
      expect(await status(s, `${url}?token=${ADMIN}`, { remoteAddress: REMOTE })).toBe(401);
    }
  });

  it('is refused when too short', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN.*16/);
  });
});

describe('admin routes with browser JWT auth', () => {
  it("refuse a caller's token without the admin scope; admit the scope or the admin token", async () => {
    const s = await make({ AUTH_JWT_SECRET: SECRET, ADMIN_TOKEN: ADMIN });
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const caller = await jwt({ sub: 'a-caller' });
    for (const url of ['/calls', '/stats']) {
      expect(await status(s, url, { headers: bearer(caller) }), url).toBe(403);
      expect(await status(s, url, { remoteAddress: REMOTE, headers: bearer(caller) })).toBe(403);
      expect(await status(s, url)).toBe(401);
      expect(await status(s, url, { remoteAddress: REMOTE, headers: bearer(await jwt({ scope: 'openid voicebridge:admin' })) })).toBe(200);
      expect(await status(s, url, { remoteAddress: REMOTE, headers: bearer(await jwt({ scp: ['voicebridge:admin'] })) })).toBe(200);
      expect(await status(s, url, { remoteAddress: REMOTE, headers: bearer(ADMIN) })).toBe(200);
    }
    const res = await s.app.inject({ method: 'GET', url: '/calls', headers: bearer(caller) });
    expect(res.json()).toMatchObject({ error: 'forbidden', message: expect.stringContaining('voicebridge:admin') });
  });

  it('take the admin scope from AUTH_ADMIN_SCOPE', async () => {
    const s = await make({ AUTH_JWT_SECRET: SECRET, AUTH_ADMIN_SCOPE: 'ops' });
    expect(await status(s, '/calls', { headers: { authorization: `Bearer ${await jwt({ scope: 'ops' })}` } })).toBe(200);
    expect(await status(s, '/calls', { headers: { authorization: `Bearer ${await jwt({ scope: 'voicebridge:admin' })}` } })).toBe(403);
  });
});
