import { describe, expect, it } from 'vitest';
import { EnergyGate } from './gate.js';

const RATE_HZ = 8000;
const WINDOW_MS = 32;
const SAMPLES = (RATE_HZ * WINDOW_MS) / 1000;

/** A 32 ms window of a tone at `dbfsLevel` (RMS), continuing the phase of window `n`. */
function tone(dbfsLevel: number, n: number, freqHz = 440): Int16Array {
  const amp = 32768 * Math.SQRT2 * 10 ** (dbfsLevel / 20);
  return Int16Array.from({ length: SAMPLES }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * freqHz * (n * SAMPLES + i)) / RATE_HZ)));
}

/** Feeds `levels` (dBFS per window; -Infinity = digital silence) and returns the gate's decisions. */
function run(gate: EnergyGate, levels: number[]): boolean[] {
  return levels.map((l, n) => gate.update(l === -Infinity ? new Int16Array(SAMPLES) : tone(l, n), WINDOW_MS));
}

const repeat = (level: number, windows: number) => Array.from({ length: windows }, () => level);

describe('EnergyGate', () => {
  it('is open for the first 320 ms, then shuts on a steady tone however loud', () => {
    const open = run(new EnergyGate(), repeat(-10, 60));
    expect(open.slice(0, 10).every(Boolean)).toBe(true);
    expect(open.slice(10).some(Boolean)).toBe(false);
  });

  it('opens on speech-like onsets over silence and stays open 320 ms after the last one', () => {
    const gate = new EnergyGate();
    run(gate, repeat(-Infinity, 20)); // learns the floor
    const open = run(gate, [-25, -24, -40, -60, ...repeat(-Infinity, 12)]);
    expect(open.slice(0, 4)).toEqual([true, true, true, true]);
    // the last window over the floor and −55 dBFS is window 2 (−40): open through 2 + 10 − 1 = 11
    expect(open.slice(0, 12).every(Boolean)).toBe(true);
    expect(open.slice(12).some(Boolean)).toBe(false);
  });

  it('opens for a voice 10 dB over a steady hum it has learnt, not for one 3 dB over it', () => {
    const gate = new EnergyGate();
    run(gate, repeat(-40, 40));
    expect(gate.floor).toBeCloseTo(-40, 0);
    expect(run(gate, [-30])).toEqual([true]);
    const other = new EnergyGate();
    run(other, repeat(-40, 40));
    expect(run(other, repeat(-37, 5)).some(Boolean)).toBe(false);
  });

  it('never opens below −55 dBFS however sudden', () => {
    const gate = new EnergyGate();
    run(gate, repeat(-Infinity, 20));
    expect(run(gate, repeat(-58, 10)).some(Boolean)).toBe(false);
  });

  it('learns a new steady sound within seconds: the floor rises at 10 dB/s', () => {
    const gate = new EnergyGate();
    run(gate, repeat(-70, 20));
    const open = run(gate, repeat(-20, 250)); // 8 s of a new steady sound
    const lastOpen = open.lastIndexOf(true);
    // 44 dB of rise at 10 dB/s ≈ 4.4 s ≈ 138 windows (+ the hold)
    expect(lastOpen).toBeGreaterThan(120);
    expect(lastOpen).toBeLessThan(160);
    expect(gate.windows).toBe(270);
  });
});
