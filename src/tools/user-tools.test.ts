import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import type { McpSession } from './mcp-server.js';
import { buildUserTools, loadUserTools } from './user-tools.js';
import { parseToolsFile } from './tools-file.js';

function fakeSession(tools: string[], closed: string[], name: string): McpSession {
  return {
    listTools: async () => tools.map((t) => ({ name: t, inputSchema: { type: 'object' } })),
    callTool: async () => ({ content: [{ type: 'text', text: 'ok' }] }),
    isTransportFailure: () => true,
    onLost: () => {},
    close: async () => void closed.push(name),
  };
}

const file = parseToolsFile(JSON.stringify({
  tools: [{ name: 'weather', description: 'w', url: 'http://127.0.0.1:9/w', headers: { Authorization: { env: 'W_AUTH' } } }],
  mcpServers: { notes: { command: 'notes-server' }, stock: { url: 'http://127.0.0.1:9/mcp', headers: { 'X-Key': { env: 'S_KEY' } } } },
}));

describe('buildUserTools', () => {
  it('offers the HTTP tools and every MCP server\'s tools, with headers from the environment, and closes the servers', async () => {
    const closed: string[] = [];
    const headersSeen: Record<string, Record<string, string>> = {};
    const u = await buildUserTools(file, {
      clock: new FakeClock(), logger: silentLogger, env: { W_AUTH: 'Bearer w', S_KEY: 'k' },
      connect: async (name, _spec, headers) => ((headersSeen[name] = headers), fakeSession(name === 'notes' ? ['lookup', 'fail'] : ['price'], closed, name)),
    });
    expect(u.tools.map((t) => t.name)).toEqual(['weather', 'notes__lookup', 'notes__fail', 'stock__price']);
    expect(headersSeen).toEqual({ notes: {}, stock: { 'X-Key': 'k' } });
    expect(u.status()).toEqual({ notes: { state: 'ready', tools: 2, restarts: 0 }, stock: { state: 'ready', tools: 1, restarts: 0 } });
    await u.close();
    expect(closed.sort()).toEqual(['notes', 'stock']);
  });

  it('refuses an unset header variable, naming it', async () => {
    await expect(buildUserTools(file, { clock: new FakeClock(), logger: silentLogger, env: { S_KEY: 'k' }, connect: async () => fakeSession([], [], 'x') })).rejects.toThrow('tools[0].headers.Authorization: environment variable W_AUTH is not set');
  });

  it('names a server that does not start and closes the ones that did', async () => {
    const closed: string[] = [];
    const failing = buildUserTools(file, {
      clock: new FakeClock(), logger: silentLogger, env: { W_AUTH: 'a', S_KEY: 'k' },
      connect: async (name) => {
        if (name === 'stock') throw new Error('ECONNREFUSED');
        return fakeSession(['lookup'], closed, name);
      },
    });
    await expect(failing).rejects.toThrow('MCP server stock did not start: ECONNREFUSED');
    expect(closed).toEqual(['notes']);
  });
});

describe('loadUserTools', () => {
  it('names the file and the field of a bad file, and a file it cannot read', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vb-tools-file-'));
    const bad = path.join(dir, 'tools.json');
    writeFileSync(bad, JSON.stringify({ tools: [{ name: 'x', description: 'd', url: 'not a url' }] }));
    await expect(loadUserTools(bad, { clock: new FakeClock(), logger: silentLogger })).rejects.toThrow(`TOOLS_FILE ${bad}: tools[0].url:`);
    await expect(loadUserTools(path.join(dir, 'missing.json'), { clock: new FakeClock(), logger: silentLogger })).rejects.toThrow(/TOOLS_FILE .*missing\.json cannot be read/);
  });
});
