/**
 * A real tool call in `/metrics` and the trace: a server on 127.0.0.1 with the offline local
 * model (its responder answers time questions through the `get_current_time` tool), a browser
 * caller who types "what time is it", spans to an in-memory exporter.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createServer, type Server } from '../src/server.js';
import { startBrowserSession } from './helpers/browser-session.js';
import { parseExposition, sumOf } from './helpers/prometheus.js';
import { eventually } from './helpers/wait.js';

let server: Server;
let url: string;
const spans = new InMemorySpanExporter();
beforeAll(async () => {
  const config = loadConfig({}, { LOG_LEVEL: 'silent', PORT: 0, HOST: '127.0.0.1', VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 1, TOOLS: 'get_current_time' });
  server = await createServer(config, { logger: pino({ level: 'silent' }), webrtc: { available: false, reason: 'not in this test' }, tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }) });
  url = await server.listen();
}, 120_000);
afterAll(async () => {
  await server?.close(0);
});

describe('a typed time question on the local model', () => {
  it('counts the get_current_time call and traces it under the turn', async () => {
    const { ws, messages } = await startBrowserSession(url);
    await eventually(() => messages.some((m) => m.type === 'state' && m.state === 'listening'), 'the call to listen', 60_000);
    ws.send(JSON.stringify({ type: 'text', text: 'what time is it' }));
    await eventually(() => messages.some((m) => m.type === 'transcript' && m.role === 'assistant' && m.final), 'the spoken answer', 60_000);
    const callId = messages.find((m) => m.type === 'session.started')?.callId as string;
    ws.send(JSON.stringify({ type: 'session.end' }));
    const record = await eventually(() => server.manager.recentCalls().find((c) => c.id === callId), 'the call record');
    expect(record.toolCalls.map((t) => [t.name, t.ok])).toEqual([['get_current_time', true]]);

    const { samples } = parseExposition((await (await fetch(`${url}/metrics`)).text()));
    expect(sumOf(samples, 'voicebridge_tool_calls_total', { tool: 'get_current_time', outcome: 'ok' })).toBe(1);
    expect(sumOf(samples, 'voicebridge_tool_call_duration_seconds_count', { tool: 'get_current_time', outcome: 'ok' })).toBe(1);
    expect(sumOf(samples, 'voicebridge_tool_call_duration_seconds_sum', { tool: 'get_current_time' })).toBeCloseTo(record.toolCalls[0].durationMs / 1000, 6);
    expect(sumOf(samples, 'voicebridge_calls_total', { carrier: 'browser', model: 'local' })).toBe(1);
    const timed = record.turns.filter((t) => t.replyLatencyMs !== null);
    expect(sumOf(samples, 'voicebridge_reply_latency_seconds_count', { carrier: 'browser', model: 'local' })).toBe(timed.length);

    const finished = spans.getFinishedSpans();
    const root = finished.find((s) => s.name === 'voicebridge.call' && s.attributes['voicebridge.call.id'] === callId)!;
    const tool = finished.find((s) => s.name === 'execute_tool get_current_time')!;
    expect(tool.attributes).toMatchObject({ 'gen_ai.tool.name': 'get_current_time', 'voicebridge.call.id': callId });
    expect(tool.spanContext().traceId).toBe(root.spanContext().traceId);
    const turn = finished.find((s) => s.spanContext().spanId === tool.parentSpanContext?.spanId)!;
    expect(turn.name).toBe('voicebridge.turn');
    expect(turn.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(finished.some((s) => s.name === 'voicebridge.response' && s.parentSpanContext?.spanId === turn.spanContext().spanId)).toBe(true);
  }, 120_000);
});
