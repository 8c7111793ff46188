/**
 * The OpenAI Realtime codec, table-driven. Expected client events are typed against the official
 * SDK's GA schema (`openai` 6.49.0, `RealtimeClientEvent`), so a field name or shape the GA API does
 * not have fails type-checking, and each builder must produce exactly that object.
 */
import type { RealtimeClientEvent, RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { describe, expect, it } from 'vitest';
import { mulawDecode, mulawEncode } from '../../audio/g711.js';
import { audioFormatForRate, classifyOpenAIError, functionCallOutput, historyItem, inputAudioAppend, itemTruncate, parseServerEvent, responseCancel, responseCreate, sessionUpdate, userTextItem, type OpenAIClientEvent, type OpenAISignal } from './codec.js';

const tool = { name: 'get_weather', description: 'Current weather for a city', inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const pcmFormat = { type: 'audio/pcm', rate: 24000 } as const;
const pcm = Int16Array.from([1, -2, 32767, -32768]);
const pcmBase64 = Buffer.from(pcm.buffer).toString('base64');

describe('client events (GA shapes)', () => {
  const cases: [string, OpenAIClientEvent, RealtimeClientEvent][] = [
    [
      'session.update with server_vad, transcription, voice and tools',
      sessionUpdate({ instructions: 'Be brief.', voice: 'marin', turnDetection: { type: 'server_vad', threshold: 0.6, silenceDurationMs: 400, prefixPaddingMs: 200 }, transcriptionModel: 'gpt-4o-mini-transcribe', tools: [tool] }),
      {
        type: 'session.update',
        session: {
          type: 'realtime',
          instructions: 'Be brief.',
          output_modalities: ['audio'],
          audio: {
            input: { format: pcmFormat, turn_detection: { type: 'server_vad', threshold: 0.6, silence_duration_ms: 400, prefix_padding_ms: 200, create_response: true, interrupt_response: true }, transcription: { model: 'gpt-4o-mini-transcribe' } },
            output: { format: pcmFormat, voice: 'marin' },
          },
          tools: [{ type: 'function', name: 'get_weather', description: 'Current weather for a city', parameters: tool.inputSchema }],
          tool_choice: 'auto',
        },
      },
    ],
    [
      'session.update with semantic_vad, no transcription, default voice, no tools',
      sessionUpdate({ instructions: 'Hi.', turnDetection: { type: 'semantic_vad', eagerness: 'high' }, tools: [] }),
      {
        type: 'session.update',
        session: {
          type: 'realtime',
          instructions: 'Hi.',
          output_modalities: ['audio'],
          audio: { input: { format: pcmFormat, turn_detection: { type: 'semantic_vad', eagerness: 'high', create_response: true, interrupt_response: true } }, output: { format: pcmFormat } },
          tools: [],
          tool_choice: 'auto',
        },
      },
    ],
    ['input_audio_buffer.append (PCM16 LE, base64)', inputAudioAppend(pcm), { type: 'input_audio_buffer.append', audio: pcmBase64 }],
    ['response.create', responseCreate(), { type: 'response.create' }],
    ['response.create with instructions', responseCreate('Greet the caller.'), { type: 'response.create', response: { instructions: 'Greet the caller.' } }],
    ['response.cancel', responseCancel(), { type: 'response.cancel' }],
    ['response.cancel of one response', responseCancel('resp_1'), { type: 'response.cancel', response_id: 'resp_1' }],
    ['conversation.item.truncate (whole ms, content 0)', itemTruncate('item_a', 1340.4), { type: 'conversation.item.truncate', item_id: 'item_a', content_index: 0, audio_end_ms: 1340 }],
    ['conversation.item.truncate never below 0', itemTruncate('item_a', -5), { type: 'conversation.item.truncate', item_id: 'item_a', content_index: 0, audio_end_ms: 0 }],
    ['typed user text', userTextItem('what time is it'), { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'what time is it' }] } }],
    ['history: a user line', historyItem({ role: 'user', text: 'hello' }), { type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] } }],
    ['history: an assistant line', historyItem({ role: 'assistant', text: 'hi there' }), { type: 'conversation.item.create', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi there' }] } }],
    ['function_call_output (JSON string)', functionCallOutput('call_1', { temp: 72 }), { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'call_1', output: '{"temp":72}' } }],
    ['function_call_output of a string is sent as it is', functionCallOutput('call_1', 'sunny'), { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'call_1', output: 'sunny' } }],
    ['function_call_output of undefined', functionCallOutput('call_1', undefined), { type: 'conversation.item.create', item: { type: 'function_call_output', call_id: 'call_1', output: 'null' } }],
  ];
  it.each(cases)('%s', (_name, built, expected) => {
    expect(built).toEqual(expected);
  });

  it('a tool result that cannot be serialized becomes an error output, not a throw', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const e = functionCallOutput('call_2', cyclic) as unknown as { item: { output: string } };
    expect(JSON.parse(e.item.output)).toEqual({ error: expect.stringContaining('not serializable') });
  });
});

