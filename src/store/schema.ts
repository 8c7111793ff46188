/**
 * The call store's one Drizzle schema (PostgreSQL dialect, `drizzle-orm/pg-core`), used by both
 * backends (embedded PGlite and node-postgres). drizzle-kit generates the SQL migrations in
 * `drizzle/` from this file (`npm run db:generate`); `migrate.ts` applies them at start-up.
 *
 * Tables: `calls` (one row per ended call), and per call, oldest first: `transcript_entries`,
 * `turns`, `tool_calls`, `barge_ins`, `call_events` (session renewals and model errors). JSON columns where a table would be overkill:
 * `calls.parameters` (the carrier's custom parameters, string → string), `calls.model_stats` (the
 * model session's counters: renewals, retries, model errors, usage figures), `calls.history` (the
 * model's history as left at the end, truncated replies marked), `calls.handoff` (at most one
 * hand-off record per call), `calls.usage` (the model's token usage: `inputTokens`, `outputTokens`).
 *
 * Times: `started_at`/`ended_at` are wall-clock instants (timestamptz); every `*_ms` column is
 * milliseconds (positions in the call are ms since it started). Child rows go with their call
 * (`ON DELETE CASCADE`).
 */
import { sql } from 'drizzle-orm';
import { boolean, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import type { HistoryMessage } from '../models/model.js';
import type { Handoff } from '../handoff/record.js';

/** One ended call. */
export const calls = pgTable(
  'calls',
  {
    /** Our call id (a UUID). */
    id: text('id').primaryKey(),
    /** The caller protocol (`twilio`, `vonage`, `browser`, `pcm`, `webrtc`, …). */
    carrier: text('carrier').notNull(),
    /** The carrier's call id (Twilio CallSid, Vonage uuid). */
    carrierCallId: text('carrier_call_id'),
    /** The carrier's stream id (Twilio StreamSid). */
    streamId: text('stream_id'),
    parameters: jsonb('parameters').$type<Record<string, string>>().notNull(),
    model: text('model').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3, mode: 'date' }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true, precision: 3, mode: 'date' }).notNull(),
    durationMs: integer('duration_ms').notNull(),
    /** Why it ended, as a code (`stop`, `inactivity`, `model-closed: …`), and in plain words. */
    endReason: text('end_reason').notNull(),
    endReasonLabel: text('end_reason_label').notNull(),
    error: boolean('error').notNull(),
    /** Reply latency over the call's turns (median and worst), ms; null when no turn had one. */
    replyLatencyMedianMs: doublePrecision('reply_latency_median_ms'),
    replyLatencyMaxMs: doublePrecision('reply_latency_max_ms'),
    framesIn: integer('frames_in').notNull(),
    framesOut: integer('frames_out').notNull(),
    underruns: integer('underruns').notNull(),
    bargeIns: integer('barge_ins').notNull(),
    falseInterruptions: integer('false_interruptions').notNull(),
    /** The model session's counters: renewals, retries, model errors, … (JSON). */
    modelStats: jsonb('model_stats').$type<Record<string, number>>().notNull(),
    /** The model's token usage over the call (`{ inputTokens, outputTokens }`), when it reports it (JSON). */
    usage: jsonb('usage').$type<{ inputTokens: number; outputTokens: number }>(),
    /** Cost of the call in US dollars (usage × the model's prices), when the model has a price. */
    costUsd: doublePrecision('cost_usd'),
    history: jsonb('history').$type<HistoryMessage[]>().notNull(),
    handoff: jsonb('handoff').$type<Handoff>(),
  },
  (t) => [
    // Newest first with a (started_at, id) cursor.
    index('calls_started_at_id_idx').on(t.startedAt.desc(), t.id.desc()),
    index('calls_carrier_call_id_idx').on(t.carrierCallId),
  ],
);

