/**
 * Prometheus metrics of a server (`GET /metrics`), with prom-client on a registry of its own (not
 * prom-client's global one, so one process can hold many servers, as the tests do). Fed from call
 * events (`CallEvents`: `ended`, `turn`, `bargeIn`, `toolCall`, `model` errors) and read from live
 * calls when scraped (active calls, underruns, renewals): nothing here runs per audio frame.
 *
 * Families (names follow the Prometheus conventions: base units, `_total` on counters):
 * - `voicebridge_calls_total{carrier,model,end_reason}` — ended calls (`end_reason`: `endReasonCode`);
 * - `voicebridge_call_duration_seconds{carrier,model}` — their length;
 * - `voicebridge_call_cost_usd_total{model}` — their cost, US dollars (`CallSummary.costUsd`: calls
 *   with a price only; `src/call/cost.ts`);
 * - `voicebridge_active_calls{carrier,model}` — live calls;
 * - `voicebridge_reply_latency_seconds{carrier,model}` — each turn's reply latency, the project's one
 *   definition (`src/call/reply-latency.ts`), observed once per turn;
 * - `voicebridge_barge_in_reaction_seconds{carrier,source}` — barge-in signal → carrier clear sent
 *   (`BargeInEvent.reactionMs`);
 * - `voicebridge_playout_underruns_total{carrier}` — the playout pacer's underruns;
 * - `voicebridge_model_errors_total{provider,code}` — model error events and failed session opens;
 * - `voicebridge_model_renewals_total{provider,forced}` — model session renewals (`RenewingSession`);
 * - `voicebridge_tool_calls_total{tool,outcome}` and `voicebridge_tool_call_duration_seconds{tool,outcome}`;
 * - `voicebridge_store_backlog_records` — call records waiting to be written to the store;
 * - prom-client's default process metrics (`process_*`, `nodejs_*`, with `nodejs_eventloop_lag_*`).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { endReasonCode } from '../call/end-reason.js';
import type { BargeInEvent, CallEvents, CallModelEvent, CallSummary, ToolCallRecord, TurnRecord } from '../call/types.js';

/** What the metrics read from a call: its events, carrier, model and live counters (a `Call` is one). */
export interface ObservedCall {
  readonly kind: string;
  readonly modelId: string;
  /** Live playout counters (`underruns`: count so far). */
  readonly playout: { readonly underruns: number };
  /** The model session's counters so far (`renewals`, `forcedRenewals` on renewing sessions). */
  modelStats(): Record<string, number>;
  on<K extends keyof CallEvents>(event: K, listener: (...args: CallEvents[K]) => void): unknown;
}

/** Dependencies of `ServerMetrics`. */
export interface ServerMetricsDeps {
  /** The live calls now (the call manager's `calls()`). */
  liveCalls: () => Iterable<ObservedCall>;
  /**
   * Call records waiting to be written to the store, count. Optional: main has no call store yet
   * (issue 13 §1), and with none the backlog is 0.
   */
  storeBacklog?: () => number;
  /** Names of the registered tools: always label values (default: none known). */
  toolNames?: () => Iterable<string>;
  /** Other distinct tool names (the model may make names up) kept as label values before the rest read `other` (default 20). */
  maxToolLabels?: number;
}

/** Reply latency buckets, seconds (targets: p50 ≤ 2 s; README "Reply latency"). */
const REPLY_LATENCY_BUCKETS_S = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10];
/** Barge-in reaction buckets, seconds (target ≤ 5 ms). */
const BARGE_IN_BUCKETS_S = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25];
/** Tool call duration buckets, seconds. */
const TOOL_BUCKETS_S = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30];
/** Call duration buckets, seconds. */
const CALL_BUCKETS_S = [5, 15, 30, 60, 120, 300, 600, 1200, 3600];

/** Counters of a call already added to the totals (live counters are added as they grow). */
interface Counted {
  underruns: number;
  renewals: number;
  forcedRenewals: number;
}

