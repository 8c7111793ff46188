import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadLogSettings } from './config.js';
import { readConfigTable, replaceConfigTable, TABLE_END, TABLE_START } from './readme-table.js';

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

  it('throws a ConfigError that lists the problems', () => {
    expect(() => loadConfig({ PORT: '-1' })).toThrow(ConfigError);
  });
});

describe('loadLogSettings (commands without a full configuration)', () => {
  it('reads LOG_LEVEL and LOG_FORMAT with their defaults', () => {
    expect(loadLogSettings({})).toEqual({ LOG_LEVEL: 'info', LOG_FORMAT: 'auto' });
    expect(loadLogSettings({ LOG_LEVEL: 'debug', LOG_FORMAT: 'json', PORT: 'not checked here' })).toEqual({ LOG_LEVEL: 'debug', LOG_FORMAT: 'json' });
  });

  it('refuses invalid values with a ConfigError naming them', () => {
    expect(() => loadLogSettings({ LOG_LEVEL: 'loud', LOG_FORMAT: 'xml' })).toThrow(/LOG_LEVEL="loud"[\s\S]*LOG_FORMAT="xml"/);
  });
});

describe('the README configuration table markers', () => {
  it('replaces only the text between the markers, and refuses a README without them', () => {
    const readme = `before\n${TABLE_START}\nold\n${TABLE_END}\nafter`;
    const updated = replaceConfigTable(readme, '| new |');
    expect(updated).toBe(`before\n${TABLE_START}\n| new |\n${TABLE_END}\nafter`);
    expect(readConfigTable(updated)).toBe('| new |');
    expect(readConfigTable('no table')).toBeUndefined();
    expect(() => replaceConfigTable('no table', 'x')).toThrow(/markers/);
  });
});

describe('settings parsed once, by the loader', () => {
  it('gives routes typed WebRTC and proxy settings, and refuses bad ones with the variable named', () => {
    const c = loadConfig({ WEBRTC_ICE_SERVERS: 'stun:a.example:3478, turn:b.example ,', WEBRTC_PORT_RANGE: '10000-10999', TRUST_PROXY: '2' });
    expect(c.WEBRTC_ICE_SERVERS).toEqual(['stun:a.example:3478', 'turn:b.example']);
    expect(c.WEBRTC_PORT_RANGE).toEqual([10000, 10999]);
    expect(c.TRUST_PROXY).toEqual({ hops: 2 });
    expect(loadConfig({}).WEBRTC_PORT_RANGE).toBeUndefined();
    expect(loadConfig({}).WEBRTC_ICE_SERVERS).toEqual([]);
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '192.168.1.1']);
    expect(() => loadConfig({ WEBRTC_PORT_RANGE: '2000-1000' })).toThrow(/WEBRTC_PORT_RANGE="2000-1000": expected 1 ≤ FIRST ≤ LAST ≤ 65535/);
    expect(() => loadConfig({ WEBRTC_PORT_RANGE: '10000' })).toThrow(/WEBRTC_PORT_RANGE/);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
  });

  it('reads CORS_ORIGINS as origins (a trailing slash dropped) or *, and refuses a URL with a path', () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com/, http://localhost:5173,' }).CORS_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(loadConfig({ CORS_ORIGINS: '*' }).CORS_ORIGINS).toEqual(['*']);
    expect(() => loadConfig({ CORS_ORIGINS: 'https://app.example.com/page' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ CORS_ORIGINS: 'app.example.com' })).toThrow(/CORS_ORIGINS/);
  });
});

describe('hand-off settings', () => {
  it('parse the target and phrases, and refuse a webhook without a signing key', () => {
    const c = loadConfig({ TRANSFER_TO: '+1 (555) 123-4567', TRANSFER_PHRASES: 'speak to a person, human agent' });
    expect(c.TRANSFER_TO).toEqual({ kind: 'phone', number: '+15551234567' });
    expect(c.TRANSFER_PHRASES).toEqual(['speak to a person', 'human agent']);
    expect(loadConfig({ TRANSFER_TO: 'sip:desk@pbx.example.com' }).TRANSFER_TO).toEqual({ kind: 'sip', uri: 'sip:desk@pbx.example.com' });
    expect(loadConfig({}).TRANSFER_TO).toBeUndefined();
    expect(() => loadConfig({ TRANSFER_TO: '555-1234' })).toThrow(/TRANSFER_TO="555-1234": .*E\.164/);
    expect(() => loadConfig({ TRANSFER_WEBHOOK_URL: 'ftp://x' })).toThrow(/TRANSFER_WEBHOOK_URL/);
    expect(() => loadConfig({ TRANSFER_WEBHOOK_URL: 'https://crm.example.com/handoff' })).toThrow(/TRANSFER_WEBHOOK_SECRET: required/);
    expect(loadConfig({ TRANSFER_WEBHOOK_URL: 'https://crm.example.com/handoff', TRANSFER_WEBHOOK_SECRET: 'a-long-enough-key' }).TRANSFER_WEBHOOK_URL).toBe('https://crm.example.com/handoff');
  });
});

describe('Vonage Voice API settings', () => {
  it('need the application id and key together', () => {
    expect(loadConfig({}).VONAGE_API_URL).toBe('https://api.nexmo.com/');
    expect(() => loadConfig({ VONAGE_APPLICATION_ID: 'app' })).toThrow(/VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY: set both/);
    expect(loadConfig({ VONAGE_APPLICATION_ID: 'app', VONAGE_PRIVATE_KEY: 'keys/private.key' }).VONAGE_PRIVATE_KEY).toBe('keys/private.key');
  });
});
