import { describe, expect, it } from 'vitest';
import { Conversation, type PlaybackStartSource } from './conversation.js';

/** Playback starts known by hand: response id → clock ms the caller started hearing it. */
class FakePlayback implements PlaybackStartSource {
  readonly startedAtMs = new Map<string, number>();
  playbackStartedAtMs(responseId: string): number | undefined {
    return this.startedAtMs.get(responseId);
  }
}

function setup(startedAtMs = 1000) {
  const playback = new FakePlayback();
  return { playback, conversation: new Conversation(startedAtMs, playback) };
}

describe('Conversation', () => {
  it('numbers turns from 1 and gives each the caller text said since the last one', () => {
    const { conversation: c } = setup();
    expect(c.addFinal('user', 'hello', 1500)).toEqual({ role: 'user', text: 'hello' });
    c.addFinal('user', 'are you there', 1800);
    c.responseStarted('r1');
    c.responseStarted('r1'); // the same response again starts no new turn
    c.assistantAudio('r2');
    expect(c.turns.map((t) => [t.turn, t.responseId, t.userText])).toEqual([
      [1, 'r1', 'hello are you there'],
      [2, 'r2', ''],
    ]);
    expect(c.activeResponseId).toBe('r2');
    expect(c.currentTurn?.responseId).toBe('r2');
  });

  it('times transcript lines from the call start, keeps history, and skips empty lines', () => {
    const { conversation: c } = setup(1000);
    c.addFinal('user', 'hi', 1250.4);
    c.responseStarted('r1');
    expect(c.addFinal('assistant', '   ', 1300, 'r1')).toBeUndefined();
    c.addFinal('assistant', 'Hello.', 1400, 'r1');
    expect(c.transcript).toEqual([
      { role: 'user', text: 'hi', atMs: 250 },
      { role: 'assistant', text: 'Hello.', atMs: 400 },
    ]);
    expect(c.history).toEqual([
      { role: 'user', text: 'hi' },
      { role: 'assistant', text: 'Hello.' },
    ]);
    expect(c.turns[0]).toMatchObject({ userText: 'hi', assistantText: 'Hello.' });
  });

  it('joins an assistant line without a response id onto the current turn', () => {
    const { conversation: c } = setup();
    c.responseStarted('r1');
    c.addFinal('assistant', 'One.', 1100);
    c.addFinal('assistant', 'Two.', 1200);
    expect(c.turns[0].assistantText).toBe('One. Two.');
    expect(c.transcript.map((t) => t.text)).toEqual(['One.', 'Two.']);
  });

  it('replaces a response line with its truncated final in transcript, history and turn', () => {
    const { conversation: c } = setup();
    c.responseStarted('r1');
    c.addFinal('assistant', 'Hi! How can I help you today?', 1100, 'r1');
    expect(c.addFinal('assistant', 'Hi! How', 1200, 'r1')).toEqual({ role: 'assistant', text: 'Hi! How' });
    expect(c.transcript.map((t) => t.text)).toEqual(['Hi! How']);
    expect(c.history).toEqual([{ role: 'assistant', text: 'Hi! How' }]);
    expect(c.turns[0].assistantText).toBe('Hi! How');
  });

  it('puts a user line in the next turn and an assistant line in its response turn', () => {
    const { conversation: c } = setup();
    expect(c.turnNumberFor('user')).toBe(1);
    expect(c.turnNumberFor('assistant')).toBe(0);
    c.responseStarted('r1');
    c.responseStarted('r2');
    expect(c.turnNumberFor('assistant', 'r1')).toBe(1);
    expect(c.turnNumberFor('assistant', 'r2')).toBe(2);
    expect(c.turnNumberFor('assistant', 'unknown')).toBe(2);
    expect(c.turnNumberFor('user', 'r1')).toBe(3);
  });

  it('returns the turn to announce when the active response is done, and only then', () => {
    const { conversation: c } = setup();
    c.assistantAudio('r1');
    expect(c.responseDone('r0')).toBeUndefined();
    expect(c.responseDone('r1')?.responseId).toBe('r1');
    expect(c.activeResponseId).toBeUndefined();
    expect(c.responseDone('r1')).toBeUndefined();
  });

  it('marks an interrupted turn with the heard position and its history line truncated', () => {
    const { conversation: c } = setup();
    c.assistantAudio('r1');
    c.addFinal('assistant', 'A long answer', 1100, 'r1');
    const t = c.interrupted('r1', 400);
    expect(t).toMatchObject({ turn: 1, interrupted: true, heardMs: 400 });
    expect(c.history[0]).toEqual({ role: 'assistant', text: 'A long answer', truncatedAtMs: 400 });
    expect(c.activeResponseId).toBeUndefined();
  });

  it('marks the history line truncated when the final line of a cut response arrives after the barge-in (OpenAI)', () => {
    const { conversation: c } = setup();
    c.assistantAudio('r1');
    c.interrupted('r1', 650);
    c.addFinal('assistant', 'A long', 1300, 'r1');
    expect(c.history[0]).toEqual({ role: 'assistant', text: 'A long', truncatedAtMs: 650 });
    c.addFinal('assistant', 'Another reply', 1400, 'r2');
    expect(c.history[1]).toEqual({ role: 'assistant', text: 'Another reply' });
  });

  it('marks the turn of the response cut off, also an earlier one still playing behind the current turn', () => {
    const { conversation: c } = setup();
    c.assistantAudio('r1');
    c.assistantAudio('r2'); // queued behind r1 (e.g. the reply after a tool call)
    expect(c.interrupted(undefined, 0)).toBeUndefined();
    expect(c.interrupted('r1', 100)).toMatchObject({ responseId: 'r1', interrupted: true, heardMs: 100 });
    expect(c.turns.map((t) => t.interrupted)).toEqual([true, false]);
    expect(c.interrupted('r9', 0)).toBeUndefined();
  });

  it('measures reply latency from the end of the caller turn to first playback (no marks: known at the first frame)', () => {
    const { playback, conversation: c } = setup();
    c.userTurnEnded(2000);
    c.assistantAudio('r1');
    playback.startedAtMs.set('r1', 2350);
    c.replyStarted('r1');
    expect(c.turns[0].replyLatencyMs).toBe(350);
  });

  it('with marks, sets reply latency when the first mark comes back and returns the turn again once announced', () => {
    const { playback, conversation: c } = setup();
    c.userTurnEnded(2000);
    c.assistantAudio('r1');
    c.replyStarted('r1');
    expect(c.turns[0].replyLatencyMs).toBeNull();
    expect(c.responseDone('r1')?.replyLatencyMs).toBeNull(); // announced without a latency
    playback.startedAtMs.set('r1', 2500);
    expect(c.playbackConfirmed()).toMatchObject({ turn: 1, replyLatencyMs: 500 });
    expect(c.playbackConfirmed()).toBeUndefined();
  });

  it('does not return a still-active turn from playbackConfirmed (it is announced when it ends)', () => {
    const { playback, conversation: c } = setup();
    c.userTurnEnded(2000);
    c.assistantAudio('r1');
    c.replyStarted('r1');
    playback.startedAtMs.set('r1', 2100);
    expect(c.playbackConfirmed()).toBeUndefined();
    expect(c.turns[0].replyLatencyMs).toBe(100);
  });

  it('gives a reply with no caller turn before it (a greeting) no latency, and ignores replyStarted of another response', () => {
    const { playback, conversation: c } = setup();
    c.assistantAudio('greeting');
    playback.startedAtMs.set('greeting', 1100);
    c.replyStarted('greeting');
    expect(c.turns[0].replyLatencyMs).toBeNull();
    c.userTurnEnded(3000);
    c.replyStarted('other');
    c.assistantAudio('r2');
    playback.startedAtMs.set('r2', 3200);
    c.replyStarted('r2');
    expect(c.turns[1].replyLatencyMs).toBe(200);
  });

  it('records tool calls in order', () => {
    const { conversation: c } = setup();
    c.addToolCall({ name: 'lookup', ok: true, durationMs: 12 });
    c.addToolCall({ name: 'book', ok: false, durationMs: 8000, error: 'timed out' });
    expect(c.toolCalls.map((t) => t.name)).toEqual(['lookup', 'book']);
  });
});
