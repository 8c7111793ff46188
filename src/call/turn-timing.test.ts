import { describe, expect, it } from 'vitest';
import { Conversation, type PlaybackStartSource } from './conversation.js';

/** Playback starts known by hand: response id → clock ms the caller started hearing it. */
class FakePlayback implements PlaybackStartSource {
  readonly startedAtMs = new Map<string, number>();
  playbackStartedAtMs(responseId: string): number | undefined {
    return this.startedAtMs.get(responseId);
  }
}

/** A call that started at clock 1000. */
function setup() {
  const playback = new FakePlayback();
  return { playback, c: new Conversation(1000, playback) };
}

describe('turn timings (TurnTiming through the Conversation record)', () => {
  it('times a spoken turn: speech start and length, endpointing, first audio, reply heard and when', () => {
    const { c, playback } = setup();
    c.speechStarted(2000);
    // The model ended the turn at 4000, having waited 500 ms of silence: speech ended at 3500.
    c.speechStopped(4000, 500);
    c.responseStarted('r1');
    c.assistantAudio('r1', 4300);
    c.assistantAudio('r1', 4350); // only the first audio counts
    playback.startedAtMs.set('r1', 4400);
    for (let ms = 20; ms <= 1200; ms += 20) c.replyFrameSent('r1', ms);
    expect(c.turns[0]).toMatchObject({ atMs: 1000, callerSpeechMs: 1500, endpointingMs: 500, firstAudioMs: 800, replyMs: 1200, replyAtMs: 3400, replyLatencyMs: 900 });
  });

  it('a barge-in cuts the reply heard to what was heard; the caller speech goes to the next turn', () => {
    const { c, playback } = setup();
    c.speechStarted(2000);
    c.speechStopped(3000, 200);
    c.assistantAudio('r1', 3100);
    playback.startedAtMs.set('r1', 3200);
    for (let ms = 20; ms <= 2000; ms += 20) c.replyFrameSent('r1', ms);
    c.speechStarted(3900); // the caller talks over the reply
    c.interrupted('r1', 700);
    c.replyFrameSent('r1', 2020); // a frame after the cut changes nothing
    expect(c.turns[0]).toMatchObject({ interrupted: true, heardMs: 700, replyMs: 700, replyAtMs: 2200 });
    c.speechStopped(5000, 200);
    c.assistantAudio('r2', 5400);
    expect(c.turns[1]).toMatchObject({ atMs: 2900, callerSpeechMs: 900, endpointingMs: 200, firstAudioMs: 600 });
  });

  it('several utterances before one reply count from the first start to the last end, pauses included', () => {
    const { c } = setup();
    c.speechStarted(2000);
    c.speechStopped(2600, 300);
    c.speechStarted(3000);
    c.speechStopped(3800, 300);
    c.assistantAudio('r1', 4000);
    expect(c.turns[0]).toMatchObject({ atMs: 1000, callerSpeechMs: 1500, endpointingMs: 300, firstAudioMs: 500 });
  });

  it('leaves out what cannot be known: a greeting, a model without endpointing or speech start, a typed turn', () => {
    const { c, playback } = setup();
    c.assistantAudio('greeting', 1200);
    playback.startedAtMs.set('greeting', 1300);
    c.replyFrameSent('greeting', 20);
    const greeting = c.turns[0]!;
    expect(greeting).toMatchObject({ replyMs: 20, replyAtMs: 300 });
    for (const k of ['atMs', 'callerSpeechMs', 'endpointingMs', 'firstAudioMs'] as const) expect(greeting).not.toHaveProperty(k);
    // Nova Sonic: no speech start, a speech end with no endpointing figure.
    c.speechStopped(5000);
    c.assistantAudio('r2', 5600);
    expect(c.turns[1]).toMatchObject({ firstAudioMs: 600 });
    for (const k of ['atMs', 'callerSpeechMs', 'endpointingMs'] as const) expect(c.turns[1]).not.toHaveProperty(k);
    // Typed text: first audio from its arrival.
    c.userTurnEnded(7000);
    c.assistantAudio('r3', 7250);
    expect(c.turns[2]).toMatchObject({ firstAudioMs: 250 });
    expect(c.turns[2]).not.toHaveProperty('callerSpeechMs');
  });

  it('learns when the caller started hearing a reply from a later playback mark', () => {
    const { c, playback } = setup();
    c.speechStopped(2000, 0);
    c.assistantAudio('r1', 2100);
    for (let ms = 20; ms <= 100; ms += 20) c.replyFrameSent('r1', ms);
    c.responseDone('r1');
    expect(c.turns[0]).not.toHaveProperty('replyAtMs');
    playback.startedAtMs.set('r1', 2300);
    expect(c.playbackConfirmed()).toBe(c.turns[0]);
    expect(c.turns[0]).toMatchObject({ replyAtMs: 1300, replyLatencyMs: 300, replyMs: 100 });
  });
});
