/**
 * Log output: pretty lines on a terminal and JSON elsewhere; probe and static-file requests at
 * debug, other requests at info; the start-up block names the web page and the model.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startupLines, webPageUrl } from '../src/cli/banner.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/core/log-output.js';
import { loopbackModel } from '../src/models/loopback/model.js';
import { createServer, type Server } from '../src/server.js';
import { MemoryCallStore } from './fakes/call-store.js';

/** A stream that keeps what is written to it. */
function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

const servers: Server[] = [];
const temps: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.close(100);
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('log format', () => {
  it('is human-readable on a terminal (auto) and JSON elsewhere', () => {
    const tty = sink();
    createLogger({ level: 'info', format: 'auto', service: 'voicebridge', isTty: true, destination: tty.stream }).info({ callId: 'c1' }, 'call started');
    expect(tty.text()).toContain('\x1b['); // colours
    const plain = tty.text().replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: call started \{"callId":"c1"\}\n$/);

    const pipe = sink();
    createLogger({ level: 'info', format: 'auto', service: 'voicebridge', isTty: false, destination: pipe.stream }).info({ callId: 'c1' }, 'call started');
    expect(JSON.parse(pipe.text())).toMatchObject({ level: 30, service: 'voicebridge', callId: 'c1', msg: 'call started' });

    const forced = sink();
    createLogger({ level: 'info', format: 'json', service: 'voicebridge', isTty: true, destination: forced.stream }).info('x');
    expect(JSON.parse(forced.text()).msg).toBe('x');
  });
});

describe('request logs', () => {
  it('puts health, readiness and static files at debug, other requests at info', async () => {
    const webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-web-'));
    temps.push(webRoot);
    fs.writeFileSync(path.join(webRoot, 'index.html'), '<html></html>');
    fs.writeFileSync(path.join(webRoot, 'worklets.js'), '//');
    const out = sink();
    const logger = createLogger({ level: 'debug', format: 'json', service: 'voicebridge', destination: out.stream });
    const s = await createServer(loadConfig({}, { LOG_LEVEL: 'debug' }), { store: new MemoryCallStore(), logger, model: loopbackModel(), webRoot });
    servers.push(s);
    for (const url of ['/health', '/ready', '/', '/worklets.js', '/calls']) expect((await s.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    const completed = out
      .text()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string; reqId?: string })
      .filter((l) => l.msg === 'incoming request' || l.msg === 'request completed');
    const byReq = new Map<string, number[]>();
    for (const l of completed) byReq.set(l.reqId!, [...(byReq.get(l.reqId!) ?? []), l.level]);
    expect([...byReq.values()]).toEqual([[20, 20], [20, 20], [20, 20], [20, 20], [30, 30]]);
  });
});

describe('start-up block', () => {
  it('gives the web page to open and the model in use', () => {
    const lines = startupLines({ version: '1.2.3', address: 'http://0.0.0.0:8080', host: '0.0.0.0', model: 'local', availableModels: ['loopback', 'nova-sonic', 'local'], webClient: true });
    expect(lines[0]).toBe('voicebridge 1.2.3 listening on http://0.0.0.0:8080');
    expect(lines).toContain('  web page  http://localhost:8080/');
    expect(lines).toContain('  model     local   (also available: loopback, nova-sonic)');
    expect(startupLines({ version: '1', address: 'http://127.0.0.1:9000', host: '127.0.0.1', model: 'local', availableModels: ['local'], webClient: true, records: 'embedded, in ./data (DATA_DIR)' })).toContain('  records   embedded, in ./data (DATA_DIR)');
    expect(lines.length).toBeLessThanOrEqual(5);
    const lean = startupLines({ version: '1', address: 'http://127.0.0.1:9000', host: '127.0.0.1', model: 'loopback', availableModels: ['loopback'], webClient: false, webrtcUnavailable: 'no add-on' });
    expect(lean).toContain('  web page  not built (run npm run build)');
    expect(lean.some((l) => l.includes('WebRTC    unavailable'))).toBe(true);
    expect(webPageUrl('http://[::1]:8080', '::1')).toBe('http://[::1]:8080/');
  });
});
