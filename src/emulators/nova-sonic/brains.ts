/**
 * Brains for the Bedrock emulator: the offline speech pipeline (recognise, respond, synthesise)
 * with tool triggers, and the echo brain. A tool trigger makes the emulated model call a tool the
 * client declared when the user's words match a pattern, then speak the tool's answer. The timed
 * brain answers on a timer (load benchmarks).
 */
import type { HistoryMessage, SpeechModel } from '../../models/model.js';
import { localModel, type LocalModelParts } from '../../models/local/model.js';
import type { Responder } from '../../models/local/responder.js';
import type { BrainFactory, ToolCaller } from './conversation.js';
import { echoBrain } from './echo-brain.js';
import { timedBrain, type TimedBrainOptions } from './timed-brain.js';

/** When the user's words match `pattern`, call `tool` with `arguments`. */
export interface ToolTrigger {
  pattern: RegExp;
  tool: string;
  arguments: Record<string, unknown>;
}

/**
 * Parses `--tool-trigger` values: `words=tool_name` or `words=tool_name:{"json":"args"}`, where
 * `words` is a case-insensitive regular expression.
 * @throws Error for a value without `=` or with invalid JSON arguments.
 */
export function parseToolTrigger(spec: string): ToolTrigger {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`tool trigger "${spec}" is not words=tool_name[:{json}]`);
  const rest = spec.slice(eq + 1);
  const colon = rest.indexOf(':');
  const tool = colon < 0 ? rest : rest.slice(0, colon);
  const args: unknown = colon < 0 ? {} : JSON.parse(rest.slice(colon + 1));
  if (!tool || typeof args !== 'object' || args === null) throw new Error(`tool trigger "${spec}" needs a tool name and object arguments`);
  return { pattern: new RegExp(spec.slice(0, eq), 'i'), tool, arguments: args as Record<string, unknown> };
}

/** A tool result (a JSON string, usually) as a short spoken phrase. */
export function speakableResult(content: string): string {
  let v: unknown = content;
  try {
    v = JSON.parse(content);
  } catch {
    /* plain text */
  }
  let text: string;
  if (typeof v === 'object' && v !== null) {
    text = Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k.replace(/_/g, ' ')} ${typeof x === 'object' ? JSON.stringify(x) : String(x)}`)
      .join(', ');
  } else text = String(v);
  return text.slice(0, 200);
}

class TriggerResponder implements Responder {
  readonly name: string;
  constructor(private readonly inner: Responder, private readonly triggers: readonly ToolTrigger[], private readonly tools: ToolCaller) {
    this.name = `${inner.name} + tool triggers`;
  }

  async respond(history: readonly HistoryMessage[], userText: string, systemPrompt: string, signal: AbortSignal): Promise<string> {
    const trigger = this.triggers.find((t) => t.pattern.test(userText) && this.tools.declared().includes(t.tool));
    if (!trigger) return this.inner.respond(history, userText, systemPrompt, signal);
    try {
      const content = await this.tools.call(trigger.tool, trigger.arguments, signal);
      return `The ${trigger.tool.replace(/_/g, ' ')} tool says ${speakableResult(content)}.`;
    } catch (err) {
      if (signal.aborted) throw err;
      return 'Sorry, the tool did not answer.';
    }
  }
}

/** The offline speech pipeline as the emulator's brain; it ends turns after the stream's endpointing pause. */
export function speechBrain(parts: LocalModelParts, triggers: readonly ToolTrigger[]): BrainFactory {
  return {
    name: 'speech',
    create: (tools, _outputRateHz, turn): SpeechModel => localModel({ ...parts, endpointSilenceMs: turn.endpointSilenceMs, responder: new TriggerResponder(parts.responder, triggers, tools) }),
  };
}

/**
 * The echo brain (no recognition; tool triggers do not apply); it ends turns after the stream's
 * endpointing pause. `maxReplyMs` caps each echo.
 */
export function echoBrainFactory(maxReplyMs?: number): BrainFactory {
  return { name: 'echo', create: (_tools, _outputRateHz, turn) => echoBrain(maxReplyMs, turn.endpointSilenceMs) };
}

/**
 * The timed brain (answers on a timer, ignoring the caller; tool triggers do not apply). One
 * factory numbers its streams in opening order to stagger their first replies.
 * @throws RangeError for non-positive durations.
 */
export function timedBrainFactory(options: TimedBrainOptions = {}): BrainFactory {
  const brain = timedBrain(options);
  return { name: `timed (${options.pace ?? 'realtime'})`, create: (_tools, outputRateHz) => brain.modelAt(outputRateHz) };
}
