/**
 * Fixtures of the user-tools tests: a local HTTP server answering the HTTP tools (quick, failing,
 * slow, stuck), a Streamable-HTTP MCP server on the SDK's `McpServer`, the stdio MCP server of
 * `test/fixtures/mcp/notes-server.ts` (run by the voicebridge server through tsx), and the
 * `TOOLS_FILE` declaring them all in a temporary folder. Everything listens on 127.0.0.1, free ports.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How long the slow HTTP tool takes, ms (past `TOOL_HOLD_AFTER_MS` 1500). */
export const SLOW_TOOL_MS = 3500;
/** The stuck HTTP tool's own timeout, ms. */
export const STUCK_TOOL_TIMEOUT_MS = 1000;

/** Running fixtures. */
export interface ToolFixtures {
  /** The `TOOLS_FILE` path. */
  toolsFile: string;
  /** Environment the server needs (the header variable). */
  env: Record<string, string>;
  /** Requests the HTTP tool server got: path and Authorization header. */
  httpRequests: Array<{ path: string; authorization?: string }>;
  /** Slow-tool requests the client dropped before they were answered (the caller hung up). */
  droppedSlowRequests: number;
  /** Pids the stdio MCP server wrote, oldest first. */
  notesPids(): number[];
  /** Makes the stdio server fail to start (`true`) or start again (`false`). */
  setNotesDown(down: boolean): void;
}

/** Offline phrases the rule responder matches (regular expressions), by tool. */
export const PHRASES = {
  weather: 'weather|forecast',
  broken: 'broken',
  slow: 'order',
  stuck: 'account',
  notes: 'notes?',
  stock: 'stock|price',
};

/** `--tool-trigger` values making an emulator's speech brain call the same tools on the same words. */
export const EMULATOR_TRIGGERS = [
  `${PHRASES.weather}=weather:{"city":"Paris"}`,
  `${PHRASES.broken}=broken`,
  `${PHRASES.slow}=slow_order`,
  `${PHRASES.notes}=notes__lookup:{"key":"seven"}`,
  `${PHRASES.stock}=stock__price:{"symbol":"VB"}`,
].flatMap((t) => ['--tool-trigger', t]);

function httpToolServer(fx: ToolFixtures): http.Server {
  const requests = fx.httpRequests;
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ path: url.pathname + url.search, authorization: req.headers.authorization });
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/weather') return json(200, { forecast: `sunny in ${url.searchParams.get('city')}` });
    if (url.pathname === '/broken') return json(500, { message: 'service down' });
    if (url.pathname === '/slow') {
      const t = setTimeout(() => json(200, { status: 'shipped' }), SLOW_TOOL_MS);
      res.on('close', () => {
        clearTimeout(t);
        if (!res.writableEnded) fx.droppedSlowRequests++;
      });
      return;
    }
    if (url.pathname === '/stuck') return; // never answers
    json(404, {});
  });
}

