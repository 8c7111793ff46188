import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { PacedOutput } from './paced-output.js';

describe('PacedOutput', () => {
  it('realtime: audio chunks leave one chunk length apart, other events right after the one before', () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const out = new PacedOutput(clock, 'realtime', (e) => sent.push(`${String(e.n)}@${clock.nowMs()}`));
    out.push({ n: 'created' });
    for (let c = 0; c < 3; c++) out.push({ n: `a${c}` }, 100);
    out.push({ n: 'done' });
    expect(sent).toEqual(['created@0', 'a0@0']);
    clock.advance(100);
    expect(sent).toEqual(['created@0', 'a0@0', 'a1@100']);
    clock.advance(100);
    expect(sent).toEqual(['created@0', 'a0@0', 'a1@100', 'a2@200', 'done@200']);
  });

  it('burst: everything leaves as it is queued', () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const out = new PacedOutput(clock, 'burst', (e) => sent.push(String(e.n)));
    for (let c = 0; c < 5; c++) out.push({ n: c }, 100);
    expect(sent).toEqual(['0', '1', '2', '3', '4']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('clear drops what is queued and cancels the timer; onSent runs per sent event', () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    let onSent = 0;
    const out = new PacedOutput(clock, 'realtime', (e) => sent.push(String(e.n)));
    for (let c = 0; c < 3; c++) out.push({ n: c }, 100, () => onSent++);
    out.clear();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(1000);
    expect(sent).toEqual(['0']);
    expect(onSent).toBe(1);
  });
});
