import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { eventually } from '../../test/helpers/wait.js';
import { httpTool, MAX_HTTP_TOOL_RESPONSE_BYTES } from './http-tool.js';
import { parseToolsFile } from './tools-file.js';

const seen: Array<{ method: string; url: string; body: string; headers: http.IncomingHttpHeaders }> = [];
let base = '';
let aborted = 0;
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    seen.push({ method: req.method!, url: req.url!, body, headers: req.headers });
    if (req.url!.startsWith('/json')) return res.writeHead(200, { 'content-type': 'application/json' }).end('{"temp_c":21}');
    if (req.url!.startsWith('/text')) return res.writeHead(200).end('plain words');
    if (req.url!.startsWith('/fail')) return res.writeHead(503).end('down for maintenance');
    if (req.url!.startsWith('/huge')) return res.writeHead(200).end('x'.repeat(MAX_HTTP_TOOL_RESPONSE_BYTES + 1));
    if (req.url!.startsWith('/redirect')) return res.writeHead(302, { location: '/json' }).end();
    res.on('close', () => aborted++); // /hang never answers
  });
});
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const spec = (path: string, method = 'POST') => parseToolsFile(JSON.stringify({ tools: [{ name: 't', description: 'd', url: `${base}${path}`, method, timeoutMs: 2000 }] })).tools[0];
const ctx = (signal = new AbortController().signal) => ({ callId: 'c', logger: silentLogger, signal });

describe('httpTool', () => {
  it('POSTs the arguments as JSON with the declared headers and parses a JSON answer', async () => {
    const tool = httpTool(spec('/json'), { authorization: 'Bearer k' });
    expect(tool).toMatchObject({ name: 't', timeoutMs: 2000, inputSchema: { type: 'object' } });
    expect(await tool.run({ city: 'Paris' }, ctx())).toEqual({ temp_c: 21 });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/json', body: '{"city":"Paris"}', headers: { authorization: 'Bearer k', 'content-type': 'application/json' } });
  });

  it('GETs with the arguments as query parameters and returns a text answer as text', async () => {
    expect(await httpTool(spec('/text?v=1', 'GET'), {}).run({ city: 'São Paulo', days: 2 }, ctx())).toBe('plain words');
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/text?v=1&city=S%C3%A3o+Paulo&days=2', body: '' });
  });

  it('throws for a status that is not 2xx, an answer too long, and a redirect', async () => {
    await expect(httpTool(spec('/fail'), {}).run({}, ctx())).rejects.toThrow('HTTP 503: down for maintenance');
    await expect(httpTool(spec('/huge'), {}).run({}, ctx())).rejects.toThrow(`answer longer than ${MAX_HTTP_TOOL_RESPONSE_BYTES} bytes`);
    await expect(httpTool(spec('/redirect'), {}).run({}, ctx())).rejects.toThrow();
  });

  it('is aborted by its signal (the call hung up or timed out): the request is dropped', async () => {
    const ac = new AbortController();
    const running = httpTool(spec('/hang'), {}).run({}, ctx(ac.signal));
    await eventually(() => seen.some((s) => s.url === '/hang'), 'the request at the server');
    ac.abort();
    await expect(running).rejects.toThrow();
    await eventually(() => aborted === 1, 'the request dropped at the server');
  });
});
