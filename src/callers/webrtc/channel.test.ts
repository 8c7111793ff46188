import { describe, expect, it } from 'vitest';
import { ChannelProtocol } from './channel.js';

function channel() {
  const sent: Record<string, any>[] = [];
  const asked: string[] = [];
  const ch = new ChannelProtocol((f) => sent.push(JSON.parse(f)), { text: (t) => asked.push(`text:${t}`), dtmf: (d) => asked.push(`dtmf:${d}`), end: () => asked.push('end') }, () => '2026-12-01T06:00:00.000Z');
  return { ch, sent, asked };
}
const CLIENT_READY = JSON.stringify({ label: 'rtvi-ai', type: 'client-ready', id: '882c642d', data: { version: '2.1.0', about: {} } });

describe('ChannelProtocol', () => {
  it('speaks our protocol until the client says otherwise, and keeps to it when the client speaks it first', () => {
    const { ch, sent, asked } = channel();
    ch.deliver({ type: 'state', state: 'listening' });
    expect(sent).toEqual([{ type: 'state', state: 'listening' }]);
    ch.read(JSON.stringify({ type: 'text', text: 'hi' }));
    expect(ch.protocol).toBe('voicebridge');
    // A Pipecat-looking frame later does not switch a channel that chose our protocol.
    ch.read(CLIENT_READY);
    expect(sent.at(-1)).toMatchObject({ type: 'error', code: 'unknown_type' });
    ch.read(JSON.stringify({ type: 'session.pause' }));
    expect(ch.paused).toBe(true);
    ch.read(JSON.stringify({ type: 'session.end' }));
    expect(asked).toEqual(['text:hi', 'end']);
  });

  it('switches to RTVI on a Pipecat first frame: bot-ready to client-ready, then the call id, then RTVI events and peerLeft at the end', () => {
    const { ch, sent } = channel();
    ch.deliver({ type: 'session.started', callId: 'c1', sampleRateHz: 48000, model: 'local', audioTransport: 'binary' });
    expect(sent.pop()).toMatchObject({ type: 'session.started' }); // before the switch: ours (a Pipecat client drops it)
    ch.read('ping: 1764568800123');
    expect(ch.protocol).toBe('rtvi');
    expect(sent).toEqual([]);
    ch.read(CLIENT_READY);
    expect(sent.map((m) => [m.type, m.id])).toEqual([['bot-ready', '882c642d'], ['server-message', undefined]]);
    expect(sent[1].data).toMatchObject({ type: 'session.started', callId: 'c1' });
    sent.length = 0;
    ch.deliver({ type: 'state', state: 'responding' });
    ch.deliver({ type: 'playback.clear' });
    ch.deliver({ type: 'session.ended', reason: 'caller-ended' });
    expect(sent.map((m) => m.type)).toEqual(['bot-started-speaking', 'bot-stopped-speaking', 'user-started-speaking', 'bot-interrupted', 'server-message', 'server-message', 'signalling']);
    expect(sent.at(-1)).toEqual({ type: 'signalling', message: { type: 'peerLeft' } });
  });

  it('acts on RTVI send-text, dtmf, disconnect-bot and microphone trackStatus, and answers the rest with error-response', () => {
    const { ch, sent, asked } = channel();
    ch.read(JSON.stringify({ type: 'signalling', message: { type: 'trackStatus', receiver_index: 0, enabled: true } }));
    expect(ch.paused).toBe(false);
    ch.read(JSON.stringify({ type: 'signalling', message: { type: 'trackStatus', receiver_index: 1, enabled: false } }));
    expect(ch.paused).toBe(false);
    ch.read(JSON.stringify({ type: 'signalling', message: { type: 'trackStatus', receiver_index: 0, enabled: false } }));
    expect(ch.paused).toBe(true);
    ch.read(JSON.stringify({ label: 'rtvi-ai', type: 'send-text', id: 'a1', data: { content: 'hello' } }));
    ch.read(JSON.stringify({ label: 'rtvi-ai', type: 'dtmf', id: 'a2', data: { buttons: ['4', '#'] } }));
    ch.read(JSON.stringify({ label: 'rtvi-ai', type: 'client-message', id: 'a3', data: { t: 'x' } }));
    ch.read(JSON.stringify({ label: 'rtvi-ai', type: 'dtmf', id: 'a4', data: { buttons: [] } }));
    ch.read('garbage');
    ch.read(JSON.stringify({ label: 'rtvi-ai', type: 'disconnect-bot', id: 'a5', data: {} }));
    expect(asked).toEqual(['text:hello', 'dtmf:4', 'dtmf:#', 'end']);
    expect(sent.map((m) => [m.type, m.id])).toEqual([['error-response', 'a3'], ['error-response', 'a4'], ['error-response', undefined]]);
    expect(sent[0].data.error).toBe('Unsupported type client-message');
  });
});
