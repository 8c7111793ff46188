/**
 * Simulated callers that speak each carrier's real wire protocol to a running voicebridge server:
 * Twilio Media Streams, Vonage WebSockets, the browser protocol and raw PCM. They play the far
 * end's part faithfully: Twilio and Vonage first ask the answer webhook where to stream (and with
 * which one-time token), Twilio echoes marks once the audio before them has played and answers
 * `clear` by dropping its buffer; Vonage does the same with `notify` and `clear`.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { mulawDecode, mulawEncode } from '../audio/g711.js';
import { SimulatedPlayout } from './playout.js';
import { answerTwilioCall, answerVonageCall } from './webhooks.js';
import { systemClock, type TimerHandle } from '../core/clock.js';

/** Which protocol to speak. */
export type Via = 'twilio' | 'vonage' | 'ws' | 'pcm';

/** Something the simulated caller observed, with its clock time. */
export interface SimEvent {
  atMs: number;
  type: 'clear' | 'transcript' | 'state' | 'error' | 'close' | 'mark' | 'turn';
  detail?: unknown;
}

/** A connected simulated caller. */
export interface SimulatedCaller {
  /** PCM16 rate the caller sends and receives. */
  readonly sampleRateHz: number;
  /** What the caller heard. */
  readonly playout: SimulatedPlayout;
  /** Observations (clears, transcripts, closes…). */
  readonly events: SimEvent[];
  /** Identifier of this simulated call: the raw PCM caller's `?simId=`; Twilio's CallSid and Vonage's uuid derive from it. */
  readonly simId: string;
  /** The carrier's call id the server knows the call by (Twilio CallSid, Vonage uuid); undefined for browser and PCM callers. */
  readonly carrierCallId?: string;
  /** Browser protocol: the server's call id from `session.started`. */
  readonly callId: () => string | undefined;
  /** Sends one 20 ms frame of caller audio. */
  sendFrame(pcm: Int16Array): void;
  /** Sends a DTMF digit (Twilio, Vonage). */
  sendDtmf(digit: string): void;
  /** Hangs up the way the carrier would (Twilio `stop`, browser `session.end`, socket close). */
  hangup(): Promise<void>;
  /** Resolves when the server closes the socket. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** The raw socket (tests use it to send bad input). */
  readonly socket: WebSocket;
}

/** Options for `connectCaller`. */
export interface ConnectOptions {
  /** Server base URL, `http://host:port`. */
  url: string;
  via: Via;
  /** Clock for event times (default `performance.now`). */
  nowMs?: () => number;
  /** Browser rate (default 16000; Vonage takes the rate of the answer webhook's NCCO). */
  sampleRateHz?: number;
  /** Twilio auth token of the server: signs the answer webhook and the stream upgrade as Twilio does. */
  twilioAuthToken?: string;
  /** Vonage signature secret of the server: signs the answer webhook as Vonage does. */
  vonageSignatureSecret?: string;
  /** Browser and raw PCM callers: a credential (JWT or presigned stream token) sent as `?token=`. */
  token?: string;
  /** Browser: binary audio frames instead of base64 JSON. */
  binary?: boolean;
  /** Browser: the model to talk to (`session.start.model`; the server's default when absent). */
  model?: string;
  /**
   * Twilio: leave outbound media to the caller's own `socket` listeners (no decoding, nothing
   * recorded in `playout`); load benchmarks use it to keep the simulated carrier cheap.
   */
  ignoreMedia?: boolean;
}

const PATHS: Record<'ws' | 'pcm', string> = { ws: '/client', pcm: '/ws' };

/** How a simulated caller opens its stream: where, at which rate, and what it sends first. */
interface Opening {
  url: string;
  rateHz: number;
  upgradeHeaders: Record<string, string>;
  /** Twilio `customParameters` / Vonage `websocket:connected` headers. */
  parameters: Record<string, string>;
  carrierCallId?: string;
}

