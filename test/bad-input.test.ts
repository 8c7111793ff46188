/**
 * Bad input on every caller protocol gets a clean error (close code or error message), and a
 * healthy call on the same server keeps flowing throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mulawEncode } from '../src/audio/g711.js';
import { connectCaller, type SimulatedCaller } from '../src/sim/clients.js';
import { answerTwilioCall, answerVonageCall } from '../src/sim/webhooks.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';

let srv: ServerProcess;
let healthy: SimulatedCaller;
let healthyTimer: NodeJS.Timeout;
const MAX_BYTES = 65536;

interface Raw {
  ws: WebSocket;
  messages: string[];
  closed: Promise<{ code: number; reason: string }>;
  /** Twilio: a valid `start` for this stream (the answer webhook's CallSid and parameters), with `extra` fields. */
  start(extra?: Record<string, unknown>): string;
  /** Vonage: a `websocket:connected` for this stream (the NCCO's headers) with content-type `ct`. */
  connected(ct?: string): string;
}

let calls = 0;
/**
 * Opens a caller socket. Twilio and Vonage streams go through the answer webhook first, as the
 * carriers do (their media routes refuse streams without its one-time token).
 */
async function open(path: string): Promise<Raw> {
  const callSid = `CAbad${++calls}`;
  let url = `${srv.url.replace('http', 'ws')}${path}`;
  let parameters: Record<string, string> = {};
  if (path === '/twilio/media') ({ streamUrl: url, parameters } = await answerTwilioCall(srv.url, { callSid }));
  if (path === '/vonage/media') ({ uri: url, headers: parameters } = await answerVonageCall(srv.url, { uuid: callSid }));
  const ws = new WebSocket(url);
  const messages: string[] = [];
  ws.on('message', (d, isBinary) => {
    if (!isBinary) messages.push(d.toString());
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    closed,
    start: (extra = {}) => JSON.stringify({ event: 'start', streamSid: 'MZbad', start: { streamSid: 'MZbad', callSid, customParameters: parameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, ...extra } }),
    connected: (ct = 'audio/l16;rate=16000') => JSON.stringify({ ...parameters, event: 'websocket:connected', 'content-type': ct }),
  };
}

/** Placeholders in a list of frames for the stream's own opening message. */
const START = Symbol('start');
const CONNECTED = Symbol('connected');
type Frame = string | Buffer | typeof START | typeof CONNECTED | { start: Record<string, unknown> } | { connected: string };
function frame(raw: Raw, f: Frame): string | Buffer {
  if (f === START) return raw.start();
  if (f === CONNECTED) return raw.connected();
  if (typeof f === 'object' && 'start' in f) return raw.start(f.start);
  if (typeof f === 'object' && 'connected' in f) return raw.connected(f.connected);
  return f;
}

const tone = (n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin(i / 3)));
const twilioMedia = (payload = Buffer.from(mulawEncode(tone(160))).toString('base64')) =>
  JSON.stringify({ event: 'media', streamSid: 'MZbad', media: { track: 'inbound', chunk: '1', timestamp: '0', payload } });

/** Asserts the healthy call is still getting its echo back and the server still answers. */
async function assertHealthyStillServed(): Promise<void> {
  const before = healthy.playout.endMs;
  await eventually(() => healthy.playout.endMs > before, 'more echo on the healthy call');
  expect(healthy.socket.readyState).toBe(WebSocket.OPEN);
  const res = await fetch(`${srv.url}/health`);
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', MAX_MESSAGE_BYTES: MAX_BYTES, START_TIMEOUT_MS: 500, BARGE_IN_VAD: false });
  healthy = await connectCaller({ url: srv.url, via: 'twilio' });
  healthyTimer = setInterval(() => healthy.sendFrame(tone(160)), 20);
});

afterAll(async () => {
  clearInterval(healthyTimer);
  await healthy?.hangup();
  expect(await srv?.stop()).toBe(0);
});

