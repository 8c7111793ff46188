import { describe, expect, it } from 'vitest';
import { isCredentialParam, redactText, redactUrl, truncateFields, truncateText } from './redact.js';

describe('redactUrl', () => {
  it('replaces credential values and keeps everything else byte for byte', () => {
    expect(redactUrl('/ws?token=eyJ.abc.def&callerId=a%20b')).toBe('/ws?token=[REDACTED]&callerId=a%20b');
    expect(redactUrl('wss://h/x?Signature=s1&sig=s2&X-Amz-Credential=c&X-Amz-Security-Token=t&api_key=k&password=p&access_token=a&model=local#frag')).toBe(
      'wss://h/x?Signature=[REDACTED]&sig=[REDACTED]&X-Amz-Credential=[REDACTED]&X-Amz-Security-Token=[REDACTED]&api_key=[REDACTED]&password=[REDACTED]&access_token=[REDACTED]&model=local#frag',
    );
    expect(redactUrl('/calls')).toBe('/calls');
    expect(redactUrl('/x?%74oken=secret')).toBe('/x?%74oken=[REDACTED]');
    expect(redactUrl('/x?token')).toBe('/x?token');
  });

  it('finds URLs quoted in free text', () => {
    expect(redactText('Route GET:/nope?token=abc&x=1 not found')).toBe('Route GET:/nope?token=[REDACTED]&x=1 not found');
    expect(redactText('fetch https://h/a?sig=s failed: "https://h/b?key=k"')).toBe('fetch https://h/a?sig=[REDACTED] failed: "https://h/b?key=[REDACTED]"');
    expect(redactText('a=b, plain text')).toBe('a=b, plain text');
    expect((truncateFields({ err: 'GET /x?password=p' }) as { err: string }).err).toBe('GET /x?password=[REDACTED]');
  });

    it('knows the credential names', () => {
    for (const n of ['token', 'TOKEN', 'id_token', 'secret', 'client_secret', 'key', 'apikey', 'sig', 'signature', 'auth', 'jwt', 'code']) expect(isCredentialParam(n), n).toBe(true);
    for (const n of ['callerId', 'model', 'voice', 'simId', 'design']) expect(isCredentialParam(n), n).toBe(false);
  });
});

describe('truncation', () => {
  it('cuts long strings and says by how much', () => {
    expect(truncateText('abc', 5)).toBe('abc');
    expect(truncateText('x'.repeat(300), 256)).toBe(`${'x'.repeat(256)}…[+44 chars]`);
  });

  it('cuts strings in plain objects and arrays, leaves other objects alone', () => {
    const err = new Error('e'.repeat(1000));
    const out = truncateFields({ event: 'y'.repeat(10_000), n: 3, nested: { list: ['z'.repeat(400)] }, err }) as Record<string, unknown>;
    expect((out.event as string).length).toBeLessThan(300);
    expect(out.n).toBe(3);
    expect(((out.nested as { list: string[] }).list[0]).length).toBeLessThan(300);
    expect(out.err).toBe(err);
  });
});
