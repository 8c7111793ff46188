import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryReplayStore } from './replay-store.js';
import { callBindingProblem, isStreamToken, signStreamToken, verifyStreamToken } from './stream-token.js';
import { StreamTokens } from './stream-tokens.js';

const SECRET = Buffer.from('a-stream-token-secret-for-tests');
const T0 = 1_700_000_000_000;

describe('stream tokens (pure)', () => {
  it('round-trips route, call binding and expiry, and is URL- and XML-safe', () => {
    const token = signStreamToken(SECRET, { route: 'twilio', carrierCallId: 'CA1', expiresAtMs: T0 + 30_000 });
    expect(token).toMatch(/^vbs1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(isStreamToken(token)).toBe(true);
    const check = verifyStreamToken(SECRET, token, 'twilio', T0);
    expect(check).toMatchObject({ ok: true, claims: { route: 'twilio', carrierCallId: 'CA1', expiresAtMs: T0 + 30_000 } });
    if (check.ok) expect(check.claims.tokenId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('refuses missing, malformed, forged, expired and other-route tokens, each with its reason', () => {
    const token = signStreamToken(SECRET, { route: 'ws', expiresAtMs: T0 + 1000 });
    const [, payload, mac] = token.split('.');
    const flipped = mac.slice(0, 5) + (mac[5] === 'A' ? 'B' : 'A') + mac.slice(6);
    // The MAC's last character carries 4 bits and 2 unused ones: changing only those is still refused.
    const lastChar = mac.at(-1)!;
    const sameBits = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(lastChar)) ^ 1];
    const otherPayload = Buffer.from(JSON.stringify({ r: 'ws', j: 'x', e: T0 + 10_000_000 })).toString('base64url');
    const cases: Array<[string | undefined, string, number, string]> = [
      [undefined, 'ws', T0, 'missing'],
      ['', 'ws', T0, 'missing'],
      ['eyJhbGciOiJIUzI1NiJ9.e30.sig', 'ws', T0, 'malformed'],
      ['vbs1.only-one-part', 'ws', T0, 'malformed'],
      [`vbs1.${payload}.${mac}`.padEnd(2000, 'A'), 'ws', T0, 'malformed'],
      [`vbs1.${payload}.${flipped}`, 'ws', T0, 'forged'],
      [`vbs1.${otherPayload}.${mac}`, 'ws', T0, 'forged'],
      [`vbs1.${payload}.${mac.slice(0, -2)}`, 'ws', T0, 'forged'],
      [`vbs1.${payload}.${mac.slice(0, -1)}${sameBits}`, 'ws', T0, 'forged'],
      [signStreamToken(Buffer.from('another-secret-entirely'), { route: 'ws', expiresAtMs: T0 + 1000 }), 'ws', T0, 'forged'],
      [token, 'ws', T0 + 1000, 'expired'],
      [token, 'client', T0, 'wrong-route'],
    ];
    for (const [t, route, now, problem] of cases) {
      const check = verifyStreamToken(SECRET, t, route as 'ws', now);
      expect(check.ok, `${problem}: ${t?.slice(0, 40)}`).toBe(false);
      if (!check.ok) {
        expect(check.problem).toBe(problem);
        expect(check.message).not.toContain(mac);
      }
    }
  });

  it('a signed payload of the wrong shape is malformed, not trusted', () => {
    const payload = Buffer.from(JSON.stringify({ r: 'everything', j: 'x', e: T0 + 1000 })).toString('base64url');
    const mac = createHmac('sha256', SECRET).update(`vbs1.${payload}`).digest('base64url');
    expect(verifyStreamToken(SECRET, `vbs1.${payload}.${mac}`, 'ws', T0)).toMatchObject({ ok: false, problem: 'malformed' });
  });

  it('binds to a carrier call id when it has one', () => {
    const bound = verifyStreamToken(SECRET, signStreamToken(SECRET, { route: 'vonage', carrierCallId: 'u-1', expiresAtMs: T0 + 1 }), 'vonage', T0);
    const unbound = verifyStreamToken(SECRET, signStreamToken(SECRET, { route: 'ws', expiresAtMs: T0 + 1 }), 'ws', T0);
    if (!bound.ok || !unbound.ok) throw new Error('expected valid tokens');
    expect(callBindingProblem(bound.claims, 'u-1')).toBeNull();
    expect(callBindingProblem(bound.claims, 'u-2')).toMatchObject({ problem: 'wrong-call' });
    expect(callBindingProblem(bound.claims, undefined)).toMatchObject({ problem: 'wrong-call' });
    expect(callBindingProblem(unbound.claims, 'anything')).toBeNull();
  });
});

describe('StreamTokens with the in-memory replay store', () => {
  function setup() {
    let now = T0;
    const store = new MemoryReplayStore(() => now, 1000);
    const tokens = new StreamTokens({ secret: SECRET, ttlMs: 30_000, nowMs: () => now, store });
    return { tokens, store, advance: (ms: number) => (now += ms) };
  }

  it('admits a token once; a replay inside its lifetime is refused', async () => {
    const { tokens } = setup();
    const { token, expiresAtMs } = tokens.issue('twilio', { carrierCallId: 'CA1' });
    expect(expiresAtMs).toBe(T0 + 30_000);
    expect(await tokens.admit(token, 'twilio', 'CA1')).toMatchObject({ ok: true });
    expect(await tokens.admit(token, 'twilio', 'CA1')).toMatchObject({ ok: false, problem: 'replayed' });
  });

  it('a refused token is not used up (another call, another route), and a token expires after its lifetime', async () => {
    const { tokens, advance } = setup();
    const { token } = tokens.issue('twilio', { carrierCallId: 'CA1' });
    expect(await tokens.admit(token, 'twilio', 'CA2')).toMatchObject({ ok: false, problem: 'wrong-call' });
    expect(await tokens.admit(token, 'vonage')).toMatchObject({ ok: false, problem: 'wrong-route' });
    expect(await tokens.admit(token, 'twilio', 'CA1')).toMatchObject({ ok: true });
    const late = tokens.issue('ws', { ttlMs: 60_000 });
    advance(59_999);
    const early = tokens.issue('ws');
    advance(1);
    expect(await tokens.admit(late.token, 'ws')).toMatchObject({ ok: false, problem: 'expired' });
    expect(await tokens.admit(early.token, 'ws')).toMatchObject({ ok: true });
  });

  it('forgets used ids once they expire (swept through the injected clock)', async () => {
    const { tokens, store, advance } = setup();
    for (let i = 0; i < 5; i++) expect((await tokens.admit(tokens.issue('ws').token, 'ws')).ok).toBe(true);
    expect(store.size).toBe(5);
    advance(30_000);
    expect((await tokens.admit(tokens.issue('ws').token, 'ws')).ok).toBe(true);
    expect(store.size).toBe(1);
  });

  it('refuses when the store fails, instead of admitting unchecked', async () => {
    const tokens = new StreamTokens({ secret: SECRET, ttlMs: 1000, nowMs: () => T0, store: { consume: () => Promise.reject(new Error('redis down')) } });
    expect(await tokens.admit(tokens.issue('ws').token, 'ws')).toMatchObject({ ok: false, problem: 'unchecked' });
  });
});
