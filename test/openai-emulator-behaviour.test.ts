/**
 * The OpenAI Realtime emulator over real sockets on 127.0.0.1 with a raw WebSocket client and the
 * echo brain: session set-up and validation errors, a server-VAD turn in PCM and in G.711, manual
 * turns, typed text, response.create / response.cancel, and conversation.item.truncate with its
 * errors; replies paced at real time in 100 ms chunks or sent in a burst.
 */
import { describe, expect, it } from 'vitest';
import { mulawDecode } from '../src/audio/g711.js';
import { FakeClock } from '../src/core/clock.js';
import { timedBrainFactory } from '../src/emulators/nova-sonic/brains.js';
import { useRealtimeEmulator, type RealtimeTestClient, type ServerEvent } from './helpers/realtime-client.js';
import { eventually } from './helpers/wait.js';

const { start, connect } = useRealtimeEmulator();

/** `toneMs` of a 300 Hz tone then `silenceMs` of silence, as PCM16 at `rateHz`. */
function toneThenSilence(rateHz: number, toneMs: number, silenceMs: number): Int16Array {
  const tone = Math.round((toneMs * rateHz) / 1000);
  return new Int16Array(tone + Math.round((silenceMs * rateHz) / 1000)).map((_, i) => (i < tone ? Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / rateHz)) : 0));
}

const bytes = (pcm: Int16Array) => new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
const audioBytes = (events: ServerEvent[]) => events.reduce((n, e) => n + Buffer.from(String(e.delta), 'base64').length, 0);

describe('session', () => {
  it('opens with session.created (GA defaults) and answers session.update with session.updated', async () => {
    const c = await connect(await start());
    const created = (await c.next('session.created')).session as Record<string, any>;
    expect(created).toMatchObject({ type: 'realtime', object: 'realtime.session', model: 'gpt-realtime', output_modalities: ['audio'] });
    expect(created.audio.input.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(created.audio.input.turn_detection).toMatchObject({ type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 500 });
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: 'Be brief.', audio: { output: { format: { type: 'audio/pcmu' }, voice: 'cedar' } } } });
    const updated = (await c.next('session.updated')).session as Record<string, any>;
    expect(updated.instructions).toBe('Be brief.');
    expect(updated.audio.output).toEqual({ format: { type: 'audio/pcmu' }, voice: 'cedar', speed: 1 });
  });

  it('refuses a bad session.update with an error event naming the parameter, and keeps the session', async () => {
    const c = await connect(await start());
    c.send({ type: 'session.update', event_id: 'evt_client_7', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } } });
    const err = await c.next('error');
    expect(err.error).toEqual({ type: 'invalid_request_error', code: 'invalid_value', message: expect.stringContaining("Invalid value: '16000'"), param: 'session.audio.input.format.rate', event_id: 'evt_client_7' });
    c.send({ type: 'session.update', session: { type: 'realtime', voice: 'alloy' } });
    expect((await c.next('error', () => true, 2)).error).toMatchObject({ code: 'unknown_parameter', param: 'session.voice' });
    c.send({ type: 'nonsense' });
    expect((await c.next('error', () => true, 3)).error).toMatchObject({ code: 'invalid_value', param: 'type' });
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: 'still here' } });
    expect(((await c.next('session.updated')).session as Record<string, unknown>).instructions).toBe('still here');
    expect(c.of('session.updated')).toHaveLength(1);
  });
});

describe('the socket', () => {
  it('refuses a binary frame with an error event and carries on', async () => {
    const c = await connect(await start());
    c.ws.send(Buffer.from([1, 2, 3]));
    expect((await c.next('error')).error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value' });
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: 'ok' } });
    await c.next('session.updated');
  });

  it('a client that goes away ends its session and releases it (no timer left on the clock)', async () => {
    const clock = new FakeClock();
    const e = await start({ clock });
    const c = await connect(e);
    c.append(bytes(toneThenSilence(24000, 300, 0)));
    c.close();
    await eventually(() => e.openSessions() === 0 && e.sessions[0].endReason === 'client', 'the session to end');
    await eventually(() => clock.pendingTimers === 0, 'every timer of the session to be cleared');
  });
});

