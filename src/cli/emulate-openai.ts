/**
 * `voicebridge emulate openai-realtime`: runs the OpenAI Realtime emulator until SIGTERM/SIGINT.
 * Point a client at `ws://HOST:PORT/v1/realtime?model=gpt-realtime` (wss with `--tls-key` /
 * `--tls-cert`; an OpenAI SDK's base URL is `http(s)://HOST:PORT/v1`) with API key `test` unless
 * `--api-key` says otherwise.
 */
import { loadResamplerFactory } from '../audio/resample.js';
import { loadLogSettings } from '../config/config.js';
import { createLogger } from '../core/log-output.js';
import { parseRealtimeFault, startOpenAIRealtimeEmulator } from '../emulators/openai-realtime/server.js';
import { loadBrain, serveUntilStopped, tlsFromFlags, type EmulateFlags } from './emulate-brain.js';

/** Default port of `emulate openai-realtime`. */
export const OPENAI_EMULATOR_PORT = 8444;

/**
 * Runs the OpenAI Realtime emulator until a signal; returns the exit code.
 * @throws ConfigError for an invalid `LOG_LEVEL` or `LOG_FORMAT`; Error for bad flags (pace,
 * session limit, fault, brain, tool trigger, a TLS key without a certificate).
 */
export async function runOpenAIRealtimeEmulator(flags: EmulateFlags, env: Record<string, string | undefined>): Promise<number> {
  const logSettings = loadLogSettings(env);
  const logger = createLogger({ level: logSettings.LOG_LEVEL, format: logSettings.LOG_FORMAT, service: 'openai-realtime-emulator' });
  const pace = flags.pace ?? 'realtime';
  if (pace !== 'realtime' && pace !== 'burst') throw new Error(`unknown pace "${pace}" (realtime or burst)`);
  const limitS = flags['session-limit-s'] === undefined ? undefined : Number(flags['session-limit-s']);
  if (limitS !== undefined && !(limitS > 0)) throw new Error(`--session-limit-s must be a positive number of seconds, got "${flags['session-limit-s']}"`);
  if (Boolean(flags['tls-key']) !== Boolean(flags['tls-cert'])) throw new Error('--tls-key and --tls-cert go together');
  const faults = (flags.fault ?? []).map(parseRealtimeFault);
  const resamplers = await loadResamplerFactory();
  const { brain, triggers, closeBrain } = await loadBrain(flags, logger);
  const emulator = await startOpenAIRealtimeEmulator({
    brain,
    resamplers,
    host: flags.host ?? '127.0.0.1',
    port: Number(flags.port ?? OPENAI_EMULATOR_PORT),
    apiKeys: flags['api-key']?.length ? flags['api-key'] : ['test'],
    sessionLimitMs: limitS === undefined ? undefined : limitS * 1000,
    pace,
    faults,
    tls: tlsFromFlags(flags),
    logger,
  });
  logger.info({ url: emulator.wsUrl, brain: brain.name, pace, triggers: triggers.map((t) => `${t.pattern.source} → ${t.tool}`) }, `OpenAI Realtime emulator listening on ${emulator.wsUrl}`);
  return serveUntilStopped(emulator, closeBrain);
}
