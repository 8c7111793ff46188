/**
 * What a hostile client can make the server log, against a real server process writing JSON
 * lines: credentials in URLs (`?token=`, signatures) never reach the log, on plain requests,
 * unknown routes, WebSocket upgrades and refused webhooks alike; a socket streaming unknown
 * events is closed and leaves a few short lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { answerTwilioCall } from '../src/sim/webhooks.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';

let srv: ServerProcess;
let log = '';

beforeAll(async () => {
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', LOG_LEVEL: 'info', LOG_FORMAT: 'json', TWILIO_AUTH_TOKEN: 'twilio-auth-token-for-tests', BARGE_IN_VAD: false });
  // Everything the server prints from here on (the helper keeps only the tail).
  srv.child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  srv.child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
}, 60_000);

afterAll(async () => {
  await srv?.stop();
});

/** Opens a WebSocket and resolves once it is open (or refused: then with the status). */
function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('credentials in URLs', () => {
  it('are redacted from request logs, unknown-route lines, WebSocket upgrade logs and webhook warnings', async () => {
    const ws = srv.url.replace('http', 'ws');
    await fetch(`${srv.url}/stats?token=SECRET-ONE&callerId=visible-1`);
    const call = await openSocket(`${ws}/ws?token=SECRET-TWO&callerId=visible-2`);
    call.close();
    // An upgrade on a route without a WebSocket handler is logged by @fastify/websocket itself.
    await openSocket(`${ws}/health?access_token=SECRET-THREE`).then((s) => s.close(), () => undefined);
    await fetch(`${srv.url}/no-such-route?token=SECRET-FIVE&x=visible-5`);
    await fetch(`${srv.url}/twilio/voice?sig=SECRET-FOUR&x=visible-4`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'forged' }, body: 'CallSid=CA1' });
    await eventually(() => log.includes('visible-1') && log.includes('visible-2') && log.includes('visible-4') && log.includes('/health?access_token') && log.includes('rejected Twilio webhook') && log.includes('"call ended"') && log.includes('visible-5 not found'), 'the requests in the log');
    expect(log).not.toMatch(/SECRET-/);
    expect(log).toContain('token=[REDACTED]&callerId=visible-1');
    expect(log).toContain('token=[REDACTED]&callerId=visible-2');
    expect(log).toContain('sig=[REDACTED]&x=visible-4');
    // The /ws call's parameters (logged, kept in its record) hold no credential either.
    expect(log).toMatch(/"parameters":\{"callerId":"visible-2"\}/);
  });
});

describe('a socket streaming unknown events', () => {
  it('is closed with 1008 and leaves a few short lines in the log, not one per event', async () => {
    const before = log.length;
    // A stream as Twilio opens it (signed upgrade), whose sender then sends nothing but junk.
    const stream = await answerTwilioCall(srv.url, { callSid: 'CA-junk', authToken: 'twilio-auth-token-for-tests' });
    const ws = await openSocket(stream.streamUrl, stream.upgradeHeaders);
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    const name = 'x'.repeat(4096);
    for (let i = 0; i < 2000; i++) ws.send(JSON.stringify({ event: `${name}-${i}`, pad: 'y'.repeat(1024) }));
    expect(await closed).toEqual({ code: 1008, reason: 'too many invalid messages' });
    await eventually(() => log.slice(before).includes('caller stream never started'), 'the closed stream in the log');
    const grown = log.slice(before);
    // A handful of lines (upgrade, the first unknown event, the close), each with fields cut short.
    expect(grown.split('\n').filter(Boolean).length).toBeLessThanOrEqual(8);
    expect(grown.length).toBeLessThan(8 * 1024);
    expect(grown).not.toContain('x'.repeat(300));
  });
});
