import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { CONNECT_SESSION_RETENTION_MS, ConnectSessions, parseConnectRequest, type ConnectSessionStatus, type SharedSessions } from './connect-sessions.js';

describe('ConnectSessions', () => {
  it('goes waiting → connecting → connected → ended, and says why it ended', () => {
    const clock = new FakeClock();
    const s = new ConnectSessions(clock);
    const id = s.create(30_000);
    expect(s.status(id)).toEqual({ sessionId: id, state: 'waiting' });
    s.connecting(id);
    expect(s.status(id)?.state).toBe('connecting');
    s.connected(id, 'call-1');
    expect(s.status(id)).toEqual({ sessionId: id, state: 'connected', callId: 'call-1' });
    s.ended(id, 'datachannel-closed');
    expect(s.status(id)).toEqual({ sessionId: id, state: 'ended', callId: 'call-1', endedReason: 'datachannel-closed' });
    s.connected(id, 'call-2');
    expect(s.status(id)?.state).toBe('ended');
    expect(s.status('nope')).toBeUndefined();
  });

  it('expires a session whose token was never used, and forgets finished sessions after the retention', () => {
    const clock = new FakeClock();
    const s = new ConnectSessions(clock);
    const unused = s.create(1000);
    const done = s.create(1000);
    s.connecting(done);
    s.ended(done, 'caller-ended');
    clock.advance(1000);
    expect(s.status(unused)?.state).toBe('expired');
    s.connecting(unused);
    expect(s.status(unused)?.state).toBe('expired');
    clock.advance(CONNECT_SESSION_RETENTION_MS);
    s.create(1000); // creating prunes
    expect(s.status(unused)).toBeUndefined();
    expect(s.status(done)).toBeUndefined();
  });
});

describe('parseConnectRequest', () => {
  it('takes an empty body, a voice and a model, and ignores the keys Pipecat templates send', () => {
    expect(parseConnectRequest(undefined)).toEqual({ ok: true, value: {} });
    expect(parseConnectRequest({})).toEqual({ ok: true, value: {} });
    expect(parseConnectRequest({ createDailyRoom: false, enableDefaultIceServers: true, transport: 'webrtc', voice: 'slt', model: 'local' })).toEqual({ ok: true, value: { voice: 'slt', model: 'local' } });
  });

  it('refuses a body that is not an object, or a bad voice or model, saying why', () => {
    for (const body of [[], 'text', 3, null]) expect(parseConnectRequest(body)).toEqual({ ok: false, error: 'the body must be a JSON object (or empty)' });
    expect(parseConnectRequest({ voice: '../x' })).toEqual({ ok: false, error: 'voice must be a voice id (letters, digits, - and _)' });
    expect(parseConnectRequest({ model: 7 })).toMatchObject({ ok: false });
  });
});

describe('ConnectSessions with a shared copy (several instances)', () => {
  it('a session made on one instance is read, and moved on, at another', async () => {
    const copy = new Map<string, ConnectSessionStatus>();
    const shared: SharedSessions = { put: (s) => void copy.set(s.sessionId, s), get: async (id) => copy.get(id) };
    const clock = new FakeClock();
    const [a, b] = [new ConnectSessions(clock, shared), new ConnectSessions(clock, shared)];
    const id = a.create(30_000);
    expect(await b.statusAnywhere(id)).toEqual({ sessionId: id, state: 'waiting' });
    b.connecting(id);
    b.connected(id, 'call-9');
    expect(await a.statusAnywhere(id)).toEqual({ sessionId: id, state: 'connected', callId: 'call-9' });
    b.ended(id, 'caller-ended');
    expect(await a.statusAnywhere(id)).toEqual({ sessionId: id, state: 'ended', callId: 'call-9', endedReason: 'caller-ended' });
    expect(await b.statusAnywhere('nope')).toBeUndefined();
  });
});
