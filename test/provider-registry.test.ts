/**
 * The provider registry: a provider registered in a test registry (one descriptor, no other edit)
 * appears in config validation, `VOICEBRIDGE_MODEL`'s values, the configuration table,
 * `availableModels` and `/health`, is created, offered and closed by the server; `auto` keeps
 * its order and fallbacks; the built-in descriptors declare what their models do.
 */
import pino from 'pino';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, configTable, loadConfig, settingsFor } from '../src/config/config.js';
import { int } from '../src/config/settings.js';
import { composeModels } from '../src/models/compose.js';
import { LOCAL_CAPABILITIES } from '../src/models/local/model.js';
import { localProvider } from '../src/models/local/provider.js';
import { LOOPBACK_CAPABILITIES, loopbackModel } from '../src/models/loopback/model.js';
import { loopbackProvider } from '../src/models/loopback/provider.js';
import type { SpeechModel } from '../src/models/model.js';
import { novaSonicModel, novaSettingsFromConfig } from '../src/models/nova-sonic/model.js';
import { novaSonicProvider } from '../src/models/nova-sonic/provider.js';
import { openaiRealtimeModel, openaiSettingsFromConfig } from '../src/models/openai/model.js';
import { openaiProvider } from '../src/models/openai/provider.js';
import type { BedrockStreamClient } from '../src/models/nova-sonic/stream.js';
import { defineProvider, type ProviderDeps, type ProviderDescriptor } from '../src/models/provider.js';
import { providerRegistry, ProviderRegistry } from '../src/models/registry.js';
import { energyVadFactory } from '../src/audio/vad/energy.js';
import { systemClock } from '../src/core/clock.js';
import { createServer, type Server } from '../src/server.js';
import { RecordingLogger } from './fakes/logger.js';
import { MemoryCallStore } from './fakes/call-store.js';

/** A provider only this test knows: loopback at its own rate, counting creations and closes. */
function fakeProvider(options: { id?: string; fails?: boolean; missing?: string[]; auto?: boolean } = {}) {
  const counts = { created: 0, closed: 0 };
  const id = options.id ?? 'fake';
  const provider = defineProvider({
    id,
    summary: 'a test double',
    settings: { FAKE_RATE_HZ: [int(8000, 48000), 16000, 'Fake model: rate both ways, Hz.'] } as const,
    ...(options.auto ? { auto: { when: 'it starts' } } : {}),
    ...(options.missing ? { missingPackages: () => options.missing!, missingPackagesWarning: 'fake packages are missing' } : {}),
    capabilities: () => ({ ...LOOPBACK_CAPABILITIES, maxSessionMs: Infinity }),
    async create(config) {
      if (options.fails) throw new Error('fake cannot start');
      counts.created++;
      const model: SpeechModel = { ...loopbackModel(config.FAKE_RATE_HZ), id };
      return { model, close: () => void counts.closed++ };
    },
  });
  return { provider, counts };
}

const deps = (logger = new RecordingLogger()): ProviderDeps => ({ logger, clock: systemClock, vad: energyVadFactory() });

