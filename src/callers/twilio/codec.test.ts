import { describe, expect, it } from 'vitest';
import { parseTwilioMessage } from './codec.js';

const payload = Buffer.alloc(160, 0x7f).toString('base64');
/** The same message through JSON.parse alone (the general path), for comparison. */
const general = (text: string) => parseTwilioMessage(` ${text}`); // a leading space skips the fast path

describe('parseTwilioMessage: media fast path', () => {
  it.each([
    ['Twilio layout, streamSid after media', `{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"${payload}"},"streamSid":"MZ18ad"}`],
    ['streamSid before media (protocols.md example order)', `{"event":"media","sequenceNumber":"3","streamSid":"MZ18ad","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"${payload}"}}`],
    ['other field order (general path)', `{"event":"media","streamSid":"MZ1","media":{"payload":"${payload}","timestamp":"20","track":"inbound"}}`],
    ['with whitespace (general path)', `{ "event": "media", "media": { "track": "inbound", "timestamp": "40", "payload": "${payload}" } }`],
  ])('%s: same result as JSON.parse', (_name, text) => {
    const r = parseTwilioMessage(text);
    expect(r).toEqual(general(text));
    expect(r).toMatchObject({ ok: true, message: { event: 'media', track: 'inbound', payload } });
  });

  it.each([
    ['payload length not a multiple of 4', `{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"AAA"},"streamSid":"MZ1"}`, /base64/],
    ['payload with a bad character', `{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"AA*A"},"streamSid":"MZ1"}`, /base64/],
    ['truncated JSON', `{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"AAAA"}`, /malformed JSON/],
    ['a trailing field the layout does not have', `{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"AAAA"},"streamSid":"MZ1","x":{"payload":"BBBB"}}`, null],
  ])('%s: handled like the general path', (_name, text, error) => {
    const r = parseTwilioMessage(text);
    expect(r).toEqual(general(text));
    if (error) expect(r).toMatchObject({ ok: false, error: expect.stringMatching(error) });
  });
});
