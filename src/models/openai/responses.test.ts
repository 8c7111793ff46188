/** The OpenAI response tracker (pure): signals in, model events out. */
import { describe, expect, it } from 'vitest';
import type { ModelEvent } from '../model.js';
import type { OpenAISignal } from './codec.js';
import { OpenAIResponseTracker } from './responses.js';

const pcm = (ms: number) => new Int16Array((24000 * ms) / 1000).fill(100);
const run = (t: OpenAIResponseTracker, signals: OpenAISignal[]): ModelEvent[] => signals.flatMap((s) => t.handle(s));
const types = (events: ModelEvent[]) => events.map((e) => e.type);

describe('OpenAIResponseTracker', () => {
  it('starts a response on its first audio when response.created was missed, once', () => {
    const t = new OpenAIResponseTracker();
    const events = run(t, [
      { kind: 'audioDelta', responseId: 'r1', itemId: 'i1', pcm: pcm(100) },
      { kind: 'responseCreated', responseId: 'r1' },
      { kind: 'audioDelta', responseId: 'r1', itemId: 'i1', pcm: pcm(100) },
    ]);
    expect(types(events)).toEqual(['responseStarted', 'audio', 'audio']);
    expect(t.openResponseId).toBe('r1');
  });

  it('accumulates user and assistant partials, ignores empty transcripts and empty audio', () => {
    const t = new OpenAIResponseTracker();
    const events = run(t, [
      { kind: 'userTranscriptDelta', itemId: 'u', delta: 'hel' },
      { kind: 'userTranscriptDelta', itemId: 'u', delta: 'lo' },
      { kind: 'userTranscriptDone', itemId: 'u', transcript: '   ' },
      { kind: 'responseCreated', responseId: 'r1' },
      { kind: 'audioDelta', responseId: 'r1', itemId: 'i1', pcm: new Int16Array(0) },
      { kind: 'transcriptDelta', responseId: 'r1', itemId: 'i1', delta: 'Hi' },
      { kind: 'transcriptDelta', responseId: 'r1', itemId: 'i1', delta: ' you' },
    ]);
    expect(events).toEqual([
      { type: 'transcript', role: 'user', text: 'hel', final: false },
      { type: 'transcript', role: 'user', text: 'hello', final: false },
      { type: 'responseStarted', responseId: 'r1' },
      { type: 'transcript', role: 'assistant', text: 'Hi', final: false, responseId: 'r1' },
      { type: 'transcript', role: 'assistant', text: 'Hi you', final: false, responseId: 'r1' },
    ]);
  });

  it('a cancelled response that ends without its transcript done gets its deltas as the final text, then done (cancelled)', () => {
    const t = new OpenAIResponseTracker();
    run(t, [
      { kind: 'responseCreated', responseId: 'r1' },
      { kind: 'transcriptDelta', responseId: 'r1', itemId: 'i1', delta: 'Well' },
    ]);
    expect(t.handle({ kind: 'responseDone', responseId: 'r1', status: 'cancelled', reason: 'turn_detected' })).toEqual([
      { type: 'transcript', role: 'assistant', text: 'Well', final: true, responseId: 'r1' },
      { type: 'responseDone', responseId: 'r1', cancelled: true },
    ]);
    expect(t.openResponseId).toBeUndefined();
    // A second done for it changes nothing.
    expect(t.handle({ kind: 'responseDone', responseId: 'r1', status: 'cancelled' })).toEqual([]);
  });

  it('speech stopped says how long ago the words ended when the endpointing silence is known', () => {
    expect(new OpenAIResponseTracker(500).handle({ kind: 'speechStopped', itemId: 'u', audioEndMs: 2000 })).toEqual([{ type: 'speechStopped', speechEndedAgoMs: 500 }]);
    expect(new OpenAIResponseTracker().handle({ kind: 'speechStopped', itemId: 'u', audioEndMs: 2000 })).toEqual([{ type: 'speechStopped' }]);
    expect(new OpenAIResponseTracker().handle({ kind: 'speechStarted', itemId: 'u', audioStartMs: 10 })).toEqual([{ type: 'speechStarted' }]);
  });

  it('reports usage as running totals of the session', () => {
    const t = new OpenAIResponseTracker();
    run(t, [{ kind: 'responseCreated', responseId: 'r1' }]);
    expect(t.handle({ kind: 'responseDone', responseId: 'r1', status: 'completed', usage: { inputTokens: 10, outputTokens: 4 } }).at(-1)).toEqual({ type: 'usage', inputTokens: 10, outputTokens: 4 });
    run(t, [{ kind: 'responseCreated', responseId: 'r2' }]);
    expect(t.handle({ kind: 'responseDone', responseId: 'r2', status: 'completed', usage: { inputTokens: 20, outputTokens: 6 } }).at(-1)).toEqual({ type: 'usage', inputTokens: 30, outputTokens: 10 });
  });

  it('truncate mid-reply: cuts at the heard ms, and the transcript that arrives later keeps only the heard share', () => {
    const t = new OpenAIResponseTracker();
    run(t, [
      { kind: 'responseCreated', responseId: 'r1' },
      { kind: 'audioDelta', responseId: 'r1', itemId: 'i1', pcm: pcm(500) },
      { kind: 'audioDelta', responseId: 'r1', itemId: 'i1', pcm: pcm(500) },
    ]);
    const { events, cut } = t.truncate('r1', 500);
    expect(events).toEqual([]); // no text yet
    expect(cut).toEqual({ itemId: 'i1', audioEndMs: 500 });
    expect(t.handle({ kind: 'transcriptDone', responseId: 'r1', itemId: 'i1', transcript: 'one two three four' })).toEqual([{ type: 'transcript', role: 'assistant', text: 'one two', final: true, responseId: 'r1' }]);
  });

  it('truncate of a response without audio, unknown, or heard whole after it finished: no cut', () => {
    const t = new OpenAIResponseTracker();
    run(t, [
      { kind: 'responseCreated', responseId: 'r0' },
      { kind: 'responseCreated', responseId: 'r1' },
      { kind: 'audioDelta', responseId: 'r1', itemId: 'i1', pcm: pcm(200) },
      { kind: 'transcriptDone', responseId: 'r1', itemId: 'i1', transcript: 'all of it' },
      { kind: 'responseDone', responseId: 'r1', status: 'completed' },
    ]);
    expect(t.truncate('r0', 100)).toEqual({ events: [], cut: undefined });
    expect(t.truncate('nope', 100)).toEqual({ events: [], cut: undefined });
    expect(t.truncate('r1', 250)).toEqual({ events: [], cut: undefined });
    expect(t.truncate('r1', 100)).toEqual({ events: [{ type: 'transcript', role: 'assistant', text: 'all', final: true, responseId: 'r1' }], cut: { itemId: 'i1', audioEndMs: 100 } });
  });
});
