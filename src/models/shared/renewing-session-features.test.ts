/**
 * RenewingSession's features beyond the plain renewal (renewing-session.test.ts): late-history
 * segments (`goLive`), the conversation's lines replaced by a re-sent final text, usage counted on
 * across segments, `max*` counters, and `recovery` (retried first open, a failed segment replaced
 * with the audio buffered meanwhile, the retry budget) — all on a FakeClock.
 */
import { describe, expect, it } from 'vitest';
import { VoiceBridgeError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { advanceAsync, FakeClock, flush } from '../../../test/fakes/clock.js';
import { FakeModelSession } from '../../../test/fakes/model-session.js';
import type { HistoryMessage, ModelEvent } from '../model.js';
import { renewalTimingFor } from './renewal.js';
import { RenewingSession, type RenewingSessionOptions } from './renewing-session.js';

/** A fake segment that takes its history when it goes live, with a `max*` counter. */
class LateSession extends FakeModelSession {
  readonly wentLive: HistoryMessage[][] = [];
  constructor(private readonly maxPrepareMs = 0) {
    super();
  }
  goLive(history: HistoryMessage[]): void {
    this.wentLive.push(history);
  }
  stats() {
    return { framesIn: this.audioIn.length, maxPrepareMs: this.maxPrepareMs };
  }
}

const frame = (k: number) => new Int16Array(320).fill(k);
const retryable = (n: number) => new VoiceBridgeError('model_unavailable', `segment ${n} refused`, true);

async function start(opts: { refuse?: (n: number) => Error | undefined; history?: HistoryMessage[]; recovery?: RenewingSessionOptions['recovery']; failAsOpened?: number[] } = {}) {
  const clock = new FakeClock();
  const segments: LateSession[] = [];
  const opened: number[] = [];
  const events: ModelEvent[] = [];
  const opening = RenewingSession.open({
    openSegment: async (_history, n) => {
      opened.push(n);
      const err = opts.refuse?.(n);
      if (err) throw err;
      const s = new LateSession(10 * (segments.length + 1));
      segments.push(s);
      if (opts.failAsOpened?.includes(n)) {
        s.emit({ type: 'error', code: 'stream_ended', message: `segment ${n} failed as it opened`, retryable: true });
        await s.close();
      }
      return s;
    },
    clock,
    logger: silentLogger,
    timing: renewalTimingFor(10_000, 6000),
    inputRateHz: 16000,
    history: opts.history ?? [],
    recovery: opts.recovery,
  });
  let opened_ = false;
  void opening.then(() => (opened_ = true), () => (opened_ = true));
  for (let t = 0; t < 5000 && !opened_; t += 10) await advanceAsync(clock, 10, 10);
  const session = await opening;
  session.setHandler((e) => events.push(e));
  const talk = async (k0: number, ms: number) => {
    for (let k = k0; k < k0 + ms / 20; k++) {
      session.sendAudio(frame(k));
      await advanceAsync(clock, 20, 20);
    }
    return k0 + ms / 20;
  };
  return { clock, session, segments, opened, events, talk };
}

const recovery = { maxRetries: 2, outageBufferMs: 30_000, healthyAfterMs: 10_000 };

describe('RenewingSession with late-history segments', () => {
  it('hands each segment the conversation when it goes live, so a conversation that moved on makes no stale segment', async () => {
    const { session, segments, talk } = await start({ history: [{ role: 'user', text: 'earlier' }] });
    expect(segments[0].wentLive).toEqual([[{ role: 'user', text: 'earlier' }]]);
    segments[0].emit({ type: 'responseStarted', responseId: 'r1' });
    let k = await talk(0, 6100);
    expect(segments).toHaveLength(2);
    // The conversation moves on after segment 1 opened: it still takes over, with the newer history.
    segments[0].emit({ type: 'transcript', role: 'assistant', text: 'Hello there.', final: true, responseId: 'r1' });
    segments[0].emit({ type: 'responseDone', responseId: 'r1', cancelled: false });
    expect(session.stats().renewals).toBe(0);
    k = await talk(k, 300);
    expect(session.stats()).toMatchObject({ renewals: 1, staleSegments: 0 });
    expect(segments[1].wentLive).toEqual([[{ role: 'user', text: 'earlier' }, { role: 'assistant', text: 'Hello there.' }]]);
    await session.close();
  });

  it('replaces a reply line when its final text comes again (truncation), counts usage on, and maxes max* counters', async () => {
    const { session, segments, events, talk } = await start();
    const id = segments[0].reply('one two three four', new Int16Array(16000));
    segments[0].emit({ type: 'usage', inputTokens: 10, outputTokens: 5 });
    session.truncate(id, 500);
    await talk(0, 6300);
    expect(segments[1].wentLive).toEqual([[{ role: 'assistant', text: 'one two' }]]);
    segments[1].emit({ type: 'usage', inputTokens: 3, outputTokens: 1 });
    expect(events.filter((e) => e.type === 'usage')).toEqual([
      { type: 'usage', inputTokens: 10, outputTokens: 5 },
      { type: 'usage', inputTokens: 13, outputTokens: 6 },
    ]);
    const stats = session.stats();
    expect(stats.maxPrepareMs).toBe(20);
    expect(stats.framesIn).toBe(segments[0].audioIn.length + segments[1].audioIn.length);
    await session.close();
  });
});

describe('RenewingSession with recovery', () => {
  it('retries a retryable refusal of the first open on the backoff', async () => {
    const { session, opened, segments } = await start({ recovery, refuse: (n) => (n === 0 ? retryable(n) : undefined) });
    expect(opened).toEqual([0, 1]);
    expect(segments[0].wentLive).toHaveLength(1);
    await session.close();
  });

  it('replaces a failed segment: no error reaches the call, the audio sent meanwhile is replayed, counters add up', async () => {
    const { clock, session, segments, events, talk } = await start({ recovery, refuse: (n) => (n === 1 ? retryable(n) : undefined) });
    segments[0].reply('Hi.');
    let k = await talk(0, 200);
    segments[0].emit({ type: 'error', code: 'stream_ended', message: 'gone', retryable: true });
    await segments[0].close();
    // Attempt 1 (at once) is refused; attempt 2 waits 250 ms. Audio keeps coming meanwhile.
    k = await talk(k, 200);
    expect(segments).toHaveLength(1);
    k = await talk(k, 200);
    expect(segments).toHaveLength(2);
    expect(segments[1].wentLive).toEqual([[{ role: 'assistant', text: 'Hi.' }]]);
    // The replay: the audio since the reply started (kept in case of a failure), then that of the outage.
    expect(segments[1].audioIn.map((a) => a[0]).slice(0, 20)).toEqual([...Array(20).keys()]);
    expect(events.filter((e) => e.type === 'error' || e.type === 'closed')).toEqual([]);
    // The call hears of it as a renewal caused by the failure.
    expect(events.filter((e) => e.type === 'renewed')).toEqual([{ type: 'renewed', cause: 'failure', code: 'stream_ended', message: 'gone' }]);
    expect(session.stats()).toMatchObject({ failures: 1, retries: 2, droppedInputMs: 0, segments: 3, framesIn: 10 + segments[1].audioIn.length });
    expect(session.stats().maxOutageMs).toBeGreaterThanOrEqual(250);
    await session.close();
    expect(events.filter((e) => e.type === 'closed')).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('holds typed text sent during an outage for the replacement, which gets it as text to answer', async () => {
    const { session, segments, talk } = await start({ recovery, refuse: (n) => (n === 1 ? retryable(n) : undefined) });
    let k = await talk(0, 100);
    segments[0].emit({ type: 'error', code: 'stream_ended', message: 'gone', retryable: true });
    await segments[0].close();
    session.sendText('are you there?');
    session.sendToolResult('t1', { ok: true }); // asked for by the stream that failed: nowhere to go
    k = await talk(k, 400);
    expect(segments).toHaveLength(2);
    expect(segments[0].textIn).toEqual([]);
    expect(segments[1].textIn).toEqual(['are you there?']);
    expect(segments[1].wentLive).toEqual([[]]); // not also in its history: it is answered once
    session.sendText('thanks');
    expect(segments[1].textIn).toEqual(['are you there?', 'thanks']);
    await session.close();
  });

  it('a replacement that failed as it opened starts the next outage: nothing is lost meanwhile', async () => {
    const { session, segments, events, talk } = await start({ recovery, failAsOpened: [1] });
    let k = await talk(0, 100);
    segments[0].emit({ type: 'error', code: 'stream_ended', message: 'gone', retryable: true });
    await segments[0].close();
    session.sendText('hello?');
    k = await talk(k, 1500);
    expect(segments).toHaveLength(3);
    expect(segments[2].closed).toBe(false);
    expect(segments[2].textIn).toEqual(['hello?']);
    expect(session.stats()).toMatchObject({ failures: 2, droppedInputMs: 0 });
    // Every caller frame since the first failure reached the segment that lived.
    const got = new Set(segments[2].audioIn.map((a) => a[0]));
    expect([...Array(k).keys()].slice(5).filter((f) => !got.has(f))).toEqual([]);
    expect(events.filter((e) => e.type === 'error' || e.type === 'closed')).toEqual([]);
    await session.close();
  });

  it('replays the caller turn not yet in the history to every new segment, across handovers', async () => {
    const { session, segments, talk } = await start({ recovery });
    // The caller talks through two renewals and no transcript comes: the turn is still open.
    await talk(0, 12_300);
    expect(session.stats().renewals).toBe(2);
    const first = (s: LateSession) => s.audioIn[0][0];
    // Segment 2 got the audio of the turn from before the first handover, not only since the second.
    expect(first(segments[2])).toBeLessThan(first(segments[1]) + 6000 / 20);
    expect(first(segments[2])).toBeLessThanOrEqual((12_300 - 10_000) / 20);
    await session.close();
  });

  it('ends with one non-retryable error and one closed when the retries run out', async () => {
    const { clock, segments, events } = await start({ recovery, refuse: (n) => (n >= 1 ? retryable(n) : undefined) });
    segments[0].emit({ type: 'error', code: 'stream_ended', message: 'gone', retryable: true });
    await segments[0].close();
    await advanceAsync(clock, 3000, 50);
    expect(events.map((e) => e.type)).toEqual(['error', 'closed']);
    expect(events[0]).toMatchObject({ code: 'model_unavailable', retryable: false });
    expect(clock.pendingTimers).toBe(0);
  });

  it('passes a non-retryable failure on and ends, as without recovery', async () => {
    const { segments, events } = await start({ recovery });
    segments[0].emit({ type: 'error', code: 'model_unavailable', message: 'no', retryable: false });
    await segments[0].close();
    await flush();
    expect(events.map((e) => e.type)).toEqual(['error', 'closed']);
    expect(segments).toHaveLength(1);
  });
});