describe('a turn with server VAD', () => {
  it('PCM 24 kHz: speech started/stopped, committed, the user item and its transcription, then a response with audio, transcript and usage', async () => {
    const c = await connect(await start());
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { transcription: { model: 'gpt-4o-mini-transcribe' } } } } });
    await c.next('session.updated');
    c.append(bytes(toneThenSilence(24000, 600, 1200)));
    const done = await c.next('response.done');
    const types = c.events.map((e) => e.type);
    const order = ['input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped', 'input_audio_buffer.committed', 'conversation.item.added', 'conversation.item.input_audio_transcription.completed', 'response.created', 'response.output_item.added', 'response.content_part.added', 'response.output_audio.delta', 'response.output_audio.done', 'response.output_audio_transcript.done', 'response.content_part.done', 'response.output_item.done', 'response.done'];
    const at = order.map((t) => types.indexOf(t));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const started = c.of('input_audio_buffer.speech_started')[0];
    const stopped = c.of('input_audio_buffer.speech_stopped')[0];
    expect(started.item_id).toBe(stopped.item_id);
    expect(stopped.audio_end_ms as number).toBeGreaterThan(started.audio_start_ms as number);
    expect(c.of('conversation.item.input_audio_transcription.completed')[0]).toMatchObject({ item_id: started.item_id, content_index: 0, transcript: 'utterance 1' });
    // Billed by duration: the item's audio, from its start (with the prefix padding) to its end.
    expect((c.of('conversation.item.input_audio_transcription.completed')[0].usage as { type: string; seconds: number })).toEqual({ type: 'duration', seconds: ((stopped.audio_end_ms as number) - (started.audio_start_ms as number)) / 1000 });
    // The echo: the 600 ms tone back, as PCM16 at 24 kHz (48 bytes per ms), in 100 ms deltas.
    const deltas = c.of('response.output_audio.delta');
    expect(audioBytes(deltas) / 48).toBeGreaterThan(450);
    expect(Math.max(...deltas.map((d) => Buffer.from(String(d.delta), 'base64').length))).toBeLessThanOrEqual(4800 + 48);
    expect(c.of('response.output_audio_transcript.done')[0].transcript).toBe('echo 1');
    const response = done.response as Record<string, any>;
    expect(response).toMatchObject({ object: 'realtime.response', status: 'completed', output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_audio', transcript: 'echo 1' }] }] });
    expect(response.usage.output_token_details.audio_tokens).toBeGreaterThan(0);
    expect(response.usage.total_tokens).toBe(response.usage.input_tokens + response.usage.output_tokens);
  });

  it('G.711 μ-law both ways: 8 bytes per ms in, μ-law bytes out', async () => {
    const c = await connect(await start());
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } } } });
    await c.next('session.updated');
    const { mulawEncode } = await import('../src/audio/g711.js');
    c.append(mulawEncode(toneThenSilence(8000, 600, 1200)), 160);
    await c.next('response.done');
    const deltas = c.of('response.output_audio.delta').map((d) => Buffer.from(String(d.delta), 'base64'));
    const total = deltas.reduce((n, d) => n + d.length, 0);
    expect(total / 8).toBeGreaterThan(450);
    expect(total / 8).toBeLessThan(900);
    const pcm = mulawDecode(new Uint8Array(Buffer.concat(deltas)));
    const rms = Math.sqrt(pcm.reduce((s, x) => s + x * x, 0) / pcm.length);
    expect(rms).toBeGreaterThan(2000);
  });

  it('create_response false: the response waits for response.create', async () => {
    const c = await connect(await start());
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', create_response: false } } } } });
    await c.next('session.updated');
    c.append(bytes(toneThenSilence(24000, 600, 1200)));
    await c.next('conversation.item.done');
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'marker' }] } });
    await c.next('conversation.item.done', (e) => (e.item as { role?: string }).role === 'system');
    expect(c.of('response.created')).toHaveLength(0);
    c.send({ type: 'response.create' });
    expect((await c.next('response.done')).response).toMatchObject({ status: 'completed' });
  });
});

