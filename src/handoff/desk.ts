/**
 * Transfers waiting for the carrier: a transfer asked for during a call is kept here until the
 * carrier asks what to do next (Twilio's `<Connect action>` request after the media stream ends),
 * keyed by the carrier's call id. Entries expire on the injected clock so none is kept forever.
 */
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Handoff } from './record.js';

/** How long a pending transfer waits for the carrier's request, ms. */
export const PENDING_TRANSFER_TTL_MS = 5 * 60_000;

/** Pending transfers by carrier call id (in memory, per instance). */
export class TransferDesk {
  private readonly pending = new Map<string, { handoff: Handoff; timer: TimerHandle }>();

  constructor(private readonly clock: Clock, private readonly ttlMs = PENDING_TRANSFER_TTL_MS) {}

  /** Keeps `handoff` for `carrierCallId` (replacing an earlier one) until taken or expired. */
  put(carrierCallId: string, handoff: Handoff): void {
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
