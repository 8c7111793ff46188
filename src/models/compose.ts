/**
 * Picks, creates and closes the server's models through the provider registry: the configured
 * one (or `auto`'s pick), the providers offered beside it, their warm-ups and their closing.
 */
import { errorMessage } from '../core/errors.js';
import type { SpeechModel } from './model.js';
import type { ProviderDeps, ProviderInstance, ProviderWarmup } from './provider.js';
import type { ProviderRegistry } from './registry.js';

/** The server's models, created. */
export interface ComposedModels {
  /** The model new calls use. */
  model: SpeechModel;
  /** Other models callers may pick per call (`CallManager` alternatives), the default included. */
  alternatives: SpeechModel[];
  /** Ids of the providers installed here (`/health` availableModels). */
  availableModels: string[];
  /** Background warm-ups of the created providers, with their ids. */
  warmups: (ProviderWarmup & { providerId: string })[];
  /** Closes every created provider (workers, clients). */
  close(): Promise<void>;
}

/**
 * Creates the models for `modelId` (`auto` or a registered id): an explicit provider must start;
 * `auto` tries its candidates in registry order, skipping those not installed and falling back to
 * the next when one fails (warned). With `override`, no provider is picked for new calls.
 * Providers `offeredAlongside` and those in `offered` (`OFFER_MODELS`) are created too, so calls
 * may pick them (a number's `?model=`, a browser's `session.start.model`).
 * @throws Error when the configured or an offered provider is unknown or cannot start.
 */
export async function composeModels(registry: ProviderRegistry, modelId: string, config: Record<string, unknown>, deps: ProviderDeps, override?: SpeechModel, offered: readonly string[] = []): Promise<ComposedModels> {
  const log = deps.logger;
  const created: { providerId: string; instance: ProviderInstance }[] = [];
  const create = async (id: string) => {
    const provider = registry.get(id);
    if (!provider) throw new Error(`unknown model "${id}" (one of auto, ${registry.ids.join(', ')})`);
    const instance = await provider.create(config as never, deps);
    created.push({ providerId: id, instance });
    return instance;
  };
  const closeAll = async () => {
    await Promise.all(created.map(({ instance }) => instance.close?.()));
  };
  try {
    let model = override;
    if (!model && modelId !== 'auto') model = (await create(modelId)).model;
    if (!model) {
      const candidates = registry.autoCandidates.filter((p) => !p.missingPackages?.().length);
      for (const [i, candidate] of candidates.entries()) {
        const next = candidates[i + 1];
        try {
          model = (await create(candidate.id)).model;
          break;
        } catch (err) {
          if (!next) throw err;
          log.warn({ err: errorMessage(err) }, `${candidate.id} model unavailable; falling back to ${next.id}`);
        }
      }
    }
    if (!model) throw new Error('no model could start');
    for (const provider of registry.providers) {
      const missing = provider.missingPackages?.() ?? [];
      if (missing.length && provider.missingPackagesWarning) log.warn({ missing }, provider.missingPackagesWarning);
    }
    const chosen = model;
    const alongside: SpeechModel[] = [];
    for (const provider of registry.providers) {
      if (provider.offeredAlongside && provider.id !== chosen.id) alongside.push((await create(provider.id)).model);
    }
    for (const id of offered) {
      if (id !== chosen.id && !alongside.some((m) => m.id === id)) alongside.push((await create(id)).model);
    }
    return {
      model: chosen,
      alternatives: [chosen, ...alongside],
      availableModels: registry.installed(),
      warmups: created.flatMap(({ providerId, instance }) => (instance.warmup ? [{ providerId, name: instance.warmup.name, ready: instance.warmup.ready, detail: instance.warmup.detail.bind(instance.warmup) }] : [])),
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
