/**
 * Slow and oversized requests against a listening server (in-process, real sockets): a body or
 * headers trickled in are cut at `REQUEST_TIMEOUT_MS` / `HEADERS_TIMEOUT_MS` (before: 1 byte every
 * 5 s kept a request open past 150 s), and webhooks are refused before their bodies are parsed
 * (before: 1 MB bodies with a bad Twilio signature were parsed, then refused). Each refusal is
 * counted in `/stats`.
 */
import net from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { loopbackModel } from '../src/models/loopback/model.js';
import { createServer, type Server } from '../src/server.js';
import { eventually } from './helpers/wait.js';
import { MemoryCallStore } from './fakes/call-store.js';

let server: Server;
let port = 0;

beforeAll(async () => {
  const config = loadConfig({}, { LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: 0, REQUEST_TIMEOUT_MS: 2000, HEADERS_TIMEOUT_MS: 1000, TWILIO_AUTH_TOKEN: 'tok', VONAGE_SIGNATURE_SECRET: 'sig' });
  server = await createServer(config, { store: new MemoryCallStore(), logger: pino({ level: 'silent' }), model: loopbackModel() });
  const address = await server.listen();
  port = Number(new URL(address).port);
});

afterAll(async () => {
  await server?.close(100);
});

const refused = async () => ((await server.app.inject({ method: 'GET', url: '/stats' })).json() as { limits: { refused: Record<string, number> } }).limits.refused;

/** A raw TCP client: what it received, and whether the server closed the connection. */
async function rawClient(): Promise<{ socket: net.Socket; received: () => string; closed: () => boolean }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let data = '';
  let isClosed = false;
  socket.on('data', (d) => (data += d.toString()));
  socket.on('error', () => {});
  socket.on('close', () => (isClosed = true));
  return { socket, received: () => data, closed: () => isClosed };
}

/** Writes one byte every `everyMs` from `text` until the connection closes or the text runs out. */
function trickle(socket: net.Socket, text: string, everyMs: number): () => number {
  let sent = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || sent >= text.length) return clearInterval(timer);
    socket.write(text[sent++]);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
  return () => sent;
}

describe('request timeouts', () => {
  it('cuts a request whose body trickles in (1 byte every 300 ms), answering 408', async () => {
    const before = (await refused()).requestTimeout;
    const c = await rawClient();
    const body = JSON.stringify({ status: 'answered', pad: 'x'.repeat(200) });
    c.socket.write(`POST /health HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    const sent = trickle(c.socket, body, 300);
    await eventually(c.closed, 'the server to close the slow request', 15_000);
    expect(sent()).toBeLessThan(body.length);
    expect(c.received()).toMatch(/^HTTP\/1.1 408/);
    expect((await refused()).requestTimeout).toBe(before + 1);
  }, 30_000);

  it('cuts a request whose headers trickle in', async () => {
    const c = await rawClient();
    const head = `GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: ${'y'.repeat(100)}\r\n\r\n`;
    const sent = trickle(c.socket, head, 200);
    await eventually(c.closed, 'the server to close the slow headers', 15_000);
    expect(sent()).toBeLessThan(head.length);
  }, 30_000);
});

describe('webhooks are refused before their bodies are parsed', () => {
  it('Twilio without X-Twilio-Signature: 403 before the body has arrived', async () => {
    const before = (await refused()).unsignedWebhook;
    const c = await rawClient();
    c.socket.write(`POST /twilio/voice HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\nCallSid=CA1&From=%2B1555`);
    await eventually(() => c.received().includes('\r\n\r\n'), 'an answer while the body is still unsent', 5000);
    expect(c.received()).toMatch(/^HTTP\/1.1 403/);
    expect((await refused()).unsignedWebhook).toBe(before + 1);
    c.socket.destroy();
  });

  it('Twilio with a bad signature and a 1 MB body: 413, never parsed', async () => {
    const before = (await refused()).bodyTooLarge;
    const body = `CallSid=CA1&From=${'9'.repeat(1_048_000)}`;
    const res = await fetch(`http://127.0.0.1:${port}/twilio/voice`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }, body });
    expect(res.status).toBe(413);
    expect((await refused()).bodyTooLarge).toBe(before + 1);
  });

  it('Vonage with a forged token: 401 before the body has arrived', async () => {
    const c = await rawClient();
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJwYXlsb2FkX2hhc2giOiJ4In0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    c.socket.write(`POST /vonage/event HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${forged}\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"status":`);
    await eventually(() => c.received().includes('\r\n\r\n'), 'an answer while the body is still unsent', 5000);
    expect(c.received()).toMatch(/^HTTP\/1.1 401/);
    c.socket.destroy();
  });
});