/** Asks the answer webhook (Twilio, Vonage) or builds the URL (browser, raw PCM) for a caller. */
async function openingOf(options: ConnectOptions, simId: string): Promise<Opening> {
  const base = options.url.replace(/\/$/, '');
  if (options.via === 'twilio') {
    const callSid = `CA${simId.replace(/-/g, '')}`;
    const twiml = await answerTwilioCall(base, { callSid, authToken: options.twilioAuthToken });
    return { url: twiml.streamUrl, rateHz: 8000, upgradeHeaders: twiml.upgradeHeaders, parameters: twiml.parameters, carrierCallId: callSid };
  }
  if (options.via === 'vonage') {
    const ncco = await answerVonageCall(base, { uuid: simId, signatureSecret: options.vonageSignatureSecret });
    const rateHz = Number(/rate=(\d+)/.exec(ncco.contentType)?.[1] ?? 16000);
    return { url: ncco.uri, rateHz, upgradeHeaders: {}, parameters: ncco.headers, carrierCallId: simId };
  }
  const query = new URLSearchParams(options.via === 'pcm' ? { simId } : {});
  if (options.token) query.set('token', options.token);
  const search = query.size ? `?${query}` : '';
  return { url: `${base.replace(/^http/, 'ws')}${PATHS[options.via]}${search}`, rateHz: options.via === 'pcm' ? 16000 : (options.sampleRateHz ?? 16000), upgradeHeaders: {}, parameters: {} };
}

/**
 * Connects and performs the protocol's opening (Twilio: answer webhook, then connected+start;
 * Vonage: answer webhook, then websocket:connected; browser: session.start).
 * @throws Error when the answer webhook refuses or the socket cannot open.
 */
