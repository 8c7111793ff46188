import { describe, expect, it } from 'vitest';
import { PlaybackLedger } from './ledger.js';

describe('PlaybackLedger', () => {
  it('without marks, heard follows real time from the first frame, capped at sent', () => {
    const l = new PlaybackLedger(false);
    for (let i = 0; i < 10; i++) l.frameSent('r1', 20, 1000 + i * 20);
    expect(l.sentMs('r1')).toBe(200);
    expect(l.heardMs('r1', 1090)).toBe(90);
    expect(l.heardMs('r1', 5000)).toBe(200);
    expect(l.unplayedMs(1090)).toBe(110);
  });

  it('with marks, heard is the last confirmed mark plus elapsed time, capped at sent', () => {
    const l = new PlaybackLedger(true);
    let pos = 0;
    for (let i = 0; i < 10; i++) {
      pos = l.frameSent('r1', 20, i * 20);
      if (pos % 100 === 0) l.markSent(`m${pos}`, 'r1', pos);
    }
    expect(l.heardMs('r1', 150)).toBe(0); // nothing confirmed yet
    expect(l.markPlayed('m100', 160)).toBe(true);
    expect(l.heardMs('r1', 170)).toBe(110);
    expect(l.markPlayed('m100', 170)).toBe(false);
    expect(l.markPlayed('m200', 260)).toBe(true);
    expect(l.heardMs('r1', 400)).toBe(200);
    expect(l.pendingMarks).toBe(0);
  });

  it('tracks responses separately and ignores unknown marks', () => {
    const l = new PlaybackLedger(true);
    l.frameSent('a', 20, 0);
    l.frameSent('b', 20, 0);
    expect(l.currentResponseId).toBe('b');
    expect(l.markPlayed('nope', 0)).toBe(false);
    expect(l.heardMs('zzz', 0)).toBe(0);
  });
});