/** The process's default metrics, made once per process (their event-loop monitor and GC observer run for good). */
let processMetrics: Registry | undefined;

/** prom-client's default process metrics (`process_*`, `nodejs_*`) on a registry of their own, shared by every server in the process. */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** The metrics of one server: its registry, fed by `observeCall` for each call. */
export class ServerMetrics {
  /** The registry `GET /metrics` serves (`registry.metrics()`, `registry.contentType`): this server's families and the process's. */
  readonly registry: Registry;
  private readonly own = new Registry();
  private readonly counted = new Map<ObservedCall, Counted>();
  private readonly toolLabels = new Set<string>();
  private readonly calls: Counter<'carrier' | 'model' | 'end_reason'>;
  private readonly callDuration: Histogram<'carrier' | 'model'>;
  private readonly cost: Counter<'model'>;
  private readonly replyLatency: Histogram<'carrier' | 'model'>;
  private readonly bargeInReaction: Histogram<'carrier' | 'source'>;
  private readonly underruns: Counter<'carrier'>;
  private readonly modelErrors: Counter<'provider' | 'code'>;
  private readonly renewals: Counter<'provider' | 'forced'>;
  private readonly toolCalls: Counter<'tool' | 'outcome'>;
  private readonly toolDuration: Histogram<'tool' | 'outcome'>;

  constructor(private readonly deps: ServerMetricsDeps) {
    const registers = [this.own];
    // Each scrape first adds what live calls counted since the last one.
    const sync = (): void => {
      for (const call of this.deps.liveCalls()) this.addLive(call, call.playout.underruns, call.modelStats());
    };
    this.calls = new Counter({ name: 'voicebridge_calls_total', help: 'Calls ended, by carrier, model and end reason.', labelNames: ['carrier', 'model', 'end_reason'], registers });
    this.callDuration = new Histogram({ name: 'voicebridge_call_duration_seconds', help: 'Length of ended calls, seconds.', labelNames: ['carrier', 'model'], buckets: CALL_BUCKETS_S, registers });
    this.cost = new Counter({ name: 'voicebridge_call_cost_usd_total', help: 'Cost of ended calls (model usage x configured prices), US dollars, by model; calls of models with no price add nothing.', labelNames: ['model'], registers });
    const liveCalls = this.deps.liveCalls;
    new Gauge({
      name: 'voicebridge_active_calls', help: 'Calls live now, by carrier and model.', labelNames: ['carrier', 'model'], registers,
      collect() {
        this.reset();
        for (const call of liveCalls()) this.inc({ carrier: call.kind, model: call.modelId });
      },
    });
    this.replyLatency = new Histogram({ name: 'voicebridge_reply_latency_seconds', help: "Reply latency per turn: end of the caller's speech as the server detected it -> the caller starts hearing the reply, seconds.", labelNames: ['carrier', 'model'], buckets: REPLY_LATENCY_BUCKETS_S, registers });
    this.bargeInReaction = new Histogram({ name: 'voicebridge_barge_in_reaction_seconds', help: 'Barge-in: interruption signal received -> carrier playback clear sent, seconds.', labelNames: ['carrier', 'source'], buckets: BARGE_IN_BUCKETS_S, registers });
    this.underruns = new Counter({ name: 'voicebridge_playout_underruns_total', help: 'Playout underruns (the pacer had no audio when a reply frame was due).', labelNames: ['carrier'], registers, collect: sync });
    this.modelErrors = new Counter({ name: 'voicebridge_model_errors_total', help: 'Model errors (error events and failed session opens), by provider and error code.', labelNames: ['provider', 'code'], registers });
    this.renewals = new Counter({ name: 'voicebridge_model_renewals_total', help: 'Model session renewals past the provider session limit, by provider; forced: the old session was cut before a turn boundary.', labelNames: ['provider', 'forced'], registers, collect: sync });
    this.toolCalls = new Counter({ name: 'voicebridge_tool_calls_total', help: 'Tool calls finished, by tool and outcome (ok, error).', labelNames: ['tool', 'outcome'], registers });
    this.toolDuration = new Histogram({ name: 'voicebridge_tool_call_duration_seconds', help: 'Tool call durations, seconds.', labelNames: ['tool', 'outcome'], buckets: TOOL_BUCKETS_S, registers });
    const storeBacklog = this.deps.storeBacklog;
    new Gauge({
      name: 'voicebridge_store_backlog_records', help: 'Call records waiting to be written to the store.', registers,
      collect() {
        this.set(storeBacklog?.() ?? 0);
      },
    });
    this.registry = Registry.merge([this.own, processRegistry()]);
  }

