import { describe, expect, it } from 'vitest';
import { botReady, errorResponse, readChannelFrame, RTVI_LABEL, RtviEncoder } from './rtvi.js';

const NOW = '2026-12-01T06:00:00.000Z';
const frame = (o: unknown) => JSON.stringify(o);
const types = (ms: { type: string }[]) => ms.map((m) => m.type);

describe('readChannelFrame (what a SmallWebRTC client sends, pipecat-rtvi.md §5)', () => {
  it('reads keep-alives, signalling and RTVI client-ready as the client sends them', () => {
    expect(readChannelFrame('ping: 1764568800123')).toEqual({ kind: 'ping', sentAtMs: 1764568800123 });
    expect(readChannelFrame(frame({ type: 'signalling', message: { type: 'trackStatus', receiver_index: 0, enabled: false } }))).toEqual({
      kind: 'signalling',
      message: { type: 'trackStatus', receiverIndex: 0, enabled: false },
    });
    expect(readChannelFrame(frame({ type: 'signalling', message: { type: 'somethingNew' } }))).toEqual({ kind: 'signalling', message: { type: 'unknown', name: 'somethingNew' } });
    const ready = { label: 'rtvi-ai', type: 'client-ready', id: '882c642d', data: { version: '2.1.0', about: { library: '@pipecat-ai/client-js', library_version: '1.13.1' } } };
    expect(readChannelFrame(frame(ready))).toEqual({ kind: 'rtvi', message: { type: 'client-ready', id: '882c642d', version: '2.1.0' } });
  });

  it('reads send-text, dtmf and disconnect-bot, and marks other RTVI types unsupported', () => {
    expect(readChannelFrame(frame({ label: RTVI_LABEL, type: 'send-text', id: 'a1', data: { content: 'hello', options: { run_immediately: true } } }))).toEqual({ kind: 'rtvi', message: { type: 'send-text', id: 'a1', content: 'hello' } });
    expect(readChannelFrame(frame({ label: RTVI_LABEL, type: 'dtmf', id: 'a2', data: { buttons: ['1', '#'] } }))).toEqual({ kind: 'rtvi', message: { type: 'dtmf', id: 'a2', buttons: ['1', '#'] } });
    expect(readChannelFrame(frame({ label: RTVI_LABEL, type: 'disconnect-bot', id: 'a3', data: {} }))).toEqual({ kind: 'rtvi', message: { type: 'disconnect-bot', id: 'a3' } });
    expect(readChannelFrame(frame({ label: RTVI_LABEL, type: 'client-message', id: 'a4', data: { t: 'x', d: {} } }))).toEqual({ kind: 'rtvi', message: { type: 'unsupported', id: 'a4', name: 'client-message' } });
  });

  it('rejects RTVI messages it cannot use, saying why, with the request id when there is one', () => {
    expect(readChannelFrame(frame({ label: RTVI_LABEL, type: 'send-text', id: 'b1', data: { content: '   ' } }))).toMatchObject({ kind: 'rtvi-invalid', id: 'b1', error: expect.stringMatching(/content/) });
    expect(readChannelFrame(frame({ label: RTVI_LABEL, type: 'send-text', id: 'b2', data: { content: 'x'.repeat(4001) } }))).toMatchObject({ kind: 'rtvi-invalid', id: 'b2' });
    expect(readChannelFrame(frame({ label: RTVI_LABEL, type: 'dtmf', id: 'b3', data: { buttons: ['12'] } }))).toMatchObject({ kind: 'rtvi-invalid', id: 'b3', error: expect.stringMatching(/buttons/) });
    expect(readChannelFrame(frame({ label: RTVI_LABEL, type: 'client-ready', id: 'b4' }))).toMatchObject({ kind: 'rtvi-invalid', id: 'b4', error: expect.stringMatching(/version/) });
    expect(readChannelFrame(frame({ label: RTVI_LABEL, type: 'client-ready' }))).toMatchObject({ kind: 'rtvi-invalid', error: expect.stringMatching(/no "id"/) });
    expect(readChannelFrame(frame({ label: RTVI_LABEL, type: 42, id: 'b5' }))).toMatchObject({ kind: 'rtvi-invalid' });
  });

  it('calls everything else "other": our own protocol, garbage, lookalikes', () => {
    for (const text of [frame({ type: 'session.start' }), frame({ type: 'ping' }), 'not json', 'ping: soon', frame({ label: 'rtvi', type: 'client-ready', id: 'x' }), frame([1, 2]), 'null']) {
      expect(readChannelFrame(text), text).toEqual({ kind: 'other' });
    }
  });
});

describe('server messages', () => {
  it('bot-ready answers client-ready with its id and protocol 2.1.0; error-response names the request', () => {
    expect(botReady('882c642d')).toEqual({ label: 'rtvi-ai', type: 'bot-ready', id: '882c642d', data: { version: '2.1.0', about: { library: 'voicebridge' } } });
    expect(errorResponse('a4', 'Unsupported type client-message')).toEqual({ label: 'rtvi-ai', type: 'error-response', id: 'a4', data: { error: 'Unsupported type client-message' } });
  });
});

