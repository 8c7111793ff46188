/**
 * Callers sending audio faster than real time, against a server process (loopback model) with an
 * honest call beside them: the server admits about real time per call, drops the rest (counted in
 * `/stats`), closes a caller sustained far beyond it with 1008, and its memory does not balloon
 * (before: 6,000 tiny Twilio messages that the gap filler expanded added ≈440 MB of RSS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mulawEncode } from '../src/audio/g711.js';
import { connectCaller, type SimulatedCaller } from '../src/sim/clients.js';
import { twilioStream, vonageStreamUrl } from './helpers/carrier-stream.js';
import { watchPeakRss, rssMb } from './helpers/proc.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';

let srv: ServerProcess;
let honest: SimulatedCaller;
let honestTimer: NodeJS.Timeout;
/** RSS growth allowed over the whole file, MB (each flood below offers hundreds of MB of audio). */
const RSS_GROWTH_LIMIT_MB = 80;
let baselineMb = 0;

interface LimitsStats {
  limits: { inboundAudio: { droppedChunks: number; droppedMs: number; closedCallers: number } };
}
const stats = async () => (await (await fetch(`${srv.url}/stats`)).json()) as LimitsStats;

const tone = (n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin(i / 3)));

/** Opens a socket on `path` of the server, or at `url` (a carrier's stream URL). */
async function open(path: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }>; answered: Promise<void> }> {
  const ws = new WebSocket(path.startsWith('ws') ? path : `${srv.url.replace('http', 'ws')}${path}`);
  ws.on('error', () => {});
  // The first message from the server (an echo, or session.started): the stream was admitted.
  const answered = new Promise<void>((r) => ws.once('message', () => r()));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, closed, answered };
}

/** Sends `send()` every `everyMs` (≥ 1 ms timers, `perTick` at a time) until the socket closes or `maxMs` passes. */
async function flood(ws: WebSocket, send: () => void, perTick: number, maxMs: number): Promise<void> {
  const start = performance.now();
  while (ws.readyState === WebSocket.OPEN && performance.now() - start < maxMs) {
    for (let i = 0; i < perTick && ws.readyState === WebSocket.OPEN; i++) send();
    await new Promise((r) => setTimeout(r, 1));
  }
}

/** Asserts the honest call still gets its echo back. */
async function assertHonestServed(): Promise<void> {
  const before = honest.playout.endMs;
  await eventually(() => honest.playout.endMs > before, 'more echo on the honest call');
  expect(honest.socket.readyState).toBe(WebSocket.OPEN);
}

beforeAll(async () => {
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false });
  honest = await connectCaller({ url: srv.url, via: 'twilio' });
  honestTimer = setInterval(() => honest.sendFrame(tone(160)), 20);
  await eventually(() => honest.playout.endMs > 0, 'the honest call to echo');
  baselineMb = rssMb(srv.child.pid!);
}, 120_000);

afterAll(async () => {
  clearInterval(honestTimer);
  await honest?.hangup();
  expect(await srv?.stop()).toBe(0);
});

