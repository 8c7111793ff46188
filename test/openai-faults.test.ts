/**
 * OpenAI Realtime's fault modes through a real server on 127.0.0.1 (`VOICEBRIDGE_MODEL=openai`)
 * against the in-process emulator (echo brain: each caller utterance is played back), with real
 * Twilio media sockets and the browser WebSocket: a session closed with 1011 mid-call, a stalled
 * session, a slow start (answered, or refused past `OPENAI_START_TIMEOUT_MS`), an error event
 * mid-response, and a bad API key. Each call ends politely (the server closes the caller's socket
 * normally, the record says why) or goes on, and never touches another call.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mulawDecode, mulawEncode } from '../src/audio/g711.js';
import { rms } from '../src/audio/level.js';
import { loadResamplerFactory } from '../src/audio/resample.js';
import { loadConfig } from '../src/config/config.js';
import { echoBrainFactory } from '../src/emulators/nova-sonic/brains.js';
import { startOpenAIRealtimeEmulator, type OpenAIRealtimeEmulator, type RealtimeFault } from '../src/emulators/openai-realtime/server.js';
import { createServer, type Server } from '../src/server.js';
import { twilioStream } from './helpers/carrier-stream.js';
import { eventually } from './helpers/wait.js';
import { startBrowserSession } from './helpers/browser-session.js';
import { MemoryCallStore } from './fakes/call-store.js';

const KEY = 'sk-faults-test-123456';
let server: Server | undefined;
let emulator: OpenAIRealtimeEmulator | undefined;
const callers: TwilioCaller[] = [];
afterEach(async () => {
  for (const c of callers.splice(0)) c.stop();
  await server?.close(0);
  await emulator?.close();
  server = emulator = undefined;
});

/** An emulator with `faults` and a server using it; returns the server's base URL. */
async function start(faults: RealtimeFault[], settings: Record<string, unknown> = {}): Promise<string> {
  emulator = await startOpenAIRealtimeEmulator({ brain: echoBrainFactory(1500), resamplers: await loadResamplerFactory(), pace: 'burst', apiKeys: [KEY], faults });
  const config = loadConfig({}, {
    LOG_LEVEL: 'silent', BARGE_IN_VAD: false, PORT: 0, HOST: '127.0.0.1', VOICEBRIDGE_MODEL: 'openai', OPENAI_API_KEY: KEY,
    OPENAI_REALTIME_URL: `${emulator.wsUrl}?model=gpt-realtime`, OPENAI_TRANSCRIPTION_MODEL: 'none', ...settings,
  });
  server = await createServer(config, { store: new MemoryCallStore(), logger: pino({ level: 'silent' }), webrtc: { available: false, reason: 'not in this test' } });
  return server.listen();
}

const TONE = Buffer.from(mulawEncode(Int16Array.from({ length: 160 }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000))))).toString('base64');
const SILENCE = Buffer.from(mulawEncode(new Int16Array(160))).toString('base64');

/** A Twilio media stream sending a 20 ms frame every 20 ms: silence, or a tone while `speak` lasts. */
class TwilioCaller {
  /** Frames from the server that are loud (the echo of what was said). */
  loudFramesIn = 0;
  private toneFramesLeft = 0;
  private timer: NodeJS.Timeout | undefined;
  private constructor(readonly ws: WebSocket, readonly closed: Promise<{ code: number; reason: string }>) {}

