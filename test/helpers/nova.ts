/**
 * Test helpers for Nova Sonic: the Bedrock emulator in this process, a provider on the real AWS
 * SDK pointed at it, and a paced caller that speaks tone bursts the echo brain answers.
 */
import { loadResamplerFactory } from '../../src/audio/resample.js';
import { systemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { echoBrainFactory } from '../../src/emulators/nova-sonic/brains.js';
import type { BrainFactory } from '../../src/emulators/nova-sonic/conversation.js';
import { startNovaSonicEmulator, type NovaEmulator, type NovaEmulatorOptions } from '../../src/emulators/nova-sonic/server.js';
import type { ModelEvent, ModelSession, SpeechModel } from '../../src/models/model.js';
import { createBedrockClient, novaSonicModel } from '../../src/models/nova-sonic/model.js';
import type { NovaSettings } from '../../src/models/nova-sonic/session.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
delete process.env.AWS_BEARER_TOKEN_BEDROCK;

/** Starts the emulator on 127.0.0.1 with the echo brain unless another is given. */
export async function startEmulator(options: Partial<NovaEmulatorOptions> & { brain?: BrainFactory } = {}): Promise<NovaEmulator> {
  return startNovaSonicEmulator({ brain: echoBrainFactory(1500), resamplers: await loadResamplerFactory(), ...options });
}

/**
 * Provider settings for tests (short timeouts). Endpointing HIGH: the emulator, as Nova 2, ends the
 * caller's turn after a 1.5 s pause (MEDIUM 1.75 s, LOW 2 s), so tone bursts leave gaps over 1.5 s.
 */
export function testNovaSettings(overrides: Partial<NovaSettings> = {}): NovaSettings {
  return {
    modelId: 'amazon.nova-2-sonic-v1:0',
    voiceId: 'tiffany',
    inference: { maxTokens: 1024, topP: 0.9, temperature: 0.7 },
    endpointing: 'HIGH',
    inputRateHz: 16000,
    outputRateHz: 24000,
    audioChunkMs: 60,
    maxSessionMs: 480_000,
    renewAfterMs: 360_000,
    replayMs: 3000,
    maxRetries: 3,
    startTimeoutMs: 2000,
    stallTimeoutMs: 8000,
    ...overrides,
  };
}

/** The provider on the real SDK against `emulator`. */
export function novaAgainst(emulator: NovaEmulator, settings: Partial<NovaSettings> = {}, secret = 'test'): { model: SpeechModel; destroy(): void } {
  const client = createBedrockClient({ region: 'us-east-1', endpoint: emulator.url, credentials: { accessKeyId: 'test', secretAccessKey: secret }, logger: silentLogger });
  return { model: novaSonicModel(client, testNovaSettings(settings), systemClock), destroy: () => client.destroy() };
}

/** A session's events, recorded with their arrival time. */
export class EventLog {
  readonly events: { atMs: number; e: ModelEvent }[] = [];
  constructor(session: ModelSession) {
    session.setHandler((e) => this.events.push({ atMs: performance.now(), e }));
  }
  of<T extends ModelEvent['type']>(type: T): Extract<ModelEvent, { type: T }>[] {
    return this.events.filter((x) => x.e.type === type).map((x) => x.e as Extract<ModelEvent, { type: T }>);
  }
  /** Responses started at or after `sinceMs`. */
  responsesSince(sinceMs: number): number {
    return this.events.filter((x) => x.e.type === 'responseStarted' && x.atMs >= sinceMs).length;
  }
}

/**
 * Speaks into `session` in real time for `seconds`: 20 ms frames at 16 kHz, a 300 Hz tone for
 * `burstMs` in every `periodMs`, silence otherwise. Stops early when `stop()` returns true.
 */
export async function speakTones(session: ModelSession, seconds: number, burstMs = 800, periodMs = 2000, stop: () => boolean = () => false): Promise<void> {
  const frames = Math.round((seconds * 1000) / 20);
  const start = performance.now();
  for (let k = 0; k < frames && !stop(); k++) {
    const frame = new Int16Array(320);
    if ((k * 20) % periodMs < burstMs) for (let i = 0; i < 320; i++) frame[i] = Math.round(8000 * Math.sin((2 * Math.PI * 300 * (k * 320 + i)) / 16000));
    session.sendAudio(frame);
    const wait = start + (k + 1) * 20 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

/** Resolves when `cond()` holds, polling every 20 ms; rejects after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Server settings (environment) that select Nova Sonic and point it at the emulator at `url` with
 * the emulator's test credentials; local barge-in VAD off, so barge-in is Nova's own signal.
 */
export function novaServerSettings(url: string, extra: Record<string, string | number | boolean> = {}): Record<string, string | number | boolean> {
  return {
    VOICEBRIDGE_MODEL: 'nova-sonic',
    NOVA_ENDPOINT: url,
    NOVA_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    BARGE_IN_VAD: false,
    ...extra,
  };
}
