/**
 * `voicebridge emulate nova-sonic`: runs the Bedrock Nova Sonic emulator until SIGTERM/SIGINT.
 * Point the server (or any AWS SDK client) at it with `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` or
 * `NOVA_ENDPOINT`, and credentials `test` / `test`.
 */
import { readFileSync } from 'node:fs';
import { loadResamplerFactory } from '../audio/resample.js';
import { loadLogSettings } from '../config/config.js';
import { createLogger } from '../core/log-output.js';
import type { Logger } from '../core/logger.js';
import { echoBrainFactory, parseToolTrigger, speechBrain, timedBrainFactory } from '../emulators/nova-sonic/brains.js';
import type { BrainFactory } from '../emulators/nova-sonic/conversation.js';
import { startNovaSonicEmulator, type EmulatorFault } from '../emulators/nova-sonic/server.js';
import { loadLocalModel } from '../models/local/model.js';

/** Flags of `emulate nova-sonic`, as given. */
export interface EmulateFlags {
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

const FAULT_KINDS = new Set(['exception', 'reset', 'end', 'goaway', 'stall', 'slowStart']);

/**
 * Parses `kind[:afterMs][@stream]`, e.g. `reset:1500@2` or `exception:3000`.
 * @throws Error for an unknown kind or a bad number.
 */
export function parseFault(spec: string): EmulatorFault {
  const m = /^(\w+)(?::(\d+))?(?:@(\d+))?$/.exec(spec);
  if (!m || !FAULT_KINDS.has(m[1])) throw new Error(`fault "${spec}" is not kind[:afterMs][@stream] with kind one of ${[...FAULT_KINDS].join(', ')}`);
  return { kind: m[1] as EmulatorFault['kind'], afterMs: Number(m[2] ?? 0), stream: m[3] ? Number(m[3]) : undefined };
}

/**
 * Runs the emulator until a signal; returns the exit code. `env` gives `LOG_LEVEL` / `LOG_FORMAT`.
 * @throws ConfigError for an invalid `LOG_LEVEL` or `LOG_FORMAT`; Error for bad flags.
 */
export async function runEmulate(target: string | undefined, flags: EmulateFlags, env: Record<string, string | undefined>): Promise<number> {
  if (target !== 'nova-sonic') throw new Error(`unknown emulator "${target ?? ''}" (available: nova-sonic)`);
  const logSettings = loadLogSettings(env);
  const logger = createLogger({ level: logSettings.LOG_LEVEL, format: logSettings.LOG_FORMAT, service: 'nova-sonic-emulator' });
  const log: Logger = logger;
  const resamplers = await loadResamplerFactory();
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
  const credentials = new Map<string, string>();
  for (const pair of (flags.credentials ?? 'test:test').split(',')) {
    const [id, secret] = pair.split(':');
    if (!id || !secret) throw new Error(`credentials "${pair}" is not ACCESS_KEY_ID:SECRET`);
    credentials.set(id, secret);
  }
  const emulator = await startNovaSonicEmulator({
    brain,
    resamplers,
    host: flags.host ?? '127.0.0.1',
    port: Number(flags.port ?? 8443),
    credentials,
    verifySignatures: !flags['no-verify'],
    region: flags.region,
    sessionLimitMs: flags['session-limit-ms'] ? Number(flags['session-limit-ms']) : undefined,
    idleTimeoutMs: flags['idle-timeout-ms'] ? Number(flags['idle-timeout-ms']) : undefined,
    faults: (flags.fault ?? []).map(parseFault),
    tls: flags['tls-key'] && flags['tls-cert'] ? { key: readFileSync(flags['tls-key']), cert: readFileSync(flags['tls-cert']) } : undefined,
    logger: log,
  });
  logger.info({ url: emulator.url, brain: brain.name, triggers: triggers.map((t) => `${t.pattern.source} → ${t.tool}`) }, `Nova Sonic emulator listening on ${emulator.url}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await emulator.close();
  await closeBrain?.();
  return 0;
}
