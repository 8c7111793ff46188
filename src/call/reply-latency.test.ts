import { describe, expect, it } from 'vitest';
import { PlaybackLedger } from './ledger.js';
import { ReplyLatencyMeter } from './reply-latency.js';
import type { TurnRecord } from './types.js';

const turn = (responseId: string): TurnRecord => ({ turn: 1, responseId, userText: '', assistantText: '', replyLatencyMs: null, interrupted: false });

describe('ReplyLatencyMeter', () => {
  it('without marks: speech end → first frame played out (sent)', () => {
    const ledger = new PlaybackLedger(false);
    const meter = new ReplyLatencyMeter(ledger);
    meter.userTurnEnded(1000);
    ledger.frameSent('r1', 20, 1850);
    const t = turn('r1');
    expect(meter.replyStarted(t)).toBe(true);
    expect(t.replyLatencyMs).toBe(850);
  });

  it('with marks: speech end → when the caller started hearing it, from the first confirmed mark', () => {
    const ledger = new PlaybackLedger(true);
    const meter = new ReplyLatencyMeter(ledger);
    meter.userTurnEnded(1000);
    ledger.frameSent('r1', 20, 1800);
    const t = turn('r1');
    expect(meter.replyStarted(t)).toBe(false);
    expect(t.replyLatencyMs).toBeNull();
    for (let i = 1; i < 5; i++) ledger.frameSent('r1', 20, 1800);
    ledger.markSent('m1', 'r1', 100);
    expect(meter.update()).toBeUndefined();
    // the carrier played the first 100 ms and says so at 2050: it started playing at 1950
    ledger.markPlayed('m1', 2050);
    expect(meter.update()).toBe(t);
    expect(t.replyLatencyMs).toBe(950);
    expect(meter.update()).toBeUndefined();
  });

  it('a typed message counts from its arrival; a reply with no caller turn before it has no latency', () => {
    const ledger = new PlaybackLedger(false);
    const meter = new ReplyLatencyMeter(ledger);
    ledger.frameSent('greeting', 20, 100);
    const greeting = turn('greeting');
    expect(meter.replyStarted(greeting)).toBe(false);
    expect(greeting.replyLatencyMs).toBeNull();
    meter.userTurnEnded(5000);
    ledger.frameSent('r2', 20, 5300);
    const typed = turn('r2');
    meter.replyStarted(typed);
    expect(typed.replyLatencyMs).toBe(300);
    // the next reply without a new caller turn does not reuse the old end of speech
    ledger.frameSent('r3', 20, 9000);
    const again = turn('r3');
    expect(meter.replyStarted(again)).toBe(false);
    expect(again.replyLatencyMs).toBeNull();
  });
});
