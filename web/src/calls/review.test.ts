import { describe, expect, it } from 'vitest';
import { apiQuery, callHash, pageSize, clock, currentLine, duration, fraction, lineStarts, listHash, median, ms, parseCallsHash, peaks, usd } from './review.js';

describe('the calls hash route', () => {
  it('parses the list with its filters and one call', () => {
    expect(parseCallsHash('#/calls')).toEqual({ page: 'list', filters: {} });
    expect(parseCallsHash('#/calls?q=quick+fox&carrier=twilio&nope=1&model=')).toEqual({ page: 'list', filters: { q: 'quick fox', carrier: 'twilio' } });
    expect(parseCallsHash('#/calls/abc-123')).toEqual({ page: 'call', id: 'abc-123' });
    expect(parseCallsHash(callHash('a b/c'))).toEqual({ page: 'call', id: 'a b/c' });
  });

  it('serializes filters so that parsing gives them back', () => {
    const filters = { q: 'good morning', endReason: 'model-closed', from: '2026-11-30', to: '2026-12-01', cursor: 'xyz' };
    expect(listHash({})).toBe('#/calls');
    expect(listHash({ q: '  ' })).toBe('#/calls');
    expect(parseCallsHash(listHash(filters))).toEqual({ page: 'list', filters });
  });

  it('makes the API query: days as instants in the local zone, `to` exclusive on the day after', () => {
    const q = new URLSearchParams(apiQuery({ q: 'fox', carrier: 'twilio', from: '2026-11-30', to: '2026-12-01', cursor: 'c1' }, 20, () => -60));
    expect(Object.fromEntries(q)).toEqual({ limit: '20', q: 'fox', carrier: 'twilio', from: '2026-11-29T23:00:00.000Z', to: '2026-12-01T23:00:00.000Z', cursor: 'c1' });
    expect(apiQuery({ from: 'yesterday' }, 50, () => 0)).toBe('limit=50');
    expect(apiQuery({ per: '2' })).toBe('limit=2');
    expect([pageSize('1'), pageSize('200'), pageSize('0'), pageSize('201'), pageSize('2.5'), pageSize('x'), pageSize(undefined)]).toEqual([1, 200, 50, 50, 50, 50, 50]);
  });
});

describe('formatting', () => {
  it('shows positions, lengths, money and latencies', () => {
    expect([clock(0), clock(65_400), clock(3_725_000), clock(-5)]).toEqual(['0:00', '1:05', '1:02:05', '0:00']);
    expect([duration(4_400), duration(185_000), duration(3_720_000)]).toEqual(['4 s', '3 min 5 s', '1 h 2 min']);
    expect([usd(undefined), usd(null), usd(0.01234), usd(12.5)]).toEqual(['—', '—', '$0.0123', '$12.50']);
    expect([ms(null), ms(640.4), ms(1234)]).toEqual(['—', '640 ms', '1.2 s']);
  });

  it('takes the median of the known values', () => {
    expect(median([])).toBeNull();
    expect(median([null, undefined])).toBeNull();
    expect(median([900, null, 300, 600])).toBe(600);
    expect(median([400, 100, 300, 200])).toBe(250);
  });
});

describe('the waveform and timeline', () => {
  it('gives each column its lowest and highest sample', () => {
    expect(peaks([0, 0.5, -0.25, 1, -1, 0.1], 3)).toEqual([{ min: 0, max: 0.5 }, { min: -0.25, max: 1 }, { min: -1, max: 0.1 }]);
    expect(peaks([0.5], 2)).toEqual([{ min: 0, max: 0 }, { min: 0, max: 0.5 }]);
    expect(peaks(new Float32Array(10), 0)).toEqual([]);
  });

  it('places lines where they were spoken when the turns say, else where their text was final', () => {
    const record = {
      transcript: [
        { role: 'assistant' as const, text: 'Hello', atMs: 900 },
        { role: 'user' as const, text: 'good morning', atMs: 4000 },
        { role: 'assistant' as const, text: 'Good morning to you', atMs: 4500 },
        { role: 'user' as const, text: 'bye', atMs: 9000 },
      ],
      turns: [
        { userText: '', assistantText: 'Hello' },
        { userText: 'good morning', assistantText: 'Good morning to you', atMs: 2500, replyAtMs: 4800 },
      ],
    };
    expect(lineStarts(record)).toEqual([900, 2500, 4800, 9000]);
  });

  it('finds the line being played and places marks', () => {
    const starts = [900, 2500, 4800, 9000];
    expect([currentLine(starts, 0), currentLine(starts, 900), currentLine(starts, 5000), currentLine(starts, 99_000)]).toEqual([-1, 0, 2, 3]);
    expect([fraction(500, 1000), fraction(-1, 1000), fraction(2000, 1000), fraction(5, 0)]).toEqual([0.5, 0, 1, 0]);
  });
});
