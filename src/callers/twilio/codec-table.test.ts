/**
 * Table-driven tests of the Twilio Media Streams codec: every message kind Twilio sends, every
 * message we send, and malformed input with its exact error. Wire shapes from
 * shared/reference/protocols.md §3.2–3.3 (Twilio "Media Streams – WebSocket Messages").
 */
import { describe, expect, it } from 'vitest';
import { encodeTwilioClear, encodeTwilioMark, encodeTwilioMedia, parseTwilioMessage, type TwilioInbound } from './codec.js';

const SID = 'MZ18ad3ab5a668481ce02b83e7395059f0';
const payload = Buffer.alloc(160, 0xff).toString('base64');
const j = (v: unknown) => JSON.stringify(v);

describe('parseTwilioMessage: every inbound kind (protocols.md §3.2)', () => {
  it.each<[string, string, TwilioInbound]>([
    ['connected', j({ event: 'connected', protocol: 'Call', version: '1.0.0' }), { event: 'connected' }],
    [
      'start (the documented example)',
      j({
        event: 'start',
        sequenceNumber: '1',
        streamSid: SID,
        start: {
          accountSid: 'AC0123456789abcdef0123456789abcdef',
          streamSid: SID,
          callSid: 'CA0123456789abcdef0123456789abcdef',
          tracks: ['inbound'],
          customParameters: { tenantId: 't-42', admitToken: '9f1c0e7b' },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      }),
      {
        event: 'start',
        streamSid: SID,
        callSid: 'CA0123456789abcdef0123456789abcdef',
        accountSid: 'AC0123456789abcdef0123456789abcdef',
        customParameters: { tenantId: 't-42', admitToken: '9f1c0e7b' },
        encoding: 'audio/x-mulaw',
        sampleRateHz: 8000,
        channels: 1,
      },
    ],
    [
      'start with streamSid only inside start, no mediaFormat, a non-string parameter dropped',
      j({ event: 'start', start: { streamSid: 'MZ2', callSid: 'CA2', customParameters: { a: 'x', n: 5 } } }),
      { event: 'start', streamSid: 'MZ2', callSid: 'CA2', accountSid: '', customParameters: { a: 'x' }, encoding: 'audio/x-mulaw', sampleRateHz: 8000, channels: 1 },
    ],
    [
      'start with another media format (reported as sent; the transport refuses it)',
      j({ event: 'start', streamSid: 'MZ3', start: { callSid: 'CA3', mediaFormat: { encoding: 'audio/x-alaw', sampleRate: '16000', channels: '2' } } }),
      { event: 'start', streamSid: 'MZ3', callSid: 'CA3', accountSid: '', customParameters: {}, encoding: 'audio/x-alaw', sampleRateHz: 16000, channels: 2 },
    ],
    [
      'media, timestamp a string of ms',
      j({ event: 'media', sequenceNumber: '3', streamSid: SID, media: { track: 'inbound', chunk: '1', timestamp: '5', payload } }),
      { event: 'media', track: 'inbound', timestampMs: 5, payload },
    ],
    ['media without track or timestamp', j({ event: 'media', media: { payload } }), { event: 'media', track: 'inbound', timestampMs: NaN, payload }],
    ['media with an empty payload', j({ event: 'media', media: { track: 'outbound', timestamp: '40', payload: '' } }), { event: 'media', track: 'outbound', timestampMs: 40, payload: '' }],
    ['dtmf', j({ event: 'dtmf', sequenceNumber: '5', streamSid: SID, dtmf: { track: 'inbound_track', digit: '1' } }), { event: 'dtmf', digit: '1' }],
    ['dtmf #', j({ event: 'dtmf', dtmf: { digit: '#' } }), { event: 'dtmf', digit: '#' }],
    ['dtmf D', j({ event: 'dtmf', dtmf: { digit: 'D' } }), { event: 'dtmf', digit: 'D' }],
    ['mark', j({ event: 'mark', sequenceNumber: '4', streamSid: SID, mark: { name: 'resp-17-part-3' } }), { event: 'mark', name: 'resp-17-part-3' }],
    ['stop', j({ event: 'stop', sequenceNumber: '9', streamSid: SID, stop: { accountSid: 'AC01', callSid: 'CA01' } }), { event: 'stop' }],
    ['an event we do not know', j({ event: 'something-new', streamSid: SID }), { event: 'unknown', name: 'something-new' }],
  ])('%s', (_name, text, message) => {
    expect(parseTwilioMessage(text)).toEqual({ ok: true, message });
  });
});

describe('parseTwilioMessage: malformed input → the exact error', () => {
  it.each([
    ['not JSON', '{"event":', 'malformed JSON'],
    ['empty text', '', 'malformed JSON'],
    ['a JSON array', '[1,2]', 'message has no "event" string'],
    ['a JSON string', '"start"', 'message has no "event" string'],
    ['null', 'null', 'message has no "event" string'],
    ['no event', j({ streamSid: SID }), 'message has no "event" string'],
    ['event not a string', j({ event: 7 }), 'message has no "event" string'],
    ['start without the start object', j({ event: 'start', streamSid: SID }), 'start without "start" object'],
    ['start with start not an object', j({ event: 'start', streamSid: SID, start: 'x' }), 'start without "start" object'],
    ['start without streamSid', j({ event: 'start', start: { callSid: 'CA1' } }), 'start without streamSid'],
    ['start with an empty streamSid', j({ event: 'start', streamSid: '', start: { streamSid: '' } }), 'start without streamSid'],
    ['media without the media object', j({ event: 'media', streamSid: SID }), 'media without payload'],
    ['media without payload', j({ event: 'media', media: { track: 'inbound' } }), 'media without payload'],
    ['media with a numeric payload', j({ event: 'media', media: { payload: 5 } }), 'media without payload'],
    ['media payload not base64 (bad character)', j({ event: 'media', media: { payload: 'AA*A' } }), 'media payload is not valid base64'],
    ['media payload not base64 (length)', j({ event: 'media', media: { payload: 'AAAAA' } }), 'media payload is not valid base64'],
    ['mark without the mark object', j({ event: 'mark' }), 'mark without name'],
    ['mark without a name', j({ event: 'mark', mark: {} }), 'mark without name'],
    ['dtmf without the dtmf object', j({ event: 'dtmf' }), 'dtmf without a valid digit'],
    ['dtmf with two digits', j({ event: 'dtmf', dtmf: { digit: '12' } }), 'dtmf without a valid digit'],
    ['dtmf with a letter outside A–D', j({ event: 'dtmf', dtmf: { digit: 'E' } }), 'dtmf without a valid digit'],
  ])('%s', (_name, text, error) => {
    expect(parseTwilioMessage(text)).toEqual({ ok: false, error });
  });
});

describe('Twilio outbound messages (protocols.md §3.3)', () => {
  it.each([
    ['media', encodeTwilioMedia(SID, payload), { event: 'media', streamSid: SID, media: { payload } }],
    ['mark', encodeTwilioMark(SID, 'resp-17-part-3'), { event: 'mark', streamSid: SID, mark: { name: 'resp-17-part-3' } }],
    ['mark with a name needing escapes', encodeTwilioMark(SID, 'a"b\\c'), { event: 'mark', streamSid: SID, mark: { name: 'a"b\\c' } }],
    ['clear', encodeTwilioClear(SID), { event: 'clear', streamSid: SID }],
  ])('%s is a JSON text frame of the documented shape', (_name, text, shape) => {
    expect(typeof text).toBe('string');
    expect(JSON.parse(text)).toEqual(shape);
  });
});
