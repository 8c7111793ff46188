/**
 * Pure validation of the Nova Sonic input event sequence, as the emulator enforces it
 * (protocols.md §1.3–1.4, §1.8): event order (sessionStart → promptStart → content blocks →
 * promptEnd → sessionEnd), field shapes, the voices and media types of the model's input-event
 * reference, history before audio, the 1 KB / 40 KB history limits, tool results only for issued
 * tool uses, and Nova 2-only fields. Each accepted event becomes an action for the emulated model;
 * a rejected one yields the `ValidationException` message.
 *
 * What it deliberately lets through, as Bedrock does or as the least surprising choice where
 * Bedrock's behaviour is not known (README, "What the emulator reproduces"):
 * - the history shape of AWS's resume-conversation sample (aws-samples/amazon-nova-samples,
 *   `amazon-nova-2-sonic/repeatable-patterns/resume-conversation/src/client.ts`): a TEXT
 *   `contentStart` without `role`, the role on `textInput` instead;
 * - an `audioInput` of odd length: the audio is a byte stream, the odd byte joins the next chunk;
 * - `sessionEnd` with the prompt (or its audio) still open: the session ends as if closed in order.
 */
import type { EndpointingSensitivity, NovaModelProfile } from './models.js';

/** What an accepted event means to the emulated model. */
export type InputAction =
  | { kind: 'sessionStart'; endpointing: EndpointingSensitivity | undefined }
  | { kind: 'promptStart'; promptName: string; outputRateHz: number; voiceId: string; tools: string[] }
  | { kind: 'system'; text: string }
  | { kind: 'history'; role: 'USER' | 'ASSISTANT'; text: string }
  | { kind: 'audioStart'; inputRateHz: number }
  | { kind: 'audio'; pcm: Int16Array }
  | { kind: 'userText'; text: string }
  | { kind: 'toolResult'; toolUseId: string; content: string }
  | { kind: 'audioEnd' }
  | { kind: 'promptEnd' }
  | { kind: 'sessionEnd' }
  | { kind: 'none' };

/** Result of one event. */
export type ValidationResult = { ok: true; action: InputAction } | { ok: false; message: string };

interface OpenContent {
  type: 'TEXT' | 'AUDIO' | 'TOOL';
  role: string;
  interactive: boolean;
  text: string[];
  toolUseId?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const RATES = new Set([8000, 16000, 24000]);
const HISTORY_INPUT_MAX_BYTES = 1024;
const CONVERSATION_ROLES = ['SYSTEM', 'USER', 'ASSISTANT', 'SYSTEM_SPEECH'];

/** A `mediaType` that must have `expected` when present; the message when it does not. */
function mediaTypeError(config: unknown, where: string, expected: string): string | undefined {
  if (config === undefined) return undefined;
  if (!isObj(config) || (config.mediaType !== undefined && config.mediaType !== expected)) return `${where}.mediaType must be ${expected}`;
  return undefined;
}
const HISTORY_TOTAL_MAX_BYTES = 40 * 1024;

/** Validates one stream's input events in order. */
export class InputValidator {
  private stage: 'new' | 'session' | 'prompt' | 'promptEnded' | 'ended' = 'new';
  private promptName = '';
  private readonly open = new Map<string, OpenContent>();
  private readonly usedContentNames = new Set<string>();
  private audioContent: string | undefined;
  private audioStarted = false;
  private historyBytes = 0;
  private historySeen = false;
  private readonly issuedToolUses = new Set<string>();
  /** Odd trailing byte of the last `audioInput`, joined to the next. */
  private audioCarry: number | undefined;
  private readonly nova2: boolean;

  /** @param model the model of the stream (voices, Nova 2 fields). */
  constructor(private readonly model: NovaModelProfile) {
    this.nova2 = model.nova2;
  }

  /** The emulated model issued a tool use; its result becomes acceptable. */
  issueToolUse(toolUseId: string): void {
    this.issuedToolUses.add(toolUseId);
  }

