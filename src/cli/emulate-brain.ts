/**
 * What both emulator commands share: their flags, TLS files, serving until SIGTERM/SIGINT, and the brain `--brain` picks (the offline
 * speech pipeline, the echo brain, or the timed brain) with its `--tool-trigger`s.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '../core/logger.js';
import { echoBrainFactory, parseToolTrigger, speechBrain, timedBrainFactory, type ToolTrigger } from '../emulators/nova-sonic/brains.js';
import type { BrainFactory } from '../emulators/shared/brain.js';
import { loadLocalModel } from '../models/local/model.js';

/** Flags of `emulate nova-sonic` and `emulate openai-realtime`, as given. */
export interface EmulateFlags {
  /** OpenAI Realtime: accepted API keys (default `test`). */
  'api-key'?: string[];
  /** OpenAI Realtime: stream replies at real-time pace in 100 ms chunks (`realtime`, default) or as made (`burst`). */
  pace?: string;
  /** OpenAI Realtime: session limit, seconds (default 3600). */
  'session-limit-s'?: string;
  port?: string;
  host?: string;
  brain?: string;
  /** Timed brain: `realtime` (default) or `burst`. */
  'reply-pace'?: string;
  'session-limit-ms'?: string;
  'idle-timeout-ms'?: string;
  'tool-trigger'?: string[];
  fault?: string[];
  credentials?: string;
  'no-verify'?: boolean;
  region?: string;
  'tls-key'?: string;
  'tls-cert'?: string;
}

/** A brain chosen by `--brain`, with the `--tool-trigger`s it answers, and how to release it. */
export interface LoadedBrain {
  brain: BrainFactory;
  triggers: ToolTrigger[];
  closeBrain?: () => Promise<void>;
}

/**
 * Loads the brain of `--brain` (speech: the offline pipeline, primed before it returns; echo;
 * timed with `--reply-pace`), shared by both emulators.
 * @throws Error for an unknown brain or pace, or a bad tool trigger.
 */
export async function loadBrain(flags: EmulateFlags, log: Logger): Promise<LoadedBrain> {
  let closeBrain: (() => Promise<void>) | undefined;
  let brain: BrainFactory;
  const triggers = (flags['tool-trigger'] ?? ['time|what day=get_current_time']).map(parseToolTrigger);
  if ((flags.brain ?? 'speech') === 'speech') {
    // Each stream ends the caller's turn after its own endpointing pause (1.5 / 1.75 / 2 s); this
    // default is not used by the emulator's streams.
    const local = await loadLocalModel({ sttPoolSize: 2, ttsVoice: 'slt', endpointSilenceMs: 1750 }, log);
    closeBrain = () => local.close();
    // Listen only once every recognizer is primed: a cold recognizer makes the first caller's
    // words come back late or empty, which a client would take for the service's fault.
    await local.warm;
    brain = speechBrain(local.parts, triggers);
  } else if (flags.brain === 'echo') brain = echoBrainFactory();
  else if (flags.brain === 'timed') {
    const pace = flags['reply-pace'] ?? 'realtime';
    if (pace !== 'realtime' && pace !== 'burst') throw new Error(`unknown reply pace "${pace}" (realtime or burst)`);
    brain = timedBrainFactory({ pace });
  } else throw new Error(`unknown brain "${flags.brain}" (speech, echo or timed)`);
  return { brain, triggers, closeBrain };
}

/** The TLS key and certificate named by `--tls-key` and `--tls-cert` (PEM files), or undefined when either is absent. */
export function tlsFromFlags(flags: EmulateFlags): { key: Buffer; cert: Buffer } | undefined {
  return flags['tls-key'] && flags['tls-cert'] ? { key: readFileSync(flags['tls-key']), cert: readFileSync(flags['tls-cert']) } : undefined;
}

/** Waits for SIGTERM or SIGINT, then closes `emulator` and the brain; resolves with exit status 0. */
export async function serveUntilStopped(emulator: { close(): Promise<void> }, closeBrain: LoadedBrain['closeBrain']): Promise<number> {
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await emulator.close();
  await closeBrain?.();
  return 0;
}
