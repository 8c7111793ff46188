/**
 * The emulated session's configuration, as the GA wire object (`RealtimeSession` in the `openai`
 * package's `resources/realtime/realtime.ts`; protocols.md §2.2): its defaults, validation of a
 * `session.update` with errors shaped as the real API's (`unknown_parameter`, `invalid_value`,
 * `invalid_type`, `missing_required_parameter`, each with the dotted `param`), and merging.
 * Pure: no I/O.
 */
import { invalidType, invalidValue, missingParameter, RealtimeRequestError, unknownParameter } from './errors.js';

/** A GA audio format: PCM16 24 kHz, G.711 μ-law or A-law (8 kHz). */
export type RealtimeAudioFormat = { type: 'audio/pcm'; rate: 24000 } | { type: 'audio/pcmu' } | { type: 'audio/pcma' };

/** Turn detection as the session reports it (defaults filled in). */
export type RealtimeTurnDetection =
  | { type: 'server_vad'; threshold: number; prefix_padding_ms: number; silence_duration_ms: number; create_response: boolean; interrupt_response: boolean; idle_timeout_ms: number | null }
  | { type: 'semantic_vad'; eagerness: 'low' | 'medium' | 'high' | 'auto'; create_response: boolean; interrupt_response: boolean };

/** A function tool as declared in `session.tools`. */
export interface RealtimeFunctionTool {
  type: 'function';
  name: string;
  description?: string;
  parameters?: unknown;
}

/** The session object of `session.created` / `session.updated` (GA `RealtimeSession`). */
export interface RealtimeSessionState {
  type: 'realtime';
  object: 'realtime.session';
  id: string;
  model: string;
  output_modalities: Array<'audio' | 'text'>;
  instructions: string;
  tools: Array<RealtimeFunctionTool | Record<string, unknown>>;
  tool_choice: unknown;
  max_output_tokens: number | 'inf';
  tracing: unknown;
  truncation: unknown;
  prompt: unknown;
  include: string[] | null;
  /** Seconds since the epoch. */
  expires_at: number;
  audio: {
    input: { format: RealtimeAudioFormat; transcription: Record<string, unknown> | null; noise_reduction: { type: string } | null; turn_detection: RealtimeTurnDetection | null };
    output: { format: RealtimeAudioFormat; voice: string | { id: string }; speed: number };
  };
  [extra: string]: unknown;
}

/** Built-in voices (GA `RealtimeAudioConfigOutput.voice`); `marin` and `cedar` are the recommended ones. */
export const REALTIME_VOICES: readonly string[] = ['alloy', 'ash', 'ballad', 'coral', 'echo', 'sage', 'shimmer', 'verse', 'marin', 'cedar'];

const SESSION_KEYS = ['type', 'audio', 'include', 'instructions', 'max_output_tokens', 'model', 'output_modalities', 'parallel_tool_calls', 'prompt', 'reasoning', 'tool_choice', 'tools', 'tracing', 'truncation'];
const FORMAT_TYPES = ['audio/pcm', 'audio/pcmu', 'audio/pcma'];

/** A new session's configuration: the GA defaults (server VAD 0.5 / 300 ms / 500 ms, PCM 24 kHz both ways, voice `marin`, no transcription). */
export function defaultSession(id: string, model: string, expiresAtS: number): RealtimeSessionState {
  return {
    type: 'realtime',
    object: 'realtime.session',
    id,
    model,
    output_modalities: ['audio'],
    instructions: '',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    truncation: 'auto',
    prompt: null,
    include: null,
    expires_at: expiresAtS,
    audio: {
      input: { format: { type: 'audio/pcm', rate: 24000 }, transcription: null, noise_reduction: null, turn_detection: serverVad({}) },
      output: { format: { type: 'audio/pcm', rate: 24000 }, voice: 'marin', speed: 1 },
    },
  };
}

