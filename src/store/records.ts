/**
 * Pure mapping between a call's summary (`CallSummary`) and the store's rows (`schema.ts`), and
 * the list cursor's encoding. No I/O.
 */
import type { CallSummary } from '../call/types.js';
import { InvalidCursorError, type CallListQuery, type CallTotals } from './types.js';
import type { bargeIns, callEvents, calls, toolCalls, transcriptEntries, turns } from './schema.js';

/** Rows of one call, ready to insert. */
export interface CallRows {
  call: typeof calls.$inferInsert;
  transcript: (typeof transcriptEntries.$inferInsert)[];
  turns: (typeof turns.$inferInsert)[];
  toolCalls: (typeof toolCalls.$inferInsert)[];
  bargeIns: (typeof bargeIns.$inferInsert)[];
  events: (typeof callEvents.$inferInsert)[];
}

/** Rows of one call as read back. */
export interface StoredRows {
  call: typeof calls.$inferSelect;
  transcript: (typeof transcriptEntries.$inferSelect)[];
  turns: (typeof turns.$inferSelect)[];
  toolCalls: (typeof toolCalls.$inferSelect)[];
  bargeIns: (typeof bargeIns.$inferSelect)[];
  /** Absent: read without its events (as before they were stored). */
  events?: (typeof callEvents.$inferSelect)[];
}

/** Median of `values` (mean of the middle two when even); undefined when empty. */
function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The rows of `summary`. `ended_at` is its start plus `durationMs`.
 * @throws RangeError when `summary.startedAt` is not a valid ISO 8601 instant.
 */
export function toRows(summary: CallSummary): CallRows {
  const startedAt = new Date(summary.startedAt);
  if (Number.isNaN(startedAt.getTime())) throw new RangeError(`call ${summary.id}: startedAt "${summary.startedAt}" is not an ISO 8601 instant`);
  const latencies = summary.turns.map((t) => t.replyLatencyMs).filter((v): v is number => v !== null);
  const callId = summary.id;
  return {
    call: {
      id: callId,
      carrier: summary.kind,
      carrierCallId: summary.carrierCallId ?? null,
      streamId: summary.streamId ?? null,
      parameters: summary.parameters,
      model: summary.model,
      startedAt,
      endedAt: new Date(startedAt.getTime() + summary.durationMs),
      durationMs: summary.durationMs,
      endReason: summary.reason,
      endReasonLabel: summary.reasonLabel,
      error: summary.error,
      replyLatencyMedianMs: median(latencies) ?? null,
      replyLatencyMaxMs: latencies.length ? Math.max(...latencies) : null,
      framesIn: summary.framesIn,
      framesOut: summary.framesOut,
      underruns: summary.underruns,
      bargeIns: summary.bargeIns,
      falseInterruptions: summary.falseInterruptions,
      modelStats: summary.modelStats,
      usage: summary.usage ?? null,
      costUsd: summary.costUsd ?? null,
      history: summary.history,
      handoff: summary.handoff ?? null,
    },
    transcript: summary.transcript.map((e, seq) => ({ callId, seq, role: e.role, text: e.text, atMs: e.atMs })),
    turns: summary.turns.map((t, seq) => ({
      callId, seq, turn: t.turn, responseId: t.responseId, userText: t.userText, assistantText: t.assistantText, replyLatencyMs: t.replyLatencyMs, interrupted: t.interrupted, heardMs: t.heardMs ?? null,
      atMs: t.atMs ?? null, callerSpeechMs: t.callerSpeechMs ?? null, endpointingMs: t.endpointingMs ?? null, firstAudioMs: t.firstAudioMs ?? null, replyMs: t.replyMs ?? null, replyAtMs: t.replyAtMs ?? null,
    })),
    toolCalls: summary.toolCalls.map((c, seq) => ({ callId, seq, name: c.name, arguments: c.arguments ?? null, ok: c.ok, result: c.result ?? null, durationMs: c.durationMs, error: c.error ?? null, atMs: c.atMs ?? null, heldCaller: c.heldCaller ?? null })),
    bargeIns: summary.bargeInEvents.map((b, seq) => ({ callId, seq, source: b.source, responseId: b.responseId ?? null, heardMs: b.heardMs, sentMs: b.sentMs, droppedMs: b.droppedMs, reactionMs: b.reactionMs, atMs: b.atMs ?? null })),
    events: (summary.events ?? []).map((e, seq) => ({ callId, seq, kind: e.kind, atMs: e.atMs, code: e.code ?? null, message: e.message ?? null })),
  };
}

/** `row`'s non-null values of `keys` (a nullable column read back as an absent optional field). */
function present<R, K extends keyof R>(row: R, keys: readonly K[]): { [P in K]?: NonNullable<R[P]> } {
  const out: { [P in K]?: NonNullable<R[P]> } = {};
  for (const k of keys) if (row[k] !== null && row[k] !== undefined) out[k] = row[k] as NonNullable<R[K]>;
  return out;
}

const TURN_TIMINGS = ['heardMs', 'atMs', 'callerSpeechMs', 'endpointingMs', 'firstAudioMs', 'replyMs', 'replyAtMs'] as const;

