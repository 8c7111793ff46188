import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8080);
    expect(c.VOICEBRIDGE_MODEL).toBe('auto');
    expect(c.TWILIO_AUTH_TOKEN).toBeUndefined();
    expect(c.BARGE_IN_VAD).toBe(true);
  });

  it('parses env strings and lets overrides win', () => {
    const c = loadConfig({ PORT: '9000', BARGE_IN_VAD: 'off', VONAGE_RATE_HZ: '8000' }, { PORT: 1234 });
    expect(c.PORT).toBe(1234);
    expect(c.BARGE_IN_VAD).toBe(false);
    expect(c.VONAGE_RATE_HZ).toBe(8000);
  });

  it('lists every invalid setting', () => {
    expect(() => loadConfig({ PORT: 'abc', VOICEBRIDGE_MODEL: 'gpt', VONAGE_RATE_HZ: '44100' })).toThrow(/PORT[\s\S]*VOICEBRIDGE_MODEL[\s\S]*VONAGE_RATE_HZ/);
  });
});
