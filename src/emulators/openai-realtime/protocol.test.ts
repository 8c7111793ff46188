import { describe, expect, it } from 'vitest';
import { errorEvent, RealtimeRequestError } from './errors.js';
import { parseClientEvent } from './protocol.js';
import { applySessionUpdate, defaultSession, endpointSilenceMs } from './session.js';

/** The refusal `fn` throws, as `code @ param`. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof RealtimeRequestError) return `${err.code} @ ${err.param}`;
    throw err;
  }
  return 'accepted';
}

describe('client events', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not JSON', '{', 'invalid_json @ null'],
    ['no type', {}, 'missing_required_parameter @ type'],
    ['unknown type', { type: 'session.patch' }, 'invalid_value @ type'],
    ['unknown field', { type: 'input_audio_buffer.commit', foo: 1 }, 'unknown_parameter @ foo'],
    ['append without audio', { type: 'input_audio_buffer.append' }, 'missing_required_parameter @ audio'],
    ['append with a number', { type: 'input_audio_buffer.append', audio: 5 }, 'invalid_type @ audio'],
    ['append not base64', { type: 'input_audio_buffer.append', audio: 'no spaces allowed' }, 'invalid_value @ audio'],
    ['truncate without item', { type: 'conversation.item.truncate', content_index: 0, audio_end_ms: 5 }, 'missing_required_parameter @ item_id'],
    ['truncate negative ms', { type: 'conversation.item.truncate', item_id: 'i', content_index: 0, audio_end_ms: -1 }, 'integer_below_min_value @ audio_end_ms'],
    ['truncate fractional ms', { type: 'conversation.item.truncate', item_id: 'i', content_index: 0, audio_end_ms: 1.5 }, 'invalid_type @ audio_end_ms'],
    ['item of unknown type', { type: 'conversation.item.create', item: { type: 'image' } }, 'invalid_value @ item.type'],
    ['user message with output_text', { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'output_text', text: 'x' }] } }, 'invalid_value @ item.content[0].type'],
    ['function output without call_id', { type: 'conversation.item.create', item: { type: 'function_call_output', output: '{}' } }, 'missing_required_parameter @ item.call_id'],
    ['response with unknown field', { type: 'response.create', response: { voice: 'x' } }, 'unknown_parameter @ response.voice'],
    ['output_audio_buffer.clear on a WebSocket', { type: 'output_audio_buffer.clear' }, 'invalid_value @ type'],
    ['good append', { type: 'input_audio_buffer.append', audio: Buffer.from([1, 2, 3]).toString('base64') }, 'accepted'],
    ['good text item', { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] } }, 'accepted'],
    ['good cancel', { type: 'response.cancel', event_id: 'e1' }, 'accepted'],
  ];
  for (const [name, event, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      expect(refusal(() => parseClientEvent(typeof event === 'string' ? event : JSON.stringify(event)))).toBe(expected);
    });
  }

  it('decodes appended audio and keeps the client event id', () => {
    const e = parseClientEvent(JSON.stringify({ type: 'input_audio_buffer.append', event_id: 'c7', audio: Buffer.from([9, 8]).toString('base64') }));
    expect(e).toMatchObject({ type: 'input_audio_buffer.append', event_id: 'c7' });
    expect([...(e as { audio: Buffer }).audio]).toEqual([9, 8]);
  });

  it('an error event has the real API shape and echoes the client event id', () => {
    const e = errorEvent(new RealtimeRequestError('invalid_value', 'Invalid value.', 'session.audio.input.format'), 'c9');
    expect(e).toEqual({ type: 'error', event_id: expect.stringMatching(/^event_/), error: { type: 'invalid_request_error', code: 'invalid_value', message: 'Invalid value.', param: 'session.audio.input.format', event_id: 'c9' } });
  });
});

describe('session.update', () => {
  const base = defaultSession('sess_1', 'gpt-realtime', 0);
  const update = (session: unknown, audioSent = false) => () => applySessionUpdate(base, session, audioSent);
  const cases: Array<[string, unknown, string]> = [
    ['no type', { instructions: 'x' }, 'missing_required_parameter @ session.type'],
    ['transcription session type', { type: 'transcription' }, 'invalid_value @ session.type'],
    ['unknown field', { type: 'realtime', modalities: ['audio'] }, 'unknown_parameter @ session.modalities'],
    ['beta field', { type: 'realtime', input_audio_format: 'g711_ulaw' }, 'unknown_parameter @ session.input_audio_format'],
    ['PCM at 16 kHz', { type: 'realtime', audio: { input: { format: { type: 'audio/pcm', rate: 16000 } } } }, 'invalid_value @ session.audio.input.format.rate'],
    ['beta format name', { type: 'realtime', audio: { output: { format: { type: 'g711_ulaw' } } } }, 'invalid_value @ session.audio.output.format.type'],
    ['unknown voice', { type: 'realtime', audio: { output: { voice: 'nova' } } }, 'invalid_value @ session.audio.output.voice'],
    ['speed too fast', { type: 'realtime', audio: { output: { speed: 2 } } }, 'decimal_above_max_value @ session.audio.output.speed'],
    ['unknown turn detection', { type: 'realtime', audio: { input: { turn_detection: { type: 'push_to_talk' } } } }, 'invalid_value @ session.audio.input.turn_detection.type'],
    ['threshold above 1', { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', threshold: 1.5 } } } }, 'decimal_above_max_value @ session.audio.input.turn_detection.threshold'],
    ['eagerness on server VAD', { type: 'realtime', audio: { input: { turn_detection: { type: 'server_vad', eagerness: 'low' } } } }, 'unknown_parameter @ session.audio.input.turn_detection.eagerness'],
    ['bad eagerness', { type: 'realtime', audio: { input: { turn_detection: { type: 'semantic_vad', eagerness: 'eager' } } } }, 'invalid_value @ session.audio.input.turn_detection.eagerness'],
    ['tool without name', { type: 'realtime', tools: [{ type: 'function' }] }, 'missing_required_parameter @ session.tools[0].name'],
    ['tool of unknown type', { type: 'realtime', tools: [{ type: 'web_search' }] }, 'invalid_value @ session.tools[0].type'],
    ['both modalities', { type: 'realtime', output_modalities: ['audio', 'text'] }, 'invalid_value @ session.output_modalities'],
    ['instructions not text', { type: 'realtime', instructions: 5 }, 'invalid_type @ session.instructions'],
    ['G.711 μ-law both ways, server VAD, tools', { type: 'realtime', instructions: 'Be brief.', audio: { input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad', silence_duration_ms: 700 } }, output: { format: { type: 'audio/pcmu' }, voice: 'cedar' } }, tools: [{ type: 'function', name: 'get_time', parameters: { type: 'object' } }] }, 'accepted'],
    ['A-law, semantic VAD, transcription', { type: 'realtime', audio: { input: { format: { type: 'audio/pcma' }, turn_detection: { type: 'semantic_vad', eagerness: 'high' }, transcription: { model: 'gpt-4o-mini-transcribe' } } } }, 'accepted'],
    ['manual turns', { type: 'realtime', audio: { input: { turn_detection: null } } }, 'accepted'],
  ];
  for (const [name, session, expected] of cases) it(`${name} → ${expected}`, () => expect(refusal(update(session))).toBe(expected));

  it('the voice cannot change once assistant audio was sent', () => {
    expect(refusal(update({ type: 'realtime', audio: { output: { voice: 'ash' } } }, true))).toBe('cannot_update_voice @ session.audio.output.voice');
    expect(refusal(update({ type: 'realtime', audio: { output: { voice: 'marin' } } }, true))).toBe('accepted');
  });

  it('merges an update and fills turn-detection defaults', () => {
    const next = applySessionUpdate(base, { type: 'realtime', audio: { input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad', silence_duration_ms: 700 } } } }, false);
    expect(next.audio.input.format).toEqual({ type: 'audio/pcmu' });
    expect(next.audio.output.format).toEqual({ type: 'audio/pcm', rate: 24000 });
    expect(next.audio.input.turn_detection).toEqual({ type: 'server_vad', threshold: 0.5, prefix_padding_ms: 300, silence_duration_ms: 700, create_response: true, interrupt_response: true, idle_timeout_ms: null });
    expect(endpointSilenceMs(next.audio.input.turn_detection)).toBe(700);
    expect(base.audio.input.format).toEqual({ type: 'audio/pcm', rate: 24000 });
  });
});
