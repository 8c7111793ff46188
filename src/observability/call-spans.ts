/**
 * OpenTelemetry spans of one call, made through `@opentelemetry/api` from the call's events (never
 * per audio frame): `voicebridge.call` (the root, kind SERVER) → `voicebridge.turn` (from the end
 * of the caller's speech as the model detected it, or else the start of the reply, e.g. a
 * greeting or an answer to typed text, until the reply has played out or was interrupted) →
 * `voicebridge.response` (one model response) and
 * `execute_tool NAME` (one tool call, OpenTelemetry's GenAI convention). Barge-ins and model
 * errors are span events. Attribute names: `voicebridge.*`, and `gen_ai.tool.name` for tools.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { endReasonCode } from '../call/end-reason.js';
import type { CallPhase } from '../call/state.js';
import type { BargeInEvent, CallEvents, CallModelEvent, CallSummary, ToolCallRecord, TurnRecord } from '../call/types.js';
import type { Clock } from '../core/clock.js';

/** What the spans read from a call: its id, carrier, model, carrier ids and events (a `Call` is one). */
export interface TracedCall {
  readonly id: string;
  readonly kind: string;
  readonly modelId: string;
  readonly startInfo: { carrierCallId?: string };
  on<K extends keyof CallEvents>(event: K, listener: (...args: CallEvents[K]) => void): unknown;
}

/** An open turn span. */
interface OpenTurn {
  span: Span;
  ctx: Context;
  /** Ids of the model responses started in this turn. */
  responseIds: string[];
  ended: boolean;
}

/**
 * Starts `call`'s root span on `tracer` and keeps its child spans from its events until it ends.
 * Call once per call, before it starts.
 * @param clock the call's clock (the caller's speech end is known in clock ms; spans take wall time).
 */
