/**
 * Transfers waiting for the carrier: a transfer asked for during a call is kept here until the
 * carrier asks what to do next (Twilio's `<Connect action>` request after the media stream ends),
 * keyed by the carrier's call id. Entries expire on the injected clock so none is kept forever.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Handoff } from './record.js';

/** How long a pending transfer waits for the carrier's request, ms. */
export const PENDING_TRANSFER_TTL_MS = 5 * 60_000;

/**
 * A copy of the pending transfers other instances can read (Redis, `src/cluster/`): with several
 * instances, the carrier's next request may reach any of them. Its methods never reject.
 */
export interface SharedDesk {
  put(carrierCallId: string, handoff: Handoff, ttlMs: number): void;
  peek(carrierCallId: string): Promise<Handoff | undefined>;
  take(carrierCallId: string): Promise<Handoff | undefined>;
}

/** Pending transfers by carrier call id (in memory, per instance; copied to `shared` when given). */
export class TransferDesk {
  private readonly pending = new Map<string, { handoff: Handoff; timer: TimerHandle }>();

  constructor(private readonly clock: Clock, private readonly ttlMs = PENDING_TRANSFER_TTL_MS, private readonly shared?: SharedDesk) {}

  /** Keeps `handoff` for `carrierCallId` (replacing an earlier one) until taken or expired. */
  put(carrierCallId: string, handoff: Handoff): void {
    this.shared?.put(carrierCallId, handoff, this.ttlMs);
    this.remove(carrierCallId);
    const timer = this.clock.setTimeout(() => this.pending.delete(carrierCallId), this.ttlMs);
    this.pending.set(carrierCallId, { handoff, timer });
  }

  /** The pending transfer of `carrierCallId` without removing it (the whisper reads it). */
  peek(carrierCallId: string): Handoff | undefined {
    return this.pending.get(carrierCallId)?.handoff;
  }

  /** Removes and returns the pending transfer of `carrierCallId`, if any. */
  take(carrierCallId: string): Handoff | undefined {
    const entry = this.pending.get(carrierCallId);
    this.remove(carrierCallId);
    return entry?.handoff;
  }

  /** `peek`, then the shared copy (a transfer made on another instance). */
  async peekAnywhere(carrierCallId: string): Promise<Handoff | undefined> {
    return this.peek(carrierCallId) ?? (await this.shared?.peek(carrierCallId));
  }

  /** `take`, here and from the shared copy. */
  async takeAnywhere(carrierCallId: string): Promise<Handoff | undefined> {
    const here = this.take(carrierCallId);
    const there = await this.shared?.take(carrierCallId);
    return here ?? there;
  }

  /** Pending transfers. */
  get size(): number {
    return this.pending.size;
  }

  /** Forgets every pending transfer and its timer (server shutdown). */
  clear(): void {
    for (const id of [...this.pending.keys()]) this.remove(id);
  }

  private remove(carrierCallId: string): void {
    const entry = this.pending.get(carrierCallId);
    if (!entry) return;
    this.clock.clearTimeout(entry.timer);
    this.pending.delete(carrierCallId);
  }
}