describe('RtviEncoder', () => {
  const encoder = () => new RtviEncoder(() => NOW);

  it('reports the caller speaking from our speech notices, once each way, and user transcripts as user-transcription (interim, then final)', () => {
    const e = encoder();
    expect(types(e.encode({ type: 'speech', speaking: true }))).toEqual(['user-started-speaking']);
    expect(types(e.encode({ type: 'speech', speaking: true }))).toEqual([]);
    const interim = e.encode({ type: 'transcript', role: 'user', text: 'hello', final: false, turn: 1 });
    expect(interim).toEqual([{ label: 'rtvi-ai', type: 'user-transcription', data: { text: 'hello', final: false, timestamp: NOW, user_id: '' } }]);
    expect(types(e.encode({ type: 'speech', speaking: false }))).toEqual(['user-stopped-speaking']);
    expect(types(e.encode({ type: 'speech', speaking: false }))).toEqual([]);
    const final = e.encode({ type: 'transcript', role: 'user', text: 'hello there', final: true, turn: 1 });
    expect(final).toEqual([{ label: 'rtvi-ai', type: 'user-transcription', data: { text: 'hello there', final: true, timestamp: NOW, user_id: '' } }]);
  });

  it('streams the new part of cumulative assistant partials as bot-llm-text, and the final as bot-output and bot-transcription', () => {
    const e = encoder();
    const a = e.encode({ type: 'transcript', role: 'assistant', text: 'Sure.', final: false, turn: 1 });
    expect(a.map((m) => [m.type, m.data])).toEqual([['bot-llm-started', undefined], ['bot-llm-text', { text: 'Sure.' }]]);
    const b = e.encode({ type: 'transcript', role: 'assistant', text: 'Sure. The fox.', final: false, turn: 1 });
    expect(b.map((m) => [m.type, m.data])).toEqual([['bot-llm-text', { text: ' The fox.' }]]);
    const c = e.encode({ type: 'transcript', role: 'assistant', text: 'Sure. The fox.', final: true, turn: 1 });
    expect(c.map((m) => [m.type, m.data])).toEqual([
      ['bot-output', { text: 'Sure. The fox.', aggregated_by: 'sentence', will_be_spoken: true, spoken_status: 'completed' }],
      ['bot-transcription', { text: 'Sure. The fox.' }],
      ['bot-llm-stopped', undefined],
    ]);
    // The next reply starts its own llm text.
    expect(types(e.encode({ type: 'transcript', role: 'assistant', text: 'Again.', final: false, turn: 2 }))).toEqual(['bot-llm-started', 'bot-llm-text']);
  });

  it('brackets the bot speaking by the call state, once each way, and barge-in stops it and starts the user', () => {
    const e = encoder();
    expect(types(e.encode({ type: 'state', state: 'listening' }))).toEqual([]);
    expect(types(e.encode({ type: 'state', state: 'responding' }))).toEqual(['bot-started-speaking']);
    expect(e.isBotSpeaking).toBe(true);
    expect(types(e.encode({ type: 'state', state: 'responding' }))).toEqual([]);
    const clear = e.encode({ type: 'playback.clear' });
    expect(types(clear)).toEqual(['bot-stopped-speaking', 'user-started-speaking', 'bot-interrupted', 'server-message']);
    expect(clear[3].data).toEqual({ type: 'playback.clear' });
    expect(types(e.encode({ type: 'state', state: 'listening' }))).toEqual([]);
    // The model hears the same speech: no second start; its end stops the user.
    expect(types(e.encode({ type: 'speech', speaking: true }))).toEqual([]);
    expect(types(e.encode({ type: 'speech', speaking: false }))).toEqual(['user-stopped-speaking']);
  });

  it('sends errors as non-fatal RTVI errors and our session notices as server-message; pong and audio have no RTVI form', () => {
    const e = encoder();
    expect(e.encode({ type: 'error', code: 'model_unavailable', message: 'down' })).toEqual([{ label: 'rtvi-ai', type: 'error', data: { error: 'model_unavailable: down', fatal: false } }]);
    const started = { type: 'session.started', callId: 'c1', sampleRateHz: 48000, model: 'local', audioTransport: 'binary' } as const;
    expect(e.encode(started)).toEqual([{ label: 'rtvi-ai', type: 'server-message', data: started }]);
    expect(types(e.encode({ type: 'turn', turn: 1, replyLatencyMs: 300, interrupted: true }))).toEqual(['server-message']);
    expect(e.encode({ type: 'pong' })).toEqual([]);
    expect(e.encode({ type: 'audio', audio: '' })).toEqual([]);
  });
});