describe('server events', () => {
  const cases: [string, RealtimeServerEvent | Record<string, unknown> | string, OpenAISignal][] = [
    ['session.created', { type: 'session.created', event_id: 'e', session: { type: 'realtime' } } as RealtimeServerEvent, { kind: 'sessionCreated' }],
    ['session.updated', { type: 'session.updated', event_id: 'e', session: { type: 'realtime' } } as RealtimeServerEvent, { kind: 'sessionUpdated' }],
    ['speech started', { type: 'input_audio_buffer.speech_started', event_id: 'e', item_id: 'item_u', audio_start_ms: 1200 }, { kind: 'speechStarted', itemId: 'item_u', audioStartMs: 1200 }],
    ['speech stopped', { type: 'input_audio_buffer.speech_stopped', event_id: 'e', item_id: 'item_u', audio_end_ms: 2400 }, { kind: 'speechStopped', itemId: 'item_u', audioEndMs: 2400 }],
    ['user transcript delta', { type: 'conversation.item.input_audio_transcription.delta', event_id: 'e', item_id: 'item_u', content_index: 0, delta: 'hel' }, { kind: 'userTranscriptDelta', itemId: 'item_u', delta: 'hel' }],
    ['user transcript completed', { type: 'conversation.item.input_audio_transcription.completed', event_id: 'e', item_id: 'item_u', content_index: 0, transcript: 'hello', usage: { type: 'duration', seconds: 1 } }, { kind: 'userTranscriptDone', itemId: 'item_u', transcript: 'hello' }],
    ['user transcript failed', { type: 'conversation.item.input_audio_transcription.failed', event_id: 'e', item_id: 'item_u', content_index: 0, error: { message: 'no audio' } }, { kind: 'userTranscriptFailed', itemId: 'item_u', message: 'no audio' }],
    ['response created', { type: 'response.created', event_id: 'e', response: { id: 'resp_1', status: 'in_progress' } }, { kind: 'responseCreated', responseId: 'resp_1' }],
    ['audio delta → PCM16', { type: 'response.output_audio.delta', event_id: 'e', response_id: 'resp_1', item_id: 'item_a', output_index: 0, content_index: 0, delta: pcmBase64 }, { kind: 'audioDelta', responseId: 'resp_1', itemId: 'item_a', pcm }],
    ['assistant transcript delta', { type: 'response.output_audio_transcript.delta', event_id: 'e', response_id: 'resp_1', item_id: 'item_a', output_index: 0, content_index: 0, delta: 'Hi' }, { kind: 'transcriptDelta', responseId: 'resp_1', itemId: 'item_a', delta: 'Hi' }],
    ['assistant transcript done', { type: 'response.output_audio_transcript.done', event_id: 'e', response_id: 'resp_1', item_id: 'item_a', output_index: 0, content_index: 0, transcript: 'Hi there.' }, { kind: 'transcriptDone', responseId: 'resp_1', itemId: 'item_a', transcript: 'Hi there.' }],
    [
      'function call arguments done (JSON)',
      { type: 'response.function_call_arguments.done', event_id: 'e', response_id: 'resp_1', item_id: 'item_f', output_index: 0, call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { kind: 'functionCall', responseId: 'resp_1', itemId: 'item_f', callId: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } },
    ],
    [
      'function call with empty arguments',
      { type: 'response.function_call_arguments.done', event_id: 'e', response_id: 'resp_1', item_id: 'item_f', output_index: 0, call_id: 'call_1', name: 'now', arguments: '' },
      { kind: 'functionCall', responseId: 'resp_1', itemId: 'item_f', callId: 'call_1', name: 'now', arguments: {} },
    ],
    [
      'response done with usage',
      { type: 'response.done', event_id: 'e', response: { id: 'resp_1', status: 'completed', usage: { input_tokens: 120, output_tokens: 30, total_tokens: 150 } } },
      { kind: 'responseDone', responseId: 'resp_1', status: 'completed', usage: { inputTokens: 120, outputTokens: 30 } },
    ],
    [
      'response done, cancelled by turn detection',
      { type: 'response.done', event_id: 'e', response: { id: 'resp_2', status: 'cancelled', status_details: { type: 'cancelled', reason: 'turn_detected' } } },
      { kind: 'responseDone', responseId: 'resp_2', status: 'cancelled', reason: 'turn_detected' },
    ],
    [
      'response done, failed (its error has a type and code, no message)',
      { type: 'response.done', event_id: 'e', response: { id: 'resp_3', status: 'failed', status_details: { type: 'failed', error: { type: 'insufficient_quota', code: 'insufficient_quota' } } } },
      {
        kind: 'responseDone',
        responseId: 'resp_3',
        status: 'failed',
        error: { kind: 'error', code: 'rate_limited', message: 'response failed (insufficient_quota, insufficient_quota)', retryable: false, fatal: false, benign: false, openai: { type: 'insufficient_quota', code: 'insufficient_quota' } },
      },
    ],
    [
      'response done, failed without details',
      { type: 'response.done', event_id: 'e', response: { id: 'resp_4', status: 'failed' } },
      { kind: 'responseDone', responseId: 'resp_4', status: 'failed', error: { kind: 'error', code: 'openai_error', message: 'response failed (no reason given)', retryable: false, fatal: false, benign: false, openai: { type: 'unknown_error' } } },
    ],
    ['item truncated', { type: 'conversation.item.truncated', event_id: 'e', item_id: 'item_a', content_index: 0, audio_end_ms: 900 }, { kind: 'itemTruncated', itemId: 'item_a', audioEndMs: 900 }],
    ['an event we do not use', { type: 'rate_limits.updated', event_id: 'e', rate_limits: [] }, { kind: 'ignored', type: 'rate_limits.updated' }],
    ['a text frame', JSON.stringify({ type: 'response.created', response: { id: 'resp_9' } }), { kind: 'responseCreated', responseId: 'resp_9' }],
    ['not JSON', '{oops', { kind: 'malformed', reason: 'not JSON' }],
    ['no type', { event_id: 'e' }, { kind: 'malformed', reason: 'not an object with a type' }],
    ['audio delta without ids', { type: 'response.output_audio.delta', delta: pcmBase64 }, { kind: 'malformed', reason: 'response.output_audio.delta without ids or delta' }],
    ['response.done without an id', { type: 'response.done', response: {} }, { kind: 'malformed', reason: 'response.done without response.id' }],
  ];
  it.each(cases)('%s', (_name, event, signal) => {
    expect(parseServerEvent(event)).toEqual(signal);
  });

  it('keeps bad function arguments as the raw string with the parse error (the session answers with an error result)', () => {
    const s = parseServerEvent({ type: 'response.function_call_arguments.done', response_id: 'resp_1', item_id: 'item_f', call_id: 'call_1', name: 'get_weather', arguments: '{city' });
    expect(s).toMatchObject({ kind: 'functionCall', callId: 'call_1', arguments: '{city', argumentsError: expect.any(String) });
  });
});