export async function connectCaller(options: ConnectOptions): Promise<SimulatedCaller> {
  const now = options.nowMs ?? (() => performance.now());
  const via = options.via;
  const simId = randomUUID();
  const opening = await openingOf(options, simId);
  const rate = opening.rateHz;
  const socket = new WebSocket(opening.url, { headers: opening.upgradeHeaders });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const playout = new SimulatedPlayout(rate);
  const events: SimEvent[] = [];
  const pendingMarks: Array<{ name: string; timer: TimerHandle }> = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => {
      events.push({ atMs: now(), type: 'close', detail: { code, reason: reason.toString() } });
      for (const m of pendingMarks) systemClock.clearTimeout(m.timer);
      resolve({ code, reason: reason.toString() });
    }),
  );
  const send = (data: string | Buffer) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(data);
  };
  const echoMarkWhenPlayed = (name: string, echo: () => void) => {
    const entry = { name, timer: systemClock.setTimeout(() => { pendingMarks.splice(pendingMarks.indexOf(entry), 1); echo(); }, Math.max(0, playout.endMs - now())) };
    pendingMarks.push(entry);
  };
  const flushMarksOnClear = (echo: (name: string) => void) => {
    for (const m of pendingMarks.splice(0)) {
      systemClock.clearTimeout(m.timer);
      echo(m.name);
    }
  };

  let callId: string | undefined;
  let seq = 0;
  let chunk = 0;
  let tsMs = 0;
  const streamSid = `MZ${simId.replace(/-/g, '')}`;
  const callSid = opening.carrierCallId;
  if (via === 'twilio') {
    send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    send(JSON.stringify({
      event: 'start', sequenceNumber: String(++seq), streamSid,
      start: { accountSid: 'ACsim', streamSid, callSid, tracks: ['inbound'], customParameters: opening.parameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } },
    }));
  } else if (via === 'vonage') {
    send(JSON.stringify({ ...opening.parameters, event: 'websocket:connected', 'content-type': `audio/l16;rate=${rate}` }));
  } else if (via === 'ws') {
    send(JSON.stringify({ type: 'session.start', sampleRateHz: rate, audioTransport: options.binary ? 'binary' : 'base64', ...(options.model ? { model: options.model } : {}) }));
  }

  const ignoreMedia = via === 'twilio' && options.ignoreMedia === true;
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (ignoreMedia && data.toString('latin1', 0, 16) === '{"event":"media"') return;
    const t = now();
    if (isBinary) {
      const pcm = new Int16Array(data.length >> 1);
      Buffer.from(pcm.buffer).set(data.subarray(0, pcm.length * 2));
      playout.enqueue(pcm, t);
      return;
    }
    let m: Record<string, any>;
    try {
      m = JSON.parse(data.toString());
    } catch {
      events.push({ atMs: t, type: 'error', detail: 'server sent malformed JSON' });
      return;
    }
    if (via === 'twilio') {
      if (m.event === 'media') playout.enqueue(mulawDecode(Buffer.from(m.media.payload, 'base64')), t);
      else if (m.event === 'mark') {
        events.push({ atMs: t, type: 'mark', detail: m.mark.name });
        echoMarkWhenPlayed(m.mark.name, () => send(JSON.stringify({ event: 'mark', sequenceNumber: String(++seq), streamSid, mark: { name: m.mark.name } })));
      } else if (m.event === 'clear') {
        events.push({ atMs: t, type: 'clear' });
        playout.clear(t);
        flushMarksOnClear((name) => send(JSON.stringify({ event: 'mark', sequenceNumber: String(++seq), streamSid, mark: { name } })));
      }
    } else if (via === 'vonage') {
      if (m.action === 'clear') {
        events.push({ atMs: t, type: 'clear' });
        playout.clear(t);
        flushMarksOnClear((name) => send(JSON.stringify({ event: 'websocket:notify', payload: { markId: name } })));
        send(JSON.stringify({ event: 'websocket:cleared' }));
      } else if (m.action === 'notify') {
        echoMarkWhenPlayed(m.payload.markId, () => send(JSON.stringify({ event: 'websocket:notify', payload: m.payload })));
      }
    } else {
      if (m.type === 'session.started') callId = m.callId;
      else if (m.type === 'audio') playout.enqueue(new Int16Array(new Uint8Array(Buffer.from(m.audio, 'base64')).buffer), t);
      else if (m.type === 'playback.clear') {
        events.push({ atMs: t, type: 'clear' });
        playout.clear(t);
      } else if (m.type === 'transcript' || m.type === 'state' || m.type === 'error' || m.type === 'turn') {
        events.push({ atMs: t, type: m.type, detail: m });
      }
    }
  });

  const frameBytes = (rate / 50) * 2;
  return {
    sampleRateHz: rate,
    playout,
    events,
    simId,
    carrierCallId: opening.carrierCallId,
    callId: () => callId,
    socket,
    closed,
    sendFrame(pcm: Int16Array) {
      if (via === 'twilio') {
        const mu = Buffer.from(mulawEncode(pcm));
        send(JSON.stringify({ event: 'media', sequenceNumber: String(++seq), streamSid, media: { track: 'inbound', chunk: String(++chunk), timestamp: String(tsMs), payload: mu.toString('base64') } }));
        tsMs += (pcm.length * 1000) / 8000;
      } else if (via === 'ws' && !options.binary) {
        send(JSON.stringify({ type: 'audio', audio: Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64') }));
      } else {
        const b = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
        send(b.length === frameBytes || via !== 'vonage' ? b : b.subarray(0, frameBytes));
      }
    },
    sendDtmf(digit: string) {
      if (via === 'twilio') send(JSON.stringify({ event: 'dtmf', sequenceNumber: String(++seq), streamSid, dtmf: { track: 'inbound_track', digit } }));
      else if (via === 'vonage') send(JSON.stringify({ event: 'websocket:dtmf', digit, duration: 200 }));
    },
    async hangup() {
      if (via === 'twilio') send(JSON.stringify({ event: 'stop', sequenceNumber: String(++seq), streamSid, stop: { accountSid: 'ACsim', callSid } }));
      else if (via === 'ws') send(JSON.stringify({ type: 'session.end' }));
      if (via !== 'twilio' && via !== 'ws') socket.close(1000, 'caller hung up');
      const timer = systemClock.setTimeout(() => socket.terminate(), 2000);
      await closed;
      systemClock.clearTimeout(timer);
    },
  };
}