describe('a registry with one more provider', () => {
  const { provider } = fakeProvider();
  const registry = new ProviderRegistry([provider, loopbackProvider]);

  it('validates its settings and accepts its id for VOICEBRIDGE_MODEL', () => {
    const config = loadConfig({ VOICEBRIDGE_MODEL: 'fake', FAKE_RATE_HZ: '8000' }, {}, registry) as Record<string, unknown>;
    expect(config.VOICEBRIDGE_MODEL).toBe('fake');
    expect(config.FAKE_RATE_HZ).toBe(8000);
    expect((loadConfig({}, {}, registry) as Record<string, unknown>).FAKE_RATE_HZ).toBe(16000);
    expect(() => loadConfig({ FAKE_RATE_HZ: '100' }, {}, registry)).toThrow(/FAKE_RATE_HZ="100"/);
    // The built-in registry knows nothing of it.
    expect(() => loadConfig({ VOICEBRIDGE_MODEL: 'fake' })).toThrow(ConfigError);
  });

  it('documents it in the configuration table and in VOICEBRIDGE_MODEL', () => {
    const table = configTable(registry);
    expect(table).toContain('| `FAKE_RATE_HZ` | `16000` | Fake model: rate both ways, Hz. |');
    expect(table).toContain('| `VOICEBRIDGE_MODEL` | `auto` | Model for new calls: `fake` (a test double), `loopback` (echo), or `auto` (loopback). |');
    expect(configTable()).not.toContain('FAKE_RATE_HZ');
  });

  it('is created, reported in availableModels and /health, offered beside loopback, and closed by the server', async () => {
    const { provider: fake, counts } = fakeProvider();
    const reg = new ProviderRegistry([fake, loopbackProvider]);
    const config = loadConfig({ FAKE_RATE_HZ: '24000' }, { LOG_LEVEL: 'silent', VOICEBRIDGE_MODEL: 'fake', BARGE_IN_VAD: false }, reg);
    const server: Server = await createServer(config, { store: new MemoryCallStore(), logger: pino({ level: 'silent' }), registry: reg, webrtc: { available: false, reason: 'not in this test' } });
    try {
      expect(server.model.id).toBe('fake');
      expect(server.model.inputRateHz).toBe(24000);
      expect(server.availableModels).toEqual(['fake', 'loopback']);
      expect(server.manager.models.map((m) => m.id)).toEqual(['fake', 'loopback']);
      const health = (await server.app.inject({ method: 'GET', url: '/health' })).json() as { model: string; availableModels: string[] };
      expect(health).toMatchObject({ model: 'fake', availableModels: ['fake', 'loopback'] });
      expect(counts).toEqual({ created: 1, closed: 0 });
    } finally {
      await server.close(0);
    }
    expect(counts).toEqual({ created: 1, closed: 1 });
  });
});

describe('OFFER_MODELS', () => {
  it('creates the offered providers beside the default so calls can pick them, and refuses unknown ids', async () => {
    const { provider, counts } = fakeProvider();
    const registry = new ProviderRegistry([provider, loopbackProvider]);
    const config = loadConfig({ VOICEBRIDGE_MODEL: 'loopback', OFFER_MODELS: 'fake' }, {}, registry) as Record<string, unknown>;
    expect(config.OFFER_MODELS).toEqual(['fake']);
    const models = await composeModels(registry, 'loopback', config, deps(), undefined, ['fake']);
    expect(models.alternatives.map((m) => m.id)).toEqual(['loopback', 'fake']);
    expect(counts.created).toBe(1);
    await models.close();
    expect(counts.closed).toBe(1);
    expect(() => loadConfig({ OFFER_MODELS: 'gpt' })).toThrow(/OFFER_MODELS: unknown model "gpt" \(one of nova-sonic, openai, local, loopback\)/);
  });
});

