/**
 * `voicebridge emulate nova-sonic|openai-realtime`: runs the Bedrock Nova Sonic emulator (point
 * the server or any AWS SDK client at it with `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` or
 * `NOVA_ENDPOINT`, credentials `test` / `test`) or the OpenAI Realtime emulator
 * (`emulate-openai.ts`) until SIGTERM/SIGINT.
 */
import { loadResamplerFactory } from '../audio/resample.js';
import { loadLogSettings } from '../config/config.js';
import { createLogger } from '../core/log-output.js';
import type { Logger } from '../core/logger.js';
import { loadBrain, serveUntilStopped, tlsFromFlags, type EmulateFlags } from './emulate-brain.js';
import { runOpenAIRealtimeEmulator } from './emulate-openai.js';
import { startNovaSonicEmulator, type EmulatorFault } from '../emulators/nova-sonic/server.js';

export type { EmulateFlags } from './emulate-brain.js';

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
  if (target === 'openai-realtime') return runOpenAIRealtimeEmulator(flags, env);
  if (target !== 'nova-sonic') throw new Error(`unknown emulator "${target ?? ''}" (available: nova-sonic, openai-realtime)`);
  const logSettings = loadLogSettings(env);
  const logger = createLogger({ level: logSettings.LOG_LEVEL, format: logSettings.LOG_FORMAT, service: 'nova-sonic-emulator' });
  const log: Logger = logger;
  const resamplers = await loadResamplerFactory();
  const { brain, triggers, closeBrain } = await loadBrain(flags, log);
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
    tls: tlsFromFlags(flags),
    logger: log,
  });
  logger.info({ url: emulator.url, brain: brain.name, triggers: triggers.map((t) => `${t.pattern.source} → ${t.tool}`) }, `Nova Sonic emulator listening on ${emulator.url}`);
  return serveUntilStopped(emulator, closeBrain);
}
