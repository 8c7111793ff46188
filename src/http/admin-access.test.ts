import { describe, expect, it } from 'vitest';
import { hasScope, isAdminRoute, isLoopbackAddress, sameSecret } from './admin-access.js';

describe('admin access rule parts', () => {
  it('knows loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.3.2.1', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', '1127.0.0.1', '127.0.0.1.evil', '', undefined, '::2']) expect(isLoopbackAddress(a), String(a)).toBe(false);
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