  /** Validates a decoded event JSON text. */
  accept(json: string): ValidationResult {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch {
      return { ok: false, message: 'Malformed input request: event is not valid JSON' };
    }
    if (!isObj(parsed) || !isObj(parsed.event) || Object.keys(parsed.event).length !== 1) return { ok: false, message: 'Malformed input request: expected {"event":{"<name>":{…}}}' };
    const name = Object.keys(parsed.event)[0];
    const body = parsed.event[name];
    if (!isObj(body)) return { ok: false, message: `Malformed input request: ${name} must be an object` };
    if (this.stage === 'ended') return { ok: false, message: `Unexpected ${name} after sessionEnd` };
    if (name === 'sessionStart') return this.sessionStart(body);
    if (this.stage === 'new') return { ok: false, message: `Expected sessionStart as the first event, got ${name}` };
    if (name === 'promptStart') return this.promptStart(body);
    if (name === 'sessionEnd') {
      // With the prompt still open too: Bedrock's answer is not documented; the session ends as
      // if its contents and prompt had been closed first.
      this.stage = 'ended';
      this.open.clear();
      return { ok: true, action: { kind: 'sessionEnd' } };
    }
    if (this.stage !== 'prompt') return { ok: false, message: `Unexpected ${name}: no open prompt` };
    if (body.promptName !== this.promptName) return { ok: false, message: `${name}.promptName does not match the open prompt` };
    switch (name) {
      case 'contentStart':
        return this.contentStart(body);
      case 'textInput':
        return this.textInput(body);
      case 'audioInput':
        return this.audioInput(body);
      case 'toolResult':
        return this.toolResult(body);
      case 'contentEnd':
        return this.contentEnd(body);
      case 'promptEnd':
        if (this.open.size) return { ok: false, message: `promptEnd with ${this.open.size} content block(s) still open` };
        this.stage = 'promptEnded';
        return { ok: true, action: { kind: 'promptEnd' } };
      default:
        return { ok: false, message: `Unknown input event ${name}` };
    }
  }

  private sessionStart(body: Record<string, unknown>): ValidationResult {
    if (this.stage !== 'new') return { ok: false, message: 'sessionStart may be sent only once' };
    const inf = body.inferenceConfiguration;
    if (!isObj(inf)) return { ok: false, message: 'sessionStart.inferenceConfiguration is required' };
    for (const k of ['topP', 'temperature'] as const) {
      const v = inf[k];
      if (v !== undefined && (typeof v !== 'number' || v < 0 || v > 1)) return { ok: false, message: `inferenceConfiguration.${k} must be between 0 and 1` };
    }
    // The user guides give maxTokens as an int, "maximum number of tokens to generate", and state
    // no upper bound (protocols.md §1.4): only a positive integer is required.
    if (inf.maxTokens !== undefined && (!Number.isInteger(inf.maxTokens) || (inf.maxTokens as number) < 1)) return { ok: false, message: 'inferenceConfiguration.maxTokens must be a positive integer' };
    let endpointing: EndpointingSensitivity | undefined;
    if (body.turnDetectionConfiguration !== undefined) {
      if (!this.nova2) return { ok: false, message: 'turnDetectionConfiguration is not supported by this model' };
      const td = body.turnDetectionConfiguration;
      const value = isObj(td) ? String(td.endpointingSensitivity) : '';
      if (value !== 'HIGH' && value !== 'MEDIUM' && value !== 'LOW') return { ok: false, message: 'endpointingSensitivity must be HIGH, MEDIUM or LOW' };
      endpointing = value;
    }
    this.stage = 'session';
    return { ok: true, action: { kind: 'sessionStart', endpointing } };
  }

  private promptStart(body: Record<string, unknown>): ValidationResult {
    if (this.stage !== 'session') return { ok: false, message: 'promptStart must follow sessionStart, once' };
    if (typeof body.promptName !== 'string' || !body.promptName) return { ok: false, message: 'promptStart.promptName is required' };
    const audio = body.audioOutputConfiguration;
    if (!isObj(audio) || !RATES.has(audio.sampleRateHertz as number)) return { ok: false, message: 'audioOutputConfiguration.sampleRateHertz must be 8000, 16000 or 24000' };
    if (audio.mediaType !== 'audio/lpcm' || audio.encoding !== 'base64' || audio.sampleSizeBits !== 16 || audio.channelCount !== 1) return { ok: false, message: 'audioOutputConfiguration must be audio/lpcm, base64, 16-bit, mono' };
    if (audio.audioType !== undefined && audio.audioType !== 'SPEECH') return { ok: false, message: 'audioOutputConfiguration.audioType must be SPEECH' };
    if (typeof audio.voiceId !== 'string' || !audio.voiceId) return { ok: false, message: 'audioOutputConfiguration.voiceId is required' };
    if (!this.model.voices.has(audio.voiceId)) return { ok: false, message: `audioOutputConfiguration.voiceId ${audio.voiceId} is not a voice of ${this.model.id} (${[...this.model.voices].join(', ')})` };
    const media = mediaTypeError(body.textOutputConfiguration, 'textOutputConfiguration', 'text/plain') ?? mediaTypeError(body.toolUseOutputConfiguration, 'toolUseOutputConfiguration', 'application/json');
    if (media) return { ok: false, message: media };
    const tools: string[] = [];
    if (body.toolConfiguration !== undefined) {
      const tc = body.toolConfiguration;
      if (!isObj(tc) || !Array.isArray(tc.tools)) return { ok: false, message: 'toolConfiguration.tools must be an array' };
      for (const t of tc.tools) {
        const spec = isObj(t) ? t.toolSpec : undefined;
        if (!isObj(spec) || typeof spec.name !== 'string' || typeof spec.description !== 'string') return { ok: false, message: 'each tool needs toolSpec.name and toolSpec.description' };
        const schema = isObj(spec.inputSchema) ? spec.inputSchema.json : undefined;
        try {
          if (typeof schema !== 'string' || !isObj(JSON.parse(schema))) throw new Error();
        } catch {
          return { ok: false, message: `toolSpec ${spec.name}: inputSchema.json must be a JSON string of an object schema` };
        }
        tools.push(spec.name);
      }
    }
    this.promptName = body.promptName;
    this.stage = 'prompt';
    return { ok: true, action: { kind: 'promptStart', promptName: body.promptName, outputRateHz: audio.sampleRateHertz as number, voiceId: audio.voiceId, tools } };
  }