function serverVad(v: Record<string, unknown>): RealtimeTurnDetection {
  return {
    type: 'server_vad',
    threshold: (v.threshold as number | undefined) ?? 0.5,
    prefix_padding_ms: (v.prefix_padding_ms as number | undefined) ?? 300,
    silence_duration_ms: (v.silence_duration_ms as number | undefined) ?? 500,
    create_response: (v.create_response as boolean | undefined) ?? true,
    interrupt_response: (v.interrupt_response as boolean | undefined) ?? true,
    idle_timeout_ms: (v.idle_timeout_ms as number | null | undefined) ?? null,
  };
}

function object(v: unknown, param: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidType(param, 'an object', v);
  return v as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, param: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw unknownParameter(`${param}.${k}`);
}

function number(v: unknown, param: string, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) throw invalidType(param, integer ? 'an integer' : 'a number', v);
  if (v < min || v > max) throw new RealtimeRequestError(v < min ? 'decimal_below_min_value' : 'decimal_above_max_value', `Invalid '${param}': ${v < min ? `expected a value >= ${min}` : `expected a value <= ${max}`}, but got ${v} instead.`, param);
  return v;
}

function boolean(v: unknown, param: string): boolean {
  if (typeof v !== 'boolean') throw invalidType(param, 'a boolean', v);
  return v;
}

function string(v: unknown, param: string): string {
  if (typeof v !== 'string') throw invalidType(param, 'a string', v);
  return v;
}

/**
 * Checks an audio format object.
 * @throws RealtimeRequestError for another type, or `audio/pcm` at a rate other than 24000.
 */
export function parseAudioFormat(v: unknown, param: string): RealtimeAudioFormat {
  const o = object(v, param);
  if (o.type === undefined) throw missingParameter(`${param}.type`);
  if (!FORMAT_TYPES.includes(o.type as string)) throw invalidValue(`${param}.type`, o.type, FORMAT_TYPES);
  if (o.type === 'audio/pcm') {
    onlyKeys(o, param, ['type', 'rate']);
    if (o.rate !== undefined && o.rate !== 24000) throw invalidValue(`${param}.rate`, o.rate, ['24000']);
    return { type: 'audio/pcm', rate: 24000 };
  }
  onlyKeys(o, param, ['type']);
  return { type: o.type as 'audio/pcmu' | 'audio/pcma' };
}

function parseTurnDetection(v: unknown, param: string): RealtimeTurnDetection | null {
  if (v === null) return null;
  const o = object(v, param);
  if (o.type === 'server_vad') {
    onlyKeys(o, param, ['type', 'threshold', 'prefix_padding_ms', 'silence_duration_ms', 'create_response', 'interrupt_response', 'idle_timeout_ms']);
    if (o.threshold !== undefined) number(o.threshold, `${param}.threshold`, 0, 1);
    if (o.prefix_padding_ms !== undefined) number(o.prefix_padding_ms, `${param}.prefix_padding_ms`, 0, 10_000, true);
    if (o.silence_duration_ms !== undefined) number(o.silence_duration_ms, `${param}.silence_duration_ms`, 0, 10_000, true);
    if (o.idle_timeout_ms !== undefined && o.idle_timeout_ms !== null) number(o.idle_timeout_ms, `${param}.idle_timeout_ms`, 5000, 30_000, true);
  } else if (o.type === 'semantic_vad') {
    onlyKeys(o, param, ['type', 'eagerness', 'create_response', 'interrupt_response']);
    const eagerness = ['low', 'medium', 'high', 'auto'];
    if (o.eagerness !== undefined && !eagerness.includes(o.eagerness as string)) throw invalidValue(`${param}.eagerness`, o.eagerness, eagerness);
  } else if (o.type === undefined) throw missingParameter(`${param}.type`);
  else throw invalidValue(`${param}.type`, o.type, ['server_vad', 'semantic_vad']);
  if (o.create_response !== undefined) boolean(o.create_response, `${param}.create_response`);
  if (o.interrupt_response !== undefined) boolean(o.interrupt_response, `${param}.interrupt_response`);
  if (o.type === 'server_vad') return serverVad(o);
  return { type: 'semantic_vad', eagerness: (o.eagerness as 'low' | 'medium' | 'high' | 'auto' | undefined) ?? 'auto', create_response: (o.create_response as boolean | undefined) ?? true, interrupt_response: (o.interrupt_response as boolean | undefined) ?? true };
}

