/**
 * The carrier registry: a caller protocol only this test knows (one transport plus one carrier
 * entry, no other edit) is served by a real server on 127.0.0.1 like the built-in ones: its route
 * answers calls end to end through the loopback model, sits behind the same caller auth, and ends a
 * stream on a protocol error with the close code its transport chose. The built-in entries have
 * distinct kinds and routes.
 */
import pino from 'pino';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WebSocketCarrier } from '../src/callers/core/carrier.js';
import { bytesOfPcm16, pcm16FromBytes, socketTransportCore } from '../src/callers/core/socket-transport.js';
import { CloseCode, type CallerSocket } from '../src/callers/core/socket.js';
import { hangupCloseCode, type TransportCore, type TransportDeps } from '../src/callers/core/transport-core.js';
import { CARRIERS } from '../src/callers/registry.js';
import type { CallerEvent, CallerTransport, HangupOptions } from '../src/callers/transport.js';
import { loadConfig } from '../src/config/config.js';
import { createServer, type Server } from '../src/server.js';
import { eventually } from './helpers/wait.js';
import { MemoryCallStore } from './fakes/call-store.js';

/**
 * "Line": a made-up protocol. Text `{"op":"hello","line":"…"}` starts the stream; binary messages
 * are 8 kHz PCM16 both ways; any other text is a protocol error (close 1003).
 */
class LineTransport implements CallerTransport {
  readonly kind = 'line';
  readonly inputRateHz = 8000;
  readonly outputRateHz = 8000;
  readonly supportsMarks = false;
  private readonly core: TransportCore;

  constructor(private readonly socket: CallerSocket, deps: TransportDeps) {
    this.core = socketTransportCore(socket, deps, (data, isBinary, receivedAtMs) => {
      if (isBinary) return this.core.emit({ type: 'audio', pcm: pcm16FromBytes(data), receivedAtMs });
      const hello = JSON.parse(data.toString()) as { op?: string; line?: string };
      if (hello.op === 'hello') return this.core.start({ parameters: { line: String(hello.line) } });
      this.core.protocolError(CloseCode.unsupportedData, `unknown op ${hello.op}`);
    });
  }

  get started() {
    return this.core.started;
  }
  setHandler(handler: (event: CallerEvent) => void): void {
    this.core.setHandler(handler);
  }
  sendAudio(frame: Int16Array): void {
    this.socket.sendBinary(bytesOfPcm16(frame));
  }
  mark(): void {}
  clearPlayback(): void {}
  notify(): void {}
  hangup(reason: string, options?: HangupOptions): void {
    this.socket.close(hangupCloseCode(options), reason);
  }
}

const lineCarrier: WebSocketCarrier = {
  kind: 'line',
  name: 'Line',
  connection: 'websocket',
  path: '/line/media',
  tokenRoute: 'ws',
  auth: 'caller',
  create: (socket, context) => new LineTransport(socket, context),
};

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
let server: Server | undefined;
afterEach(async () => {
  await server?.close(0);
  server = undefined;
});

async function start(settings: Record<string, unknown> = {}): Promise<string> {
  const config = loadConfig({}, { LOG_LEVEL: 'silent', VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, PORT: 0, HOST: '127.0.0.1', ...settings });
  server = await createServer(config, { store: new MemoryCallStore(), logger: pino({ level: 'silent' }), carriers: [...CARRIERS, lineCarrier], webrtc: { available: false, reason: 'not in this test' } });
  return (await server.listen()).replace(/^http/, 'ws');
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

const closeOf = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

describe('a carrier added by one registry entry', () => {
  it('answers a call on its route: caller audio reaches the model and the reply comes back in its format', async () => {
    const base = await start();
    const ws = await open(`${base}/line/media`);
    const received: Buffer[] = [];
    ws.on('message', (data, isBinary) => isBinary && received.push(data as Buffer));
    ws.send(JSON.stringify({ op: 'hello', line: '7' }));
    const tone = new Int16Array(160).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    for (let i = 0; i < 25; i++) ws.send(bytesOfPcm16(tone));
    await eventually(() => received.length >= 10, 'echoed frames');
    expect(received.every((b) => b.length === 320)).toBe(true); // 20 ms at 8 kHz, PCM16
    const call = await eventually(() => server!.manager.calls().find((c) => c.startInfo?.parameters?.line === '7'), 'the call in the manager');
    expect(call.startInfo?.parameters).toEqual({ line: '7' });
    const closed = closeOf(ws);
    ws.send(JSON.stringify({ op: 'bogus' }));
    expect(await closed).toEqual({ code: 1003, reason: 'unknown op bogus' });
  });

  it('sits behind the caller auth like every caller route', async () => {
    const base = await start({ AUTH_JWT_SECRET: SECRET });
    await expect(open(`${base}/line/media`)).rejects.toThrow('upgrade refused: 401');
    const token = await new SignJWT({ sub: 'a-caller' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1m').sign(new TextEncoder().encode(SECRET));
    const ws = await open(`${base}/line/media`, { authorization: `Bearer ${token}` });
    ws.close();
  });
});

describe('the built-in carriers', () => {
  it('have distinct kinds and routes', () => {
    expect(new Set(CARRIERS.map((c) => c.kind)).size).toBe(CARRIERS.length);
    expect(new Set(CARRIERS.map((c) => c.path)).size).toBe(CARRIERS.length);
    expect(CARRIERS.every((c) => c.path.startsWith('/'))).toBe(true);
  });
});
