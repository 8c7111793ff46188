/**
 * The OpenAI Realtime session against a scripted fake endpoint (a real WebSocket server on
 * 127.0.0.1, test/fakes/openai-realtime.ts), timers on a fake clock: opening and its refusals,
 * audio, a reply, barge-in with truncation to the heard position, tools, typed text, errors,
 * a dropped socket, and closing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VoiceBridgeError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import type { ModelEvent, SessionInit } from '../model.js';
import { assistantReply, FakeOpenAIRealtimeServer, functionCall, userTurn, type FakeRealtimeConnection } from '../../../test/fakes/openai-realtime.js';
import { advanceAsync, FakeClock } from '../../../test/fakes/clock.js';
import { eventually } from '../../../test/helpers/wait.js';
import { openaiRealtimeModel } from './model.js';
import { greetingInstructions, OpenAIRealtimeSession, wsSocketFactory, type OpenAISettings } from './session.js';

let fake: FakeOpenAIRealtimeServer;
let clock: FakeClock;

beforeEach(async () => {
  fake = await FakeOpenAIRealtimeServer.start({ apiKey: 'sk-good' });
  clock = new FakeClock();
});
afterEach(async () => {
  await fake.close();
});

const settings = (over: Partial<OpenAISettings> = {}): OpenAISettings => ({
  url: fake.url(),
  apiKey: 'sk-good',
  voice: 'marin',
  turnDetection: { type: 'server_vad', threshold: 0.5, silenceDurationMs: 500, prefixPaddingMs: 300 },
  transcriptionModel: 'gpt-4o-mini-transcribe',
  startTimeoutMs: 5000,
  ...over,
});
const init = (over: Partial<SessionInit> = {}): SessionInit => ({ callId: 't', systemPrompt: 'You are a test.', history: [], logger: silentLogger, ...over });
const tone = (ms: number) => Int16Array.from({ length: (24000 * ms) / 1000 }, (_, i) => Math.round(8000 * Math.sin(i / 10)));

async function opened(s: Partial<OpenAISettings> = {}, i: Partial<SessionInit> = {}) {
  const session = await OpenAIRealtimeSession.open({ settings: settings(s), init: init(i), clock, connect: wsSocketFactory });
  const events: ModelEvent[] = [];
  session.setHandler((e) => events.push(e));
  const conn = fake.last;
  const push = (list: Record<string, unknown>[]) => list.forEach((e) => conn.push(e));
  return { session, events, conn, push };
}
const of = <T extends ModelEvent['type']>(events: ModelEvent[], type: T) => events.filter((e): e is Extract<ModelEvent, { type: T }> => e.type === type);
const sent = (conn: FakeRealtimeConnection, type: string, what = type) => eventually(() => conn.ofType(type).at(-1), what, 5000);

describe('opening', () => {
  it('dials with the bearer key, configures the session, replays history and speaks first with the greeting', async () => {
    const tools = [{ name: 'get_time', description: 'Time now', inputSchema: { type: 'object', properties: {} } }];
    const { session, conn } = await opened({}, { voice: 'cedar', tools, greeting: 'Hello, how can I help?', history: [{ role: 'user', text: 'hi' }, { role: 'assistant', text: 'hello' }] });
    expect(conn.request.headers.authorization).toBe('Bearer sk-good');
    expect(conn.request.url).toBe('/v1/realtime?model=gpt-realtime');
    await eventually(() => conn.events.length >= 4, 'the history and the greeting');
    expect(conn.types()).toEqual(['session.update', 'conversation.item.create', 'conversation.item.create', 'response.create']);
    const s = conn.events[0].session;
    expect(s).toMatchObject({ type: 'realtime', instructions: 'You are a test.', output_modalities: ['audio'], tool_choice: 'auto' });
    expect(s.audio.input.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(s.audio.output).toEqual({ format: { type: 'audio/pcm', rate: 24000 }, voice: 'cedar' });
    expect(s.audio.input.transcription).toEqual({ model: 'gpt-4o-mini-transcribe' });
    expect(s.tools).toEqual([{ type: 'function', name: 'get_time', description: 'Time now', parameters: { type: 'object', properties: {} } }]);
    expect(conn.events[2].item).toEqual({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hello' }] });
    expect(conn.events[3].response.instructions).toContain('You are a test.');
    expect(conn.events[3].response.instructions).toContain(greetingInstructions('Hello, how can I help?'));
    await session.close();
  });

  it('refuses a bad key (HTTP 401) without retrying, leaving no socket or timer', async () => {
    const err = await OpenAIRealtimeSession.open({ settings: settings({ apiKey: 'sk-bad' }), init: init(), clock, connect: wsSocketFactory }).catch((e) => e);
    expect(err).toBeInstanceOf(VoiceBridgeError);
    expect(err).toMatchObject({ code: 'model_unavailable', retryable: false });
    expect(err.message).toContain('HTTP 401');
    expect(fake.refused).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('fails to open when the API refuses the configuration, naming the parameter, and closes the socket', async () => {
    fake.sessionUpdate = { error: { code: 'invalid_value', message: "Invalid value: 'robot'.", param: 'session.audio.output.voice' } };
    const err = await OpenAIRealtimeSession.open({ settings: settings({ voice: 'robot' }), init: init(), clock, connect: wsSocketFactory }).catch((e) => e);
    expect(err).toMatchObject({ code: 'model_unavailable', retryable: false });
    expect(err.message).toContain('session.audio.output.voice');
    await eventually(() => fake.last.closed, 'the socket to close');
    expect(clock.pendingTimers).toBe(0);
  });

  it('times out on the clock when session.updated never comes (retryable)', async () => {
    fake.sessionUpdate = 'silent';
    const opening = OpenAIRealtimeSession.open({ settings: settings({ startTimeoutMs: 3000 }), init: init(), clock, connect: wsSocketFactory }).catch((e) => e);
    await eventually(() => fake.connections[0]?.ofType('session.update').length, 'the session.update');
    await advanceAsync(clock, 3000, 500);
    const err = await opening;
    expect(err).toMatchObject({ code: 'model_unavailable', retryable: true });
    expect(err.message).toContain('3000 ms');
    await eventually(() => fake.last.closed, 'the socket to close');
    expect(clock.pendingTimers).toBe(0);
  });

  it('stops opening when the call aborts', async () => {
    fake.sessionUpdate = 'silent';
    const abort = new AbortController();
    const opening = OpenAIRealtimeSession.open({ settings: settings(), init: init(), clock, connect: wsSocketFactory }, abort.signal).catch((e) => e);
    await eventually(() => fake.connections[0]?.ofType('session.update').length, 'the session.update');
    abort.abort();
    expect((await opening).message).toContain('aborted');
    await eventually(() => fake.last.closed, 'the socket to close');
  });

  it('turns a URL the socket factory cannot dial into a clear, non-retryable error', async () => {
    const err = await OpenAIRealtimeSession.open({ settings: settings({ url: 'ws://[::1/v1/realtime' }), init: init(), clock, connect: wsSocketFactory }).catch((e) => e);
    expect(err).toBeInstanceOf(VoiceBridgeError);
    expect(err).toMatchObject({ code: 'model_unavailable', retryable: false });
    expect(err.message).toContain('cannot dial');
    expect(clock.pendingTimers).toBe(0);
  });

  it('refuses rates other than 24 kHz PCM16 or 8 kHz G.711, and mixed rates', async () => {
    const model = openaiRealtimeModel(settings(), clock);
    await expect(model.open(init({ inputRateHz: 16000, outputRateHz: 16000 }))).rejects.toThrow(/not 16000 Hz/);
    await expect(model.open(init({ inputRateHz: 8000, outputRateHz: 24000 }))).rejects.toThrow(/one format both ways/);
    expect(fake.connections).toHaveLength(0);
    expect(model.ratesFor!(8000, 8000)).toEqual({ inputRateHz: 8000, outputRateHz: 8000 });
    expect(model.ratesFor!(16000, 16000)).toEqual({ inputRateHz: 24000, outputRateHz: 24000 });
    expect(model.ratesFor!(48000, 24000)).toEqual({ inputRateHz: 24000, outputRateHz: 24000 });
  });
});

describe('a conversation', () => {
  it('streams caller audio as base64 PCM16 appends', async () => {
    const { session, conn } = await opened();
    const pcm = tone(20);
    session.sendAudio(pcm);
    const append = await sent(conn, 'input_audio_buffer.append');
    expect(Array.from(new Int16Array(new Uint8Array(Buffer.from(append.audio, 'base64')).buffer))).toEqual(Array.from(pcm));
    await session.close();
  });

  it('maps a user turn and a reply to model events in order', async () => {
    const { session, events, push } = await opened();
    push(userTurn('item_u1', 'what time is it'));
    push(assistantReply('resp_1', 'item_a1', 'It is noon.', tone(300)));
    await eventually(() => of(events, 'usage').length, 'usage');
    const types = events.map((e) => e.type).filter((t, i, a) => t !== a[i - 1]);
    expect(types).toEqual(['speechStarted', 'speechStopped', 'transcript', 'responseStarted', 'audio', 'transcript', 'audio', 'transcript', 'audio', 'transcript', 'responseDone', 'usage']);
    expect(of(events, 'speechStopped')).toEqual([{ type: 'speechStopped', speechEndedAgoMs: 500 }]); // server_vad's silence_duration_ms
    expect(of(events, 'transcript').filter((e) => e.role === 'user')).toEqual([
      { type: 'transcript', role: 'user', text: 'what tim', final: false },
      { type: 'transcript', role: 'user', text: 'what time is it', final: true },
    ]);
    expect(of(events, 'transcript').filter((e) => e.role === 'assistant' && e.final)).toEqual([{ type: 'transcript', role: 'assistant', text: 'It is noon.', final: true, responseId: 'resp_1' }]);
    expect(of(events, 'audio').reduce((n, e) => n + e.pcm.length, 0)).toBe(7200);
    expect(of(events, 'audio').every((e) => e.responseId === 'resp_1')).toBe(true);
    expect(of(events, 'responseDone')).toEqual([{ type: 'responseDone', responseId: 'resp_1', cancelled: false }]);
    expect(of(events, 'usage')).toEqual([{ type: 'usage', inputTokens: 50, outputTokens: 20 }]);
    expect(session.stats()).toMatchObject({ outputMs: 300 });
    await session.close();
  });

  it('barge-in: speech started, then response.cancel and item.truncate at the heard position; the transcript keeps the heard share', async () => {
    const { session, events, conn, push } = await opened();
    push(assistantReply('resp_1', 'item_a1', 'one two three four five six seven eight nine ten', tone(1000), { done: false }));
    await eventually(() => of(events, 'audio').length === 10, 'the reply audio');
    push([{ type: 'input_audio_buffer.speech_started', item_id: 'item_u2', audio_start_ms: 5000 }]);
    await eventually(() => of(events, 'speechStarted').length, 'speechStarted');
    session.cancelResponse();
    session.truncate('resp_1', 300.7);
    expect(await sent(conn, 'response.cancel')).toMatchObject({ response_id: 'resp_1' });
    expect(await sent(conn, 'conversation.item.truncate')).toMatchObject({ item_id: 'item_a1', content_index: 0, audio_end_ms: 300 });
    expect(of(events, 'transcript').at(-1)).toEqual({ type: 'transcript', role: 'assistant', text: 'one two three', final: true, responseId: 'resp_1' });
    push([{ type: 'response.done', response: { id: 'resp_1', status: 'cancelled', status_details: { type: 'cancelled', reason: 'turn_detected' } } }]);
    await eventually(() => of(events, 'responseDone').length, 'responseDone');
    expect(of(events, 'responseDone')).toEqual([{ type: 'responseDone', responseId: 'resp_1', cancelled: true }]);
    await session.close();
  });

  it('truncates no further than the audio received, and not at all once a finished reply was heard whole', async () => {
    const { session, events, conn, push } = await opened();
    push(assistantReply('resp_1', 'item_a1', 'short', tone(200), { done: false }));
    await eventually(() => of(events, 'audio').length === 2, 'the reply audio');
    session.truncate('resp_1', 10_000);
    expect(await sent(conn, 'conversation.item.truncate')).toMatchObject({ audio_end_ms: 200 });
    push(assistantReply('resp_2', 'item_a2', 'done', tone(100)));
    await eventually(() => of(events, 'responseDone').length === 1, 'resp_2 done');
    session.truncate('resp_2', 100);
    session.truncate('resp_unknown', 50);
    session.sendAudio(tone(20)); // a marker after which any truncate would have arrived
    await sent(conn, 'input_audio_buffer.append');
    expect(conn.ofType('conversation.item.truncate')).toHaveLength(1);
    await session.close();
  });

  it('sends no cancel when no response is in flight', async () => {
    const { session, conn } = await opened();
    session.cancelResponse();
    session.sendAudio(tone(20));
    await sent(conn, 'input_audio_buffer.append');
    expect(conn.ofType('response.cancel')).toHaveLength(0);
    await session.close();
  });

  it('runs tools: a call with JSON arguments, its output, then response.create', async () => {
    const { session, events, conn, push } = await opened();
    push(functionCall('resp_t', 'call_1', 'get_weather', '{"city":"Paris"}'));
    await eventually(() => of(events, 'toolCall').length, 'the tool call');
    expect(of(events, 'toolCall')).toEqual([{ type: 'toolCall', toolCallId: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } }]);
    session.sendToolResult('call_1', { temp: 21 });
    await sent(conn, 'response.create');
    expect(conn.types().slice(-2)).toEqual(['conversation.item.create', 'response.create']);
    expect(conn.events.at(-2)!.item).toEqual({ type: 'function_call_output', call_id: 'call_1', output: '{"temp":21}' });
    session.sendToolResult('call_1', { again: true }); // already answered: dropped
    session.sendToolResult('call_unknown', {});
    session.sendAudio(tone(20));
    await sent(conn, 'input_audio_buffer.append');
    expect(conn.ofType('conversation.item.create')).toHaveLength(1);
    await session.close();
  });

  it('answers a tool call with bad JSON arguments with an error result, never a broken session', async () => {
    const { session, events, conn, push } = await opened();
    push(functionCall('resp_t', 'call_2', 'get_weather', '{city'));
    const out = await sent(conn, 'conversation.item.create', 'the error result');
    expect(out.item.call_id).toBe('call_2');
    expect(JSON.parse(out.item.output).error).toContain('not valid JSON');
    await sent(conn, 'response.create');
    expect(of(events, 'toolCall')).toHaveLength(0);
    push(assistantReply('resp_3', 'item_a3', 'Which city?', tone(100)));
    await eventually(() => of(events, 'responseDone').length === 2, 'the next reply');
    await session.close();
  });

  it('sends typed text as an input_text item and asks for a response (cancelling one in flight)', async () => {
    const { session, conn, events, push } = await opened();
    session.sendText('  what time is it  ');
    await sent(conn, 'response.create');
    expect(conn.types()).toEqual(['session.update', 'conversation.item.create', 'response.create']);
    expect(conn.events[1].item).toEqual({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'what time is it' }] });
    push(assistantReply('resp_1', 'item_a1', 'Noon.', tone(100), { done: false }));
    await eventually(() => of(events, 'audio').length, 'the reply');
    session.sendText('never mind');
    await eventually(() => conn.ofType('response.create').length === 2, 'the second response.create');
    expect(conn.types().slice(-3)).toEqual(['response.cancel', 'conversation.item.create', 'response.create']);
    session.sendText('   ');
    await session.close();
    expect(conn.ofType('conversation.item.create')).toHaveLength(2);
  });
});

describe('errors and endings', () => {
  it('reports a non-fatal error event and stays open; a harmless cancel race is not reported', async () => {
    const { session, events, conn, push } = await opened();
    push([{ type: 'error', error: { type: 'invalid_request_error', code: 'response_cancel_not_active', message: 'Cancellation failed: no active response found' } }]);
    push([{ type: 'error', error: { type: 'server_error', message: 'The server had an error.' } }]);
    await eventually(() => of(events, 'error').length, 'the error event');
    expect(events).toEqual([{ type: 'error', code: 'openai_error', message: 'The server had an error.', retryable: true }]);
    session.sendAudio(tone(20));
    await sent(conn, 'input_audio_buffer.append');
    await session.close();
  });

  it('reports a failed response (e.g. out of quota) as an error, then its responseDone', async () => {
    const { session, events, push } = await opened();
    push([
      { type: 'response.created', response: { id: 'resp_f', status: 'in_progress' } },
      { type: 'response.done', response: { id: 'resp_f', status: 'failed', status_details: { type: 'failed', error: { type: 'insufficient_quota', code: 'insufficient_quota' } } } },
    ]);
    await eventually(() => of(events, 'responseDone').length, 'responseDone');
    expect(events).toEqual([
      { type: 'responseStarted', responseId: 'resp_f' },
      { type: 'error', code: 'rate_limited', message: 'response failed (insufficient_quota, insufficient_quota)', retryable: false },
      { type: 'responseDone', responseId: 'resp_f', cancelled: false },
    ]);
    await session.close();
  });

  it('ends on session_expired: a retryable error, then closed once, and closes the socket', async () => {
    const { session, events, conn, push } = await opened();
    push([{ type: 'error', error: { type: 'invalid_request_error', code: 'session_expired', message: 'Your session hit the maximum duration of 60 minutes.' } }]);
    await eventually(() => conn.closed, 'the socket to close');
    await session.close();
    expect(events).toEqual([
      { type: 'error', code: 'session_expired', message: 'Your session hit the maximum duration of 60 minutes.', retryable: true },
      { type: 'closed', reason: 'openai: session_expired' },
    ]);
    expect(clock.pendingTimers).toBe(0);
  });

  it.each([
    ['closes the socket', (c: FakeRealtimeConnection) => c.close(1011, 'internal')],
    ['drops the connection', (c: FakeRealtimeConnection) => c.drop()],
  ])('when the server %s: a retryable stream_ended error and closed, once; later calls do nothing', async (_name, end) => {
    const { session, events, conn } = await opened();
    end(conn);
    await eventually(() => of(events, 'closed').length, 'closed');
    expect(events[0]).toMatchObject({ type: 'error', code: 'stream_ended', retryable: true });
    expect(events.map((e) => e.type)).toEqual(['error', 'closed']);
    expect(() => {
      session.sendAudio(tone(20));
      session.sendText('hello');
      session.cancelResponse();
      session.truncate('resp_1', 10);
      session.sendToolResult('call_1', {});
    }).not.toThrow();
    await session.close();
    expect(of(events, 'closed')).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ignores malformed and binary frames, counting them', async () => {
    const { session, events, conn, push } = await opened();
    conn.pushRaw('{not json');
    conn.socket.send(Buffer.from([1, 2, 3]));
    push([{ type: 'response.output_audio.delta', delta: 'AAAA' }]);
    push(assistantReply('resp_1', 'item_a1', 'Still here.', tone(100)));
    await eventually(() => of(events, 'responseDone').length, 'the reply after the bad frames');
    expect(session.stats()).toMatchObject({ malformedEvents: 3 });
    await session.close();
  });

  it('closes idempotently with a normal close code, emits closed once and leaves no timer', async () => {
    const { session, events, conn } = await opened();
    await Promise.all([session.close(), session.close()]);
    await session.close();
    await eventually(() => conn.closed, 'the server to see the close');
    expect(conn.closed!.code).toBe(1000);
    expect(events).toEqual([{ type: 'closed', reason: 'closed by call' }]);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('a stalled API (stallTimeoutMs)', () => {
  it('probes a quiet session with a no-op session.update; a session that answers it stays open', async () => {
    const { session, events, conn } = await opened({ stallTimeoutMs: 4000 });
    await advanceAsync(clock, 2000);
    const probe = await sent(conn, 'session.update', 'the probe');
    expect(conn.ofType('session.update')).toHaveLength(2);
    expect(probe.session).toEqual({ type: 'realtime' });
    await advanceAsync(clock, 6000);
    expect(events).toEqual([]);
    await session.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('ends a session that sends nothing, not even session.updated, with a retryable stalled error, then closed', async () => {
    const { session, events, conn } = await opened({ stallTimeoutMs: 4000 });
    conn.behaviour = 'silent';
    session.sendAudio(tone(100));
    await advanceAsync(clock, 3990);
    expect(events).toEqual([]);
    await advanceAsync(clock, 20);
    await eventually(() => of(events, 'closed').length, 'closed');
    expect(events).toEqual([
      { type: 'error', code: 'stalled', message: 'OpenAI Realtime stalled: no event for 4000 ms', retryable: true },
      { type: 'closed', reason: 'openai: stalled (no event for 4000 ms)' },
    ]);
    await eventually(() => conn.closed, 'the socket to close');
    expect(session.stats()).toMatchObject({ openaiErrors: 1 });
    await session.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