describe('error events', () => {
  const cases: [string, Record<string, unknown>, { code: string; retryable: boolean; fatal: boolean; benign: boolean }][] = [
    ['session hit its maximum duration', { type: 'invalid_request_error', code: 'session_expired', message: 'Your session hit the maximum duration of 60 minutes.' }, { code: 'session_expired', retryable: true, fatal: true, benign: false }],
    ['server error', { type: 'server_error', message: 'The server had an error while processing your request.' }, { code: 'openai_error', retryable: true, fatal: false, benign: false }],
    ['rate limit', { type: 'invalid_request_error', code: 'rate_limit_exceeded', message: 'Rate limit reached' }, { code: 'rate_limited', retryable: true, fatal: false, benign: false }],
    ['invalid request', { type: 'invalid_request_error', code: 'invalid_value', message: 'Invalid value', param: 'session.audio.output.voice' }, { code: 'invalid_request', retryable: false, fatal: false, benign: false }],
    ['cancel with no response in flight', { type: 'invalid_request_error', code: 'response_cancel_not_active', message: 'Cancellation failed: no active response found' }, { code: 'invalid_request', retryable: false, fatal: false, benign: true }],
    ['an unknown type', { type: 'something_new', message: 'x' }, { code: 'openai_error', retryable: false, fatal: false, benign: false }],
  ];
  it.each(cases)('%s', (_name, error, expected) => {
    expect(parseServerEvent({ type: 'error', event_id: 'e', error })).toMatchObject({ kind: 'error', message: error.message, ...expected });
  });

  it('keeps OpenAI’s type, code and param, and copes with a missing error object', () => {
    expect(classifyOpenAIError({ type: 'invalid_request_error', code: 'invalid_value', message: 'm', param: 'session.audio.input.format' }).openai).toEqual({ type: 'invalid_request_error', code: 'invalid_value', param: 'session.audio.input.format' });
    expect(classifyOpenAIError(undefined)).toMatchObject({ code: 'openai_error', message: 'OpenAI Realtime error', retryable: false });
  });
});

