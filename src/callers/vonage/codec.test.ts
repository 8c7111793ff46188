/**
 * Table-driven tests of the Vonage Voice WebSocket codec: every text message Vonage sends, every
 * message we send, and malformed input with its exact error. Wire shapes from
 * shared/reference/protocols.md §4.2–4.3 (Vonage "WebSockets" guide).
 */
import { describe, expect, it } from 'vitest';
import { encodeVonageNotify, parseL16ContentType, parseVonageMessage, VONAGE_CLEAR, type VonageInbound } from './codec.js';

const j = (v: unknown) => JSON.stringify(v);

describe('parseVonageMessage: every inbound kind (protocols.md §4.2)', () => {
  it.each<[string, string, VonageInbound]>([
    [
      'websocket:connected with custom headers at top level (the documented example)',
      j({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000', tenantId: 't-42', callerId: '447700900123' }),
      { event: 'connected', sampleRateHz: 16000, headers: { tenantId: 't-42', callerId: '447700900123' } },
    ],
    ['websocket:connected at 8 kHz', j({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=8000' }), { event: 'connected', sampleRateHz: 8000, headers: {} }],
    [
      'websocket:connected at 24 kHz, a non-string header dropped',
      j({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=24000', uuid: 'u-1', n: 3 }),
      { event: 'connected', sampleRateHz: 24000, headers: { uuid: 'u-1' } },
    ],
    ['websocket:dtmf with duration', j({ event: 'websocket:dtmf', digit: '5', duration: 260 }), { event: 'dtmf', digit: '5', durationMs: 260 }],
    ['websocket:dtmf without duration', j({ event: 'websocket:dtmf', digit: '#' }), { event: 'dtmf', digit: '#', durationMs: undefined }],
    ['websocket:cleared', j({ event: 'websocket:cleared' }), { event: 'cleared' }],
    ['websocket:notify echoes our payload', j({ event: 'websocket:notify', payload: { markId: 'm-3' } }), { event: 'notify', payload: { markId: 'm-3' } }],
    ['websocket:notify without a payload object', j({ event: 'websocket:notify', payload: 'x' }), { event: 'notify', payload: {} }],
    ['an event we do not know', j({ event: 'websocket:something-new' }), { event: 'unknown', name: 'websocket:something-new' }],
  ])('%s', (_name, text, message) => {
    expect(parseVonageMessage(text)).toEqual({ ok: true, message });
  });
});

describe('parseVonageMessage: malformed input → the exact error', () => {
  it.each([
    ['not JSON', '{"event"', 'malformed JSON'],
    ['empty text', '', 'malformed JSON'],
    ['a JSON array', '[]', 'message has no "event" string'],
    ['no event', j({ 'content-type': 'audio/l16;rate=16000' }), 'message has no "event" string'],
    ['event not a string', j({ event: true }), 'message has no "event" string'],
    ['connected without content-type', j({ event: 'websocket:connected' }), 'unsupported content-type undefined'],
    ['connected with another codec', j({ event: 'websocket:connected', 'content-type': 'audio/pcmu;rate=8000' }), 'unsupported content-type "audio/pcmu;rate=8000"'],
    ['connected with a rate Vonage does not offer', j({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=44100' }), 'unsupported content-type "audio/l16;rate=44100"'],
    ['connected with a numeric content-type', j({ event: 'websocket:connected', 'content-type': 16000 }), 'unsupported content-type 16000'],
    ['dtmf without a digit', j({ event: 'websocket:dtmf' }), 'dtmf without a valid digit'],
    ['dtmf with two digits', j({ event: 'websocket:dtmf', digit: '55' }), 'dtmf without a valid digit'],
    ['dtmf with a letter', j({ event: 'websocket:dtmf', digit: 'A' }), 'dtmf without a valid digit'],
    ['dtmf with a numeric digit', j({ event: 'websocket:dtmf', digit: 5 }), 'dtmf without a valid digit'],
  ])('%s', (_name, text, error) => {
    expect(parseVonageMessage(text)).toEqual({ ok: false, error });
  });
});

describe('parseL16ContentType', () => {
  it.each([
    ['audio/l16;rate=16000', 16000],
    ['audio/L16; rate=8000', 8000],
    [' audio/l16;rate=24000 ', 24000],
    ['audio/l16;rate=48000', null],
    ['audio/l16', null],
    ['audio/l16;rate=16000;channels=2', null],
  ])('%j → %j', (contentType, rate) => {
    expect(parseL16ContentType(contentType)).toBe(rate);
  });
});

describe('Vonage outbound messages (protocols.md §4.3)', () => {
  it.each([
    ['clear', VONAGE_CLEAR, { action: 'clear' }],
    ['notify carries our mark id in its payload', encodeVonageNotify('m-17'), { action: 'notify', payload: { markId: 'm-17' } }],
  ])('%s', (_name, text, shape) => {
    expect(JSON.parse(text)).toEqual(shape);
  });
});
