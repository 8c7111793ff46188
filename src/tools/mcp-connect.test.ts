/**
 * The SDK adapter against a real Streamable-HTTP MCP server (the SDK's `McpServer`) on 127.0.0.1:
 * listing, results and `isError`, a call aborted by its signal reaching the server as a
 * cancellation, and a server that stops answering becoming a transport failure and a restart.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { systemClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { eventually } from '../../test/helpers/wait.js';
import { connectMcpServer } from './mcp-connect.js';
import { McpServerConnection } from './mcp-server.js';
import { ToolRegistry } from './registry.js';

const cancelled: string[] = [];
const started: string[] = [];

/** A stateful Streamable-HTTP server: one `McpServer` and transport per session (`Mcp-Session-Id`). */
async function startMcpHttp(): Promise<{ url: string; server: http.Server }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const server = http.createServer(async (req, res) => {
    const id = req.headers['mcp-session-id'];
    const existing = typeof id === 'string' ? sessions.get(id) : undefined;
    if (existing) return existing.handleRequest(req, res);
    const mcp = new McpServer({ name: 'test', version: '1.0.0' });
    mcp.registerTool('echo', { description: 'Echoes', inputSchema: { text: z.string() } }, async ({ text }) => ({ content: [{ type: 'text', text: `echo ${text}` }] }));
    mcp.registerTool('oops', { description: 'Fails', inputSchema: {} }, async () => ({ isError: true, content: [{ type: 'text', text: 'it broke' }] }));
    mcp.registerTool('wait', { description: 'Waits until cancelled', inputSchema: { id: z.string() } }, ({ id: key }, extra) => new Promise((resolve) => {
      started.push(key);
      extra.signal.addEventListener('abort', () => {
        cancelled.push(key);
        resolve({ content: [] });
      });
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), onsessioninitialized: (sid) => void sessions.set(sid, transport) });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, server };
}

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function setUp() {
  const { url, server } = await startMcpHttp();
  closers.push(() => new Promise((r) => (server.closeAllConnections(), server.close(r))));
  const conn = new McpServerConnection({ name: 'svc', connect: () => connectMcpServer('svc', { url, headers: {}, restart: { initialDelayMs: 60_000, maxDelayMs: 60_000 }, offline: {} }, {}, silentLogger), restart: { initialDelayMs: 60_000, maxDelayMs: 60_000 }, offline: {}, clock: systemClock, logger: silentLogger });
  await conn.start();
  closers.push(() => conn.close());
  return { conn, server, registry: new ToolRegistry(conn.tools()) };
}

const ctx = { callId: 'c', logger: silentLogger };

describe('an MCP server over Streamable HTTP', () => {
  it('lists its tools namespaced and maps results and isError', async () => {
    const { registry } = await setUp();
    expect(registry.specs().map((s) => s.name)).toEqual(['svc__echo', 'svc__oops', 'svc__wait']);
    expect(registry.specs()[0].inputSchema).toMatchObject({ type: 'object', properties: { text: { type: 'string' } } });
    expect(await registry.run('svc__echo', { text: 'hi' }, ctx, 5000)).toMatchObject({ ok: true, result: 'echo hi' });
    expect(await registry.run('svc__oops', {}, ctx, 5000)).toMatchObject({ ok: false, error: 'it broke' });
    expect(await registry.run('svc__echo', { text: 3 }, ctx, 5000)).toMatchObject({ ok: false, error: expect.stringMatching(/text/) });
  });

  it('cancels a call at the server when its signal aborts (the caller hung up)', async () => {
    const { registry } = await setUp();
    const hangUp = new AbortController();
    const running = registry.run('svc__wait', { id: 'a' }, { ...ctx, signal: hangUp.signal }, 30_000);
    await eventually(() => started.includes('a'), 'the call at the server');
    hangUp.abort();
    expect(await running).toMatchObject({ ok: false });
    await eventually(() => cancelled.includes('a'), 'the cancellation at the server');
  });

  it('turns a server that stopped answering into an error result and a restart', async () => {
    const { registry, server, conn } = await setUp();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    const outcome = await registry.run('svc__echo', { text: 'hi' }, ctx, 5000);
    expect(outcome.ok).toBe(false);
    expect(conn.status().state).toBe('restarting');
    expect(await registry.run('svc__echo', { text: 'hi' }, ctx, 5000)).toMatchObject({ ok: false, error: 'MCP server svc is unavailable (restarting); try again shortly' });
  });
});
