/**
 * The hand-off record: why a call went to a person, what was said, a short summary for the person
 * who answers, and the carrier's identifiers so an operator can find the call. Pure.
 */
import type { TransferTarget } from './target.js';

/** Who asked for the transfer. */
export type HandoffSource = 'operator' | 'model' | 'phrase';

/** One line of the conversation as the hand-off carries it. */
export interface HandoffLine {
  role: 'user' | 'assistant';
  text: string;
}

/** A hand-off of one call to a person. */
export interface Handoff {
  /** Our call id. */
  callId: string;
  /** The carrier (`twilio`, `vonage`, `browser`, …). */
  carrier: string;
  /** The carrier's identifiers (Twilio `CallSid`/`StreamSid`, Vonage `uuid`). */
  carrierIds: Record<string, string>;
  target: TransferTarget;
  reason: string;
  source: HandoffSource;
  /** When it was asked for, ISO 8601 UTC. */
  requestedAt: string;
  /** Final transcript lines, oldest first. */
  transcript: HandoffLine[];
  /** A sentence or two for the person who answers (spoken as the whisper on Twilio). */
  summary: string;
}

/** Longest summary, characters (spoken in a few seconds). */
export const MAX_SUMMARY_CHARS = 280;

/**
 * A short summary of the call for the person who answers: the reason, then the caller's last words.
 * Deterministic (no model call), at most `MAX_SUMMARY_CHARS`.
 */
export function handoffSummary(reason: string, transcript: readonly HandoffLine[]): string {
  const said = transcript
    .filter((l) => l.role === 'user' && l.text.trim())
    .slice(-3)
    .map((l) => l.text.trim().replace(/\s+/g, ' '))
    .join(' ');
  const text = `Transferred call. Reason: ${reason.trim() || 'not given'}.${said ? ` The caller said: ${said}` : ' The caller has not spoken yet.'}`;
  return text.length <= MAX_SUMMARY_CHARS ? text : `${text.slice(0, MAX_SUMMARY_CHARS - 1).trimEnd()}…`;
}
