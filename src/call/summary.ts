/**
 * Builds a call's summary (`CallSummary`) from what the call kept. Pure: times are passed in.
 */
import type { CallerKind, CallerStartInfo } from '../callers/transport.js';
import type { Handoff } from '../handoff/record.js';
import type { Conversation } from './conversation.js';
import { callCostUsd, priceFor, type PriceTable } from './cost.js';
import { endReasonLabel } from './end-reason.js';
import type { BargeInEvent, CallSummary } from './types.js';

/** What a call kept, for its summary. Times in clock ms unless noted. */
export interface CallRecordParts {
  id: string;
  kind: CallerKind;
  modelId: string;
  startInfo: CallerStartInfo;
  /** When the call started, ISO 8601 (UTC). */
  startedAt: string;
  startedAtMs: number;
  endedAtMs: number;
  /** Why the call ended, as a code (`stop`, `inactivity`, `model-closed: …`). */
  reason: string;
  error: boolean;
  conversation: Pick<Conversation, 'turns' | 'transcript' | 'history' | 'toolCalls'> & Partial<Pick<Conversation, 'usage' | 'events'>>;
  /** Caller audio events received. */
  framesIn: number;
  /** Playout counters: frames sent to the caller, underruns. */
  playout: { framesSent: number; underruns: number };
  /** Barge-ins performed, and each one's details, oldest first. */
  bargeIns: number;
  bargeInEvents: BargeInEvent[];
  /** The model session's counters (before and after it closed: later ones win). */
  modelStats: Record<string, number>;
  /** The hand-off to a person, if the call was transferred. */
  handoff?: Handoff;
  /** Held barge-ins that resumed playback. */
  falseInterruptions: number;
  /** Prices by model (`priceFor` looks up `billingId`, then `modelId`); absent, or no price for the model: no cost. */
  prices?: PriceTable;
  /** The model's vendor id (`SpeechModel.billingId`). */
  billingId?: string;
}

/**
 * The summary of an ended call. Arrays are shared with the call's record, not copied.
 * `durationMs` is `endedAtMs − startedAtMs` rounded to whole ms; `costUsd` is `callCostUsd` of the
 * usage when the model has a price.
 */
export function callSummary(p: CallRecordParts): CallSummary {
  const durationMs = Math.round(p.endedAtMs - p.startedAtMs);
  const usage = p.conversation.usage;
  const price = p.prices && priceFor(p.prices, { id: p.modelId, billingId: p.billingId });
  return {
    id: p.id,
    kind: p.kind,
    model: p.modelId,
    carrierCallId: p.startInfo.carrierCallId,
    ...(p.startInfo.streamId ? { streamId: p.startInfo.streamId } : {}),
    parameters: p.startInfo.parameters,
    reason: p.reason,
    reasonLabel: endReasonLabel(p.reason, p.error),
    error: p.error,
    startedAt: p.startedAt,
    durationMs,
    turns: p.conversation.turns,
    transcript: p.conversation.transcript,
    framesIn: p.framesIn,
    framesOut: p.playout.framesSent,
    underruns: p.playout.underruns,
    bargeIns: p.bargeIns,
    bargeInEvents: p.bargeInEvents,
    history: p.conversation.history,
    toolCalls: p.conversation.toolCalls,
    modelStats: p.modelStats,
    ...(p.handoff ? { handoff: p.handoff } : {}),
    falseInterruptions: p.falseInterruptions,
    ...(usage ? { usage: { ...usage } } : {}),
    ...(price ? { costUsd: callCostUsd(price, usage, durationMs) } : {}),
    ...(p.conversation.events ? { events: p.conversation.events } : {}),
  };
}
