/**
 * `/metrics` and call traces after real calls: a server on 127.0.0.1 (`VOICEBRIDGE_MODEL=openai`,
 * a 3 s session limit so sessions renew) against the in-process OpenAI Realtime emulator (echo
 * brain: each caller utterance is played back), with spans going to an in-memory exporter.
 * Simulated Twilio callers (answer webhook, media socket, `stop`) talk in tones: one plain call
 * that lasts past a renewal, one that barges in on the reply, one whose model response fails. The
 * metrics must agree with the calls' own records, and the spans must form call → turn → response
 * trees, one trace per call.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySpanExporter, SimpleSpanProcessor, BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { mulawDecode } from '../src/audio/g711.js';
import { rms } from '../src/audio/level.js';
import { loadResamplerFactory } from '../src/audio/resample.js';
import type { Call, CallSummary } from '../src/call/call.js';
import { endReasonCode } from '../src/call/end-reason.js';
import { loadConfig } from '../src/config/config.js';
import { echoBrainFactory } from '../src/emulators/nova-sonic/brains.js';
import { startOpenAIRealtimeEmulator, type OpenAIRealtimeEmulator } from '../src/emulators/openai-realtime/server.js';
import { createServer, type Server } from '../src/server.js';
import { connectCaller, type SimulatedCaller } from '../src/sim/clients.js';
import { parseExposition, sumOf, type Sample } from './helpers/prometheus.js';
import { eventually } from './helpers/wait.js';

const KEY = 'sk-metrics-test-123456';
let emulator: OpenAIRealtimeEmulator;
let server: Server;
let url: string;
const spans = new InMemorySpanExporter();
const records: CallSummary[] = [];
/** Model errors the calls saw (`model` events of type `error`), by code. */
const modelErrors = new Map<string, number>();

beforeAll(async () => {
  emulator = await startOpenAIRealtimeEmulator({ brain: echoBrainFactory(1000), resamplers: await loadResamplerFactory(), pace: 'realtime', sessionLimitMs: 3000, apiKeys: [KEY] });
  const config = loadConfig({}, {
    LOG_LEVEL: 'silent', PORT: 0, HOST: '127.0.0.1', VOICEBRIDGE_MODEL: 'openai', BARGE_IN_VAD: false, OPENAI_API_KEY: KEY,
    OPENAI_REALTIME_URL: `${emulator.wsUrl}?model=gpt-realtime`, OPENAI_TRANSCRIPTION_MODEL: 'none', OPENAI_SESSION_LIMIT_MS: 3000, OPENAI_RENEW_AFTER_MS: 1500,
  });
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  server = await createServer(config, { logger: pino({ level: 'silent' }), webrtc: { available: false, reason: 'not in this test' }, tracerProvider });
  url = await server.listen();
}, 60_000);
afterAll(async () => {
  await server?.close(0);
  await emulator?.close();
});

const TONE = Int16Array.from({ length: 160 }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 300 * i) / 8000)));
const SILENCE = new Int16Array(160);

/** A Twilio caller streaming a 20 ms frame every 20 ms: silence, or a tone while `speak` lasts; counts loud reply frames. */
class ToneCaller {
  loudFramesIn = 0;
  private toneFramesLeft = 0;
  private readonly timer: NodeJS.Timeout;
  private constructor(readonly sim: SimulatedCaller) {
    sim.socket.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { event: string; media?: { payload: string } };
      if (m.event === 'media' && rms(mulawDecode(Buffer.from(m.media!.payload, 'base64'))) > 1000) this.loudFramesIn++;
    });
    this.timer = setInterval(() => sim.sendFrame(this.toneFramesLeft-- > 0 ? TONE : SILENCE), 20);
  }

  static async dial(): Promise<ToneCaller> {
    return new ToneCaller(await connectCaller({ url, via: 'twilio', ignoreMedia: true }));
  }

  /** The server's live call for this caller. */
  async live(): Promise<Call> {
    const call = await eventually(() => server.manager.calls().find((c) => c.startInfo.carrierCallId === this.sim.carrierCallId), 'the live call');
    call.on('model', (e) => e.type === 'error' && modelErrors.set(e.code, (modelErrors.get(e.code) ?? 0) + 1));
    return call;
  }

  /** Sends a tone for `ms`, then silence again. */
  speak(ms: number): void {
    this.toneFramesLeft = ms / 20;
  }

  /** Resolves once more than `frames` loud frames have been heard in all. */
  heardMoreThan(frames: number, what: string): Promise<boolean> {
    return eventually(() => this.loudFramesIn > frames, what, 30_000);
  }

  /** Hangs up as Twilio does (`stop`) and returns the call's record. */
  async hangup(): Promise<CallSummary> {
    clearInterval(this.timer);
    await this.sim.hangup();
    const record = await eventually(() => server.manager.recentCalls().find((c) => c.carrierCallId === this.sim.carrierCallId), 'the call record');
    records.push(record);
    return record;
  }
}

