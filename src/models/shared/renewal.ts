/**
 * Pure, provider-neutral pieces of session renewal past a provider's session limit (Nova Sonic's
 * 8-minute stream limit, protocols.md §1.11, §1.13; OpenAI Realtime's 60 minutes, §2.1): when to
 * prepare the next session, when to hand over (turn-aware, forced near the hard limit), and the
 * rolling buffer of recent caller audio that is replayed to the next session so no caller audio
 * is lost. Used by Nova's session and by `renewing-session.ts`.
 */

/** Timing of renewal, ms of stream age. */
export interface RenewalTiming {
  /** Start preparing the next session after this age (AWS sample and LiveKit: 6 of 8 minutes). */
  renewAfterMs: number;
  /** Hand over even mid-response after this age, ahead of the hard limit. */
  forceAfterMs: number;
}

/** What the session knows when it asks. */
export interface RenewalInput {
  ageMs: number;
  /** A next session exists (being opened or open). */
  nextPreparing: boolean;
  /** The next session accepted its stream and waits for the handover. */
  nextReady: boolean;
  /** The assistant is producing a response (audio not yet ended). */
  responseOpen: boolean;
  /** A tool call awaits its result on the current session. */
  toolPending: boolean;
  /** The assistant's final transcript of its last response has not arrived yet. */
  awaitingFinalText: boolean;
}

/** The step to take now. */
export type RenewalAction = 'none' | 'prepare' | 'handover' | 'forceHandover';

/**
 * Decides the renewal step. Hand-over waits for the turn boundary: no response in flight, no
 * tool call pending, the assistant's final transcript in the history. Past `forceAfterMs` it
 * hands over anyway.
 */
export function planRenewal(input: RenewalInput, timing: RenewalTiming): RenewalAction {
  if (input.ageMs < timing.renewAfterMs) return 'none';
  if (!input.nextPreparing) return 'prepare';
  if (!input.nextReady) return 'none';
  if (!input.responseOpen && !input.toolPending && !input.awaitingFinalText) return 'handover';
  return input.ageMs >= timing.forceAfterMs ? 'forceHandover' : 'none';
}

/** Renewal timing for a provider limit: prepare at 75 %, force 15 s (at most 20 %) before the limit. */
export function renewalTimingFor(maxSessionMs: number, renewAfterMs: number): RenewalTiming {
  const margin = Math.min(15_000, maxSessionMs * 0.2);
  const forceAfterMs = maxSessionMs - margin;
  return { renewAfterMs: Math.min(renewAfterMs, forceAfterMs), forceAfterMs };
}

/** A bounded FIFO of caller audio chunks (PCM16 at one rate) covering the last `capacityMs`. */
export class RollingAudioBuffer {
  private chunks: Int16Array[] = [];
  private samples = 0;
  /** Samples dropped from the front because the buffer was full. */
  droppedSamples = 0;

  /**
   * @param rateHz sample rate of the chunks.
   * @param capacityMs audio kept, ms.
   */
  constructor(private readonly rateHz: number, private capacityMs: number) {}

  /** Appends a chunk, dropping the oldest whole chunks beyond capacity. */
  push(pcm: Int16Array): void {
    this.chunks.push(pcm);
    this.samples += pcm.length;
    const cap = (this.capacityMs * this.rateHz) / 1000;
    while (this.chunks.length > 1 && this.samples - this.chunks[0].length >= cap) {
      const dropped = this.chunks.shift()!;
      this.samples -= dropped.length;
      this.droppedSamples += dropped.length;
    }
  }

  /** Buffered audio, ms. */
  get durationMs(): number {
    return (this.samples * 1000) / this.rateHz;
  }

  /** Changes the capacity (grows during an outage, shrinks back after). */
  setCapacityMs(ms: number): void {
    this.capacityMs = ms;
  }

  /** The buffered chunks, oldest first (not copied). */
  snapshot(): readonly Int16Array[] {
    return this.chunks;
  }

  /** Empties the buffer. */
  clear(): void {
    this.chunks = [];
    this.samples = 0;
  }
}