  private contentStart(body: Record<string, unknown>): ValidationResult {
    const name = body.contentName;
    if (typeof name !== 'string' || !name) return { ok: false, message: 'contentStart.contentName is required' };
    if (this.usedContentNames.has(name)) return { ok: false, message: `contentName ${name} was already used` };
    const type = body.type;
    const role = String(body.role ?? '');
    const interactive = body.interactive === true;
    if (type === 'AUDIO') {
      if (this.audioContent) return { ok: false, message: 'an audio content block is already open' };
      const cfg = body.audioInputConfiguration;
      if (!isObj(cfg) || !RATES.has(cfg.sampleRateHertz as number) || cfg.sampleSizeBits !== 16 || cfg.channelCount !== 1 || cfg.encoding !== 'base64') return { ok: false, message: 'audioInputConfiguration must be base64 16-bit mono at 8000, 16000 or 24000 Hz' };
      if (cfg.mediaType !== 'audio/lpcm') return { ok: false, message: 'audioInputConfiguration.mediaType must be audio/lpcm' };
      if (cfg.audioType !== undefined && cfg.audioType !== 'SPEECH') return { ok: false, message: 'audioInputConfiguration.audioType must be SPEECH' };
      if (role !== 'USER') return { ok: false, message: 'audio content must have role USER' };
      this.audioContent = name;
      this.audioStarted = true;
      this.audioCarry = undefined;
      this.usedContentNames.add(name);
      this.open.set(name, { type: 'AUDIO', role, interactive, text: [] });
      return { ok: true, action: { kind: 'audioStart', inputRateHz: cfg.sampleRateHertz as number } };
    }
    if (type === 'TEXT') {
      const media = mediaTypeError(body.textInputConfiguration, 'textInputConfiguration', 'text/plain');
      if (media) return { ok: false, message: media };
      // No role: AWS's resume-conversation sample puts it on textInput instead (checked there).
      if (role && !CONVERSATION_ROLES.includes(role)) return { ok: false, message: `text content role ${role} is not valid` };
      if (!interactive && this.audioStarted && role !== 'SYSTEM') return { ok: false, message: 'Chat history should be sent completely before streaming audio.' };
      const problem = this.checkTextRole(role, interactive);
      if (problem) return { ok: false, message: problem };
    } else if (type === 'TOOL') {
      const cfg = body.toolResultInputConfiguration;
      const toolUseId = isObj(cfg) ? cfg.toolUseId : undefined;
      if (typeof toolUseId !== 'string' || !this.issuedToolUses.has(toolUseId)) return { ok: false, message: `Tool Response parsing error: unknown toolUseId ${String(toolUseId)}` };
      const media = isObj(cfg) ? mediaTypeError(cfg.textInputConfiguration, 'toolResultInputConfiguration.textInputConfiguration', 'text/plain') : undefined;
      if (media) return { ok: false, message: media };
      this.usedContentNames.add(name);
      this.open.set(name, { type: 'TOOL', role, interactive, text: [], toolUseId });
      return { ok: true, action: { kind: 'none' } };
    } else return { ok: false, message: `content type ${String(type)} is not valid` };
    this.usedContentNames.add(name);
    this.open.set(name, { type: 'TEXT', role, interactive, text: [] });
    return { ok: true, action: { kind: 'none' } };
  }