describe('G.711 for phone callers', () => {
  it('negotiates audio/pcmu both ways, appends mu-law bytes and decodes mu-law deltas', () => {
    const update: RealtimeClientEvent = sessionUpdate({ instructions: 'x', turnDetection: { type: 'semantic_vad', eagerness: 'auto' }, tools: [], audioFormat: 'audio/pcmu' }) as RealtimeClientEvent;
    expect(update).toMatchObject({ session: { audio: { input: { format: { type: 'audio/pcmu' } }, output: { format: { type: 'audio/pcmu' } } } } });
    const pcm = Int16Array.from([0, 1000, -1000, 8000]);
    const append = { audio: String(inputAudioAppend(pcm, 'audio/pcmu').audio) };
    expect([...Buffer.from(append.audio, 'base64')]).toEqual([...mulawEncode(pcm)]);
    const delta = { type: 'response.output_audio.delta', response_id: 'r', item_id: 'i', output_index: 0, content_index: 0, delta: append.audio };
    const s = parseServerEvent(JSON.stringify(delta), 'audio/pcmu');
    expect(s.kind === 'audioDelta' && [...s.pcm]).toEqual([...mulawDecode(mulawEncode(pcm))]);
    expect(audioFormatForRate(8000)).toBe('audio/pcmu');
    expect(audioFormatForRate(24000)).toBe('audio/pcm');
    expect(() => audioFormatForRate(16000)).toThrow(RangeError);
  });
});