describe('inbound audio faster than real time', () => {
  it('Twilio: 6,000 tiny messages with timestamp gaps are not expanded into hours of silence', async () => {
    const stream = await twilioStream(srv.url, 'CAflood');
    const { ws, closed, answered } = await open(stream.url);
    const peak = watchPeakRss(srv.child.pid!);
    ws.send(JSON.stringify({ event: 'start', streamSid: 'MZflood', start: { streamSid: 'MZflood', callSid: 'CAflood', customParameters: stream.parameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } }));
    // 200 ms of ordinary audio, until its echo shows the stream was admitted.
    for (let i = 0; i < 10; i++) ws.send(JSON.stringify({ event: 'media', streamSid: 'MZflood', media: { track: 'inbound', chunk: String(i), timestamp: String(i * 20), payload: Buffer.from(mulawEncode(tone(160))).toString('base64') } }));
    await answered;
    const payload = Buffer.from([0xff]).toString('base64'); // one sample, 0.125 ms
    let n = 1;
    // Each message claims a 1 s gap since the last one: 6,000 s of "lost" audio in a moment.
    await flood(ws, () => ws.send(JSON.stringify({ event: 'media', streamSid: 'MZflood', media: { track: 'inbound', chunk: String(n), timestamp: String(n++ * 1000), payload } })), 200, 5000);
    while (n < 6000 && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ event: 'media', streamSid: 'MZflood', media: { track: 'inbound', chunk: String(n), timestamp: String(n++ * 1000), payload } }));
    await assertHonestServed();
    // Whatever the stream made of it, the echo of hours of silence must not pile up.
    await new Promise((r) => setTimeout(r, 500));
    const peakMb = peak.stop();
    if (ws.readyState === WebSocket.OPEN) ws.close();
    await closed;
    expect(peakMb - baselineMb, `RSS ${baselineMb.toFixed(0)} → peak ${peakMb.toFixed(0)} MB`).toBeLessThan(RSS_GROWTH_LIMIT_MB);
  }, 30_000);

  /** Each protocol's socket: where it connects (through the answer webhook for carriers), its opening, one 20 ms frame. */
  const protocols: Array<[string, () => Promise<{ url: string; opening: string | null; frame: () => string | Buffer }>]> = [
    ['/ws raw PCM', async () => ({ url: '/ws', opening: null, frame: () => Buffer.from(tone(320).buffer) })],
    ['Vonage', async () => ({ url: await vonageStreamUrl(srv.url, 'vonage-fast'), opening: JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000', uuid: 'vonage-fast' }), frame: () => Buffer.from(tone(320).buffer) })],
    ['browser /client', async () => ({ url: '/client', opening: JSON.stringify({ type: 'session.start', sampleRateHz: 16000, audioTransport: 'binary' }), frame: () => Buffer.from(tone(320).buffer) })],
    ['Twilio', async () => {
      const stream = await twilioStream(srv.url, 'CAfast');
      let ts = 0;
      const payload = Buffer.from(mulawEncode(tone(160))).toString('base64');
      return {
        url: stream.url,
        opening: JSON.stringify({ event: 'start', streamSid: 'MZfast', start: { streamSid: 'MZfast', callSid: 'CAfast', customParameters: stream.parameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } }),
        frame: () => JSON.stringify({ event: 'media', streamSid: 'MZfast', media: { track: 'inbound', chunk: '1', timestamp: String((ts += 20)), payload } }),
      };
    }],
  ];

  it.each(protocols)('%s at 20× real time: dropped beyond the burst, then closed with 1008', async (_name, make) => {
    const before = (await stats()).limits.inboundAudio;
    const { url, opening, frame } = await make();
    const { ws, closed, answered } = await open(url);
    const peak = watchPeakRss(srv.child.pid!);
    if (opening) ws.send(opening);
    // 200 ms at real time first, until the server answers (an echo, or session.started).
    for (let i = 0; i < 10; i++) ws.send(frame());
    await answered;
    // 20 ms frames, 20 per ms-timer tick: about 20× real time, for at most 10 s.
    await flood(ws, () => ws.send(frame()), 20, 10_000);
    const close = await closed;
    const peakMb = peak.stop();
    expect(close.code).toBe(1008);
    expect(close.reason).toMatch(/faster than real time/);
    const after = (await stats()).limits.inboundAudio;
    expect(after.closedCallers).toBe(before.closedCallers + 1);
    expect(after.droppedChunks).toBeGreaterThan(before.droppedChunks);
    expect(peakMb - baselineMb, `RSS ${baselineMb.toFixed(0)} → peak ${peakMb.toFixed(0)} MB`).toBeLessThan(RSS_GROWTH_LIMIT_MB);
    await assertHonestServed();
  }, 30_000);
});
