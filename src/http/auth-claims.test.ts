import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createBrowserAuth } from './auth.js';

const SECRET = 'a-development-secret-of-enough-length';
const sign = (build: (jwt: SignJWT) => SignJWT) => build(new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt()).sign(new TextEncoder().encode(SECRET));

describe('browser JWT claims', () => {
  const auth = createBrowserAuth({ jwtSecret: SECRET });

  it('refuses a token without exp (it would be valid forever)', async () => {
    const forever = await sign((j) => j);
    const result = await auth.check(`Bearer ${forever}`, '/client');
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.message).toMatch(/exp/);
  });

  it('accepts a token with exp, and refuses an expired one', async () => {
    expect((await auth.check(`Bearer ${await sign((j) => j.setExpirationTime('5m'))}`, '/client')).ok).toBe(true);
    expect((await auth.check(undefined, `/client?token=${await sign((j) => j.setExpirationTime('-1m'))}`)).ok).toBe(false);
  });
});
