import { describe, expect, it } from 'vitest';
import { parseBrowserMessage, sessionControl } from './protocol.js';

describe('browser protocol', () => {
  it('parses session.start with a voice and refuses a bad voice id', () => {
    expect(parseBrowserMessage('{"type":"session.start","voice":"matthew"}')).toMatchObject({ ok: true, message: { type: 'session.start', voice: 'matthew', sampleRateHz: 16000 } });
    expect(parseBrowserMessage('{"type":"session.start","voice":"../../etc"}')).toMatchObject({ ok: false, code: 'bad_message' });
  });

  it('handles ping, pause and resume the same way on both transports', () => {
    const msg = (type: string) => {
      const p = parseBrowserMessage(JSON.stringify({ type }));
      if (!p.ok) throw new Error(p.error);
      return p.message;
    };
    expect(sessionControl(msg('ping'), false)).toEqual({ reply: { type: 'pong' }, paused: false });
    expect(sessionControl(msg('session.pause'), false)).toEqual({ reply: { type: 'state', state: 'paused' }, paused: true });
    expect(sessionControl(msg('session.resume'), true)).toEqual({ reply: { type: 'state', state: 'listening' }, paused: false });
    expect(sessionControl(msg('session.end'), true)).toBeUndefined();
  });
});