export function traceCall(call: TracedCall, tracer: Tracer, clock: Clock): void {
  const callSpan = tracer.startSpan('voicebridge.call', {
    kind: SpanKind.SERVER, root: true,
    attributes: { 'voicebridge.call.id': call.id, 'voicebridge.carrier': call.kind, 'voicebridge.model': call.modelId, ...(call.startInfo.carrierCallId ? { 'voicebridge.carrier.call_id': call.startInfo.carrierCallId } : {}) },
  }, ROOT_CONTEXT);
  const callCtx = trace.setSpan(ROOT_CONTEXT, callSpan);
  /** A clock time (ms) as a wall-clock time. */
  const wallTime = (clockMs: number): Date => new Date(Date.now() - Math.max(0, clock.nowMs() - clockMs));
  let turn: OpenTurn | undefined;
  let turnCount = 0;
  const turnOfResponse = new Map<string, OpenTurn>();
  const responses = new Map<string, Span>();
  let phase: CallPhase = 'connecting';

  const startTurn = (startTime?: Date): OpenTurn => {
    const span = tracer.startSpan('voicebridge.turn', { startTime, attributes: { 'voicebridge.call.id': call.id, 'voicebridge.turn.index': ++turnCount } }, callCtx);
    turn = { span, ctx: trace.setSpan(callCtx, span), responseIds: [], ended: false };
    return turn;
  };
  const endTurn = (t: OpenTurn | undefined): void => {
    if (!t || t.ended) return;
    t.ended = true;
    t.span.end();
    for (const id of t.responseIds) turnOfResponse.delete(id);
    if (turn === t) turn = undefined;
  };
  const endResponse = (responseId: string, attributes: Record<string, boolean>): void => {
    const span = responses.get(responseId);
    if (!span) return;
    responses.delete(responseId);
    span.setAttributes(attributes);
    span.end();
  };

  let over = false;
  call.on('model', (e: CallModelEvent) => {
    if (over) return;
    switch (e.type) {
      case 'speechStopped': {
        // The caller's turn ended (the speech itself `speechEndedAgoMs` before the event).
        if (turn?.responseIds.length) endTurn(turn);
        if (!turn) startTurn(wallTime(clock.nowMs() - (e.speechEndedAgoMs ?? 0)));
        return;
      }
      case 'responseStarted': {
        if (responses.has(e.responseId)) return;
        const t = turn ?? startTurn();
        t.responseIds.push(e.responseId);
        turnOfResponse.set(e.responseId, t);
        responses.set(e.responseId, tracer.startSpan('voicebridge.response', { attributes: { 'voicebridge.call.id': call.id, 'voicebridge.response.id': e.responseId, 'voicebridge.model': call.modelId } }, t.ctx));
        return;
      }
      case 'responseDone': {
        // A cancel may be the session's answer to a barge-in the call is running right now: end it
        // once the call's `bargeIn` (which marks it interrupted) has been delivered.
        const end = () => endResponse(e.responseId, { 'voicebridge.response.cancelled': e.cancelled });
        return e.cancelled ? queueMicrotask(end) : end();
      }
      case 'error':
        callSpan.addEvent('voicebridge.model_error', { 'voicebridge.model.error_code': e.code, 'voicebridge.model.error_retryable': e.retryable, 'voicebridge.model.error_message': e.message.slice(0, 200) });
        return;
      default:
        return;
    }
  });
  call.on('turn', (record: TurnRecord) => {
    const t = turnOfResponse.get(record.responseId);
    if (!t || t.ended) return;
    t.span.setAttributes({ 'voicebridge.turn.number': record.turn, 'voicebridge.turn.interrupted': record.interrupted });
    if (record.replyLatencyMs !== null) t.span.setAttribute('voicebridge.turn.reply_latency_ms', record.replyLatencyMs);
    if (record.heardMs !== undefined) t.span.setAttribute('voicebridge.turn.heard_ms', record.heardMs);
  });
  call.on('bargeIn', (e: BargeInEvent) => {
    (turn?.span ?? callSpan).addEvent('voicebridge.barge_in', { 'voicebridge.barge_in.source': e.source, 'voicebridge.barge_in.reaction_ms': e.reactionMs, 'voicebridge.barge_in.heard_ms': e.heardMs });
    if (e.responseId) endResponse(e.responseId, { 'voicebridge.response.interrupted': true });
  });
  call.on('toolCall', (r: ToolCallRecord) => {
    const span = tracer.startSpan(`execute_tool ${r.name}`, {
      kind: SpanKind.INTERNAL, startTime: new Date(Date.now() - r.durationMs),
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': r.name, 'voicebridge.call.id': call.id, 'voicebridge.tool.duration_ms': r.durationMs },
    }, turn?.ctx ?? callCtx);
    if (!r.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: r.error });
    span.end();
  });
  call.on('state', (next: CallPhase) => {
    // The reply has played out, or was cut: the turn ends once this dispatch's events (an
    // interrupted turn's record, the barge-in) have been delivered.
    if (phase === 'responding' && next === 'listening' && turn) {
      const t = turn;
      queueMicrotask(() => endTurn(t));
    }
    phase = next;
  });
  call.on('ended', (s: CallSummary) => {
    over = true;
    if (endReasonCode(s.reason) === 'model-open-failed') callSpan.addEvent('voicebridge.model_error', { 'voicebridge.model.error_code': 'model_unavailable', 'voicebridge.model.error_retryable': false });
    for (const id of [...responses.keys()]) endResponse(id, { 'voicebridge.response.cancelled': true });
    endTurn(turn);
    callSpan.setAttributes({
      'voicebridge.call.end_reason': endReasonCode(s.reason), 'voicebridge.call.duration_ms': s.durationMs, 'voicebridge.call.turns': s.turns.length,
      'voicebridge.call.barge_ins': s.bargeIns, 'voicebridge.call.underruns': s.underruns, 'voicebridge.call.tool_calls': s.toolCalls.length,
    });
    if (s.error) callSpan.setStatus({ code: SpanStatusCode.ERROR, message: s.reasonLabel });
    callSpan.end();
  });
}
