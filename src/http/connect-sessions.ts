/**
 * The sessions `POST /connect` creates for Pipecat clients and `GET /status/:id` reports: each is
 * waiting for its offer (the one-time token it was given), then connecting (offer answered), then
 * connected (a call), then ended; a session whose token expired unused is expired. Bounded and
 * pruned by age through the injected clock; no I/O.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { isVoiceId } from '../callers/browser/protocol.js';
import type { Clock } from '../core/clock.js';

/** What a `POST /connect` body may ask for (the voice and model of the call it opens). */
export interface ConnectRequest {
  voice?: string;
  model?: string;
}

/** Anything else in the body (Pipecat's template sends `transport`, `createDailyRoom`, …) is ignored. */
const connectBody = z
  .object({
    voice: z.string().refine(isVoiceId, 'voice must be a voice id (letters, digits, - and _)').optional(),
    model: z.string().refine(isVoiceId, 'model must be a model id').optional(),
  })
  .loose();

/**
 * Parses a `POST /connect` body (already JSON-decoded; `undefined` or `{}` for an empty body).
 * Never throws.
 * @returns the request, or why it is unusable (for a 400).
 */
export function parseConnectRequest(body: unknown): { ok: true; value: ConnectRequest } | { ok: false; error: string } {
  const r = connectBody.safeParse(body === undefined ? {} : body);
  if (r.success) return { ok: true, value: { ...(r.data.voice ? { voice: r.data.voice } : {}), ...(r.data.model ? { model: r.data.model } : {}) } };
  const issue = r.error.issues[0];
  return { ok: false, error: issue?.path.length ? issue.message : 'the body must be a JSON object (or empty)' };
}

/** Where a session is. */
export type ConnectSessionState = 'waiting' | 'connecting' | 'connected' | 'ended' | 'expired';

/** One session as `GET /status/:id` reports it. */
export interface ConnectSessionStatus {
  sessionId: string;
  state: ConnectSessionState;
  /** The call, once connected. */
  callId?: string;
  /** Why it ended (the call's end reason, e.g. `caller-ended`, `datachannel-closed`). */
  endedReason?: string;
}

interface Entry extends ConnectSessionStatus {
  /** Clock time the token stops admitting an offer, ms. */
  offerDeadlineMs: number;
  /** Clock time the entry was last changed, ms (pruning age). */
  touchedAtMs: number;
}

/** Sessions kept at most (the oldest are dropped first). */
export const MAX_CONNECT_SESSIONS = 10_000;
/** How long a finished (ended or expired) session stays readable, ms. */
export const CONNECT_SESSION_RETENTION_MS = 10 * 60_000;

/** The connect sessions of one server. */
export class ConnectSessions {
  private readonly entries = new Map<string, Entry>();

  /** @param clock times offer deadlines and retention. */
  constructor(private readonly clock: Clock) {}

  /** Creates a session whose token admits an offer for `offerTtlMs`; returns its id (a UUID). */
  create(offerTtlMs: number): string {
    this.prune();
    const now = this.clock.nowMs();
    const sessionId = randomUUID();
    this.entries.set(sessionId, { sessionId, state: 'waiting', offerDeadlineMs: now + offerTtlMs, touchedAtMs: now });
    return sessionId;
  }

  /** The session `id`'s status, or undefined when unknown (never created, or pruned). */
  status(id: string): ConnectSessionStatus | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.state === 'waiting' && this.clock.nowMs() >= e.offerDeadlineMs) this.set(e, { state: 'expired' });
    const { sessionId, state, callId, endedReason } = e;
    return { sessionId, state, ...(callId ? { callId } : {}), ...(endedReason ? { endedReason } : {}) };
  }

  /** Its offer was answered. */
  connecting(id: string): void {
    const e = this.entries.get(id);
    if (e?.state === 'waiting') this.set(e, { state: 'connecting' });
  }

  /** Its call `callId` started. */
  connected(id: string, callId: string): void {
    const e = this.entries.get(id);
    if (e && e.state !== 'ended') this.set(e, { state: 'connected', callId });
  }

  /** It ended (`reason`: the call's end reason, or why it never became a call). */
  ended(id: string, reason: string): void {
    const e = this.entries.get(id);
    if (e && e.state !== 'ended') this.set(e, { state: 'ended', endedReason: reason });
  }

  private set(e: Entry, change: Partial<Entry>): void {
    Object.assign(e, change, { touchedAtMs: this.clock.nowMs() });
  }

  /** Drops finished sessions past their retention, and the oldest beyond `MAX_CONNECT_SESSIONS`. */
  private prune(): void {
    const now = this.clock.nowMs();
    for (const [id, e] of this.entries) {
      const finished = e.state === 'ended' || e.state === 'expired' || (e.state === 'waiting' && now >= e.offerDeadlineMs);
      if (finished && now - Math.max(e.touchedAtMs, e.state === 'waiting' ? e.offerDeadlineMs : 0) >= CONNECT_SESSION_RETENTION_MS) this.entries.delete(id);
    }
    for (const id of this.entries.keys()) {
      if (this.entries.size < MAX_CONNECT_SESSIONS) break;
      this.entries.delete(id);
    }
  }
}
