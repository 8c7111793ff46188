/**
 * Pure parser for Nova Sonic output events (protocols.md §1.5–1.6). It tracks content blocks by
 * `contentId` (their type, role and generation stage) and turns each raw event into one normalized
 * signal. Text blocks carry `additionalModelFields` as a JSON *string*; tool arguments are a JSON
 * string; audio is base64 PCM16 LE.
 */

/** Generation stage of an assistant text block. */
export type GenerationStage = 'SPECULATIVE' | 'FINAL';

/** Where a barge-in signal came from (protocols.md §1.6: all three occur, in any order). */
export type InterruptionSource = 'interruptedText' | 'textContentEnd' | 'audioContentEnd';

/** One normalized output signal. */
export type NovaSignal =
  | { kind: 'completionStart'; completionId: string }
  | { kind: 'userTranscript'; text: string }
  | { kind: 'assistantText'; text: string; stage: GenerationStage; contentId: string }
  | { kind: 'interrupted'; source: InterruptionSource }
  | { kind: 'audioStart'; contentId: string }
  | { kind: 'audio'; contentId: string; pcm: Int16Array }
  | { kind: 'audioEnd'; contentId: string; stopReason: string }
  | { kind: 'textEnd'; contentId: string; role: string; stage: GenerationStage | undefined; stopReason: string }
  /** `arguments` is the parsed JSON, or the raw string when it is not valid JSON (`argumentsError` set). */
  | { kind: 'toolUse'; toolUseId: string; name: string; arguments: unknown; argumentsError?: string }
  | { kind: 'toolEnd'; contentId: string }
  /** Running totals for the session. */
  | { kind: 'usage'; totalInputTokens: number; totalOutputTokens: number }
  | { kind: 'completionEnd'; stopReason: string }
  | { kind: 'ignored'; name: string }
  | { kind: 'malformed'; reason: string };

interface Block {
  type: string;
  role: string;
  stage: GenerationStage | undefined;
}

/** The exact content Nova sends as a barge-in marker inside an ASSISTANT text block. */
export const INTERRUPTED_MARKER = '{ "interrupted" : true }';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Decodes base64 PCM16 LE into a fresh, aligned `Int16Array`. */
export function decodePcm16Base64(content: string): Int16Array {
  const bytes = Buffer.from(content, 'base64');
  const pcm = new Int16Array(bytes.length >> 1);
  new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.length * 2));
  return pcm;
}

/** Reads `generationStage` out of `additionalModelFields` (a JSON string); undefined if absent or bad. */
export function generationStageOf(additionalModelFields: unknown): GenerationStage | undefined {
  if (typeof additionalModelFields !== 'string') return undefined;
  try {
    const v: unknown = JSON.parse(additionalModelFields);
    const stage = isObject(v) ? v.generationStage : undefined;
    return stage === 'SPECULATIVE' || stage === 'FINAL' ? stage : undefined;
  } catch {
    return undefined;
  }
}

/** Stateful parser for one stream's output events. */
export class NovaOutputParser {
  private readonly blocks = new Map<string, Block>();

  /** Parses one decoded output event (`{ event: { name: body } }`). Never throws. */
  parse(message: unknown): NovaSignal {
    if (!isObject(message) || !isObject(message.event)) return { kind: 'malformed', reason: 'not an {"event":{…}} object' };
    const names = Object.keys(message.event);
    if (names.length !== 1) return { kind: 'malformed', reason: `event has ${names.length} keys` };
    const name = names[0];
    const body = message.event[name];
    if (!isObject(body)) return { kind: 'malformed', reason: `${name} body is not an object` };
    switch (name) {
      case 'completionStart':
        return { kind: 'completionStart', completionId: str(body.completionId) };
      case 'contentStart':
        return this.onContentStart(body);
      case 'textOutput':
        return this.onTextOutput(body);
      case 'audioOutput': {
        const contentId = str(body.contentId);
        if (typeof body.content !== 'string') return { kind: 'malformed', reason: 'audioOutput without content' };
        return { kind: 'audio', contentId, pcm: decodePcm16Base64(body.content) };
      }
      case 'toolUse':
        return this.onToolUse(body);
      case 'contentEnd':
        return this.onContentEnd(body);
      case 'usageEvent':
        return { kind: 'usage', totalInputTokens: Number(body.totalInputTokens) || 0, totalOutputTokens: Number(body.totalOutputTokens) || 0 };
      case 'completionEnd':
        return { kind: 'completionEnd', stopReason: str(body.stopReason) };
      default:
        return { kind: 'ignored', name };
    }
  }

  private onContentStart(body: Record<string, unknown>): NovaSignal {
    const contentId = str(body.contentId);
    const block: Block = { type: str(body.type), role: str(body.role), stage: generationStageOf(body.additionalModelFields) };
    this.blocks.set(contentId, block);
    if (block.type === 'AUDIO') return { kind: 'audioStart', contentId };
    return { kind: 'ignored', name: `contentStart:${block.type}` };
  }

  private onTextOutput(body: Record<string, unknown>): NovaSignal {
    const contentId = str(body.contentId);
    const text = str(body.content);
    const block = this.blocks.get(contentId);
    const role = block?.role || str(body.role);
    if (role === 'ASSISTANT' && text.replace(/\s+/g, '') === '{"interrupted":true}') return { kind: 'interrupted', source: 'interruptedText' };
    if (role === 'USER') return { kind: 'userTranscript', text };
    if (role === 'ASSISTANT') return { kind: 'assistantText', text, stage: block?.stage ?? 'FINAL', contentId };
    return { kind: 'ignored', name: `textOutput:${role}` };
  }

  private onToolUse(body: Record<string, unknown>): NovaSignal {
    const raw = body.content;
    const toolUseId = str(body.toolUseId);
    const name = str(body.toolName);
    if (typeof raw !== 'string' || raw.trim() === '') return { kind: 'toolUse', toolUseId, name, arguments: {} };
    try {
      return { kind: 'toolUse', toolUseId, name, arguments: JSON.parse(raw) };
    } catch (err) {
      return { kind: 'toolUse', toolUseId, name, arguments: raw, argumentsError: err instanceof Error ? err.message : String(err) };
    }
  }

  private onContentEnd(body: Record<string, unknown>): NovaSignal {
    const contentId = str(body.contentId);
    const block = this.blocks.get(contentId);
    this.blocks.delete(contentId);
    const type = block?.type || str(body.type);
    const stopReason = str(body.stopReason);
    if (stopReason === 'INTERRUPTED' && type === 'AUDIO') return { kind: 'interrupted', source: 'audioContentEnd' };
    if (stopReason === 'INTERRUPTED' && type === 'TEXT' && block?.role !== 'USER') return { kind: 'interrupted', source: 'textContentEnd' };
    if (type === 'AUDIO') return { kind: 'audioEnd', contentId, stopReason };
    if (type === 'TOOL') return { kind: 'toolEnd', contentId };
    return { kind: 'textEnd', contentId, role: block?.role ?? '', stage: block?.stage, stopReason };
  }
}
