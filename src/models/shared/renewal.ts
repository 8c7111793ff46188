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

/** Smallest sample ring, samples (64 ms at 16 kHz). */
const MIN_RING_SAMPLES = 1024;

/**
 * A bounded FIFO of caller audio chunks (PCM16 at one rate) covering the last `capacityMs`.
 *
 * The samples are copied into one ring of samples, and the chunk lengths into a ring of numbers,
 * so a call keeps no per-chunk object alive for the seconds it is buffered: at 60 calls, holding
 * each 20 ms frame for 3 s made every young-generation collection copy and promote thousands of
 * frames (`npm run bench:nova` with `--node-flag=--trace-gc-nvp`, README "Performance").
 * The sample ring is sized to the capacity plus one chunk: it grows when a push does not fit and
 * shrinks when it is over four times that (after an outage's longer capacity).
 */
export class RollingAudioBuffer {
  /** Sample ring; `head` is the oldest sample, `samples` are in use. */
  private ring = new Int16Array(0);
  private head = 0;
  private samples = 0;
  /** Chunk-length ring, oldest first from `lengthsHead`. */
  private lengths = new Int32Array(0);
  private lengthsHead = 0;
  private chunks = 0;
  /** Samples dropped from the front because the buffer was full. */
  droppedSamples = 0;

  /**
   * @param rateHz sample rate of the chunks.
   * @param capacityMs audio kept, ms.
   */
  constructor(private readonly rateHz: number, private capacityMs: number) {}

  /** Appends a copy of `pcm`, dropping the oldest whole chunks beyond capacity (at least one chunk stays). */
  push(pcm: Int16Array): void {
    if (pcm.length === 0) return;
    const cap = (this.capacityMs * this.rateHz) / 1000;
    while (this.chunks > 0 && this.samples + pcm.length - this.lengths[this.lengthsHead] >= cap) {
      const dropped = this.lengths[this.lengthsHead];
      this.lengthsHead = (this.lengthsHead + 1) % this.lengths.length;
      this.chunks--;
      this.head = (this.head + dropped) % this.ring.length;
      this.samples -= dropped;
      this.droppedSamples += dropped;
    }
    // What the capacity holds at most: `cap` plus the chunk that crosses it.
    const fits = Math.max(MIN_RING_SAMPLES, Math.ceil(cap) + pcm.length);
    const needed = this.samples + pcm.length;
    // Grows to fit; after an outage's long capacity, gives the memory back.
    if (needed > this.ring.length || this.ring.length > 4 * fits) this.resize(Math.max(needed, fits));
    if (this.chunks === this.lengths.length) this.growLengths();
    const size = this.ring.length;
    const at = (this.head + this.samples) % size;
    const first = Math.min(pcm.length, size - at);
    this.ring.set(first === pcm.length ? pcm : pcm.subarray(0, first), at);
    if (first < pcm.length) this.ring.set(pcm.subarray(first), 0);
    this.samples += pcm.length;
    this.lengths[(this.lengthsHead + this.chunks) % this.lengths.length] = pcm.length;
    this.chunks++;
  }

  /** Buffered audio, ms. */
  get durationMs(): number {
    return (this.samples * 1000) / this.rateHz;
  }

  /** Changes the capacity (grows during an outage, shrinks back after); applies from the next push. */
  setCapacityMs(ms: number): void {
    this.capacityMs = ms;
  }

  /** Copies of the buffered chunks, oldest first, as they were pushed. */
  snapshot(): Int16Array[] {
    const out: Int16Array[] = [];
    let at = this.head;
    for (let k = 0; k < this.chunks; k++) {
      const n = this.lengths[(this.lengthsHead + k) % this.lengths.length];
      out.push(this.read(at, n));
      at = (at + n) % this.ring.length;
    }
    return out;
  }

  /** Empties the buffer (the rings are kept for reuse). */
  clear(): void {
    this.head = 0;
    this.samples = 0;
    this.lengthsHead = 0;
    this.chunks = 0;
  }

  /** `n` samples from ring index `at`, copied out. */
  private read(at: number, n: number): Int16Array {
    const out = new Int16Array(n);
    const first = Math.min(n, this.ring.length - at);
    out.set(this.ring.subarray(at, at + first));
    if (first < n) out.set(this.ring.subarray(0, n - first), first);
    return out;
  }

  /** Moves the samples into a ring of `size` samples (at least what they take). */
  private resize(size: number): void {
    if (size === this.ring.length) return;
    const next = new Int16Array(size);
    next.set(this.read(this.head, this.samples));
    this.ring = next;
    this.head = 0;
  }

  private growLengths(): void {
    const next = new Int32Array(Math.max(64, this.lengths.length * 2));
    for (let k = 0; k < this.chunks; k++) next[k] = this.lengths[(this.lengthsHead + k) % this.lengths.length];
    this.lengths = next;
    this.lengthsHead = 0;
  }
}