  /** Role rules of a TEXT block once its role is known; the message when one is broken. */
  private checkTextRole(role: string, interactive: boolean): string | undefined {
    if (role === 'SYSTEM_SPEECH' && !this.nova2) return 'role SYSTEM_SPEECH is not supported by this model';
    if (interactive && role === 'USER' && !this.nova2) return 'interactive text input is not supported by this model';
    if (!interactive && (role === 'USER' || role === 'ASSISTANT')) {
      if (!this.historySeen && role === 'ASSISTANT') return 'The first message of the chat history must be from the USER';
      this.historySeen = true;
    }
    return undefined;
  }

  private textInput(body: Record<string, unknown>): ValidationResult {
    const c = this.open.get(String(body.contentName));
    if (!c || c.type !== 'TEXT') return { ok: false, message: 'textInput outside an open TEXT content block' };
    if (typeof body.content !== 'string') return { ok: false, message: 'textInput.content must be a string' };
    if (!c.role && body.role !== undefined) {
      const role = String(body.role);
      if (!CONVERSATION_ROLES.includes(role)) return { ok: false, message: `text content role ${role} is not valid` };
      const problem = this.checkTextRole(role, c.interactive);
      if (problem) return { ok: false, message: problem };
      c.role = role;
    }
    const bytes = Buffer.byteLength(body.content);
    if (!c.interactive && c.role !== 'SYSTEM') {
      if (bytes > HISTORY_INPUT_MAX_BYTES) return { ok: false, message: `history textInput is ${bytes} bytes; the limit is ${HISTORY_INPUT_MAX_BYTES}` };
      this.historyBytes += bytes;
      if (this.historyBytes > HISTORY_TOTAL_MAX_BYTES) return { ok: false, message: `chat history exceeds ${HISTORY_TOTAL_MAX_BYTES} bytes` };
    }
    c.text.push(body.content);
    return { ok: true, action: { kind: 'none' } };
  }

  private audioInput(body: Record<string, unknown>): ValidationResult {
    for (const c of this.open.values()) if (c.type === 'TEXT' && !c.interactive && c.role !== 'SYSTEM') return { ok: false, message: 'Chat history should be sent completely before streaming audio.' };
    if (!this.audioContent || body.contentName !== this.audioContent) return { ok: false, message: 'audioInput outside the open AUDIO content block' };
    if (typeof body.content !== 'string') return { ok: false, message: 'audioInput.content must be base64 text' };
    const decoded = Buffer.from(body.content, 'base64');
    const bytes = this.audioCarry === undefined ? decoded : Buffer.concat([Buffer.of(this.audioCarry), decoded]);
    this.audioCarry = bytes.length % 2 ? bytes[bytes.length - 1] : undefined;
    const pcm = new Int16Array(bytes.length >> 1);
    new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.length * 2));
    return { ok: true, action: { kind: 'audio', pcm } };
  }

  private toolResult(body: Record<string, unknown>): ValidationResult {
    const c = this.open.get(String(body.contentName));
    if (!c || c.type !== 'TOOL') return { ok: false, message: 'toolResult outside an open TOOL content block' };
    if (typeof body.content !== 'string') return { ok: false, message: 'Tool Response parsing error: content must be a string' };
    this.issuedToolUses.delete(c.toolUseId!);
    return { ok: true, action: { kind: 'toolResult', toolUseId: c.toolUseId!, content: body.content } };
  }

  private contentEnd(body: Record<string, unknown>): ValidationResult {
    const name = String(body.contentName);
    const c = this.open.get(name);
    if (!c) return { ok: false, message: `contentEnd for ${name}, which is not open` };
    this.open.delete(name);
    if (c.type === 'AUDIO') {
      this.audioContent = undefined;
      this.audioCarry = undefined;
      return { ok: true, action: { kind: 'audioEnd' } };
    }
    if (c.type === 'TEXT') {
      if (!c.role) return { ok: false, message: `text content ${name} has no role (on contentStart or textInput)` };
      const text = c.text.join('');
      if (c.role === 'SYSTEM') return { ok: true, action: { kind: 'system', text } };
      if (c.interactive && c.role === 'USER') return { ok: true, action: { kind: 'userText', text } };
      if (c.role === 'USER' || c.role === 'ASSISTANT') return { ok: true, action: { kind: 'history', role: c.role, text } };
    }
    return { ok: true, action: { kind: 'none' } };
  }
}