describe('VOICEBRIDGE_MODEL', () => {
  it('refuses an unknown model with a config error naming every known one', () => {
    let error: unknown;
    try {
      loadConfig({ VOICEBRIDGE_MODEL: 'gpt' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['VOICEBRIDGE_MODEL="gpt": unknown model "gpt" (one of auto, nova-sonic, openai, local, loopback)']);
  });

  it('keeps its documented values and description, from the built-in registry', () => {
    expect(providerRegistry.ids).toEqual(['nova-sonic', 'openai', 'local', 'loopback']);
    expect(providerRegistry.modelSetting()[2]).toBe('Model for new calls: `nova-sonic` (Amazon Nova Sonic on Bedrock), `openai` (OpenAI Realtime), `local` (offline speech pipeline), `loopback` (echo), or `auto` (local when its packages are installed, else loopback).');
    for (const id of ['auto', 'nova-sonic', 'openai', 'local', 'loopback']) expect(loadConfig({ VOICEBRIDGE_MODEL: id }).VOICEBRIDGE_MODEL).toBe(id);
  });
});

describe('auto', () => {
  it('skips a candidate whose packages are missing (warned) and picks the next', async () => {
    const { provider, counts } = fakeProvider({ auto: true, missing: ['fake-pkg'] });
    const logger = new RecordingLogger();
    const models = await composeModels(new ProviderRegistry([provider, loopbackProvider]), 'auto', loadConfig({}, {}, new ProviderRegistry([provider, loopbackProvider])), deps(logger));
    expect(models.model.id).toBe('loopback');
    expect(models.availableModels).toEqual(['loopback']);
    expect(counts.created).toBe(0);
    expect(logger.lines).toContainEqual({ level: 'warn', fields: { missing: ['fake-pkg'] }, msg: 'fake packages are missing' });
    await models.close();
  });

  it('falls back to the next candidate when one fails to start, and picks the first that starts', async () => {
    const failing = fakeProvider({ auto: true, fails: true });
    const logger = new RecordingLogger();
    const registry = new ProviderRegistry([failing.provider, loopbackProvider]);
    const models = await composeModels(registry, 'auto', loadConfig({}, {}, registry), deps(logger));
    expect(models.model.id).toBe('loopback');
    expect(logger.lines).toContainEqual({ level: 'warn', fields: { err: 'fake cannot start' }, msg: 'fake model unavailable; falling back to loopback' });

    const working = fakeProvider({ auto: true });
    const reg2 = new ProviderRegistry([working.provider, loopbackProvider]);
    const picked = await composeModels(reg2, 'auto', loadConfig({}, {}, reg2), deps());
    expect(picked.model.id).toBe('fake');
    expect(picked.alternatives.map((m) => m.id)).toEqual(['fake', 'loopback']);
    await picked.close();
    expect(working.counts.closed).toBe(1);
  });

  it('does not fall back from a model asked for by name', async () => {
    const failing = fakeProvider({ fails: true });
    const registry = new ProviderRegistry([failing.provider, loopbackProvider]);
    await expect(composeModels(registry, 'fake', loadConfig({}, {}, registry), deps())).rejects.toThrow('fake cannot start');
  });
});

describe('registry rules', () => {
  it('refuses duplicate ids, shared settings, the id auto, and no always-installed auto fallback', () => {
    const a = fakeProvider().provider;
    const b = fakeProvider({ id: 'other' }).provider;
    expect(() => new ProviderRegistry([a, a, loopbackProvider])).toThrow(/"fake" is registered twice/);
    expect(() => new ProviderRegistry([a, b, loopbackProvider])).toThrow(/FAKE_RATE_HZ of provider "other" is already declared by provider "fake"/);
    expect(() => new ProviderRegistry([fakeProvider({ id: 'auto' }).provider, loopbackProvider])).toThrow(/not be "auto"/);
    expect(() => new ProviderRegistry([a])).toThrow(/last provider `auto` may pick/);
    expect(() => new ProviderRegistry([loopbackProvider, fakeProvider({ auto: true, missing: [] }).provider])).toThrow(/last provider `auto` may pick/);
  });

  it('refuses a provider setting that is a core setting', () => {
    const clash: ProviderDescriptor = { ...(fakeProvider().provider as ProviderDescriptor), settings: { PORT: [z.string(), '1', 'x'] } };
    expect(() => settingsFor(new ProviderRegistry([clash, loopbackProvider]))).toThrow(/PORT/);
  });
});

describe('built-in descriptors', () => {
  it('declare the capabilities and session limit their models have', () => {
    const config = loadConfig({});
    expect(loopbackProvider.capabilities(config)).toEqual({ ...loopbackModel().capabilities, maxSessionMs: loopbackModel().maxSessionMs });
    expect(localProvider.capabilities(config)).toEqual({ ...LOCAL_CAPABILITIES, maxSessionMs: Infinity });
    for (const modelId of ['amazon.nova-2-sonic-v1:0', 'amazon.nova-sonic-v1:0']) {
      const c = loadConfig({ NOVA_MODEL_ID: modelId, NOVA_SESSION_LIMIT_MS: '5000' });
      const model = novaSonicModel({} as BedrockStreamClient, novaSettingsFromConfig(c), systemClock);
      expect(novaSonicProvider.capabilities(c)).toEqual({ ...model.capabilities, maxSessionMs: 5000 });
      expect(model.maxSessionMs).toBe(5000);
      expect(model.capabilities.textInput).toBe(modelId.includes('nova-2'));
    }
    for (const transcription of ['gpt-4o-mini-transcribe', 'none']) {
      const c = loadConfig({ OPENAI_API_KEY: 'sk-x', OPENAI_TRANSCRIPTION_MODEL: transcription });
      const model = openaiRealtimeModel(openaiSettingsFromConfig(c), systemClock);
      expect(openaiProvider.capabilities(c)).toEqual({ ...model.capabilities, maxSessionMs: model.maxSessionMs });
      expect(model.maxSessionMs).toBe(3_600_000);
      expect(model.capabilities.userTranscripts).toBe(transcription !== 'none');
    }
  });

  it('openai: settings parse into session settings (URL, key, turn detection), and it refuses to start without a key', async () => {
    const defaults = openaiSettingsFromConfig(loadConfig({ OPENAI_API_KEY: 'sk-x' }));
    expect(defaults).toEqual({
      url: 'wss://api.openai.com/v1/realtime?model=gpt-realtime',
      apiKey: 'sk-x',
      voice: 'marin',
      turnDetection: { type: 'server_vad', threshold: 0.5, silenceDurationMs: 500, prefixPaddingMs: 300 },
      transcriptionModel: 'gpt-4o-mini-transcribe',
      startTimeoutMs: 10_000,
      maxSessionMs: 3_600_000,
      renewAfterMs: 3_300_000,
      stallTimeoutMs: 20_000,
    });
    expect(openaiSettingsFromConfig(loadConfig({ OPENAI_API_KEY: 'sk-x', OPENAI_SESSION_LIMIT_MS: '3000', OPENAI_RENEW_AFTER_MS: '2000' }))).toMatchObject({ maxSessionMs: 3000, renewAfterMs: 2000 });
    const custom = openaiSettingsFromConfig(
      loadConfig({ OPENAI_API_KEY: 'sk-x', OPENAI_REALTIME_MODEL: 'gpt-realtime-mini', OPENAI_REALTIME_URL: 'ws://127.0.0.1:9000/v1/realtime?model=m', OPENAI_TURN_DETECTION: 'semantic_vad', OPENAI_VAD_EAGERNESS: 'high', OPENAI_TRANSCRIPTION_MODEL: 'none' }),
    );
    expect(custom).toMatchObject({ url: 'ws://127.0.0.1:9000/v1/realtime?model=m', turnDetection: { type: 'semantic_vad', eagerness: 'high' }, transcriptionModel: undefined });
    expect(openaiSettingsFromConfig(loadConfig({ OPENAI_API_KEY: 'sk-x', OPENAI_REALTIME_MODEL: 'gpt-realtime-mini' })).url).toBe('wss://api.openai.com/v1/realtime?model=gpt-realtime-mini');
    expect(() => loadConfig({ OPENAI_REALTIME_URL: 'https://api.openai.com/v1/realtime' })).toThrow(/OPENAI_REALTIME_URL/);
    expect(() => loadConfig({ OPENAI_REALTIME_URL: 'ws://[::1/v1/realtime' })).toThrow(/OPENAI_REALTIME_URL.*ws:\/\/ or wss:\/\//);
    expect(() => loadConfig({ OPENAI_TURN_DETECTION: 'vad' })).toThrow(/OPENAI_TURN_DETECTION/);
    expect(() => loadConfig({ OPENAI_VAD_THRESHOLD: '2' })).toThrow(/OPENAI_VAD_THRESHOLD/);
    expect(() => loadConfig({ OPENAI_STALL_TIMEOUT_MS: '0' })).toThrow(/OPENAI_STALL_TIMEOUT_MS/);
    await expect(composeModels(providerRegistry, 'openai', loadConfig({ VOICEBRIDGE_MODEL: 'openai' }), deps())).rejects.toThrow('VOICEBRIDGE_MODEL=openai needs OPENAI_API_KEY');
    const models = await composeModels(providerRegistry, 'openai', loadConfig({ VOICEBRIDGE_MODEL: 'openai', OPENAI_API_KEY: 'sk-x' }), deps());
    expect(models.model.id).toBe('openai');
    expect(models.availableModels).toContain('openai');
    await models.close();
  });
});