function parseTools(v: unknown, param: string): RealtimeSessionState['tools'] {
  if (!Array.isArray(v)) throw invalidType(param, 'an array', v);
  return v.map((t, i) => {
    const o = object(t, `${param}[${i}]`);
    if (o.type === 'mcp') return o;
    if (o.type !== 'function') throw invalidValue(`${param}[${i}].type`, o.type, ['function', 'mcp']);
    onlyKeys(o, `${param}[${i}]`, ['type', 'name', 'description', 'parameters']);
    if (o.name === undefined) throw missingParameter(`${param}[${i}].name`);
    const name = string(o.name, `${param}[${i}].name`);
    if (!/^[a-zA-Z0-9_-]{1,64}$/.test(name)) throw invalidValue(`${param}[${i}].name`, name);
    if (o.description !== undefined) string(o.description, `${param}[${i}].description`);
    if (o.parameters !== undefined) object(o.parameters, `${param}[${i}].parameters`);
    return o as unknown as RealtimeFunctionTool;
  });
}

function parseVoice(v: unknown, param: string): string | { id: string } {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    onlyKeys(o, param, ['id']);
    return { id: string(o.id, `${param}.id`) };
  }
  const voice = string(v, param);
  if (!REALTIME_VOICES.includes(voice)) throw invalidValue(param, voice, REALTIME_VOICES);
  return voice;
}

/**
 * Validates a `session.update`'s `session` against the current state and returns the merged
 * state (the input is not changed). `assistantAudioSent`: the voice can no longer change.
 * @throws RealtimeRequestError naming the first offending parameter.
 */
