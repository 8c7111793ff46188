import { describe, expect, it } from 'vitest';
import { hasScope, isAdminRoute, isLoopbackAddress, isLoopbackHost, sameSecret } from './admin-access.js';

describe('admin access rule parts', () => {
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '1127.0.0.1', '127.0.0.1.evil', '', undefined, '::2']) expect(isLoopbackAddress(a), String(a)).toBe(false);
  });

  it('takes a Host naming the loopback in any form a client writes it, and nothing else', () => {
    const local = ['localhost', 'localhost:3000', 'LOCALHOST', '127.0.0.1', '127.0.0.1:3000', '127.9.8.7', '127.1', '127.1:3000', '0x7f.1', '2130706433', '[::1]', '[::1]:3000', '[0:0:0:0:0:0:0:1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]:3000'];
    for (const h of local) expect(isLoopbackHost(h), h).toBe(true);
    const other = ['evil.example', 'localhost.evil.example', '127.0.0.1.evil.example', 'localhost.', 'localhost.:3000', 'localhost..', '0.0.0.0', '[::]', '[::ffff:a00:1]', '10.0.0.1', 'evil@localhost', 'localhost/x', 'local host', 'localhost:99999', '', undefined];
    for (const h of other) expect(isLoopbackHost(h), String(h)).toBe(false);
  });

  it('reads scopes from scope and scp', () => {
    expect(hasScope({ scope: 'openid voicebridge:admin' }, 'voicebridge:admin')).toBe(true);
    expect(hasScope({ scp: ['voicebridge:admin'] }, 'voicebridge:admin')).toBe(true);
    expect(hasScope({ scp: 'voicebridge:admin' }, 'voicebridge:admin')).toBe(true);
    expect(hasScope({ scope: 'voicebridge:administrator' }, 'voicebridge:admin')).toBe(false);
    expect(hasScope(null, 'voicebridge:admin')).toBe(false);
  });

  it('compares secrets exactly', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'abc')).toBe(false);
  });

  it('names the admin routes', () => {
    for (const r of ['/calls', '/stats', '/monitor', '/calls/:id', '/calls/:id/hangup']) expect(isAdminRoute(r), r).toBe(true);
    for (const r of ['/callsx', '/health', '/client', '/', '/monitorx', '/metrics']) expect(isAdminRoute(r), r).toBe(false);
  });
});