/** A Streamable-HTTP MCP server (stateless: a server per request, as the SDK's examples do). */
function mcpHttpServer(): http.Server {
  return http.createServer(async (req, res) => {
    const server = new McpServer({ name: 'stock', version: '1.0.0' });
    server.registerTool('price', { description: 'The share price of a stock symbol', inputSchema: {} }, async () => ({ content: [{ type: 'text', text: 'forty two dollars' }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => void transport.close().then(() => server.close()));
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
}

async function listen(s: http.Server): Promise<string> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/**
 * Registers `beforeAll`/`afterAll` that start the fixtures and write the tools file (register it
 * before the server fixture that reads `toolsFile`). Fields are set once `beforeAll` has run.
 */
export function useToolFixtures(): ToolFixtures {
  const fx = { httpRequests: [], droppedSlowRequests: 0 } as unknown as ToolFixtures;
  const servers: http.Server[] = [];
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vb-tools-'));
    const toolsUrl = await listen(servers[servers.push(httpToolServer(fx)) - 1]);
    const mcpUrl = await listen(servers[servers.push(mcpHttpServer()) - 1]);
    const pidFile = path.join(dir, 'notes.pids');
    const gateFile = path.join(dir, 'notes.gate');
    const file = {
      tools: [
        { name: 'weather', description: 'Today\'s weather in a city', url: `${toolsUrl}/weather`, method: 'GET',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          headers: { Authorization: { env: 'VB_TEST_WEATHER_AUTH' } }, offline: { phrases: [PHRASES.weather], arguments: { city: 'Paris' } } },
        { name: 'broken', description: 'A service that is down', url: `${toolsUrl}/broken`, offline: { phrases: [PHRASES.broken] } },
        { name: 'slow_order', description: 'Order status (slow)', url: `${toolsUrl}/slow`, timeoutMs: 10_000, offline: { phrases: [PHRASES.slow] } },
        { name: 'stuck', description: 'Account balance (never answers)', url: `${toolsUrl}/stuck`, timeoutMs: STUCK_TOOL_TIMEOUT_MS, offline: { phrases: [PHRASES.stuck] } },
      ],
      mcpServers: {
        notes: {
          command: process.execPath, args: ['--import', 'tsx', path.join(ROOT, 'test/fixtures/mcp/notes-server.ts')], cwd: ROOT,
          env: { NOTES_PID_FILE: pidFile, NOTES_GATE_FILE: gateFile },
          restart: { initialDelayMs: 200, maxDelayMs: 1000 },
          offline: { lookup: { phrases: [PHRASES.notes], arguments: { key: 'seven' } } },
        },
        stock: { url: `${mcpUrl}/mcp`, offline: { price: { phrases: [PHRASES.stock] } } },
      },
    };
    fx.toolsFile = path.join(dir, 'tools.json');
    writeFileSync(fx.toolsFile, JSON.stringify(file, null, 2));
    fx.env = { TOOLS_FILE: fx.toolsFile, VB_TEST_WEATHER_AUTH: 'Bearer weather-secret' };
    fx.notesPids = () => (existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number) : []);
    fx.setNotesDown = (down) => writeFileSync(gateFile, down ? 'down' : 'up');
  });
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return fx;
}

/** One browser-protocol call driven by typed text (`{ type: 'text' }` turns), recording every message. */
export interface TextCall {
  callId: string;
  /** Every JSON message with its arrival time (performance.now ms); audio messages too. */
  messages: Array<{ atMs: number; m: Record<string, any> }>;
  /** Sends a typed caller turn. */
  say(text: string): void;
  /** Resolves with the first message from index `from` on that matches. */
  next(pred: (m: Record<string, any>) => boolean, from?: number): Promise<Record<string, any>>;
  /** Assistant audio received between two message indexes, ms (16 kHz PCM16). */
  audioMsBetween(from: number, to: number): number;
  /** Sends a typed turn and resolves once a final assistant line matching `expected` has been said and played out (the call listens again). */
  exchange(text: string, expected: RegExp): Promise<string>;
  /** Ends the call and waits for `session.ended`. */
  end(): Promise<void>;
}

/** Opens a browser-protocol call (`/client`, 16 kHz, base64 audio) to `url`. */
export async function textCall(url: string): Promise<TextCall> {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/client`);
  const messages: TextCall['messages'] = [];
  const waiters: Array<{ pred: (m: Record<string, any>) => boolean; from: number; resolve: (m: Record<string, any>) => void }> = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const m = JSON.parse(String(data));
    messages.push({ atMs: performance.now(), m });
    for (const w of [...waiters]) if (w.pred(m)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(m);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ type: 'session.start', sampleRateHz: 16000, audioTransport: 'base64' }));
  const next: TextCall['next'] = (pred, from = 0) => {
    const seen = messages.slice(from).find((x) => pred(x.m));
    return seen ? Promise.resolve(seen.m) : new Promise((resolve) => waiters.push({ pred, from, resolve }));
  };
  const started = await next((m) => m.type === 'session.started');
  const say = (text: string) => ws.send(JSON.stringify({ type: 'text', text }));
  return {
    callId: started.callId,
    messages,
    say,
    next,
    async exchange(text, expected) {
      say(text);
      const line = await next((m) => m.type === 'transcript' && m.role === 'assistant' && m.final && expected.test(m.text), messages.length);
      await next((m) => m.type === 'state' && m.state === 'listening', messages.findIndex((x) => x.m === line));
      return line.text as string;
    },
    audioMsBetween: (from, to) =>
      messages.slice(from, to).reduce((ms, x) => (x.m.type === 'audio' ? ms + Buffer.from(x.m.audio, 'base64').length / 2 / 16 : ms), 0),
    async end() {
      ws.send(JSON.stringify({ type: 'session.end' }));
      await next((m) => m.type === 'session.ended');
      ws.close();
    },
  };
}
