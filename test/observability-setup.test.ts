/**
 * How metrics and traces are set up: `METRICS_TOKEN` guards `/metrics` (401 without the bearer
 * token); OTLP export is configured only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and then the
 * spans of a real call reach a local HTTP server standing in for the collector as an OTLP/HTTP
 * POST to `/v1/traces`, flushed when the server closes; the store backlog gauge reads its getter.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { FakeClock, systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { loopbackModel } from '../src/models/loopback/model.js';
import { startTracing } from '../src/observability/tracing.js';
import { createServer, type Server } from '../src/server.js';
import { connectCaller } from '../src/sim/clients.js';
import { parseExposition, sumOf } from './helpers/prometheus.js';
import { eventually } from './helpers/wait.js';

const servers: Server[] = [];
const collectors: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close(0);
  for (const c of collectors.splice(0)) await new Promise((r) => c.close(r));
});

async function make(settings: Record<string, unknown> = {}, storeBacklog?: () => number): Promise<Server> {
  const s = await createServer(loadConfig({}, { LOG_LEVEL: 'silent', PORT: 0, HOST: '127.0.0.1', ...settings }), { logger: pino({ level: 'silent' }), model: loopbackModel(), webrtc: { available: false, reason: 'not in this test' }, storeBacklog });
  servers.push(s);
  return s;
}

/** A stand-in OTLP/HTTP collector on 127.0.0.1 recording each request. */
async function collector(): Promise<{ url: string; requests: Array<{ method: string; path: string; contentType: string; body: string }> }> {
  const requests: Array<{ method: string; path: string; contentType: string; body: string }> = [];
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  collectors.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, requests };
}

describe('METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-0123456789';

  it('refuses /metrics without the bearer token (401) and with a wrong one, serves it with the right one', async () => {
    const s = await make({ METRICS_TOKEN: TOKEN });
    const none = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.body).not.toContain('voicebridge_calls_total');
    const wrong = await s.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.statusCode).toBe(401);
    const basic = await s.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Basic ${TOKEN}` } });
    expect(basic.statusCode).toBe(401);
    const ok = await s.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('# TYPE voicebridge_calls_total counter');
  });

  it('is open without METRICS_TOKEN', async () => {
    const s = await make();
    expect((await s.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('must be at least 16 characters', () => {
    expect(() => loadConfig({}, { METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });
});

describe('store backlog', () => {
  it('reads the getter the store provides at each scrape', async () => {
    let backlog = 7;
    const s = await make({}, () => backlog);
    const read = async () => sumOf(parseExposition((await s.app.inject({ method: 'GET', url: '/metrics' })).body).samples, 'voicebridge_store_backlog_records');
    expect(await read()).toBe(7);
    backlog = 0;
    expect(await read()).toBe(0);
  });
});

describe('OTLP export', () => {
  it('is not set up without OTEL_EXPORTER_OTLP_ENDPOINT', async () => {
    expect(startTracing({ serviceName: 'voicebridge' }, silentLogger, systemClock)).toBeUndefined();
    expect(loadConfig({}, {}).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    // a server without it registers no provider: the API's global tracer stays a no-op
    await make();
    expect(trace.getTracer('x').startSpan('probe').isRecording()).toBe(false);
  });

  it('with the endpoint set, a tracer exports to ENDPOINT/v1/traces over OTLP/HTTP, flushed at shutdown', async () => {
    const otlp = await collector();
    const tracing = startTracing({ endpoint: `${otlp.url}/`, serviceName: 'vb-unit' }, silentLogger, systemClock);
    expect(tracing).toBeDefined();
    tracing!.tracer.startSpan('unit-span').end();
    expect(otlp.requests).toHaveLength(0); // batched, not sent per span
    await tracing!.shutdown();
    expect(otlp.requests).toHaveLength(1);
    expect(otlp.requests[0]).toMatchObject({ method: 'POST', path: '/v1/traces', contentType: 'application/json' });
    const body = JSON.parse(otlp.requests[0].body) as { resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> }; scopeSpans: Array<{ spans: Array<{ name: string }> }> }> };
    expect(body.resourceSpans[0].resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'vb-unit' } });
    expect(body.resourceSpans[0].scopeSpans[0].spans.map((s) => s.name)).toEqual(['unit-span']);
    // the global provider it registered is released at shutdown
    expect(trace.getTracerProvider().getTracer('x').startSpan('after').isRecording()).toBe(false);
  });

  it('a collector that never answers holds up shutdown only until its timeout', async () => {
    const requests: http.IncomingMessage[] = [];
    const silent = http.createServer((req) => requests.push(req)); // never answers
    collectors.push(silent);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const clock = new FakeClock();
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (_o: unknown, msg?: string) => void warnings.push(String(msg)) };
    const tracing = startTracing({ endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, serviceName: 'vb', shutdownTimeoutMs: 3000 }, logger, clock)!;
    tracing.tracer.startSpan('stuck').end();
    let done = false;
    const shutdown = tracing.shutdown().then(() => (done = true));
    await eventually(() => requests.length === 1, 'the export request');
    clock.advance(2999);
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    clock.advance(1);
    await shutdown;
    expect(warnings).toEqual(['OpenTelemetry spans were not all sent at shutdown']);
    silent.closeAllConnections();
  });

  it("a server with the endpoint set sends a real call's spans to the collector when it closes", async () => {
    const otlp = await collector();
    const s = await make({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'vb-server' });
    const url = await s.listen();
    const caller = await connectCaller({ url, via: 'twilio', ignoreMedia: true });
    const call = await eventually(() => s.manager.calls()[0], 'the live call');
    for (let i = 0; i < 5; i++) caller.sendFrame(new Int16Array(160).fill(1000));
    await caller.hangup();
    await call.ended;
    await s.close(0);
    const posted = otlp.requests.filter((r) => r.path === '/v1/traces').map((r) => r.body).join('\n');
    expect(posted).toContain('"name":"voicebridge.call"');
    expect(posted).toContain(call.id);
    expect(posted).toContain('vb-server');
  });
});
