import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { checkCredentials, missingCredentialsWarning } from './credentials.js';

describe('checkCredentials', () => {
  it('is ok when the chain resolves an access key', async () => {
    expect(await checkCredentials(async () => ({ accessKeyId: 'AKIA…', secretAccessKey: 's' }), 3000, new FakeClock())).toEqual({ ok: true });
  });

  it('reports the chain’s error', async () => {
    const check = await checkCredentials(async () => Promise.reject(new Error('Could not load credentials from any providers\nmore')), 3000, new FakeClock());
    expect(check).toEqual({ ok: false, reason: 'Could not load credentials from any providers' });
  });

  it('gives up after the time limit instead of waiting on a slow chain', async () => {
    const clock = new FakeClock();
    const pending = checkCredentials(() => new Promise(() => {}), 3000, clock);
    clock.advance(3000);
    expect(await pending).toEqual({ ok: false, reason: 'no credentials were found within 3 s' });
  });

  it('says how to provide credentials', () => {
    expect(missingCredentialsWarning('x')).toMatch(/calls will fail.*AWS_ACCESS_KEY_ID.*AWS_PROFILE.*role/);
  });
});
