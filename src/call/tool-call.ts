/**
 * One tool call of a call: runs it through the registry (never throws), plays the hold phrase
 * through the call's playout when it runs past `holdAfterMs` (so the caller hears something
 * instead of silence), and builds its record. The timer goes through the injected clock.
 */
import type { ResamplerFactory } from '../audio/resample.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { runToolOf, type ToolContext, type ToolOutcome, type ToolRegistry } from '../tools/registry.js';
import type { HoldPhrase, ToolCallRecord } from './types.js';

export type { HoldPhrase } from './types.js';

/** Longest JSON text of arguments or a result kept in the call record, characters. */
export const MAX_RECORDED_VALUE_CHARS = 2000;

/** What a call's tool runner needs. */
export interface ToolRunnerDeps {
  registry: ToolRegistry | undefined;
  ctx: Omit<ToolContext, 'signal'> & { signal?: AbortSignal };
  /** Longest run of a tool, ms (undefined: the registry default). */
  timeoutMs?: number;
  clock: Clock;
  /** When the call started, clock ms (records time tool calls from it). */
  startedAtMs: number;
  /** The hold phrase and how to play it (none: slow tools are silent). */
  hold?: {
    player: HoldPlayer;
    afterMs: number;
    /** Plays `pcm` (at the playout's model rate) as playout response `responseId` if the caller hears nothing now; returns whether it did. */
    play(pcm: Int16Array, responseId: string): boolean;
  };
  /** A tool call finished: its record and what goes back to the model (the result, or `{ error }`). */
  done(toolCallId: string, record: ToolCallRecord, reply: unknown): void;
}

/** Runs a call's tool calls, each on its own (the conversation goes on meanwhile). */
export class CallToolRunner {
  constructor(private readonly deps: ToolRunnerDeps) {}

  /** Runs tool call `toolCallId` of `name` with `args`, then calls `done`. Never rejects. */
  async run(toolCallId: string, name: string, args: unknown): Promise<void> {
    const { clock, hold, ctx } = this.deps;
    const atMs = clock.nowMs() - this.deps.startedAtMs;
    let heldCaller = false;
    let timer: TimerHandle | undefined;
    hold?.player.prepare();
    if (hold?.afterMs) timer = clock.setTimeout(() => {
      timer = undefined;
      const next = hold.player.next();
      heldCaller = next !== undefined && hold.play(next.pcm, next.responseId);
      if (heldCaller) ctx.logger.info({ tool: name }, 'slow tool: hold phrase played');
    }, hold.afterMs);
    let outcome: ToolOutcome;
    try {
      outcome = await runToolOf(this.deps.registry, name, args, ctx, this.deps.timeoutMs);
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
    }
    ctx.logger.info({ tool: name, ok: outcome.ok, durationMs: outcome.durationMs, heldCaller }, 'tool call');
    this.deps.done(toolCallId, toolCallRecord(name, args, { ...outcome, heldCaller }, atMs), outcome.ok ? outcome.result : { error: outcome.error });
  }
}

/** A JSON value for the record: as is when its JSON fits `MAX_RECORDED_VALUE_CHARS`, else its JSON cut short with `…`. */
export function recordedValue(value: unknown): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    return String(value);
  }
  if (json === undefined) return null;
  return json.length <= MAX_RECORDED_VALUE_CHARS ? value : `${json.slice(0, MAX_RECORDED_VALUE_CHARS)}…`;
}

/** The record of a finished tool call started `atMs` after the call began. */
export function toolCallRecord(name: string, args: unknown, outcome: ToolOutcome & { heldCaller: boolean }, atMs: number): ToolCallRecord {
  return {
    name,
    arguments: recordedValue(args),
    ok: outcome.ok,
    ...(outcome.ok ? { result: recordedValue(outcome.result) } : { error: outcome.error }),
    durationMs: outcome.durationMs,
    atMs: Math.round(atMs),
    ...(outcome.heldCaller ? { heldCaller: true } : {}),
  };
}

/** Prefix of the playout response ids of hold phrases (never a model's response). */
export const HOLD_RESPONSE_PREFIX = 'hold-phrase-';

/** Whether playout response `responseId` is a hold phrase. */
export function isHoldResponse(responseId: string | undefined): boolean {
  return responseId?.startsWith(HOLD_RESPONSE_PREFIX) ?? false;
}

/** Hands out the hold phrase for one call's playout, made at its first use. */
export class HoldPlayer {
  private pcm: Int16Array | undefined;
  private count = 0;

  /** @param outputRateHz the rate the call's playout takes model audio at. */
  constructor(private readonly phrase: HoldPhrase, private readonly outputRateHz: number, private readonly resamplers: ResamplerFactory, private readonly quality?: number) {}

  /** Makes the phrase ready if it is not (see `HoldPhrase.prepare`). */
  prepare(): void {
    void this.phrase.prepare?.();
  }

  /** The phrase and a fresh playout response id for it, or undefined while it is not synthesised. */
  next(): { pcm: Int16Array; responseId: string } | undefined {
    this.pcm ??= holdAudioAt(this.phrase, this.outputRateHz, this.resamplers, this.quality);
    return this.pcm && { pcm: this.pcm, responseId: `${HOLD_RESPONSE_PREFIX}${++this.count}` };
  }
}

/**
 * The hold phrase at `outputRateHz` (the rate the call's playout takes model audio at), with
 * 100 ms of silence after it so the resampler's filter delay does not cut its end.
 * @returns undefined while the phrase is not synthesised.
 */
export function holdAudioAt(phrase: HoldPhrase, outputRateHz: number, resamplers: ResamplerFactory, quality?: number): Int16Array | undefined {
  const a = phrase.audio();
  if (!a) return undefined;
  const padded = new Int16Array(a.pcm.length + a.sampleRateHz / 10);
  padded.set(a.pcm);
  if (a.sampleRateHz === outputRateHz) return padded;
  const r = resamplers.create(a.sampleRateHz, outputRateHz, quality);
  try {
    return r.process(padded);
  } finally {
    r.destroy();
  }
}