  static async dial(base: string, callSid: string): Promise<TwilioCaller> {
    const { url, parameters } = await twilioStream(base, callSid);
    const ws = new WebSocket(url);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const c = new TwilioCaller(ws, closed);
    callers.push(c);
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { event: string; media?: { payload: string } };
      if (m.event === 'media' && rms(mulawDecode(Buffer.from(m.media!.payload, 'base64'))) > 1000) c.loudFramesIn++;
    });
    ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
    ws.send(JSON.stringify({ event: 'start', sequenceNumber: '1', streamSid: `MZ${callSid}`, start: { callSid, streamSid: `MZ${callSid}`, customParameters: parameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, tracks: ['inbound'] } }));
    let chunk = 0;
    c.timer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const payload = c.toneFramesLeft-- > 0 ? TONE : SILENCE;
      ws.send(JSON.stringify({ event: 'media', media: { track: 'inbound', chunk: String(++chunk), timestamp: String(chunk * 20), payload } }));
    }, 20);
    return c;
  }

  /** Sends a tone for `ms`, then silence again. */
  speak(ms: number): void {
    this.toneFramesLeft = ms / 20;
  }

  /** Resolves once the caller has heard more than `frames` loud frames in all. */
  heardMoreThan(frames: number, what: string): Promise<boolean> {
    return eventually(() => this.loudFramesIn > frames, what, 30_000);
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
  }
}

const recordOf = (callSid: string) => eventually(() => server!.manager.recentCalls().find((c) => c.carrierCallId === callSid), `the record of ${callSid}`, 30_000);
const liveCall = (callSid: string) => eventually(() => server!.manager.calls().find((c) => c.startInfo.carrierCallId === callSid), `the live call ${callSid}`);

describe('close 1011 mid-call', () => {
  it('ends the Twilio call politely (normal close, record says the model failed); a concurrent call is untouched', async () => {
    const base = await start([{ kind: 'close', afterMs: 1500, session: 1 }]);
    const hit = await TwilioCaller.dial(base, 'CA1011');
    // Its model session is the emulator's first (the one the fault closes) before the other call dials.
    await eventually(() => server!.manager.calls().find((c) => c.startInfo.carrierCallId === 'CA1011' && c.phase !== 'connecting'), 'the first session to open');
    const other = await TwilioCaller.dial(base, 'CA1012');
    await liveCall('CA1012');
    expect(await hit.closed).toMatchObject({ code: 1000 });
    const record = await recordOf('CA1011');
    expect(record).toMatchObject({ error: true, reasonLabel: 'model error' });
    expect(record.reason).toMatch(/^model-closed: openai: socket closed \(1011\)/);
    expect(emulator!.sessions[0].endReason).toBe('fault:close');
    // The other call still talks.
    other.speak(800);
    await other.heardMoreThan(10, 'the second call to be answered');
    expect(server!.manager.calls().map((c) => c.startInfo.carrierCallId)).toEqual(['CA1012']);
  });

  it('tells a browser caller: session.ended, then a normal close', async () => {
    const base = await start([{ kind: 'close', afterMs: 1000 }]);
    const { messages, closed } = await startBrowserSession(base);
    expect(await closed).toBe(1000);
    const ended = messages.find((m) => m.type === 'session.ended');
    expect(ended?.reason).toMatch(/^model-closed: openai: socket closed \(1011\)/);
    const started = messages.find((m) => m.type === 'session.started')!;
    expect((await eventually(() => server!.manager.recentCalls().find((c) => c.id === started.callId), 'the record')).reasonLabel).toBe('model error');
  });
});

describe('a stalled session (no events at all)', () => {
  it('ends the call politely within OPENAI_STALL_TIMEOUT_MS though the caller keeps talking', async () => {
    const base = await start([{ kind: 'stall', afterMs: 500 }], { OPENAI_STALL_TIMEOUT_MS: 2000, INACTIVITY_TIMEOUT_MS: 600_000 });
    const c = await TwilioCaller.dial(base, 'CASTALL');
    await liveCall('CASTALL');
    const talking = setInterval(() => c.speak(400), 1000);
    try {
      expect(await c.closed).toMatchObject({ code: 1000 });
    } finally {
      clearInterval(talking);
    }
    const record = await recordOf('CASTALL');
    expect(record).toMatchObject({ error: true, reasonLabel: 'model error' });
    expect(record.reason).toMatch(/^model-closed: openai: .*stalled/);
    expect(emulator!.openSessions()).toBe(0);
  });
});

