/**
 * What the emulator knows of each Nova Sonic model: its voices, whether it takes Nova 2 fields,
 * its idle-input timeout, and the end-of-turn pause of each endpointing sensitivity. Sources:
 * - voices: the `voiceId` enums of AWS's input-event references — Nova Sonic v1 ("Handling input
 *   events with the bidirectional API", docs.aws.amazon.com/nova/latest/userguide/input-events.html)
 *   and Nova 2 Sonic (nova2-userguide/sonic-input-events.html); protocols.md §1.10;
 * - end-of-turn pauses: Nova 2 "Turn-taking controllability" (nova2-userguide/sonic-turn-taking.html):
 *   HIGH 1.5 s, MEDIUM 1.75 s, LOW 2 s; MEDIUM is the "recommended default" (sonic-input-events);
 * - idle-input timeouts: not documented by AWS; observed by third parties (protocols.md §1.11):
 *   Nova 2 ends a stream after ~295 s without interactive content (silent audio does not count),
 *   Nova Sonic v1 after 175 s of a silent user, both with `InternalErrorCode=531`.
 */

/** Nova 2 end-of-turn sensitivity. */
export type EndpointingSensitivity = 'HIGH' | 'MEDIUM' | 'LOW';

/** Pause after the user's speech before Nova takes its turn, ms (Nova 2 "Turn-taking controllability"). */
export const ENDPOINTING_PAUSE_MS: Readonly<Record<EndpointingSensitivity, number>> = { HIGH: 1500, MEDIUM: 1750, LOW: 2000 };

/**
 * Sensitivity used when the session names none: MEDIUM, the documented recommended default. Nova
 * Sonic v1 has no setting at all; its pause is not documented, and the emulator uses the same.
 */
export const DEFAULT_ENDPOINTING: EndpointingSensitivity = 'MEDIUM';

/** One model's facts. */
export interface NovaModelProfile {
  id: string;
  /** Nova 2 Sonic: turn detection, interactive text, `SYSTEM_SPEECH`. */
  nova2: boolean;
  /** Accepted `audioOutputConfiguration.voiceId` values. */
  voices: ReadonlySet<string>;
  /** Longest gap without interactive content (speech, typed text, a tool result), ms. */
  idleTimeoutMs: number;
}

const V1_VOICES = ['matthew', 'tiffany', 'amy', 'lupe', 'carlos', 'ambre', 'florian', 'greta', 'lennart', 'beatrice', 'lorenzo'];
const NOVA2_VOICES = ['matthew', 'tiffany', 'amy', 'olivia', 'lupe', 'carlos', 'ambre', 'florian', 'lennart', 'beatrice', 'lorenzo', 'tina', 'carolina', 'leo', 'kiara', 'arjun'];

/** The models the emulator serves, by model id. */
export const NOVA_MODELS: ReadonlyMap<string, NovaModelProfile> = new Map(
  [
    { id: 'amazon.nova-sonic-v1:0', nova2: false, voices: new Set(V1_VOICES), idleTimeoutMs: 175_000 },
    { id: 'amazon.nova-2-sonic-v1:0', nova2: true, voices: new Set(NOVA2_VOICES), idleTimeoutMs: 295_000 },
  ].map((m) => [m.id, m]),
);

/** Model ids the emulator serves. */
export const NOVA_MODEL_IDS: readonly string[] = [...NOVA_MODELS.keys()];