describe('manual turns and typed text', () => {
  it('turn_detection null: commit refuses an empty buffer, commits audio without VAD events, answers on response.create', async () => {
    const c = await connect(await start());
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: null } } } });
    await c.next('session.updated');
    c.send({ type: 'input_audio_buffer.commit' });
    expect((await c.next('error')).error).toMatchObject({ code: 'input_audio_buffer_commit_empty', message: expect.stringContaining('buffer too small') });
    c.append(bytes(toneThenSilence(24000, 600, 100)));
    c.send({ type: 'input_audio_buffer.commit' });
    const committed = await c.next('input_audio_buffer.committed');
    c.send({ type: 'response.create' });
    await c.next('response.done');
    expect(c.of('input_audio_buffer.speech_started')).toHaveLength(0);
    expect(c.events.findIndex((e) => e.type === 'response.created')).toBeGreaterThan(c.events.indexOf(committed));
  });

  it('an input_text item is answered on response.create; a second response.create while one is active is refused', async () => {
    const c = await connect(await start({ pace: 'realtime' }));
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi there' }] } });
    await c.next('conversation.item.added');
    c.send({ type: 'response.create' });
    await c.next('response.created');
    c.send({ type: 'response.create', event_id: 'again' });
    expect((await c.next('error')).error).toMatchObject({ code: 'conversation_already_has_active_response', event_id: 'again' });
    const done = await c.next('response.done');
    expect((done.response as any).output[0].content[0].transcript).toBe('You wrote: hi there');
  });
});

describe('response.cancel and conversation.item.truncate', () => {
  it('cancel stops the active response (response.done cancelled, client_cancelled); with none active it is refused', async () => {
    const c = await connect(await start({ pace: 'realtime' }));
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a long enough sentence to speak for a while' }] } });
    c.send({ type: 'response.create' });
    await c.next('response.output_audio.delta');
    c.send({ type: 'response.cancel' });
    const done = await c.next('response.done');
    expect(done.response).toMatchObject({ status: 'cancelled', status_details: { type: 'cancelled', reason: 'client_cancelled' } });
    const deltasAtDone = c.of('response.output_audio.delta').length;
    c.send({ type: 'response.cancel', event_id: 'c2' });
    expect((await c.next('error')).error).toMatchObject({ code: 'response_cancel_not_active', event_id: 'c2' });
    expect(c.of('response.output_audio.delta')).toHaveLength(deltasAtDone);
  });

  it('truncate: unknown item, a user item, past the audio end are refused; within the audio it is truncated', async () => {
    const c = await connect(await start());
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] } });
    const userItem = ((await c.next('conversation.item.added')).item as { id: string }).id;
    c.send({ type: 'response.create' });
    const done = await c.next('response.done');
    const item = (done.response as any).output[0].id as string;
    const audioMs = audioBytes(c.of('response.output_audio.delta')) / 48;
    const truncate = (item_id: string, audio_end_ms: number) => c.send({ type: 'conversation.item.truncate', item_id, content_index: 0, audio_end_ms });
    truncate('item_nope', 10);
    expect((await c.next('error')).error).toMatchObject({ code: 'item_truncate_invalid_item_id', param: 'item_id' });
    truncate(userItem, 10);
    expect((await c.next('error', () => true, 2)).error).toMatchObject({ code: 'unsupported_content_type' });
    truncate(item, Math.round(audioMs) + 500);
    expect((await c.next('error', () => true, 3)).error).toMatchObject({ code: 'invalid_value', param: 'audio_end_ms', message: `Audio content of ${Math.round(audioMs)}ms is already shorter than ${Math.round(audioMs) + 500}ms` });
    truncate(item, 200);
    expect(await c.next('conversation.item.truncated')).toMatchObject({ item_id: item, content_index: 0, audio_end_ms: 200 });
    c.send({ type: 'conversation.item.retrieve', item_id: item });
    expect(((await c.next('conversation.item.retrieved')).item as any).content[0].transcript).toBe('');
  });

  it('barge-in: speech over a response being streamed cancels it (turn_detected)', async () => {
    const c = await connect(await start({ pace: 'realtime' }));
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a long enough sentence to speak for a while' }] } });
    c.send({ type: 'response.create' });
    await c.next('response.output_audio.delta');
    c.append(bytes(toneThenSilence(24000, 400, 0)));
    await c.next('input_audio_buffer.speech_started');
    expect((await c.next('response.done')).response).toMatchObject({ status: 'cancelled', status_details: { reason: 'turn_detected' } });
  });
});

