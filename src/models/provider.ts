/**
 * What a model provider declares to the registry (`registry.ts`): its id, its settings (a slice of
 * the configuration, documented in the README's table), its capabilities, and how to create its
 * `SpeechModel`. Adding a provider = one folder with a `provider.ts` descriptor + one registry line.
 */
import type { VadModelFactory } from '../audio/vad/types.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { SettingsSpec, SettingValues } from '../config/settings.js';
import type { ModelCapabilities, SpeechModel } from './model.js';

/** Capabilities a provider declares: the model's own plus its session limit. */
export interface ProviderCapabilities extends ModelCapabilities {
  /** Longest session the provider allows, ms (Infinity when unlimited); as `SpeechModel.maxSessionMs`. */
  maxSessionMs: number;
}

/** What the composition root hands every provider's `create`. */
export interface ProviderDeps {
  logger: Logger;
  clock: Clock;
  /** The server's VAD (Silero, else energy), for providers that detect speech themselves. */
  vad: VadModelFactory;
}

/** Background warm-up of a created provider; the server is not ready until `ready` resolves. */
export interface ProviderWarmup {
  /** What warms, for the failure message (e.g. `local model recognizers`). */
  name: string;
  /** Resolves when warm; rejects when warming failed. */
  ready: Promise<void>;
  /** Extra state `/health` shows under `warmup` (e.g. `{ recognizers: … }`). */
  detail(): Record<string, unknown>;
}

/** A created provider: its model and what the server must do with it. */
export interface ProviderInstance {
  model: SpeechModel;
  /** Background warm-up, if any. */
  warmup?: ProviderWarmup;
  /** Releases workers, clients and sockets (on server close). */
  close?(): Promise<void> | void;
}

/** A provider as the registry knows it. `S`: its settings slice. */
export interface ProviderDescriptor<S extends SettingsSpec = SettingsSpec> {
  /** `VOICEBRIDGE_MODEL` value and `SpeechModel.id` (lowercase, digits, `-`; never `auto`). */
  readonly id: string;
  /** A few words for the `VOICEBRIDGE_MODEL` description, e.g. `echo`. */
  readonly summary: string;
  /** Its settings (environment variable → [schema, default, description]); every key is its own. */
  readonly settings: S;
  /**
   * When `VOICEBRIDGE_MODEL=auto` may pick it: the condition in words (e.g. `its packages are
   * installed`). `auto` tries candidates in registry order and falls back to the next when one is
   * not installed or fails to start; the last candidate must always be installed.
   */
  readonly auto?: { when: string };
  /**
   * Created beside the configured model so callers may pick it per call (`session.start.model`);
   * only for providers that cost nothing to create (no workers, no network).
   */
  readonly offeredAlongside?: boolean;
  /**
   * Optional packages it needs that are not installed (empty: installed); absent: nothing
   * optional. Not installed: not in `availableModels`, and `auto` skips it.
   */
  missingPackages?(): string[];
  /** Logged as a warning at start-up when `missingPackages()` is not empty. */
  readonly missingPackagesWarning?: string;
  /** Its capabilities under these settings (must equal the created model's). */
  capabilities(settings: SettingValues<S>): ProviderCapabilities;
  /**
   * Creates the provider from the validated configuration (typed as its own slice).
   * @throws Error when it cannot start (e.g. packages missing).
   */
  create(settings: SettingValues<S>, deps: ProviderDeps): Promise<ProviderInstance>;
}

/** Declares a provider (infers its settings' types). */
export function defineProvider<S extends SettingsSpec>(descriptor: ProviderDescriptor<S>): ProviderDescriptor<S> {
  return descriptor;
}
