import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { CONNECT_SESSION_RETENTION_MS, ConnectSessions } from './connect-sessions.js';

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