async function scrape(): Promise<{ samples: Sample[]; types: Map<string, string>; contentType: string }> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return { ...parseExposition(await res.text()), contentType: res.headers.get('content-type') ?? '' };
}

/** Spans of the call with id `callId`: its root and every span in its trace. */
function traceOf(callId: string): { root: ReadableSpan; all: ReadableSpan[] } {
  const finished = spans.getFinishedSpans();
  const root = finished.find((s) => s.name === 'voicebridge.call' && s.attributes['voicebridge.call.id'] === callId);
  expect(root, `the call span of ${callId}`).toBeDefined();
  return { root: root!, all: finished.filter((s) => s.spanContext().traceId === root!.spanContext().traceId) };
}

describe('three Twilio calls on OpenAI Realtime', () => {
  let plainId: string;
  let bargeInId: string;

  it('a plain call: answered, live in active calls while it runs, renewed at least once', async () => {
    const c = await ToneCaller.dial();
    const call = await c.live();
    plainId = call.id;
    const during = await scrape();
    expect(sumOf(during.samples, 'voicebridge_active_calls', { carrier: 'twilio', model: 'openai' })).toBe(1);
    c.speak(800);
    await c.heardMoreThan(20, 'the echo of the first utterance');
    await eventually(() => call.phase === 'listening' && call.turns.some((t) => t.replyLatencyMs !== null), 'the turn with its reply latency');
    await eventually(() => (call.modelStats().renewals ?? 0) >= 1, 'a session renewal', 30_000);
    const record = await c.hangup();
    expect(record.reason).toBe('stop');
  }, 60_000);

  it('a call that barges in on the reply', async () => {
    const c = await ToneCaller.dial();
    const call = await c.live();
    bargeInId = call.id;
    c.speak(1000);
    await c.heardMoreThan(5, 'the start of the echo');
    c.speak(600);
    await eventually(() => call.bargeIns >= 1, 'the barge-in', 30_000);
    await eventually(() => call.phase === 'listening', 'listening again');
    const record = await c.hangup();
    expect(record.bargeIns).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('a call whose model response fails (an error event) and goes on', async () => {
    emulator.addFault({ kind: 'error', afterMs: 0 });
    const c = await ToneCaller.dial();
    const call = await c.live();
    c.speak(800);
    await eventually(() => (call.modelStats().openaiErrors ?? 0) >= 1, 'the failed response', 30_000);
    emulator.clearFaults();
    await c.hangup();
  }, 60_000);

  it('/metrics has every family, agreeing with the call records', async () => {
    const { samples, types, contentType } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = {
      voicebridge_calls_total: 'counter', voicebridge_call_duration_seconds: 'histogram', voicebridge_active_calls: 'gauge', voicebridge_call_cost_usd_total: 'counter',
      voicebridge_reply_latency_seconds: 'histogram', voicebridge_barge_in_reaction_seconds: 'histogram', voicebridge_playout_underruns_total: 'counter',
      voicebridge_model_errors_total: 'counter', voicebridge_model_renewals_total: 'counter', voicebridge_tool_calls_total: 'counter',
      voicebridge_tool_call_duration_seconds: 'histogram', voicebridge_store_backlog_records: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge', nodejs_eventloop_lag_p99_seconds: 'gauge', process_cpu_seconds_total: 'counter', process_resident_memory_bytes: 'gauge',
    };
    for (const [name, type] of Object.entries(families)) expect(types.get(name), name).toBe(type);

    // calls: three ended, all by the caller's `stop`, none live now
    expect(records).toHaveLength(3);
    expect(sumOf(samples, 'voicebridge_calls_total')).toBe(3);
    expect(sumOf(samples, 'voicebridge_calls_total', { carrier: 'twilio', model: 'openai', end_reason: 'stop' })).toBe(3);
    for (const r of records) expect(endReasonCode(r.reason)).toBe('stop');
    expect(sumOf(samples, 'voicebridge_active_calls')).toBe(0);
    expect(sumOf(samples, 'voicebridge_call_duration_seconds_count', { carrier: 'twilio' })).toBe(3);
    const durationS = records.reduce((a, r) => a + r.durationMs / 1000, 0);
    expect(sumOf(samples, 'voicebridge_call_duration_seconds_sum')).toBeCloseTo(durationS, 3);
    // cost: the records' own (their usage × gpt-realtime's default prices)
    for (const r of records) expect(r.costUsd, r.id).toBeCloseTo((r.usage?.inputTokens ?? 0) * 0.000032 + (r.usage?.outputTokens ?? 0) * 0.000064, 12);
    expect(sumOf(samples, 'voicebridge_call_cost_usd_total', { model: 'openai' })).toBeCloseTo(records.reduce((a, r) => a + r.costUsd!, 0), 9);

    // reply latency: one observation per turn with a latency, the same figures as the records
    const latencies = records.flatMap((r) => r.turns.map((t) => t.replyLatencyMs).filter((ms): ms is number => ms !== null));
    expect(latencies.length).toBeGreaterThan(0);
    expect(sumOf(samples, 'voicebridge_reply_latency_seconds_count', { carrier: 'twilio', model: 'openai' })).toBe(latencies.length);
    expect(sumOf(samples, 'voicebridge_reply_latency_seconds_sum')).toBeCloseTo(latencies.reduce((a, ms) => a + ms / 1000, 0), 6);
    expect(sumOf(samples, 'voicebridge_reply_latency_seconds_bucket', { le: '+Inf' })).toBe(latencies.length);

    // barge-in reaction: one per barge-in, from the model's signal
    const bargeIns = records.flatMap((r) => r.bargeInEvents);
    expect(bargeIns.length).toBeGreaterThanOrEqual(1);
    expect(sumOf(samples, 'voicebridge_barge_in_reaction_seconds_count', { carrier: 'twilio', source: 'model' })).toBe(bargeIns.length);
    expect(sumOf(samples, 'voicebridge_barge_in_reaction_seconds_sum')).toBeCloseTo(bargeIns.reduce((a, b) => a + b.reactionMs / 1000, 0), 6);

    // underruns, renewals and model errors: the records' counters
    expect(sumOf(samples, 'voicebridge_playout_underruns_total')).toBe(records.reduce((a, r) => a + r.underruns, 0));
    const renewals = records.reduce((a, r) => a + (r.modelStats.renewals ?? 0), 0);
    const forced = records.reduce((a, r) => a + (r.modelStats.forcedRenewals ?? 0), 0);
    expect(renewals).toBeGreaterThanOrEqual(1);
    expect(sumOf(samples, 'voicebridge_model_renewals_total', { provider: 'openai' })).toBe(renewals);
    expect(sumOf(samples, 'voicebridge_model_renewals_total', { provider: 'openai', forced: 'true' })).toBe(forced);
    // (the session's own `openaiErrors` also counts benign errors it does not report to the call)
    expect(modelErrors.size).toBeGreaterThanOrEqual(1);
    for (const [code, n] of modelErrors) expect(sumOf(samples, 'voicebridge_model_errors_total', { provider: 'openai', code }), code).toBe(n);
    expect(sumOf(samples, 'voicebridge_model_errors_total')).toBe([...modelErrors.values()].reduce((a, n) => a + n, 0));
    // the records list the same renewals and model errors, each with its time
    const events = records.flatMap((r) => r.events ?? []);
    expect(events.filter((e) => e.kind === 'renewal' && e.code !== 'failure')).toHaveLength(renewals);
    expect(events.filter((e) => e.kind === 'model-error')).toHaveLength([...modelErrors.values()].reduce((a, n) => a + n, 0));
    for (const [code, n] of modelErrors) expect(events.filter((e) => e.kind === 'model-error' && e.code === code), code).toHaveLength(n);
    expect(records.reduce((a, r) => a + (r.modelStats.openaiErrors ?? 0), 0)).toBeGreaterThanOrEqual(sumOf(samples, 'voicebridge_model_errors_total'));

    // no tools were called in these calls (tool metrics: src/observability/metrics.test.ts)
    expect(sumOf(samples, 'voicebridge_tool_calls_total')).toBe(0);
    expect(sumOf(samples, 'nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
    // the store backlog is the writer's queue: the three records leave it once written
    expect(sumOf(samples, 'voicebridge_store_backlog_records')).toBeLessThanOrEqual(3);
    await eventually(() => server.writer.stats().written >= 3 || undefined, 'the three records written to the store');
    expect(sumOf((await scrape()).samples, 'voicebridge_store_backlog_records')).toBe(0);
  });

  it('traces each call as call → turn → response spans in one trace', () => {
    const { root, all } = traceOf(plainId);
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes).toMatchObject({ 'voicebridge.carrier': 'twilio', 'voicebridge.model': 'openai', 'voicebridge.call.end_reason': 'stop' });
    const turns = all.filter((s) => s.name === 'voicebridge.turn');
    const responses = all.filter((s) => s.name === 'voicebridge.response');
    expect(turns.length).toBeGreaterThanOrEqual(1);
    expect(responses.length).toBeGreaterThanOrEqual(1);
    for (const t of turns) expect(t.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    const turnIds = new Set(turns.map((t) => t.spanContext().spanId));
    for (const r of responses) expect(turnIds.has(r.parentSpanContext!.spanId), `response ${r.attributes['voicebridge.response.id']} under a turn`).toBe(true);
    // the answered turn carries the reply latency of the record, and contains its response
    const record = records.find((r) => r.id === plainId)!;
    const timed = record.turns.find((t) => t.replyLatencyMs !== null)!;
    const turnSpan = turns.find((t) => t.attributes['voicebridge.turn.reply_latency_ms'] === timed.replyLatencyMs);
    expect(turnSpan, 'the turn span with the reply latency').toBeDefined();
    const answer = responses.find((r) => r.attributes['voicebridge.response.id'] === timed.responseId)!;
    expect(answer.parentSpanContext!.spanId).toBe(turnSpan!.spanContext().spanId);
    const ns = (t: [number, number]) => t[0] * 1e9 + t[1];
    expect(ns(turnSpan!.startTime)).toBeLessThanOrEqual(ns(answer.startTime));
    expect(ns(turnSpan!.endTime)).toBeGreaterThanOrEqual(ns(answer.endTime));
    expect(ns(root.endTime)).toBeGreaterThanOrEqual(ns(turnSpan!.endTime));
    // another call is another trace
    expect(traceOf(bargeInId).root.spanContext().traceId).not.toBe(root.spanContext().traceId);
  });

  it('marks the barge-in: an event on the turn, the cut response interrupted', () => {
    const { all } = traceOf(bargeInId);
    const turn = all.find((s) => s.name === 'voicebridge.turn' && s.events.some((e) => e.name === 'voicebridge.barge_in'));
    expect(turn, 'a turn with a barge-in event').toBeDefined();
    expect(turn!.attributes['voicebridge.turn.interrupted']).toBe(true);
    const cut = all.find((s) => s.name === 'voicebridge.response' && s.attributes['voicebridge.response.interrupted'] === true);
    expect(cut?.parentSpanContext?.spanId).toBe(turn!.spanContext().spanId);
  });
});
