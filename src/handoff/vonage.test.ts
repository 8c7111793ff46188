import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVonageVoiceApi, type VonageVoiceApi } from '../../test/fakes/vonage-voice-api.js';
import type { Handoff } from './record.js';
import { transferNcco, vonagePrivateKey, vonageTransfer, vonageVoiceClient } from './vonage.js';

const handoff = (target: Handoff['target']): Handoff => ({
  callId: 'c1', carrier: 'vonage', carrierIds: { uuid: 'uuid-live' }, target, reason: 'r', source: 'operator', requestedAt: new Date(0).toISOString(), transcript: [], summary: 's',
});

describe('Vonage transfer through the Voice API (official SDK against a local stand-in)', () => {
  let api: VonageVoiceApi;
  beforeAll(async () => {
    api = await startVonageVoiceApi();
    api.liveCalls.add('uuid-live');
  });
  afterAll(() => api.close());

  it('builds the connect NCCO: numbers without the +, SIP URIs as they are', () => {
    expect(transferNcco({ kind: 'phone', number: '+447700900456' })).toEqual([{ action: 'connect', endpoint: [{ type: 'phone', number: '447700900456' }] }]);
    expect(transferNcco({ kind: 'sip', uri: 'sip:desk@pbx.test' })).toEqual([{ action: 'connect', endpoint: [{ type: 'sip', uri: 'sip:desk@pbx.test' }] }]);
  });

  it('PUTs the transfer for the call with a signed application JWT', async () => {
    const transfer = vonageTransfer(vonageVoiceClient({ applicationId: api.applicationId, privateKey: api.privateKey, apiUrl: api.url, timeoutMs: 5000 }));
    await transfer(handoff({ kind: 'phone', number: '+447700900456' }), 'uuid-live');
    expect(api.requests).toEqual([
      { method: 'PUT', path: '/v1/calls/uuid-live', body: { action: 'transfer', destination: { type: 'ncco', ncco: [{ action: 'connect', endpoint: [{ type: 'phone', number: '447700900456' }] }] } } },
    ]);
  });

  it('rejects when the API refuses: an ended call (404) or another application (401)', async () => {
    const transfer = vonageTransfer(vonageVoiceClient({ applicationId: api.applicationId, privateKey: api.privateKey, apiUrl: api.url, timeoutMs: 5000 }));
    await expect(transfer(handoff({ kind: 'phone', number: '+447700900456' }), 'uuid-gone')).rejects.toThrow();
    const other = vonageTransfer(vonageVoiceClient({ applicationId: 'someone-else', privateKey: api.privateKey, apiUrl: api.url, timeoutMs: 5000 }));
    await expect(other(handoff({ kind: 'phone', number: '+447700900456' }), 'uuid-live')).rejects.toThrow();
    expect(api.requests).toHaveLength(1);
  });
});

describe('VONAGE_PRIVATE_KEY', () => {
  const pem = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';
  it('is PEM text (escaped newlines allowed) or a file path', () => {
    const noFile = () => {
      throw new Error('not read');
    };
    expect(vonagePrivateKey(pem, noFile)).toBe(pem);
    expect(vonagePrivateKey(pem.replace(/\n/g, '\\n'), noFile)).toBe(pem);
    expect(vonagePrivateKey('keys/app.key', (p) => (p === 'keys/app.key' ? pem : ''))).toBe(pem);
    expect(() => vonagePrivateKey('keys/app.key', () => 'hello')).toThrow('holds no PEM private key');
  });
});
