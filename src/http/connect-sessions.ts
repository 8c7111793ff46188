/**
 * The sessions `POST /connect` creates for Pipecat clients and `GET /status/:id` reports: each is
 * waiting for its offer (the one-time token it was given), then connecting (offer answered), then
 * connected (a call), then ended; a session whose token expired unused is expired. Bounded and
 * pruned by age through the injected clock; no I/O here (with several instances, a `SharedSessions` copy in Redis).
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

/**
 * A copy of the sessions other instances can read (Redis, `src/cluster/`): with several instances a
 * page's `GET /status/:id` may reach another instance than its `POST /connect`. `put` never throws;
 * `get` resolves undefined when the copy cannot be read.
 */
export interface SharedSessions {
  /** Keeps `status` readable for `ttlMs`; a `waiting` one reads as `expired` after `offerTtlMs`. */
  put(status: ConnectSessionStatus, offerTtlMs: number, ttlMs: number): void;
  get(id: string): Promise<ConnectSessionStatus | undefined>;
}

/** The connect sessions of one server (copied to `shared` when given). */
export class ConnectSessions {
  private readonly entries = new Map<string, Entry>();

  /** @param clock times offer deadlines and retention. */
  constructor(private readonly clock: Clock, private readonly shared?: SharedSessions) {}

  /** Creates a session whose token admits an offer for `offerTtlMs`; returns its id (a UUID). */
  create(offerTtlMs: number): string {
    this.prune();
    const now = this.clock.nowMs();
    const sessionId = randomUUID();
    this.entries.set(sessionId, { sessionId, state: 'waiting', offerDeadlineMs: now + offerTtlMs, touchedAtMs: now });
    this.shared?.put({ sessionId, state: 'waiting' }, offerTtlMs, offerTtlMs + CONNECT_SESSION_RETENTION_MS);
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

  /**
   * The shared copy's status when there is one (the session may have moved on at another
   * instance), else `status`.
   */
  async statusAnywhere(id: string): Promise<ConnectSessionStatus | undefined> {
    const local = this.status(id);
    return (await this.shared?.get(id)) ?? local;
  }

  /** Its offer was answered. */
  connecting(id: string): void {
    const e = this.entries.get(id) ?? this.adopt(id);
    if (e?.state === 'waiting') this.set(e, { state: 'connecting' });
  }

  /** Its call `callId` started. */
  connected(id: string, callId: string): void {
    const e = this.entries.get(id) ?? this.adopt(id);
    if (e && e.state !== 'ended') this.set(e, { state: 'connected', callId });
  }

  /** It ended (`reason`: the call's end reason, or why it never became a call). */
  ended(id: string, reason: string): void {
    const e = this.entries.get(id) ?? this.adopt(id);
    if (e && e.state !== 'ended') this.set(e, { state: 'ended', endedReason: reason });
  }

  /**
   * With a shared copy, a session another instance made whose offer reached this one (its id
   * comes from a verified stream token): kept here from now on, its changes written to the copy.
   */
  private adopt(id: string): Entry | undefined {
    if (!this.shared) return undefined;
    this.prune();
    const now = this.clock.nowMs();
    const e: Entry = { sessionId: id, state: 'waiting', offerDeadlineMs: now, touchedAtMs: now };
    this.entries.set(id, e);
    return e;
  }

  private set(e: Entry, change: Partial<Entry>): void {
    Object.assign(e, change, { touchedAtMs: this.clock.nowMs() });
    if (!this.shared) return;
    const { sessionId, state, callId, endedReason } = e;
    // A live call's session stays readable as long as a call may last; a finished one for the retention.
    this.shared.put({ sessionId, state, ...(callId ? { callId } : {}), ...(endedReason ? { endedReason } : {}) }, 0, state === 'ended' || state === 'expired' ? CONNECT_SESSION_RETENTION_MS : 86_400_000);
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
