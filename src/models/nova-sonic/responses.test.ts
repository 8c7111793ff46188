import { describe, expect, it } from 'vitest';
import { heardShare, ResponseTracker } from './responses.js';

const audio = (ms: number) => ({ kind: 'audio' as const, contentId: 'a', pcm: new Int16Array(24 * ms) });

describe('ResponseTracker', () => {
  it('maps one turn to model events and keeps the history', () => {
    const t = new ResponseTracker(24000, []);
    expect(t.handle({ kind: 'userTranscript', text: 'hi' })).toEqual([{ type: 'speechStopped' }, { type: 'transcript', role: 'user', text: 'hi', final: true }]);
    expect(t.userTurnPending).toBe(true);
    expect(t.handle({ kind: 'assistantText', text: 'Hello!', stage: 'SPECULATIVE', contentId: 's' }).map((e) => e.type)).toEqual(['responseStarted', 'transcript']);
    expect(t.handle(audio(500)).map((e) => e.type)).toEqual(['audio']);
    expect(t.handle({ kind: 'audioEnd', contentId: 'a', stopReason: 'END_TURN' })).toEqual([{ type: 'responseDone', responseId: 'nova-1', cancelled: false }]);
    expect(t.awaitingFinalText).toBe(true);
    expect(t.handle({ kind: 'assistantText', text: 'Hello!', stage: 'FINAL', contentId: 'f' })).toEqual([{ type: 'transcript', role: 'assistant', text: 'Hello!', final: true, responseId: 'nova-1' }]);
    expect(t.awaitingFinalText).toBe(false);
    expect(t.history).toEqual([{ role: 'user', text: 'hi' }, { role: 'assistant', text: 'Hello!' }]);
  });

  it('reports one barge-in for the three signals, also after the audio finished generating', () => {
    const t = new ResponseTracker(24000, []);
    t.handle(audio(2000));
    t.handle({ kind: 'audioEnd', contentId: 'a', stopReason: 'END_TURN' });
    expect(t.handle({ kind: 'interrupted', source: 'interruptedText' })).toEqual([{ type: 'speechStarted' }]);
    expect(t.handle({ kind: 'interrupted', source: 'textContentEnd' })).toEqual([]);
    t.handle(audio(100));
    expect(t.handle({ kind: 'interrupted', source: 'audioContentEnd' })).toEqual([{ type: 'speechStarted' }, { type: 'responseDone', responseId: 'nova-2', cancelled: true }]);
  });

  it('drops the rest of a turn the call cancelled until the turn ends or the user speaks again', () => {
    const t = new ResponseTracker(24000, []);
    t.handle({ kind: 'userTranscript', text: 'tell me a story' });
    t.handle(audio(1000));
    expect(t.cancel()).toEqual([{ type: 'responseDone', responseId: 'nova-1', cancelled: true }]);
    // Nova goes on generating the turn: more audio, the next sentence's blocks.
    expect(t.handle(audio(1000))).toEqual([]);
    expect(t.handle({ kind: 'audioEnd', contentId: 'a', stopReason: 'PARTIAL_TURN' })).toEqual([]);
    expect(t.handle({ kind: 'assistantText', text: 'And then', stage: 'SPECULATIVE', contentId: 's2' })).toEqual([]);
    expect(t.handle({ kind: 'audioStart', contentId: 'b' })).toEqual([]);
    expect(t.handle({ ...audio(1000), contentId: 'b' })).toEqual([]);
    expect(t.droppedAudioMs).toBe(2000);
    // Its FINAL text still belongs to the cut response, trimmed to what was heard of all its audio.
    t.truncate('nova-1', 750);
    expect(t.handle({ kind: 'assistantText', text: 'one two three four', stage: 'FINAL', contentId: 'f' })).toEqual([{ type: 'transcript', role: 'assistant', text: 'one', final: true, responseId: 'nova-1' }]);
    // The user's next turn: its reply is a new response.
    t.handle({ kind: 'userTranscript', text: 'stop' });
    expect(t.handle(audio(100)).map((e) => e.type)).toEqual(['responseStarted', 'audio']);
    // A cancelled turn's END_TURN also ends the dropping; cancelling when nothing is open drops nothing.
    t.cancel();
    t.handle({ kind: 'audioEnd', contentId: 'a', stopReason: 'END_TURN' });
    expect(t.handle(audio(100)).map((e) => e.type)).toEqual(['responseStarted', 'audio']);
    t.handle({ kind: 'audioEnd', contentId: 'a', stopReason: 'END_TURN' });
    t.cancel();
    expect(t.handle(audio(100)).map((e) => e.type)).toEqual(['responseStarted', 'audio']);
  });

  it('truncates the history line to the heard share', () => {
    const t = new ResponseTracker(24000, []);
    t.handle(audio(1000));
    t.handle({ kind: 'assistantText', text: 'one two three four', stage: 'FINAL', contentId: 'f' });
    expect(t.truncate('nova-1', 500)).toEqual([{ type: 'transcript', role: 'assistant', text: 'one two', final: true, responseId: 'nova-1' }]);
    expect(t.history.at(-1)).toEqual({ role: 'assistant', text: 'one two', truncatedAtMs: 500 });
    expect(heardShare('a b c', 5000, 1000)).toBe('a b c');
  });

  it('adds usage across streams', () => {
    const t = new ResponseTracker(24000, []);
    t.handle({ kind: 'usage', totalInputTokens: 10, totalOutputTokens: 5 });
    t.endStream();
    expect(t.handle({ kind: 'usage', totalInputTokens: 3, totalOutputTokens: 1 })).toEqual([{ type: 'usage', inputTokens: 13, outputTokens: 6 }]);
  });
});
