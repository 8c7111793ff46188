/**
 * Unknown events and wrong frame types on carrier and raw PCM sockets count as bad messages, as
 * on `/client`: a few are ignored (one warn line), `MAX_BAD_MESSAGES` close the socket with 1008.
 * Transports over a real WebSocket pair on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { wsSocket } from '../src/callers/core/ws-socket.js';
import { PcmTransport } from '../src/callers/pcm/transport.js';
import { TwilioTransport } from '../src/callers/twilio/transport.js';
import { VonageTransport } from '../src/callers/vonage/transport.js';
import { systemClock } from '../src/core/clock.js';
import type { Logger } from '../src/core/logger.js';
import { useSocketPairs } from './helpers/socket-pairs.js';

const MAX_BAD_MESSAGES = 20;

const sockets = useSocketPairs();

/** A logger that keeps warn/error lines. */
function recorder(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const make = (): Logger => ({ debug() {}, info() {}, warn: (o, m) => warnings.push(String(m ?? o)), error: (o, m) => warnings.push(String(m ?? o)), child: () => make() });
  return { logger: make(), warnings };
}

/** A client socket and the transport `wrap` makes of its server side; `closed` gives the close code and reason. */
async function pair(wrap: (ws: WebSocket, logger: Logger) => unknown) {
  let closed!: Promise<{ code: number; reason: string }>;
  const { client, server } = await sockets.open((c) => (closed = new Promise((r) => c.once('close', (code, reason) => r({ code, reason: reason.toString() })))));
  const { logger, warnings } = recorder();
  wrap(server, logger);
  return { client, closed, warnings };
}

const twilioStart = JSON.stringify({ event: 'start', streamSid: 'MZ1', start: { callSid: 'CA1', customParameters: {}, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } });

describe.each([
  ['Twilio, before start', (ws: WebSocket, logger: Logger) => new TwilioTransport(wsSocket(ws), { clock: systemClock, logger }), [] as string[], (i: number) => JSON.stringify({ event: `made-up-${i}` })],
  ['Twilio, mid-call', (ws: WebSocket, logger: Logger) => new TwilioTransport(wsSocket(ws), { clock: systemClock, logger }), [twilioStart], (i: number) => JSON.stringify({ event: `made-up-${i}` })],
  ['Vonage', (ws: WebSocket, logger: Logger) => new VonageTransport(wsSocket(ws), { clock: systemClock, logger }), [JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000' })], (i: number) => JSON.stringify({ event: `websocket:made-up-${i}` })],
  ['raw PCM (/ws)', (ws: WebSocket, logger: Logger) => new PcmTransport(wsSocket(ws), { clock: systemClock, logger }), [] as string[], (i: number) => `text frame ${i}`],
])('%s', (_name, wrap, opening, unknown) => {
  it('closes the socket with 1008 after MAX_BAD_MESSAGES unknown messages, with one warn line', async () => {
    const { client, closed, warnings } = await pair(wrap);
    for (const m of opening) client.send(m);
    for (let i = 0; i < MAX_BAD_MESSAGES * 50; i++) client.send(unknown(i));
    expect(await closed).toEqual({ code: 1008, reason: 'too many invalid messages' });
    // The first unknown message and the closing protocol error: not one line per message.
    expect(warnings.length).toBeLessThanOrEqual(2);
  });

  it('keeps the socket open below the threshold', async () => {
    const { client, closed, warnings } = await pair(wrap);
    for (const m of opening) client.send(m);
    for (let i = 0; i < MAX_BAD_MESSAGES - 1; i++) client.send(unknown(i));
    // A ping round trip: every message before it has been handled.
    await new Promise<void>((r) => {
      client.once('pong', () => r());
      client.ping();
    });
    expect(client.readyState).toBe(WebSocket.OPEN);
    expect(warnings).toHaveLength(1);
    client.close();
    expect((await closed).code).toBe(1005);
  });
});
