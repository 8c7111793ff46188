/**
 * Metrics and spans fed by a real `Call` (fake caller transport and model session, fake clock):
 * tool calls by tool and outcome with their durations and spans under the turn, tool names from
 * the model kept to a bounded label set, renewals counted from live calls at each scrape without
 * double counting at the end, and a model that fails to open counted as a model error.
 */
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { FakeCallerTransport } from '../../test/fakes/caller-transport.js';
import { fakeModel, FakeModelSession } from '../../test/fakes/model-session.js';
import { parseExposition, sumOf } from '../../test/helpers/prometheus.js';
import { eventually } from '../../test/helpers/wait.js';
import { loadResamplerFactory } from '../audio/resample.js';
import { Call, type CallOptions } from '../call/call.js';
import { FakeClock } from '../core/clock.js';
import { VoiceBridgeError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import type { SpeechModel } from '../models/model.js';
import { ToolRegistry } from '../tools/registry.js';
import { traceCall } from './call-spans.js';
import { ServerMetrics } from './metrics.js';

const OPTIONS: CallOptions = { systemPrompt: 'x', inactivityTimeoutMs: 60_000, keepAliveAfterMs: 500, playoutLeadMs: 0, markIntervalMs: 100, bargeInVad: false, resampleQuality: 3 };

async function setup(model: SpeechModel, maxToolLabels?: number) {
  const clock = new FakeClock();
  const tools = new ToolRegistry([
    { name: 'lookup', description: 'finds', inputSchema: { type: 'object' }, run: async () => (clock.advance(250), { found: true }) },
    { name: 'fails', description: 'fails', inputSchema: { type: 'object' }, run: async () => (clock.advance(40), Promise.reject(new Error('backend down'))) },
  ], clock);
  const call = new Call({ id: 'call-1', transport: new FakeCallerTransport(), startInfo: { parameters: {}, carrierCallId: 'CA1' }, model, resamplers: await loadResamplerFactory(), clock, logger: silentLogger, vad: null, options: OPTIONS, tools });
  const live = new Set([call]);
  call.on('ended', () => live.delete(call));
  const metrics = new ServerMetrics({ liveCalls: () => live, toolNames: () => tools.specs().map((t) => t.name), maxToolLabels });
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  metrics.observeCall(call);
  traceCall(call, provider.getTracer('test'), clock);
  const scrape = async () => parseExposition((await metrics.exposition()).text).samples;
  return { call, clock, metrics, exporter, scrape };
}

describe('tool calls', () => {
  it('are counted by tool and outcome with their durations, and traced under the turn', async () => {
    const session = new FakeModelSession();
    const { call, exporter, scrape } = await setup(fakeModel(session));
    await call.start();
    session.emit({ type: 'speechStopped' });
    session.emit({ type: 'responseStarted', responseId: 'r1' });
    // one at a time: each tool moves the shared fake clock
    for (const [i, name] of ['lookup', 'fails', 'lookup'].entries()) {
      session.emit({ type: 'toolCall', toolCallId: `t${i}`, name, arguments: {} });
      await eventually(() => session.toolResults.length === i + 1, `the result of ${name}`);
    }
    session.emit({ type: 'responseDone', responseId: 'r1', cancelled: false });
    const samples = await scrape();
    expect(sumOf(samples, 'voicebridge_tool_calls_total', { tool: 'lookup', outcome: 'ok' })).toBe(2);
    expect(sumOf(samples, 'voicebridge_tool_calls_total', { tool: 'fails', outcome: 'error' })).toBe(1);
    expect(sumOf(samples, 'voicebridge_tool_call_duration_seconds_count', { tool: 'lookup', outcome: 'ok' })).toBe(2);
    expect(sumOf(samples, 'voicebridge_tool_call_duration_seconds_sum', { tool: 'lookup' })).toBeCloseTo(0.5, 6);
    expect(sumOf(samples, 'voicebridge_tool_call_duration_seconds_sum', { tool: 'fails' })).toBeCloseTo(0.04, 6);
    expect(sumOf(samples, 'voicebridge_active_calls', { carrier: 'twilio', model: 'fake' })).toBe(1);

    call.hangup('stop');
    await call.ended;
    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'voicebridge.call')!;
    const turn = spans.find((s) => s.name === 'voicebridge.turn')!;
    const response = spans.find((s) => s.name === 'voicebridge.response')!;
    const tools = spans.filter((s) => s.name.startsWith('execute_tool '));
    expect(root.attributes).toMatchObject({ 'voicebridge.call.id': 'call-1', 'voicebridge.carrier.call_id': 'CA1', 'voicebridge.call.tool_calls': 3, 'voicebridge.call.end_reason': 'stop' });
    expect(turn.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(response.parentSpanContext?.spanId).toBe(turn.spanContext().spanId);
    expect(tools.map((s) => s.attributes['gen_ai.tool.name']).sort()).toEqual(['fails', 'lookup', 'lookup']);
    for (const t of tools) {
      expect(t.parentSpanContext?.spanId).toBe(turn.spanContext().spanId);
      expect(t.spanContext().traceId).toBe(root.spanContext().traceId);
    }
    const failed = tools.find((s) => s.attributes['gen_ai.tool.name'] === 'fails')!;
    expect(failed.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringContaining('backend down') });
    expect(failed.attributes['voicebridge.tool.duration_ms']).toBe(40);
    const after = await scrape();
    expect(sumOf(after, 'voicebridge_active_calls')).toBe(0);
    expect(sumOf(after, 'voicebridge_calls_total', { carrier: 'twilio', model: 'fake', end_reason: 'stop' })).toBe(1);
  });

  it('keep tool names the model chose to a bounded label set', async () => {
    const session = new FakeModelSession();
    const { call, scrape } = await setup(fakeModel(session), 1);
    await call.start();
    // made-up names first: they must not crowd out the registered tools
    for (const [i, name] of ['made_up_tool_1', 'made_up_tool_2', 'made_up_tool_3', 'lookup', 'fails'].entries()) {
      session.emit({ type: 'toolCall', toolCallId: `t${i}`, name, arguments: {} });
      await eventually(() => session.toolResults.length === i + 1, `the result of ${name}`);
    }
    const samples = await scrape();
    expect(sumOf(samples, 'voicebridge_tool_calls_total', { tool: 'lookup', outcome: 'ok' })).toBe(1);
    expect(sumOf(samples, 'voicebridge_tool_calls_total', { tool: 'fails', outcome: 'error' })).toBe(1);
    expect(sumOf(samples, 'voicebridge_tool_calls_total', { tool: 'made_up_tool_1', outcome: 'error' })).toBe(1);
    expect(sumOf(samples, 'voicebridge_tool_calls_total', { tool: 'other', outcome: 'error' })).toBe(2);
    expect(samples.filter((s) => s.labels.tool?.startsWith('made_up')).map((s) => s.labels.tool)).not.toContain('made_up_tool_2');
    call.hangup('stop');
    await call.ended;
  });
});

