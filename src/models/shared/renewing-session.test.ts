import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { advanceAsync, FakeClock, flush } from '../../../test/fakes/clock.js';
import { FakeModelSession } from '../../../test/fakes/model-session.js';
import type { HistoryMessage, ModelEvent } from '../model.js';
import { trimHistory } from './history.js';
import { renewalTimingFor } from './renewal.js';
import { RenewingSession } from './renewing-session.js';

/** A fake segment that counts the frames it got. */
class CountingSession extends FakeModelSession {
  stats() {
    return { framesIn: this.audioIn.length };
  }
}

/** A 20 ms frame at 16 kHz tagged with its number. */
const frame = (k: number) => new Int16Array(320).fill(k);

async function start(opts: { failOpens?: number[]; history?: HistoryMessage[]; closedOnOpen?: number[] } = {}) {
  const clock = new FakeClock();
  const segments: FakeModelSession[] = [];
  const histories: HistoryMessage[][] = [];
  const events: ModelEvent[] = [];
  const session = await RenewingSession.open({
    openSegment: async (history, n) => {
      if (opts.failOpens?.includes(n)) throw new Error(`segment ${n} refused`);
      histories.push(history);
      const s = new CountingSession();
      segments.push(s);
      // A stream that failed as it opened: its events are waiting when the session gets it.
      if (opts.closedOnOpen?.includes(n)) {
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
  });
  session.setHandler((e) => events.push(e));
  /** Sends `ms` of caller frames numbered from `k0`, one per 20 ms of clock; returns the next number. */
  const talk = async (k0: number, ms: number) => {
    for (let k = k0; k < k0 + ms / 20; k++) {
      session.sendAudio(frame(k));
      await advanceAsync(clock, 20, 20);
    }
    return k0 + ms / 20;
  };
  return { clock, session, segments, histories, events, talk };
}

const framesIn = (s: FakeModelSession) => s.audioIn.map((a) => a[0]);

describe('RenewingSession', () => {
  it('prepares at renewAfterMs, hands over at once when idle, replays the audio sent since the next segment opened', async () => {
    const { session, segments, histories, events, talk } = await start({ history: [{ role: 'user', text: 'earlier' }] });
    segments[0].reply('Hello there.');
    let k = await talk(0, 5900);
    expect(segments).toHaveLength(1);
    k = await talk(k, 300);
    expect(segments).toHaveLength(2);
    expect(histories[1]).toEqual([{ role: 'user', text: 'earlier' }, { role: 'assistant', text: 'Hello there.' }]);
    expect(segments[0].closed).toBe(true);
    expect(events.filter((e) => e.type === 'renewed')).toEqual([{ type: 'renewed', cause: 'limit' }]);
    k = await talk(k, 100);
    // Every frame reached a session; the frames sent while the next one opened went to both.
    const all = new Set([...framesIn(segments[0]), ...framesIn(segments[1])]);
    expect([...Array(k).keys()].filter((f) => !all.has(f))).toEqual([]);
    const replayed = framesIn(segments[1]).filter((f) => framesIn(segments[0]).includes(f));
    expect(replayed.length).toBeGreaterThan(0);
    const stats = session.stats();
    expect(stats).toMatchObject({ renewals: 1, forcedRenewals: 0, segments: 2 });
    expect(stats.replayedMs).toBe(replayed.length * 20);
    expect(stats.maxHandoverGapMs).toBeLessThanOrEqual(20);
    // The segments' own counters add up across the handover.
    expect(stats.framesIn).toBe(segments[0].audioIn.length + segments[1].audioIn.length);
    await session.close();
  });

  it('waits for the turn boundary: an open response and a pending tool call hold the handover', async () => {
    const { session, segments, events, talk } = await start();
    segments[0].emit({ type: 'responseStarted', responseId: 'r1' });
    let k = await talk(0, 6500);
    expect(segments).toHaveLength(2);
    expect(segments[0].closed).toBe(false);
    segments[0].emit({ type: 'toolCall', toolCallId: 't1', name: 'x', arguments: {} });
    segments[0].emit({ type: 'transcript', role: 'assistant', text: 'Let me check.', final: true, responseId: 'r1' });
    segments[0].emit({ type: 'responseDone', responseId: 'r1', cancelled: false });
    k = await talk(k, 500);
    expect(session.stats().renewals).toBe(0);
    session.sendToolResult('t1', { ok: true });
    expect(segments[0].toolResults).toEqual([['t1', { ok: true }]]);
    k = await talk(k, 1000);
    // The conversation moved on while segment 1 opened: it was replaced by a fresh one.
    expect(session.stats()).toMatchObject({ renewals: 1, forcedRenewals: 0, staleSegments: 1 });
    expect(segments[1].closed).toBe(true);
    expect(segments[0].closed).toBe(true);
    expect(segments[2].closed).toBe(false);
    // Events of the new segment reach the call with a response id of its own.
    segments[2].reply('Done.');
    segments[0].emit({ type: 'responseStarted', responseId: 'late' });
    expect(events.filter((e) => e.type === 'responseStarted').map((e) => (e as { responseId: string }).responseId)).toEqual(['r1', 's2-fake-1']);
    session.truncate('s2-fake-1', 100);
    session.truncate('r1', 100);
    expect(segments[2].truncations).toEqual([['fake-1', 100]]);
    await talk(k, 20);
    await session.close();
  });

  it('forces the handover near the limit: the open response ends cancelled', async () => {
    const { session, segments, events, talk } = await start();
    segments[0].emit({ type: 'responseStarted', responseId: 'r1' });
    await talk(0, 8600);
    expect(session.stats()).toMatchObject({ renewals: 1, forcedRenewals: 1 });
    expect(events).toContainEqual({ type: 'responseDone', responseId: 'r1', cancelled: true });
    expect(events.filter((e) => e.type === 'renewed')).toEqual([{ type: 'renewed', cause: 'forced' }]);
    expect(segments[0].closed).toBe(true);
    await session.close();
  });

  it('a forced handover replays no caller audio from before the last response started (that turn was answered)', async () => {
    const { session, segments, talk } = await start();
    segments[0].emit({ type: 'responseStarted', responseId: 'r1' });
    let k = await talk(0, 6500);
    expect(segments).toHaveLength(2);
    segments[0].emit({ type: 'responseDone', responseId: 'r1', cancelled: false });
    segments[0].emit({ type: 'responseStarted', responseId: 'r2' });
    const answeredUpTo = k;
    k = await talk(k, 2100);
    expect(session.stats()).toMatchObject({ renewals: 1, forcedRenewals: 1 });
    const replayed = framesIn(segments[1]).filter((f) => f < 8400 / 20);
    expect(replayed.length).toBeGreaterThan(0);
    expect(Math.min(...replayed)).toBeGreaterThanOrEqual(answeredUpTo);
    await session.close();
  });

  it('prepares again after a next segment fails to open, and closes every segment on close', async () => {
    const { session, segments, events, talk } = await start({ failOpens: [1] });
    await talk(0, 6200);
    expect(session.stats()).toMatchObject({ prepareFailures: 1, renewals: 0 });
    await talk(310, 1200);
    expect(session.stats()).toMatchObject({ prepareFailures: 1, renewals: 1 });
    await session.close();
    expect(segments.every((s) => s.closed)).toBe(true);
    expect(events.filter((e) => e.type === 'closed')).toEqual([{ type: 'closed', reason: 'closed by call' }]);
  });

  it('ends with the current segment: its error and closed reach the call once', async () => {
    const { segments, events } = await start();
    segments[0].emit({ type: 'error', code: 'stream_ended', message: 'gone', retryable: true });
    await segments[0].close();
    await flush();
    expect(events.map((e) => e.type)).toEqual(['error', 'closed']);
  });

  it('hears what a segment said before it was attached: a first segment that failed as it opened ends the session', async () => {
    const { events } = await start({ closedOnOpen: [0] });
    await flush();
    expect(events.map((e) => e.type)).toEqual(['error', 'closed']);
  });

  it('drops a next segment that failed as it opened and hands over to a fresh one', async () => {
    const { session, segments, talk } = await start({ closedOnOpen: [1] });
    let k = await talk(0, 6100);
    expect(segments).toHaveLength(2);
    expect(session.stats()).toMatchObject({ renewals: 0 });
    k = await talk(k, 1400);
    expect(segments).toHaveLength(3);
    expect(session.stats()).toMatchObject({ renewals: 1 });
    session.sendAudio(frame(k));
    expect(framesIn(segments[2]).at(-1)).toBe(k);
    await session.close();
  });

  it('drops a next segment that closes before the handover and hands over to a fresh one', async () => {
    const { session, segments, talk } = await start();
    segments[0].emit({ type: 'responseStarted', responseId: 'r1' });
    let k = await talk(0, 6100);
    expect(segments).toHaveLength(2);
    await segments[1].close();
    segments[0].emit({ type: 'responseDone', responseId: 'r1', cancelled: true });
    k = await talk(k, 400);
    expect(session.stats()).toMatchObject({ renewals: 0 });
    k = await talk(k, 1000);
    expect(segments).toHaveLength(3);
    expect(session.stats()).toMatchObject({ renewals: 1 });
    expect(segments[0].closed).toBe(true);
    expect(segments[2].closed).toBe(false);
    session.sendAudio(frame(k));
    expect(framesIn(segments[2]).at(-1)).toBe(k);
    await session.close();
  });
});

describe('trimHistory', () => {
  it('keeps the newest messages within the byte budget and the tail of an oversized newest one', () => {
    const h: HistoryMessage[] = [{ role: 'user', text: 'aaaa' }, { role: 'assistant', text: ' ' }, { role: 'assistant', text: 'bbbb' }, { role: 'user', text: 'cc' }];
    expect(trimHistory(h, 6)).toEqual([{ role: 'assistant', text: 'bbbb' }, { role: 'user', text: 'cc' }]);
    expect(trimHistory([{ role: 'user', text: 'héllo' }], 4)).toEqual([{ role: 'user', text: 'llo' }]);
  });
});