/** One transcript line (interrupted replies already cut to what was heard). */
export const transcriptEntries = pgTable(
  'transcript_entries',
  {
    callId: text('call_id').notNull().references(() => calls.id, { onDelete: 'cascade' }),
    /** Position in the call's transcript, from 0. */
    seq: integer('seq').notNull(),
    role: text('role').$type<'user' | 'assistant'>().notNull(),
    text: text('text').notNull(),
    /** When it was said, ms since the call started. */
    atMs: doublePrecision('at_ms').notNull(),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] }), index('transcript_entries_text_idx').using('gin', sql`to_tsvector('simple', ${t.text})`)],
);

/** One turn with its metrics. */
export const turns = pgTable(
  'turns',
  {
    callId: text('call_id').notNull().references(() => calls.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    /** The call's turn number. */
    turn: integer('turn').notNull(),
    responseId: text('response_id').notNull(),
    userText: text('user_text').notNull(),
    assistantText: text('assistant_text').notNull(),
    /** End of the caller's speech → the caller starts hearing the reply, ms (`reply-latency.ts`). */
    replyLatencyMs: doublePrecision('reply_latency_ms'),
    interrupted: boolean('interrupted').notNull(),
    /** Reply audio heard before a barge-in, ms. */
    heardMs: doublePrecision('heard_ms'),
    /** Turn timings (`TurnRecord`), ms; null when unknown. When the caller started speaking, ms since the call started. */
    atMs: doublePrecision('at_ms'),
    /** The caller's speech, start to end, ms. */
    callerSpeechMs: doublePrecision('caller_speech_ms'),
    /** End of the caller's speech → the model ended the turn, ms. */
    endpointingMs: doublePrecision('endpointing_ms'),
    /** End of the caller's turn → the reply's first audio reached the server, ms. */
    firstAudioMs: doublePrecision('first_audio_ms'),
    /** Reply audio the caller heard, ms. */
    replyMs: doublePrecision('reply_ms'),
    /** When the caller started hearing the reply, ms since the call started. */
    replyAtMs: doublePrecision('reply_at_ms'),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] })],
);

/** One tool call. */
export const toolCalls = pgTable(
  'tool_calls',
  {
    callId: text('call_id').notNull().references(() => calls.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    name: text('name').notNull(),
    /** The model's arguments (JSON, cut short in the record past 2000 characters). */
    arguments: jsonb('arguments'),
    ok: boolean('ok').notNull(),
    /** The result given to the model, when `ok` (JSON, cut short as the arguments). */
    result: jsonb('result'),
    durationMs: doublePrecision('duration_ms').notNull(),
    error: text('error'),
    /** When it started, ms from the call's start. */
    atMs: doublePrecision('at_ms'),
    /** The caller heard the hold phrase while it ran. */
    heldCaller: boolean('held_caller'),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] })],
);

/** One barge-in. */
export const bargeIns = pgTable(
  'barge_ins',
  {
    callId: text('call_id').notNull().references(() => calls.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    /** Who heard it: the model's own signal or the local VAD. */
    source: text('source').$type<'model' | 'vad'>().notNull(),
    responseId: text('response_id'),
    heardMs: doublePrecision('heard_ms').notNull(),
    sentMs: doublePrecision('sent_ms').notNull(),
    droppedMs: doublePrecision('dropped_ms').notNull(),
    /** Signal received → carrier clear sent, ms. */
    reactionMs: doublePrecision('reaction_ms').notNull(),
    /** When it happened, ms since the call started. */
    atMs: doublePrecision('at_ms'),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] })],
);

/** One session renewal or model error (`CallEvent`). */
export const callEvents = pgTable(
  'call_events',
  {
    callId: text('call_id').notNull().references(() => calls.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    kind: text('kind').$type<'renewal' | 'model-error'>().notNull(),
    /** When, ms since the call started. */
    atMs: doublePrecision('at_ms').notNull(),
    /** Renewal: its cause (`limit`, `forced`, `failure`); model error: its code. */
    code: text('code'),
    message: text('message'),
  },
  (t) => [primaryKey({ columns: [t.callId, t.seq] })],
);
