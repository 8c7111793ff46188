/**
 * Pure builders for Nova Sonic / Nova 2 Sonic input events (Bedrock
 * `InvokeModelWithBidirectionalStream`). Each returns the JSON object `{ event: { <name>: … } }`.
 * Shapes: protocols.md §1.4 (AWS "Input events" references for Nova 1 and Nova 2).
 */
import { base64Bytes, writeBase64 } from '../../core/base64.js';

/** Sample rates Nova accepts for input and produces for output, Hz (protocols.md §1.9). */
export type NovaRateHz = 8000 | 16000 | 24000;

/** Nova 2 end-of-turn sensitivity (pause ≈ 1.5 s HIGH, 1.75 s MEDIUM, 2.0 s LOW; protocols.md §1.4). */
export type EndpointingSensitivity = 'HIGH' | 'MEDIUM' | 'LOW';

/** A Nova input event: `{ event: { name: body } }`. */
export interface NovaInputEvent {
  event: Record<string, unknown>;
}

/** Inference settings for `sessionStart` (0–1 for topP and temperature). */
export interface InferenceSettings {
  maxTokens: number;
  topP: number;
  temperature: number;
}

/** A tool as Nova declares it in `promptStart.toolConfiguration`. */
export interface NovaToolSpec {
  name: string;
  description: string;
  /** JSON Schema object of the arguments; sent as a JSON string (the form every AWS sample uses). */
  inputSchema: Record<string, unknown>;
}

/** `sessionStart`; `endpointing` only on Nova 2 (`turnDetectionConfiguration`). */
export function sessionStart(inference: InferenceSettings, endpointing?: EndpointingSensitivity): NovaInputEvent {
  return {
    event: {
      sessionStart: {
        inferenceConfiguration: { maxTokens: inference.maxTokens, topP: inference.topP, temperature: inference.temperature },
        ...(endpointing ? { turnDetectionConfiguration: { endpointingSensitivity: endpointing } } : {}),
      },
    },
  };
}

/** `promptStart` with the audio output format, voice and tools (tools omitted when empty). */
export function promptStart(promptName: string, output: { rateHz: NovaRateHz; voiceId: string }, tools: readonly NovaToolSpec[]): NovaInputEvent {
  return {
    event: {
      promptStart: {
        promptName,
        textOutputConfiguration: { mediaType: 'text/plain' },
        audioOutputConfiguration: {
          mediaType: 'audio/lpcm',
          sampleRateHertz: output.rateHz,
          sampleSizeBits: 16,
          channelCount: 1,
          voiceId: output.voiceId,
          encoding: 'base64',
          audioType: 'SPEECH',
        },
        ...(tools.length
          ? {
              toolUseOutputConfiguration: { mediaType: 'application/json' },
              toolConfiguration: {
                tools: tools.map((t) => ({ toolSpec: { name: t.name, description: t.description, inputSchema: { json: JSON.stringify(t.inputSchema) } } })),
              },
            }
          : {}),
      },
    },
  };
}

/** Role of a text content block. */
export type TextRole = 'SYSTEM' | 'USER' | 'ASSISTANT';

/** `contentStart` of a TEXT block (system prompt, history, or Nova 2 interactive text). */
export function textContentStart(promptName: string, contentName: string, role: TextRole, interactive: boolean): NovaInputEvent {
  return {
    event: {
      contentStart: { promptName, contentName, type: 'TEXT', interactive, role, textInputConfiguration: { mediaType: 'text/plain' } },
    },
  };
}

/** `textInput`. */
export function textInput(promptName: string, contentName: string, content: string): NovaInputEvent {
  return { event: { textInput: { promptName, contentName, content } } };
}

