/**
 * Admission of a caller's inbound audio at about real time (pure; time comes from the injected
 * clock through the transports' receive timestamps). Two token buckets, counted in audio ms:
 * - admit: refills at `ADMIT_RATE` ms of audio per wall ms with a small burst (`burstMs`); audio
 *   beyond it is dropped and counted. A caller whose audio arrives late in a clump (a network
 *   stall) keeps up to the burst of it.
 * - abuse: refills at `closeFactor` × real time with `CLOSE_ALLOWANCE_MS` of slack; a caller who
 *   empties it has sent far more than real time for a sustained stretch (at 20× real time about
 *   0.6 s; at 4×, 10 s) and is closed (WebSocket 1008). A burst after a stall of up to ≈10 s is
 *   within the slack.
 */
import { TokenBucket } from './token-bucket.js';

/** Admit refill rate: real time plus 5 % for a sender whose clock runs a little fast. */
export const ADMIT_RATE = 1.05;
/** Audio beyond `closeFactor` × real time a caller may send before being closed, ms. */
export const CLOSE_ALLOWANCE_MS = 10_000;

/** What to do with one chunk of inbound audio. */
export type AudioVerdict = 'admit' | 'drop' | 'close';

/** Settings of the gate. */
export interface InboundAudioSettings {
  /** Audio a caller may send ahead of real time before chunks are dropped, ms. */
  burstMs: number;
  /** Sustained rate (× real time) beyond which the caller is closed. */
  closeFactor: number;
}

/** Counters a gate reports to (e.g. the server's `/stats`). */
export interface InboundAudioCounters {
  /** A chunk of `audioMs` was dropped. */
  dropped(audioMs: number): void;
  /** A caller was closed for sending far faster than real time. */
  closed(): void;
}

/** One caller's inbound audio gate. */
export class InboundAudioGate {
  private admitBucket: TokenBucket | undefined;
  private abuseBucket: TokenBucket | undefined;
  private closedOnce = false;
  /** Audio dropped so far, ms. */
  droppedMs = 0;
  /** Chunks dropped so far. */
  droppedChunks = 0;

  /**
   * @param settings burst and close factor.
   * @param counters where drops and closes are counted (optional).
   */
  constructor(private readonly settings: InboundAudioSettings, private readonly counters?: InboundAudioCounters) {}

  /**
   * Judges a chunk of `audioMs` of audio that arrived at `nowMs` (clock ms). After the first
   * `close`, every later chunk is `close` too.
   */
  admit(audioMs: number, nowMs: number): AudioVerdict {
    if (this.closedOnce) return 'close';
    this.admitBucket ??= new TokenBucket({ ratePerMs: ADMIT_RATE, capacity: this.settings.burstMs }, nowMs);
    this.abuseBucket ??= new TokenBucket({ ratePerMs: this.settings.closeFactor, capacity: CLOSE_ALLOWANCE_MS }, nowMs);
    if (!this.abuseBucket.take(audioMs, nowMs)) {
      this.closedOnce = true;
      this.counters?.closed();
      return 'close';
    }
    if (this.admitBucket.take(audioMs, nowMs)) return 'admit';
    this.droppedMs += audioMs;
    this.droppedChunks++;
    this.counters?.dropped(audioMs);
    return 'drop';
  }
}
