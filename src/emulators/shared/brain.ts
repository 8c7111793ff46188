/**
 * What every wire emulator (Bedrock Nova Sonic, OpenAI Realtime) asks of its "brain": the
 * voicebridge `SpeechModel` that listens and talks behind one emulated session. Moved here from
 * the Nova emulator's conversation module so both emulators share the same brains.
 */
import type { SpeechModel } from '../../models/model.js';

/** Lets a brain's responder call a tool the client declared. */
export interface ToolCaller {
  /** Names of the tools the client declared. */
  declared(): readonly string[];
  /**
   * Asks the client to run tool `name` with `args` and resolves with its result content (a
   * string, usually JSON).
   * @throws Error when the client does not answer in time or `signal` aborts.
   */
  call(name: string, args: unknown, signal: AbortSignal): Promise<string>;
}

/** How the emulated model takes turns on one session. */
export interface TurnTaking {
  /** Silence after the user's speech that ends their turn, ms (the endpointing pause). */
  endpointSilenceMs: number;
}

/** Builds the brain for one emulated session. */
export interface BrainFactory {
  readonly name: string;
  /**
   * A brain for one session whose output is `outputRateHz`; a brain may speak at that rate itself
   * (no resampling, exact chunk durations) or at any other (the emulator resamples). A brain
   * that listens ends the user's turn after `turn.endpointSilenceMs` of silence.
   */
  create(tools: ToolCaller, outputRateHz: number, turn: TurnTaking): SpeechModel;
}