/** `contentStart` of the user's AUDIO container. */
export function audioContentStart(promptName: string, contentName: string, rateHz: NovaRateHz): NovaInputEvent {
  return {
    event: {
      contentStart: {
        promptName,
        contentName,
        type: 'AUDIO',
        interactive: true,
        role: 'USER',
        audioInputConfiguration: { mediaType: 'audio/lpcm', sampleRateHertz: rateHz, sampleSizeBits: 16, channelCount: 1, audioType: 'SPEECH', encoding: 'base64' },
      },
    },
  };
}

/** `audioInput`: PCM16 little-endian mono, base64. */
export function audioInput(promptName: string, contentName: string, pcm: Int16Array): NovaInputEvent {
  const content = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');
  return { event: { audioInput: { promptName, contentName, content } } };
}

/**
 * An encoder of one audio container's `audioInput` events straight to UTF-8 JSON: the returned
 * function gives, for each PCM16 chunk, byte for byte what
 * `JSON.stringify(audioInput(promptName, contentName, pcm))` gives, written into one array with no
 * base64 string, event object or JSON string per event (the 60 ms audio event is a stream's most
 * frequent one). The JSON around the content is built with `JSON.stringify` once, here.
 * @returns `(pcm) => bytes`, a fresh array per call that the caller may keep.
 */
export function audioInputEncoder(promptName: string, contentName: string): (pcm: Int16Array) => Uint8Array {
  const json = JSON.stringify(audioInput(promptName, contentName, new Int16Array(0)));
  const cut = json.lastIndexOf('""') + 1;
  const head = Buffer.from(json.slice(0, cut));
  const tail = Buffer.from(json.slice(cut));
  return (pcm) => {
    const bytes = new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    const out = Buffer.allocUnsafe(head.length + base64Bytes(bytes.length) + tail.length);
    head.copy(out, 0);
    tail.copy(out, writeBase64(bytes, out, head.length));
    return out;
  };
}

/** `contentStart` of a TOOL result block for `toolUseId`. */
export function toolContentStart(promptName: string, contentName: string, toolUseId: string): NovaInputEvent {
  return {
    event: {
      contentStart: {
        promptName,
        contentName,
        interactive: false,
        type: 'TOOL',
        role: 'TOOL',
        toolResultInputConfiguration: { toolUseId, type: 'TEXT', textInputConfiguration: { mediaType: 'text/plain' } },
      },
    },
  };
}

/** `toolResult`: the content is a string (JSON results are stringified). */
export function toolResult(promptName: string, contentName: string, result: unknown): NovaInputEvent {
  const content = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  return { event: { toolResult: { promptName, contentName, content } } };
}

/** `contentEnd` (input side: only the two names). */
export function contentEnd(promptName: string, contentName: string): NovaInputEvent {
  return { event: { contentEnd: { promptName, contentName } } };
}

/** `promptEnd`. */
export function promptEnd(promptName: string): NovaInputEvent {
  return { event: { promptEnd: { promptName } } };
}

/** `sessionEnd`. */
export function sessionEnd(): NovaInputEvent {
  return { event: { sessionEnd: {} } };
}

/** The three events of one text block; `content` must already be within 1 KB (see `history.ts`). */
export function textBlock(promptName: string, contentName: string, role: TextRole, interactive: boolean, contents: readonly string[]): NovaInputEvent[] {
  return [textContentStart(promptName, contentName, role, interactive), ...contents.map((c) => textInput(promptName, contentName, c)), contentEnd(promptName, contentName)];
}

/** The three events of one tool result block. */
export function toolResultBlock(promptName: string, contentName: string, toolUseId: string, result: unknown): NovaInputEvent[] {
  return [toolContentStart(promptName, contentName, toolUseId), toolResult(promptName, contentName, result), contentEnd(promptName, contentName)];
}

/** Closing sequence (protocols.md §1.3): audio `contentEnd` if audio is open, `promptEnd`, `sessionEnd`. */
export function closingSequence(promptName: string, openAudioContentName: string | undefined): NovaInputEvent[] {
  return [...(openAudioContentName ? [contentEnd(promptName, openAudioContentName)] : []), promptEnd(promptName), sessionEnd()];
}