const bySeq = <T extends { seq: number }>(rows: T[]): T[] => [...rows].sort((a, b) => a.seq - b.seq);

/** The summary stored as `rows` (child rows in any order; they are sorted by position). */
export function fromRows(rows: StoredRows): CallSummary {
  const c = rows.call;
  return {
    id: c.id,
    kind: c.carrier,
    model: c.model,
    ...(c.carrierCallId !== null ? { carrierCallId: c.carrierCallId } : {}),
    ...(c.streamId !== null ? { streamId: c.streamId } : {}),
    parameters: c.parameters,
    reason: c.endReason,
    reasonLabel: c.endReasonLabel,
    error: c.error,
    startedAt: c.startedAt.toISOString(),
    durationMs: c.durationMs,
    turns: bySeq(rows.turns).map((t) => ({ turn: t.turn, responseId: t.responseId, userText: t.userText, assistantText: t.assistantText, replyLatencyMs: t.replyLatencyMs, interrupted: t.interrupted, ...present(t, TURN_TIMINGS) })),
    transcript: bySeq(rows.transcript).map((e) => ({ role: e.role, text: e.text, atMs: e.atMs })),
    framesIn: c.framesIn,
    framesOut: c.framesOut,
    underruns: c.underruns,
    bargeIns: c.bargeIns,
    bargeInEvents: bySeq(rows.bargeIns).map((b) => ({ source: b.source, responseId: b.responseId ?? undefined, heardMs: b.heardMs, sentMs: b.sentMs, droppedMs: b.droppedMs, reactionMs: b.reactionMs, ...present(b, ['atMs'] as const) })),
    history: c.history,
    toolCalls: bySeq(rows.toolCalls).map((t) => ({
      name: t.name,
      ...(t.arguments !== null ? { arguments: t.arguments } : {}),
      ok: t.ok,
      ...(t.result !== null ? { result: t.result } : {}),
      durationMs: t.durationMs,
      ...(t.error !== null ? { error: t.error } : {}),
      ...(t.atMs !== null ? { atMs: t.atMs } : {}),
      ...(t.heldCaller !== null ? { heldCaller: t.heldCaller } : {}),
    })),
    modelStats: c.modelStats,
    ...(c.handoff ? { handoff: c.handoff } : {}),
    falseInterruptions: c.falseInterruptions,
    ...(c.usage ? { usage: { inputTokens: c.usage.inputTokens, outputTokens: c.usage.outputTokens } } : {}),
    ...(c.costUsd !== null ? { costUsd: c.costUsd } : {}),
    ...(rows.events ? { events: bySeq(rows.events).map((e) => ({ kind: e.kind, atMs: e.atMs, ...present(e, ['code', 'message'] as const) })) } : {}),
  };
}

/** A list position: the last call of a page (its start, ms since the epoch, and id). */
export interface CursorPosition {
  startedAtMs: number;
  id: string;
}

/** Encodes a list position as an opaque cursor (base64url of JSON). */
export function encodeCursor(p: CursorPosition): string {
  return Buffer.from(JSON.stringify([p.startedAtMs, p.id])).toString('base64url');
}

/**
 * Decodes a cursor from `encodeCursor`.
 * @throws InvalidCursorError for anything else.
 */
export function decodeCursor(cursor: string): CursorPosition {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && typeof v[1] === 'string') return { startedAtMs: v[0], id: v[1] };
  } catch {
    // fall through
  }
  throw new InvalidCursorError();
}

/** Lower-case words of `text` (letters and digits), as PostgreSQL's `simple` text search splits them, roughly. */
const wordsOf = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];

/**
 * Whether `record` passes `query`'s filters (not its cursor or limit), as the store's `list`
 * decides, for records not written yet: times, carrier, model, end reason, and the text's words
 * all in one transcript line.
 */
export function matchesQuery(record: CallSummary, query: Omit<CallListQuery, 'cursor' | 'limit'>): boolean {
  const started = Date.parse(record.startedAt);
  if (query.from && started < query.from.getTime()) return false;
  if (query.to && started >= query.to.getTime()) return false;
  if (query.carrier && record.kind !== query.carrier) return false;
  if (query.model && record.model !== query.model) return false;
  if (query.endReason && record.reason !== query.endReason && !record.reason.startsWith(`${query.endReason}:`)) return false;
  const wanted = wordsOf(query.text ?? '');
  if (wanted.length && !record.transcript.some((e) => wanted.every((w) => wordsOf(e.text).includes(w)))) return false;
  return true;
}

/**
 * `base` plus the totals of `records` (records not stored yet, or a store in memory): calls
 * counted, durations summed, costs summed (still null when neither `base` nor any record has a cost).
 */
export function addTotals(base: CallTotals, records: readonly CallSummary[]): CallTotals {
  let { calls, durationMs, costUsd } = base;
  for (const r of records) {
    calls++;
    durationMs += r.durationMs;
    if (r.costUsd !== undefined) costUsd = (costUsd ?? 0) + r.costUsd;
  }
  return { calls, durationMs, costUsd };
}