describe('renewals', () => {
  it('are counted from live calls at each scrape, by forced or not, and not again when the call ends', async () => {
    const session = new FakeModelSession();
    let stats = { renewals: 2, forcedRenewals: 1 };
    Object.assign(session, { stats: () => stats });
    const { call, scrape } = await setup(fakeModel(session));
    await call.start();
    let samples = await scrape();
    expect(sumOf(samples, 'voicebridge_model_renewals_total', { provider: 'fake', forced: 'false' })).toBe(1);
    expect(sumOf(samples, 'voicebridge_model_renewals_total', { provider: 'fake', forced: 'true' })).toBe(1);
    samples = await scrape();
    expect(sumOf(samples, 'voicebridge_model_renewals_total')).toBe(2);
    stats = { renewals: 4, forcedRenewals: 1 };
    call.hangup('stop');
    await call.ended;
    samples = await scrape();
    expect(sumOf(samples, 'voicebridge_model_renewals_total', { forced: 'false' })).toBe(3);
    expect(sumOf(samples, 'voicebridge_model_renewals_total', { forced: 'true' })).toBe(1);
  });
});

describe('a model that fails to open', () => {
  it('is a model error with its code, and the call ends with a bounded reason', async () => {
    const refusing: SpeechModel = { ...fakeModel(), id: 'refusing', open: async () => Promise.reject(new VoiceBridgeError('model_unavailable', 'HTTP 401 from the provider: key abc123 refused')) };
    const { call, exporter, scrape } = await setup(refusing);
    await call.start();
    await call.ended;
    const samples = await scrape();
    expect(sumOf(samples, 'voicebridge_model_errors_total', { provider: 'refusing', code: 'model_unavailable' })).toBe(1);
    expect(sumOf(samples, 'voicebridge_calls_total', { model: 'refusing', end_reason: 'model-open-failed' })).toBe(1);
    expect(samples.some((s) => Object.values(s.labels).some((v) => v.includes('abc123')))).toBe(false);
    const root = exporter.getFinishedSpans().find((s) => s.name === 'voicebridge.call')!;
    expect(root.status.code).toBe(SpanStatusCode.ERROR);
    expect(root.events.map((e) => e.name)).toContain('voicebridge.model_error');
  });
});
