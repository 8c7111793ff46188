import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { connectWebsocketNcco } from './ncco.js';
import { validTwilioSignature, verifyVonageSignature } from './signatures.js';
import { connectStreamTwiml, dialTwiml, hangupTwiml, whisperTwiml } from './twiml.js';

describe('TwiML', () => {
  it('builds <Connect><Stream> with escaped parameters', () => {
    const xml = connectStreamTwiml({ streamUrl: 'wss://h.test/twilio/media', parameters: { from: '+1555', note: 'a&b"<c>' } });
    expect(xml).toContain('<Connect>');
    expect(xml).toContain('<Stream url="wss://h.test/twilio/media">');
    expect(xml).toContain('<Parameter name="note" value="a&amp;b&quot;&lt;c&gt;"/>');
  });

  it('asks Twilio for the next step when the stream ends (<Connect action>)', () => {
    expect(connectStreamTwiml({ streamUrl: 'wss://h.test/twilio/media', actionUrl: 'https://h.test/twilio/after-stream?a=1&b=2' })).toContain('<Connect action="https://h.test/twilio/after-stream?a=1&amp;b=2" method="POST">');
  });

  it('dials a number or a SIP URI with a whisper, says a summary, hangs up', () => {
    expect(dialTwiml({ target: { kind: 'phone', number: '+15551234567' }, whisperUrl: 'https://h.test/w?c=CA1&x' })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Number url="https://h.test/w?c=CA1&amp;x" method="POST">+15551234567</Number></Dial></Response>',
    );
    expect(dialTwiml({ target: { kind: 'sip', uri: 'sip:a@pbx.test' }, callerId: '+15550000000' })).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Dial callerId="+15550000000"><Sip>sip:a@pbx.test</Sip></Dial></Response>');
    expect(whisperTwiml('Reason: <billing> & more')).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Reason: &lt;billing&gt; &amp; more</Say></Response>');
    expect(hangupTwiml()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
  });
});

describe('NCCO', () => {
  it('connects a websocket at the requested L16 rate', () => {
    const ncco = connectWebsocketNcco({ websocketUri: 'wss://h.test/vonage/media', sampleRateHz: 16000, eventUrl: 'https://h.test/vonage/event', headers: { uuid: 'u1' } }) as any[];
    expect(ncco[0].endpoint[0]).toMatchObject({ type: 'websocket', 'content-type': 'audio/l16;rate=16000', headers: { uuid: 'u1' } });
    expect(() => connectWebsocketNcco({ websocketUri: 'x', sampleRateHz: 44100, eventUrl: 'y' })).toThrow(RangeError);
  });
});

describe('signatures', () => {
  it('accepts a correct Twilio signature and rejects a tampered one', () => {
    const url = 'https://h.test/twilio/voice';
    const params = { CallSid: 'CA1', From: '+15550001111' };
    const sig = twilio.getExpectedTwilioSignature('secret-token', url, params);
    expect(validTwilioSignature('secret-token', sig, url, params)).toBe(true);
    expect(validTwilioSignature('secret-token', sig, url, { ...params, From: '+1999' })).toBe(false);
    expect(validTwilioSignature('other-token', sig, url, params)).toBe(false);
    expect(validTwilioSignature('secret-token', undefined, url, params)).toBe(false);
  });

  it('verifies a Vonage HS256 JWT with payload_hash, and rejects wrong secret, body or age', async () => {
    const body = JSON.stringify({ status: 'answered', uuid: 'u1' });
    const hash = createHash('sha256').update(body).digest('hex');
    const key = new TextEncoder().encode('sig-secret');
    const token = await new SignJWT({ payload_hash: hash, iss: 'Vonage' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(key);
    expect((await verifyVonageSignature(`Bearer ${token}`, 'sig-secret', body)).ok).toBe(true);
    expect((await verifyVonageSignature(`Bearer ${token}`, 'wrong', body)).ok).toBe(false);
    expect((await verifyVonageSignature(`Bearer ${token}`, 'sig-secret', body + ' ')).ok).toBe(false);
    expect((await verifyVonageSignature(undefined, 'sig-secret', body)).ok).toBe(false);
    const old = await new SignJWT({ payload_hash: hash }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(Math.floor(Date.now() / 1000) - 3600).sign(key);
    expect((await verifyVonageSignature(`Bearer ${old}`, 'sig-secret', body)).ok).toBe(false);
  });
});
