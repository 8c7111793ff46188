import { describe, expect, it } from 'vitest';
import { parseToolsFile, resolveHeaders } from './tools-file.js';

const http = { name: 'weather', description: 'Forecast for a city', url: 'http://127.0.0.1:9/weather' };

describe('parseToolsFile', () => {
  it('reads HTTP tools and stdio and Streamable-HTTP MCP servers with their defaults', () => {
    const f = parseToolsFile(JSON.stringify({
      tools: [{ ...http, method: 'GET', headers: { Authorization: { env: 'WEATHER_KEY' } }, timeoutMs: 2000 }],
      mcpServers: { notes: { command: 'node', args: ['notes.js'], env: { A: 'b' } }, stock: { url: 'https://mcp.example.com/mcp' } },
    }));
    expect(f.tools[0]).toMatchObject({ name: 'weather', method: 'GET', timeoutMs: 2000, parameters: { type: 'object' }, headers: { Authorization: { env: 'WEATHER_KEY' } } });
    expect(f.mcpServers.notes).toMatchObject({ command: 'node', args: ['notes.js'], env: { A: 'b' }, restart: { initialDelayMs: 500, maxDelayMs: 30_000 } });
    expect(f.mcpServers.stock).toMatchObject({ url: 'https://mcp.example.com/mcp', headers: {} });
  });

  it('defaults to POST and an empty file to no tools', () => {
    expect(parseToolsFile(JSON.stringify({ tools: [http] })).tools[0].method).toBe('POST');
    expect(parseToolsFile('{}')).toEqual({ tools: [], mcpServers: {} });
  });

  it.each([
    ['not json', '{tools', /^F: not valid JSON/],
    ['a bad URL', { tools: [{ ...http, url: 'ftp://x/y' }] }, /^F: tools\[0\]\.url: /],
    ['a tool name models refuse', { tools: [{ ...http, name: 'get weather' }] }, /^F: tools\[0\]\.name: letters, digits/],
    ['a bad method', { tools: [{ ...http, method: 'FETCH' }] }, /^F: tools\[0\]\.method: /],
    ['parameters that are not an object schema', { tools: [{ ...http, parameters: { type: 'string' } }] }, /^F: tools\[0\]\.parameters: must be a JSON Schema/],
    ['a header from a bad variable name', { tools: [{ ...http, headers: { 'X-Key': { env: '1BAD' } } }] }, /^F: tools\[0\]\.headers\.X-Key\.env: an environment variable name/],
    ['an unknown field', { tools: [{ ...http, timeout: 5 }] }, /^F: tools\[0\]: .*timeout/],
    ['a timeout out of range', { tools: [{ ...http, timeoutMs: 5 }] }, /^F: tools\[0\]\.timeoutMs: /],
    ['a server with neither command nor url', { mcpServers: { s: { args: [] } } }, /^F: mcpServers\.s: give either "command"/],
    ['a bad server name', { mcpServers: { 'a b': { command: 'x' } } }, /^F: mcpServers\.a b: letters, digits/],
    ['a restart plan backwards', { mcpServers: { s: { command: 'x', restart: { initialDelayMs: 5000, maxDelayMs: 100 } } } }, /^F: mcpServers\.s/],
    ['an offline phrase that is not a regular expression', { tools: [{ ...http, offline: { phrases: ['(weather'] } }] }, /^F: tools\[0\]\.offline\.phrases\[0\]: not a valid regular expression/],
    ['duplicate HTTP tool names', { tools: [http, http] }, /^F: tools\[1\]\.name: duplicate tool name weather/],
  ])('refuses %s with an error naming the field', (_what, input, message) => {
    expect(() => parseToolsFile(typeof input === 'string' ? input : JSON.stringify(input), 'F')).toThrow(message);
  });
});

describe('resolveHeaders', () => {
  it('reads named environment variables and keeps literal values', () => {
    expect(resolveHeaders({ Authorization: { env: 'K' }, 'X-App': 'vb' }, { K: 'Bearer s3cret' }, 'tools[0]')).toEqual({ Authorization: 'Bearer s3cret', 'X-App': 'vb' });
  });

  it('names the header and variable when it is unset', () => {
    expect(() => resolveHeaders({ Authorization: { env: 'MISSING' } }, {}, 'tools[2]')).toThrow('tools[2].headers.Authorization: environment variable MISSING is not set');
  });
});
