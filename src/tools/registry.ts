/**
 * Tools the model may call: a registry of named functions with JSON Schema arguments, and a
 * runner that never throws. A tool that fails, times out or does not exist yields an error result
 * for the model, so a bad tool can never break the model stream.
 */
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from '../core/errors.js';
import type { ToolSpec } from '../models/model.js';

/** What a running tool gets besides its arguments. */
export interface ToolContext {
  callId: string;
  /** Aborted on timeout or call end. */
  signal: AbortSignal;
  logger: Logger;
}

/** A callable tool. */
export interface Tool extends ToolSpec {
  /** Longest run of this tool, ms (undefined: the registry's `timeoutMs` for the call). */
  timeoutMs?: number;
  /** Runs the tool; the resolved value is sent to the model (JSON). May throw. */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown>;
}

/** Outcome of one tool call. */
export type ToolOutcome = { ok: true; result: unknown; durationMs: number } | { ok: false; error: string; durationMs: number };

/** A set of tools by name. */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  /**
   * @param clock times tool runs and their timeouts (default: the system clock).
   * @throws Error when two tools share a name.
   */
  constructor(tools: readonly Tool[] = [], private readonly clock: Clock = systemClock) {
    for (const t of tools) {
      if (this.tools.has(t.name)) throw new Error(`duplicate tool name ${t.name}`);
      this.tools.set(t.name, t);
    }
  }

  /** Specs to declare to the model. */
  specs(): ToolSpec[] {
    return [...this.tools.values()].map(({ name, description, inputSchema, offline }) => ({ name, description, inputSchema, ...(offline ? { offline } : {}) }));
  }

  /** Number of tools. */
  get size(): number {
    return this.tools.size;
  }

  /**
   * Runs `name` with `args` within the tool's own `timeoutMs`, else `timeoutMs`. Never throws: unknown tools, arguments that are
   * not an object, thrown errors and timeouts all give `ok: false` with a message.
   */
  async run(name: string, args: unknown, ctx: Omit<ToolContext, 'signal'> & { signal?: AbortSignal }, timeoutMs: number): Promise<ToolOutcome> {
    const started = this.clock.nowMs();
    const ms = (): number => Math.round(this.clock.nowMs() - started);
    const tool = this.tools.get(name);
    if (!tool) return { ok: false, error: `no tool named ${name}`, durationMs: ms() };
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return { ok: false, error: 'arguments must be a JSON object', durationMs: ms() };
    const limitMs = tool.timeoutMs ?? timeoutMs;
    const timeout = new AbortController();
    const signal = ctx.signal ? AbortSignal.any([ctx.signal, timeout.signal]) : timeout.signal;
    let timer: TimerHandle | undefined;
    try {
      const result = await Promise.race([
        tool.run(args as Record<string, unknown>, { ...ctx, signal }),
        new Promise<never>((_, reject) => {
          timer = this.clock.setTimeout(() => {
            // Reject first: a tool that settles when aborted must not win the race.
            reject(new Error(`tool ${name} timed out after ${limitMs} ms`));
            timeout.abort();
          }, limitMs);
        }),
      ]);
      return { ok: true, result: result ?? null, durationMs: ms() };
    } catch (err) {
      ctx.logger.warn({ tool: name, err: errorMessage(err) }, 'tool failed');
      return { ok: false, error: errorMessage(err), durationMs: ms() };
    } finally {
      if (timer !== undefined) this.clock.clearTimeout(timer);
    }
  }
}

/** Default longest run of a tool, ms. */
export const DEFAULT_TOOL_TIMEOUT_MS = 8000;

/**
 * Runs tool `name` of `registry` (an error outcome when there is no registry), with `timeoutMs`
 * (default `DEFAULT_TOOL_TIMEOUT_MS`). Never rejects.
 */
export function runToolOf(registry: ToolRegistry | undefined, name: string, args: unknown, ctx: Omit<ToolContext, 'signal'> & { signal?: AbortSignal }, timeoutMs = DEFAULT_TOOL_TIMEOUT_MS): Promise<ToolOutcome> {
  return registry ? registry.run(name, args, ctx, timeoutMs) : Promise.resolve({ ok: false, error: `no tool named ${name}`, durationMs: 0 });
}