describe('a session that stalls before it is configured', () => {
  it('ends the call politely at OPENAI_START_TIMEOUT_MS with model_unavailable', async () => {
    const base = await start([{ kind: 'stall', afterMs: 0 }], { OPENAI_START_TIMEOUT_MS: 800 });
    const c = await TwilioCaller.dial(base, 'CASTALL0');
    expect(await c.closed).toMatchObject({ code: 1000 });
    const record = await recordOf('CASTALL0');
    expect(record).toMatchObject({ error: true, reasonLabel: 'model unavailable' });
    expect(record.reason).toContain('no session.updated within 800 ms');
    await eventually(() => emulator!.openSessions() === 0, 'the stalled socket to be closed');
  });
});

describe('a slow start', () => {
  it('still answers when the session opens within OPENAI_START_TIMEOUT_MS', async () => {
    const base = await start([{ kind: 'slowStart', afterMs: 800 }]);
    const c = await TwilioCaller.dial(base, 'CASLOW');
    await eventually(() => server!.manager.calls().find((x) => x.startInfo.carrierCallId === 'CASLOW' && x.phase !== 'connecting'), 'the session to open');
    c.speak(800);
    await c.heardMoreThan(10, 'the answer');
  });

  it('past OPENAI_START_TIMEOUT_MS ends the call politely with model_unavailable', async () => {
    const base = await start([{ kind: 'slowStart', afterMs: 5000 }], { OPENAI_START_TIMEOUT_MS: 500 });
    const c = await TwilioCaller.dial(base, 'CATOOSLOW');
    expect(await c.closed).toMatchObject({ code: 1000 });
    const record = await recordOf('CATOOSLOW');
    expect(record).toMatchObject({ error: true, reasonLabel: 'model unavailable' });
    expect(record.reason).toContain('no session.updated within 500 ms');
  });
});

describe('an error event mid-response', () => {
  it('the call goes on and the next caller turn is answered', async () => {
    const base = await start([{ kind: 'error', afterMs: 0 }]);
    const c = await TwilioCaller.dial(base, 'CAERR');
    const call = await liveCall('CAERR');
    c.speak(1000);
    await eventually(() => call.modelStats().openaiErrors >= 1, 'the failed response');
    await eventually(() => call.phase === 'listening', 'the call to listen again');
    const before = c.loudFramesIn;
    c.speak(1000);
    await c.heardMoreThan(before + 10, 'the next turn to be answered');
    expect(call.isOver()).toBe(false);
    expect(emulator!.sessions).toHaveLength(1);
  });
});

describe('a bad API key', () => {
  it('tells a browser caller with an error event, and the record says why', async () => {
    const base = await start([], { OPENAI_API_KEY: 'sk-wrong-key-999999' });
    const { messages, closed } = await startBrowserSession(base);
    expect(await closed).toBe(1000);
    expect(messages.find((m) => m.type === 'error')).toMatchObject({ code: 'model_unavailable', message: expect.stringContaining('HTTP 401') });
    const types = messages.map((m) => m.type);
    expect(types.indexOf('error')).toBeLessThan(types.indexOf('session.ended'));
    expect(emulator!.refusals).toEqual([401]);
    const record = await eventually(() => server!.manager.recentCalls()[0], 'the record');
    expect(record).toMatchObject({ error: true, reasonLabel: 'model unavailable' });
    expect(record.reason).toContain('handshake refused with HTTP 401');
  });

  it('closes a Twilio stream normally, and the record says why', async () => {
    const base = await start([], { OPENAI_API_KEY: 'sk-wrong-key-999999' });
    const c = await TwilioCaller.dial(base, 'CAKEY');
    expect(await c.closed).toMatchObject({ code: 1000 });
    expect((await recordOf('CAKEY')).reason).toContain('handshake refused with HTTP 401');
  });
});