describe('Twilio media stream', () => {
  it.each([
    ['malformed JSON', 1007, /malformed JSON/, ['{"event": "start", ']],
    ['media before start', 1008, /media before start/, [twilioMedia()]],
    ['bad base64', 1007, /base64/, [START, twilioMedia('***not base64***')]],
    ['duplicate start', 1008, /duplicate start/, [START, START]],
    ['unsupported media format', 1008, /unsupported media format/, [{ start: { mediaFormat: { encoding: 'audio/x-alaw', sampleRate: 8000, channels: 1 } } }]],
    // The reason quotes the encoding and is cut at 123 bytes, here inside the é: once a crash of the whole server.
    ['unsupported media format quoted past 123 bytes of UTF-8', 1008, /^unsupported media format a{97}$/, [{ start: { mediaFormat: { encoding: `${'a'.repeat(97)}é`, sampleRate: 8000, channels: 1 } } }]],
    ['message without event', 1007, /event/, ['{"foo":1}']],
    ['dtmf with a bad digit', 1007, /digit/, [START, JSON.stringify({ event: 'dtmf', dtmf: { digit: 'XX' } })]],
  ])('%s → close %i', async (_name, code, reason, frames) => {
    const raw = await open('/twilio/media');
    for (const f of frames as Frame[]) raw.ws.send(frame(raw, f));
    const closed = await raw.closed;
    expect(closed.code).toBe(code);
    expect(closed.reason).toMatch(reason as RegExp);
    await assertHealthyStillServed();
  });

  it('binary frames → close 1003', async () => {
    const raw = await open('/twilio/media');
    raw.ws.send(Buffer.alloc(160));
    expect((await raw.closed).code).toBe(1003);
    await assertHealthyStillServed();
  });

  it('oversized message → close 1009', async () => {
    const raw = await open('/twilio/media');
    raw.ws.send(JSON.stringify({ event: 'media', pad: 'x'.repeat(MAX_BYTES) }));
    expect((await raw.closed).code).toBe(1009);
    await assertHealthyStillServed();
  });

  it('unknown events are ignored and the call goes on', async () => {
    const raw = await open('/twilio/media');
    let audio = 0;
    raw.ws.on('message', (d) => {
      if (d.toString().includes('"media"')) audio++;
    });
    raw.ws.send(raw.start());
    raw.ws.send(JSON.stringify({ event: 'brand-new-event', x: 1 }));
    for (let i = 0; i < 10; i++) raw.ws.send(twilioMedia());
    await eventually(() => audio > 0, 'echoed media');
    expect(raw.ws.readyState).toBe(WebSocket.OPEN);
    raw.ws.close();
  });

  it('a stream that never starts is closed after START_TIMEOUT_MS', async () => {
    const raw = await open('/twilio/media');
    raw.ws.send(JSON.stringify({ event: 'connected' }));
    const closed = await raw.closed;
    expect(closed.reason).toMatch(/did not start/);
  });

  it('an abrupt disconnect mid-call ends only that call', async () => {
    const liveCalls = async () => ((await (await fetch(`${srv.url}/stats`)).json()) as { calls: number }).calls;
    const size = await liveCalls();
    const raw = await open('/twilio/media');
    raw.ws.send(raw.start());
    raw.ws.send(twilioMedia());
    await eventually(async () => (await liveCalls()) === size + 1, 'the new call to be live');
    raw.ws.terminate();
    await eventually(async () => (await liveCalls()) === size, 'the dropped call to end');
    await assertHealthyStillServed();
  });
});

