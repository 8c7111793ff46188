import { describe, expect, it } from 'vitest';
import { corsHeaders, originAllowed } from './cors.js';

describe('CORS', () => {
  it('allows listed origins and any with *, never a request without Origin', () => {
    expect(originAllowed('https://app.example.com', ['https://app.example.com'])).toBe(true);
    expect(originAllowed('https://evil.example.com', ['https://app.example.com'])).toBe(false);
    expect(originAllowed('http://localhost:5173', ['*'])).toBe(true);
    expect(originAllowed(undefined, ['*'])).toBe(false);
  });

  it('answers an allowed preflight with methods, the requested headers and a max age; a refused one with Vary only', () => {
    const h = corsHeaders('http://localhost:5173', ['http://localhost:5173'], { requestHeaders: 'content-type, authorization' });
    expect(h).toMatchObject({
      vary: 'Origin',
      'access-control-allow-origin': 'http://localhost:5173',
      'access-control-allow-methods': expect.stringContaining('PATCH'),
      'access-control-allow-headers': 'content-type, authorization',
      'access-control-max-age': '600',
    });
    expect(corsHeaders('https://evil.example.com', ['http://localhost:5173'], {})).toEqual({ vary: 'Origin' });
    // Header names only: anything else is not echoed.
    expect(corsHeaders('http://a.example', ['*'], { requestHeaders: 'x\r\nset-cookie: 1' })['access-control-allow-headers']).toBe('Content-Type, Authorization');
  });

  it('puts the origin on simple responses without the preflight headers', () => {
    const h = corsHeaders('http://a.example', ['*']);
    expect(h['access-control-allow-origin']).toBe('http://a.example');
    expect(h['access-control-allow-methods']).toBeUndefined();
  });
});
