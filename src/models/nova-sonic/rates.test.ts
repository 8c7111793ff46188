import { describe, expect, it } from 'vitest';
import { novaRatesFor } from './model.js';

describe('novaRatesFor', () => {
  const settings = { inputRateHz: 16000 as const, outputRateHz: 24000 as const, matchCallerRate: true };
  it("streams a phone call at the caller's 8 kHz both ways, and Vonage at 16 kHz", () => {
    expect(novaRatesFor(settings, 8000, 8000)).toEqual({ inputRateHz: 8000, outputRateHz: 8000 });
    expect(novaRatesFor(settings, 16000, 16000)).toEqual({ inputRateHz: 16000, outputRateHz: 16000 });
  });
  it('falls back to the configured rates for rates Nova does not speak, or when matching is off', () => {
    expect(novaRatesFor(settings, 48000, 48000)).toEqual({ inputRateHz: 16000, outputRateHz: 24000 });
    expect(novaRatesFor(settings, 24000, 24000)).toEqual({ inputRateHz: 16000, outputRateHz: 24000 });
    expect(novaRatesFor({ ...settings, matchCallerRate: false }, 8000, 8000)).toEqual({ inputRateHz: 16000, outputRateHz: 24000 });
  });
});
