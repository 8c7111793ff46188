/**
 * A hostile client for the flood test, run as its own process (`node --import tsx
 * test/helpers/flood-client.ts URL LOCAL_ADDRESS DURATION_MS`) so its work does not disturb the
 * honest callers' timing in the test process. From one source address it opens hundreds of
 * WebSockets on every caller route and posts hundreds of WebRTC offers; every socket it gets sends
 * audio at 20× real time, and its Twilio sockets stream unknown events too. Like anyone who finds
 * the answer webhooks open (no signature secret set), it asks them for stream URLs first. When the
 * time is up it closes everything and prints one JSON line: what the server answered.
 */
import http from 'node:http';
import nodeDataChannel from 'node-datachannel';
import WebSocket from 'ws';
import { mulawEncode } from '../../src/audio/g711.js';
import { twilioStream, vonageStreamUrl } from './carrier-stream.js';

/** What the flood client saw. */
export interface FloodReport {
  /** Upgrade attempts, by outcome: `open`, or the HTTP status of a refused upgrade, or `error`. */
  upgrades: Record<string, number>;
  /** Close codes of the sockets that opened (`client` when it closed them itself at the end). */
  closes: Record<string, number>;
  /** WebRTC offers by HTTP status. */
  offers: Record<string, number>;
  /** Messages sent: audio frames and unknown events. */
  audioFrames: number;
  unknownEvents: number;
}

const [url, localAddress, durationArg] = process.argv.slice(2);
const durationMs = Number(durationArg);
const SOCKETS = 400;
const OFFERS = 200;
const IN_FLIGHT = 40;
/** Every 5 ms, 100 ms of audio per socket: 20× real time. */
const TICK_MS = 5;
const FRAMES_PER_TICK = 5;
const ROUTES = ['/twilio/media', '/vonage/media', '/ws', '/client'] as const;
/** The first sockets are all Twilio streams (so some hold call slots and stream unknown events). */
const TWILIO_FIRST = 20;

const report: FloodReport = { upgrades: {}, closes: {}, offers: {}, audioFrames: 0, unknownEvents: 0 };
const count = (m: Record<string, number>, k: string | number) => (m[String(k)] = (m[String(k)] ?? 0) + 1);
const deadline = performance.now() + durationMs;
interface Entry {
  ws: WebSocket;
  route: (typeof ROUTES)[number];
  n: number;
  /** When to start sending (a Twilio stream's token is checked on start first), clock ms. */
  fromMs: number;
}
const live = new Set<Entry>();
let socketSeq = 0;

const pcm16k = Buffer.from(Int16Array.from({ length: 320 }, (_, i) => Math.round(6000 * Math.sin(i / 4))).buffer);
const mulaw = Buffer.from(mulawEncode(Int16Array.from({ length: 160 }, (_, i) => Math.round(6000 * Math.sin(i / 2))))).toString('base64');

async function openOne(route: (typeof ROUTES)[number]): Promise<void> {
  const id = `flood-${++socketSeq}`;
  let target = `${url.replace(/^http/, 'ws')}${route}`;
  let twilioParameters: Record<string, string> = {};
  try {
    if (route === '/twilio/media') ({ url: target, parameters: twilioParameters } = await twilioStream(url, id));
    if (route === '/vonage/media') target = await vonageStreamUrl(url, id);
  } catch {
    count(report.upgrades, 'webhook-refused');
    return;
  }
  return new Promise((resolve) => {
    const ws = new WebSocket(target, { localAddress });
    let settled = false;
    ws.on('error', () => {
      if (!settled) count(report.upgrades, 'error');
      settled = true;
      resolve();
    });
    ws.once('unexpected-response', (_req, res) => {
      settled = true;
      count(report.upgrades, res.statusCode ?? 0);
      res.resume();
      ws.terminate();
      resolve();
    });
    ws.once('open', () => {
      settled = true;
      count(report.upgrades, 'open');
      const entry: Entry = { ws, route, n: 0, fromMs: performance.now() + (route === '/twilio/media' ? 300 : 0) };
      live.add(entry);
      if (route === '/twilio/media') ws.send(JSON.stringify({ event: 'start', streamSid: 'MZflood', start: { streamSid: 'MZflood', callSid: id, customParameters: twilioParameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } }));
      else if (route === '/vonage/media') ws.send(JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000', uuid: id }));
      else if (route === '/client') ws.send(JSON.stringify({ type: 'session.start', sampleRateHz: 16000, audioTransport: 'binary' }));
      ws.once('close', (code) => {
        live.delete(entry);
        count(report.closes, entry.n < 0 ? 'client' : code);
      });
      resolve();
    });
  });
}

function send(entry: Entry): void {
  const { ws, route } = entry;
  if (ws.readyState !== WebSocket.OPEN || performance.now() < entry.fromMs) return;
  for (let i = 0; i < FRAMES_PER_TICK; i++) {
    if (route === '/twilio/media') {
      ws.send(`{"event":"media","streamSid":"MZflood","media":{"track":"inbound","chunk":"${entry.n}","timestamp":"${entry.n * 20}","payload":"${mulaw}"}}`);
      ws.send(JSON.stringify({ event: 'mystery', n: entry.n, pad: 'x'.repeat(200) }));
      report.unknownEvents++;
    } else ws.send(pcm16k);
    entry.n++;
    report.audioFrames++;
  }
}

async function sockets(): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < SOCKETS && performance.now() < deadline) {
      const k = next++;
      await openOne(k < TWILIO_FIRST ? '/twilio/media' : ROUTES[k % ROUTES.length]);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

async function offerSdp(): Promise<string> {
  const pc = new nodeDataChannel.PeerConnection('flood', { iceServers: [], bindAddress: '127.0.0.1' });
  const gathered = new Promise<void>((resolve) => pc.onGatheringStateChange((s) => s === 'complete' && resolve()));
  const media = new nodeDataChannel.Audio('0', 'SendRecv');
  media.addOpusCodec(111, 'minptime=10;useinbandfec=1');
  pc.addTrack(media);
  pc.createDataChannel('events');
  pc.setLocalDescription();
  await gathered;
  const sdp = pc.localDescription()!.sdp;
  pc.close();
  return sdp;
}

function postOffer(sdp: string): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request(`${url}/webrtc/offer`, { method: 'POST', localAddress, headers: { 'content-type': 'application/sdp' } }, (res) => {
      count(report.offers, res.statusCode ?? 0);
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', () => (count(report.offers, 'error'), resolve()));
    req.end(sdp);
  });
}

async function offers(): Promise<void> {
  const sdp = await offerSdp();
  // The sockets go first: offers hold call slots too, and would otherwise take them all.
  await new Promise((r) => setTimeout(r, 1500));
  let next = 0;
  const worker = async () => {
    while (next++ < OFFERS && performance.now() < deadline) await postOffer(sdp);
  };
  await Promise.all(Array.from({ length: 20 }, worker));
}

const ticker = setInterval(() => {
  for (const entry of live) send(entry);
}, TICK_MS);
await Promise.all([sockets(), offers()]);
await new Promise((r) => setTimeout(r, Math.max(0, deadline - performance.now())));
clearInterval(ticker);
for (const entry of live) {
  entry.n = -1;
  entry.ws.close();
}
await new Promise((r) => setTimeout(r, 500));
for (const entry of live) entry.ws.terminate();
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(0);