export function applySessionUpdate(current: RealtimeSessionState, update: unknown, assistantAudioSent: boolean): RealtimeSessionState {
  const s = object(update, 'session');
  onlyKeys(s, 'session', SESSION_KEYS);
  if (s.type === undefined) throw missingParameter('session.type');
  if (s.type !== 'realtime') throw invalidValue('session.type', s.type, ['realtime']);
  const next: RealtimeSessionState = structuredClone(current);
  if (s.model !== undefined) next.model = string(s.model, 'session.model');
  if (s.instructions !== undefined) next.instructions = string(s.instructions, 'session.instructions');
  if (s.output_modalities !== undefined) {
    if (!Array.isArray(s.output_modalities)) throw invalidType('session.output_modalities', 'an array', s.output_modalities);
    const m = s.output_modalities as unknown[];
    if (m.length !== 1 || (m[0] !== 'audio' && m[0] !== 'text')) throw invalidValue('session.output_modalities', m, ['["audio"]', '["text"]']);
    next.output_modalities = [m[0]];
  }
  if (s.max_output_tokens !== undefined) next.max_output_tokens = s.max_output_tokens === 'inf' ? 'inf' : number(s.max_output_tokens, 'session.max_output_tokens', 1, 4096, true);
  if (s.tools !== undefined) next.tools = parseTools(s.tools, 'session.tools');
  if (s.tool_choice !== undefined) {
    const choice = s.tool_choice;
    if (typeof choice === 'string' && !['auto', 'none', 'required'].includes(choice)) throw invalidValue('session.tool_choice', choice, ['auto', 'none', 'required']);
    if (typeof choice !== 'string') object(choice, 'session.tool_choice');
    next.tool_choice = choice;
  }
  for (const k of ['tracing', 'truncation', 'prompt', 'reasoning', 'parallel_tool_calls'] as const) if (s[k] !== undefined) next[k] = s[k];
  if (s.include !== undefined) next.include = s.include as string[] | null;
  if (s.audio !== undefined) {
    const audio = object(s.audio, 'session.audio');
    onlyKeys(audio, 'session.audio', ['input', 'output']);
    if (audio.input !== undefined) {
      const input = object(audio.input, 'session.audio.input');
      onlyKeys(input, 'session.audio.input', ['format', 'noise_reduction', 'transcription', 'turn_detection']);
      if (input.format !== undefined) next.audio.input.format = parseAudioFormat(input.format, 'session.audio.input.format');
      if (input.turn_detection !== undefined) next.audio.input.turn_detection = parseTurnDetection(input.turn_detection, 'session.audio.input.turn_detection');
      if (input.transcription !== undefined) {
        if (input.transcription === null) next.audio.input.transcription = null;
        else {
          const t = object(input.transcription, 'session.audio.input.transcription');
          onlyKeys(t, 'session.audio.input.transcription', ['model', 'language', 'prompt', 'languages', 'keywords', 'delay']);
          if (t.model !== undefined) string(t.model, 'session.audio.input.transcription.model');
          next.audio.input.transcription = t;
        }
      }
      if (input.noise_reduction !== undefined) {
        if (input.noise_reduction === null) next.audio.input.noise_reduction = null;
        else {
          const n = object(input.noise_reduction, 'session.audio.input.noise_reduction');
          onlyKeys(n, 'session.audio.input.noise_reduction', ['type']);
          if (n.type !== 'near_field' && n.type !== 'far_field') throw invalidValue('session.audio.input.noise_reduction.type', n.type, ['near_field', 'far_field']);
          next.audio.input.noise_reduction = { type: n.type };
        }
      }
    }
    if (audio.output !== undefined) {
      const output = object(audio.output, 'session.audio.output');
      onlyKeys(output, 'session.audio.output', ['format', 'voice', 'speed']);
      if (output.format !== undefined) next.audio.output.format = parseAudioFormat(output.format, 'session.audio.output.format');
      if (output.speed !== undefined) next.audio.output.speed = number(output.speed, 'session.audio.output.speed', 0.25, 1.5);
      if (output.voice !== undefined) {
        const voice = parseVoice(output.voice, 'session.audio.output.voice');
        if (assistantAudioSent && JSON.stringify(voice) !== JSON.stringify(current.audio.output.voice)) {
          // Wording of the real API's refusal (reported by clients, e.g. livekit/agents issues).
          throw new RealtimeRequestError('cannot_update_voice', "Cannot update a conversation's voice if assistant audio is present.", 'session.audio.output.voice');
        }
        next.audio.output.voice = voice;
      }
    }
  }
  return next;
}

/**
 * The end-of-turn pause the emulated model waits for, ms: `silence_duration_ms` for server VAD;
 * for semantic VAD the emulator's choice by eagerness (high 500, medium/auto 1000, low 1500 — the
 * real model decides from the words, waiting at most 2 / 4 / 8 s).
 */
export function endpointSilenceMs(turn: RealtimeTurnDetection | null): number {
  if (!turn) return 500;
  if (turn.type === 'server_vad') return Math.max(100, turn.silence_duration_ms);
  return { high: 500, medium: 1000, auto: 1000, low: 1500 }[turn.eagerness];
}

/** Sample rate of a format, Hz (PCM 24 kHz; G.711 8 kHz). */
export function formatRateHz(format: RealtimeAudioFormat): number {
  return format.type === 'audio/pcm' ? 24000 : 8000;
}

/** Audio kept before the detected start of speech, ms (`prefix_padding_ms`; 300 for semantic VAD, the server-VAD default). */
export function prefixPaddingMs(session: RealtimeSessionState): number {
  const td = session.audio.input.turn_detection;
  return td?.type === 'server_vad' ? td.prefix_padding_ms : 300;
}