describe('Vonage WebSocket', () => {
  it.each([
    ['audio before websocket:connected', 1008, /before websocket:connected/, [Buffer.alloc(640)]],
    ['unsupported content-type', 1007, /content-type/, [{ connected: 'audio/mp3' }]],
    ['malformed JSON', 1007, /malformed JSON/, ['{{']],
    ['odd-length frame', 1007, /bad audio frame/, [CONNECTED, Buffer.alloc(641)]],
    ['too-large audio frame', 1007, /bad audio frame/, [CONNECTED, Buffer.alloc(20000)]],
    ['duplicate connected', 1008, /duplicate/, [CONNECTED, CONNECTED]],
    ['dtmf before connected', 1008, /before websocket:connected/, [JSON.stringify({ event: 'websocket:dtmf', digit: '1' })]],
  ])('%s → close %i', async (_name, code, reason, frames) => {
    const raw = await open('/vonage/media');
    for (const f of frames as Frame[]) raw.ws.send(frame(raw, f));
    const closed = await raw.closed;
    expect(closed.code).toBe(code);
    expect(closed.reason).toMatch(reason as RegExp);
    await assertHealthyStillServed();
  });

  it('unknown events are ignored; 20 ms frames echo back in exact 640-byte messages', async () => {
    const raw = await open('/vonage/media');
    const sizes: number[] = [];
    raw.ws.on('message', (d, isBinary) => {
      if (isBinary) sizes.push((d as Buffer).length);
    });
    raw.ws.send(raw.connected());
    raw.ws.send(JSON.stringify({ event: 'websocket:something-new' }));
    for (let i = 0; i < 10; i++) raw.ws.send(Buffer.from(tone(320).buffer));
    await eventually(() => sizes.length > 5, 'echoed frames');
    expect(sizes.every((s) => s === 640)).toBe(true);
    raw.ws.terminate();
    await assertHealthyStillServed();
  });
});

describe('browser WebSocket', () => {
  it('answers each bad message with an error event and stays open', async () => {
    const raw = await open('/client');
    const cases: Array<[string | Buffer, string]> = [
      ['not json', 'bad_json'],
      [JSON.stringify({ type: 'audio', audio: 'AAAA' }), 'bad_order'],
      [JSON.stringify({ type: 'session.start', sampleRateHz: 44100 }), 'bad_message'],
      [JSON.stringify({ type: 'session.start' }), ''],
      [JSON.stringify({ type: 'audio', audio: '%%%%' }), 'bad_audio'],
      [Buffer.alloc(3), 'bad_audio'],
      [JSON.stringify({ type: 'teleport' }), 'unknown_type'],
      [JSON.stringify({ type: 'session.start' }), 'bad_order'],
      [JSON.stringify({ type: 'text', text: '' }), 'bad_message'],
    ];
    for (const [msg] of cases) raw.ws.send(msg);
    const expected = cases.map(([, code]) => code).filter(Boolean);
    const errorCodes = () => raw.messages.map((m) => JSON.parse(m)).filter((m) => m.type === 'error').map((m) => m.code);
    await eventually(() => errorCodes().length >= expected.length, `${expected.length} error events`);
    const errors = errorCodes();
    expect(errors).toEqual(expected);
    expect(raw.ws.readyState).toBe(WebSocket.OPEN);
    raw.ws.close();
    await assertHealthyStillServed();
  });

  it('closes with 1008 after too many bad messages, and 1009 for oversized ones', async () => {
    const raw = await open('/client');
    for (let i = 0; i < 25; i++) raw.ws.send('garbage');
    expect((await raw.closed).code).toBe(1008);
    const big = await open('/client');
    big.ws.send(JSON.stringify({ type: 'session.start' }));
    big.ws.send(JSON.stringify({ type: 'audio', audio: 'A'.repeat(MAX_BYTES + 4) }));
    expect((await big.closed).code).toBe(1009);
    await assertHealthyStillServed();
  });
});

describe('raw PCM /ws', () => {
  it('answers text frames with an error and keeps the call', async () => {
    const raw = await open('/ws');
    raw.ws.send('hello?');
    await eventually(() => raw.messages.length > 0, 'an error message');
    expect(JSON.parse(raw.messages[0])).toMatchObject({ type: 'error', code: 'binary_only' });
    expect(raw.ws.readyState).toBe(WebSocket.OPEN);
    raw.ws.close();
  });

  it.each([
    ['odd-length chunk', Buffer.alloc(641), 1007],
    ['chunk over 1 s', Buffer.alloc(40000), 1007],
    ['message over the size limit', Buffer.alloc(MAX_BYTES + 2), 1009],
  ])('%s → close %i', async (_name, data, code) => {
    const raw = await open('/ws');
    raw.ws.send(data);
    expect((await raw.closed).code).toBe(code);
    await assertHealthyStillServed();
  });
});
