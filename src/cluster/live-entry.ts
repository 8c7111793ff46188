/**
 * A live call as the other instances see it (the live-call registry's entry, JSON in Redis), and
 * the record written for a call whose instance died (end reason `instance-lost`). Pure: no I/O.
 */
import type { CallSummary, ToolCallRecord, TranscriptEntry, TurnRecord } from '../call/types.js';
import { endReasonLabel } from '../call/end-reason.js';

/** End reason of a call whose instance stopped heartbeating (it died or lost Redis for longer than `HEARTBEAT_TTL_MS`). */
export const INSTANCE_LOST_REASON = 'instance-lost';

/** A live call's entry: enough to show it in `/calls` anywhere and to write its record if its instance dies. */
export interface LiveEntry {
  id: string;
  /** The instance holding the call (`INSTANCE_ID`). */
  instance: string;
  /** The carrier (`twilio`, `vonage`, `browser`, …). */
  kind: string;
  model: string;
  /** The call's phase when the entry was written. */
  phase: string;
  /** Start time, ISO 8601 (UTC). */
  startedAt: string;
  carrierCallId?: string;
  streamId?: string;
  parameters: Record<string, string>;
  turns: TurnRecord[];
  transcript: TranscriptEntry[];
  toolCalls: ToolCallRecord[];
}

/** What an entry is made from (a `Call` has all of it). */
export interface LiveCallView {
  readonly id: string;
  readonly kind: string;
  readonly modelId: string;
  readonly phase: string;
  readonly startedAt: string;
  readonly startInfo: { carrierCallId?: string; streamId?: string; parameters: Record<string, string> };
  readonly turns: readonly TurnRecord[];
  readonly transcript: readonly TranscriptEntry[];
  readonly toolCalls: readonly ToolCallRecord[];
}

/** The entry of `call`, held by instance `instance`. Tool-call records keep their shape; nothing is trimmed. */
export function liveEntryOf(call: LiveCallView, instance: string): LiveEntry {
  return {
    id: call.id,
    instance,
    kind: call.kind,
    model: call.modelId,
    phase: call.phase,
    startedAt: call.startedAt,
    ...(call.startInfo.carrierCallId ? { carrierCallId: call.startInfo.carrierCallId } : {}),
    ...(call.startInfo.streamId ? { streamId: call.startInfo.streamId } : {}),
    parameters: { ...call.startInfo.parameters },
    turns: [...call.turns],
    transcript: [...call.transcript],
    toolCalls: [...call.toolCalls],
  };
}

/**
 * Parses an entry read back from Redis.
 * @returns the entry, or undefined when `json` is not one (a foreign or damaged value is skipped, never thrown).
 */
export function parseLiveEntry(json: string): LiveEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const e = v as Partial<LiveEntry>;
  if (typeof e.id !== 'string' || typeof e.instance !== 'string' || typeof e.kind !== 'string' || typeof e.model !== 'string' || typeof e.startedAt !== 'string') return undefined;
  return { phase: 'live', parameters: {}, turns: [], transcript: [], toolCalls: [], ...e } as LiveEntry;
}

/**
 * The record of a call whose instance was lost: ended with reason `instance-lost` ("server lost")
 * at `endedAtMs` (Unix epoch ms), with the transcript, turns and tool calls of its last heartbeat.
 * Audio counters are unknown and written as 0.
 */
export function lostCallSummary(entry: LiveEntry, endedAtMs: number): CallSummary {
  const started = Date.parse(entry.startedAt);
  return {
    id: entry.id,
    kind: entry.kind,
    model: entry.model,
    ...(entry.carrierCallId ? { carrierCallId: entry.carrierCallId } : {}),
    ...(entry.streamId ? { streamId: entry.streamId } : {}),
    parameters: entry.parameters,
    reason: INSTANCE_LOST_REASON,
    reasonLabel: endReasonLabel(INSTANCE_LOST_REASON, true),
    error: true,
    startedAt: entry.startedAt,
    durationMs: Number.isFinite(started) ? Math.max(0, Math.round(endedAtMs - started)) : 0,
    turns: entry.turns,
    transcript: entry.transcript,
    framesIn: 0,
    framesOut: 0,
    underruns: 0,
    bargeIns: 0,
    bargeInEvents: [],
    history: entry.transcript.map((l) => ({ role: l.role, text: l.text })),
    toolCalls: entry.toolCalls,
    modelStats: {},
    falseInterruptions: 0,
  };
}
