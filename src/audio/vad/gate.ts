/**
 * Energy onset gate in front of a neural VAD: decides per window whether the model needs to run.
 * Speech starts as a rise in level over the line's floor (silence, hum, a steady tone, line noise);
 * a window that is no louder than that floor, or is near-silent, cannot start speech, so the model
 * is skipped and the window counts as non-speech. This is the usual two-stage detector (a cheap
 * level test, then the classifier), here because Silero's cost on a busy server is mostly a fixed
 * per-inference cost (`silero.ts`), and a caller who is listening to the agent is quiet or steady
 * most of the time.
 *
 * The floor is a minimum tracker: it follows the level down at once and up at `floorRiseDbPerS`,
 * so a steady sound becomes the floor within a few seconds, while the dips between syllables keep
 * it low under speech. The gate opens when a window is `openAboveFloorDb` over the floor (and over
 * `silenceDbfs`), and stays open `holdMs` after the last such window, so the model sees whole
 * syllables and the silence that ends them. It is open for the first `holdMs` of a stream, before
 * it knows the floor.
 *
 * Cost of a miss: speech no more than `openAboveFloorDb` over a steady noise never wakes the local
 * VAD; barge-in then comes from the model's own speech detection, as with `BARGE_IN_VAD=false`.
 */
import { dbfs } from '../level.js';

/** Settings of `EnergyGate` (all optional). */
export interface EnergyGateOptions {
  /** Level over the floor that opens the gate, dB (default 6). */
  openAboveFloorDb?: number;
  /** Windows quieter than this never open it, dBFS (default −55; phone speech sits at −35 to −15). */
  silenceDbfs?: number;
  /** Fastest rise of the floor, dB per second (default 10: a steady sound is the floor within seconds). */
  floorRiseDbPerS?: number;
  /** How long the gate stays open after the last loud-enough window, ms (default 320). */
  holdMs?: number;
}

/** Default `EnergyGateOptions`. */
export const ENERGY_GATE_DEFAULTS: Required<EnergyGateOptions> = { openAboveFloorDb: 6, silenceDbfs: -55, floorRiseDbPerS: 10, holdMs: 320 };

/** One stream's gate. Pure: no clock, no I/O. */
export class EnergyGate {
  private readonly o: Required<EnergyGateOptions>;
  private floorDb: number | undefined;
  private holdLeftMs: number;
  /** Windows seen and windows it let through (for stats and tests). */
  windows = 0;
  opened = 0;

  /** @param options thresholds (see `EnergyGateOptions`). */
  constructor(options: EnergyGateOptions = {}) {
    this.o = { ...ENERGY_GATE_DEFAULTS, ...options };
    this.holdLeftMs = this.o.holdMs;
  }

  /**
   * Takes the next window (PCM16, any rate) lasting `windowMs`.
   * @returns true when the model should run on it.
   */
  update(window: Int16Array, windowMs: number): boolean {
    const levelDb = Math.max(dbfs(window), -120);
    const floor = this.floorDb ?? levelDb;
    if (levelDb > this.o.silenceDbfs && levelDb > floor + this.o.openAboveFloorDb) this.holdLeftMs = this.o.holdMs;
    this.floorDb = levelDb < floor ? levelDb : Math.min(levelDb, floor + (this.o.floorRiseDbPerS * windowMs) / 1000);
    this.windows++;
    const open = this.holdLeftMs > 0;
    this.holdLeftMs = Math.max(0, this.holdLeftMs - windowMs);
    if (open) this.opened++;
    return open;
  }

  /** The floor so far, dBFS (undefined before the first window). */
  get floor(): number | undefined {
    return this.floorDb;
  }
}