  /** The Prometheus text exposition of every family, and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  /** Listens to `call`'s events until it ends. Call once per call, before it starts. */
  observeCall(call: ObservedCall): void {
    const carrier = call.kind;
    const model = call.modelId;
    this.counted.set(call, { underruns: 0, renewals: 0, forcedRenewals: 0 });
    // A turn is announced again when its latency becomes known later (marks): observe it once.
    const timed = new WeakSet<TurnRecord>();
    call.on('turn', (turn: TurnRecord) => {
      if (turn.replyLatencyMs === null || timed.has(turn)) return;
      timed.add(turn);
      this.replyLatency.observe({ carrier, model }, turn.replyLatencyMs / 1000);
    });
    call.on('bargeIn', (e: BargeInEvent) => this.bargeInReaction.observe({ carrier, source: e.source }, e.reactionMs / 1000));
    call.on('model', (e: CallModelEvent) => e.type === 'error' && this.modelErrors.inc({ provider: model, code: e.code }));
    call.on('toolCall', (r: ToolCallRecord) => {
      const labels = { tool: this.toolLabel(r.name), outcome: r.ok ? 'ok' : 'error' };
      this.toolCalls.inc(labels);
      this.toolDuration.observe(labels, r.durationMs / 1000);
    });
    call.on('ended', (s: CallSummary) => {
      this.addLive(call, s.underruns, s.modelStats);
      this.counted.delete(call);
      const endReason = endReasonCode(s.reason);
      // A session that never opened: the caller was told `model_unavailable` (`Call.start`).
      if (endReason === 'model-open-failed') this.modelErrors.inc({ provider: model, code: 'model_unavailable' });
      this.calls.inc({ carrier, model, end_reason: endReason });
      this.callDuration.observe({ carrier, model }, s.durationMs / 1000);
      if (s.costUsd !== undefined) this.cost.inc({ model }, s.costUsd);
    });
  }

  /** Adds what `call`'s counters grew by since they were last added. */
  private addLive(call: ObservedCall, underruns: number, stats: Record<string, number>): void {
    const seen = this.counted.get(call);
    if (!seen) return;
    const renewals = stats.renewals ?? 0;
    const forced = stats.forcedRenewals ?? 0;
    if (underruns > seen.underruns) this.underruns.inc({ carrier: call.kind }, underruns - seen.underruns);
    if (forced > seen.forcedRenewals) this.renewals.inc({ provider: call.modelId, forced: 'true' }, forced - seen.forcedRenewals);
    const planned = renewals - forced;
    const plannedSeen = seen.renewals - seen.forcedRenewals;
    if (planned > plannedSeen) this.renewals.inc({ provider: call.modelId, forced: 'false' }, planned - plannedSeen);
    this.counted.set(call, { underruns: Math.max(underruns, seen.underruns), renewals: Math.max(renewals, seen.renewals), forcedRenewals: Math.max(forced, seen.forcedRenewals) });
  }

  /**
   * `name` as a label value: a registered tool's name, or one of the first `maxToolLabels` other
   * distinct names; then `other` (names come from the model, which may make them up).
   */
  private toolLabel(name: string): string {
    if (this.toolLabels.has(name)) return name;
    for (const known of this.deps.toolNames?.() ?? []) if (known === name) return name;
    if (this.toolLabels.size >= (this.deps.maxToolLabels ?? 20)) return 'other';
    this.toolLabels.add(name);
    return name;
  }
}