describe('--pace', () => {
  const ask = (c: RealtimeTestClient) => {
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'one two three four five six' }] } });
    c.send({ type: 'response.create' });
  };

  it('realtime: one 100 ms delta now, the next only once the clock has moved by its length', async () => {
    const clock = new FakeClock();
    const c = await connect(await start({ clock, pace: 'realtime' }));
    ask(c);
    await c.next('response.output_audio.delta');
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: 'sync' } });
    await c.next('session.updated');
    expect(c.of('response.output_audio.delta')).toHaveLength(1);
    // About 100 ms (the 16 → 24 kHz resampler holds a few samples back from the first chunk).
    const firstMs = Buffer.from(String(c.of('response.output_audio.delta')[0].delta), 'base64').length / 48;
    expect(firstMs).toBeGreaterThan(90);
    expect(firstMs).toBeLessThanOrEqual(100);
    clock.advance(firstMs - 1);
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: 'sync again' } });
    await c.next('session.updated', () => true, 2);
    expect(c.of('response.output_audio.delta')).toHaveLength(1);
    clock.advance(1);
    await c.next('response.output_audio.delta', () => true, 2);
    clock.advance(10_000);
    expect((await c.next('response.done')).response).toMatchObject({ status: 'completed' });
  });

  it('burst: the whole reply arrives without the clock moving', async () => {
    const clock = new FakeClock();
    const c = await connect(await start({ clock, pace: 'burst' }));
    ask(c);
    await c.next('response.done');
    expect(c.of('response.output_audio.delta').length).toBeGreaterThan(5);
    expect(clock.nowMs()).toBe(0);
  });
});

describe('the timed brain (load benchmarks)', () => {
  it('speaks on its timer at the session’s output rate: a G.711 reply of 2 s in 100 ms deltas, on the fake clock', async () => {
    const clock = new FakeClock();
    const c = await connect(await start({ clock, pace: 'realtime', brain: timedBrainFactory({ clock, pace: 'realtime', replyMs: 2000, replyEveryMs: 60_000 }) }));
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } } } });
    await c.next('session.updated');
    c.append(new Uint8Array(160).fill(0xff), 160);
    // The session limit's timer, then the timed brain's first reply.
    await eventually(() => clock.pendingTimers > 1, 'the timed brain to schedule its reply');
    for (let ms = 0; ms < 5000; ms += 100) clock.advance(100);
    const done = await c.next('response.done');
    expect(done.response).toMatchObject({ status: 'completed' });
    const deltas = c.of('response.output_audio.delta').map((d) => Buffer.from(String(d.delta), 'base64').length);
    expect(deltas.reduce((a, b) => a + b, 0)).toBe(16000);
    expect(new Set(deltas)).toEqual(new Set([800]));
  });
});

describe('server VAD idle_timeout_ms', () => {
  /** Connects with an idle timeout of 5 s, has a typed reply played out on the fake clock. */
  async function afterOneReply(clock: FakeClock): Promise<RealtimeTestClient> {
    const c = await connect(await start({ clock, pace: 'realtime' }));
    c.send({ type: 'session.update', session: { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', idle_timeout_ms: 5000 } } } } });
    await c.next('session.updated');
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } });
    c.send({ type: 'response.create' });
    await c.next('response.output_audio.delta');
    for (let i = 0; i < 300 && !c.of('response.done').length; i++) {
      clock.advance(100);
      await new Promise((r) => setImmediate(r));
    }
    await c.next('response.done');
    return c;
  }

  /** Waits until everything the emulator sent before now has arrived. */
  async function sync(c: RealtimeTestClient, n: number): Promise<void> {
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: `sync ${n}` } });
    await c.next('session.updated', (e) => (e.session as { instructions: string }).instructions === `sync ${n}`);
  }

  it('silence past the timeout after the reply has played: timeout_triggered, then a response', async () => {
    const clock = new FakeClock();
    const c = await afterOneReply(clock);
    clock.advance(4900);
    await sync(c, 1);
    expect(c.of('input_audio_buffer.timeout_triggered')).toHaveLength(0);
    clock.advance(200);
    const t = await c.next('input_audio_buffer.timeout_triggered');
    expect(t).toMatchObject({ audio_start_ms: expect.any(Number), audio_end_ms: expect.any(Number), item_id: expect.stringMatching(/^item_/) });
    await c.next('response.created', () => true, 2);
    clock.advance(10_000);
    expect((await c.next('response.done', () => true, 2)).response).toMatchObject({ status: 'completed' });
  });

  it('speech disarms it', async () => {
    const clock = new FakeClock();
    const c = await afterOneReply(clock);
    c.append(bytes(toneThenSilence(24000, 400, 0)));
    await c.next('input_audio_buffer.speech_started');
    clock.advance(20_000);
    await sync(c, 2);
    expect(c.of('input_audio_buffer.timeout_triggered')).toHaveLength(0);
  });
});
