/**
 * The provider registry: every model provider voicebridge can run, in one list. The config loader
 * takes `VOICEBRIDGE_MODEL`'s values and each provider's settings from it, and the composition root
 * (`compose.ts`, `server.ts`) picks, creates, offers and closes providers through it.
 * A new provider = a folder with a `provider.ts` descriptor + one line in `PROVIDERS`.
 */
import { z } from 'zod';
import type { Setting, SettingsSpec } from '../config/settings.js';
import { localProvider } from './local/provider.js';
import { loopbackProvider } from './loopback/provider.js';
import { novaSonicProvider } from './nova-sonic/provider.js';
import { openaiProvider } from './openai/provider.js';
import type { ProviderDescriptor } from './provider.js';

/**
 * Built-in providers, in documentation order: `VOICEBRIDGE_MODEL`'s description, `availableModels`
 * and the configuration table list them in this order, and `auto` tries its candidates in it.
 */
export const PROVIDERS = [novaSonicProvider, openaiProvider, localProvider, loopbackProvider] as const;

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** The settings of every built-in provider, merged (for the `Config` type). */
export type BuiltinProviderSettings = UnionToIntersection<(typeof PROVIDERS)[number]['settings']>;

/** Provider ids: lowercase letters, digits and `-`, starting with a letter. */
const ID_PATTERN = /^[a-z][a-z0-9-]*$/;

/** A validated list of providers. */
export class ProviderRegistry {
  readonly providers: readonly ProviderDescriptor[];

  /**
   * @param providers in documentation order.
   * @throws Error for a bad or duplicate id, a setting two providers both declare, or no `auto`
   *   candidate that is always installed last.
   */
  constructor(providers: readonly ProviderDescriptor[]) {
    const ids = new Set<string>();
    const owners = new Map<string, string>();
    for (const p of providers) {
      if (!ID_PATTERN.test(p.id) || p.id === 'auto') throw new Error(`provider id "${p.id}" must match ${ID_PATTERN} and not be "auto"`);
      if (ids.has(p.id)) throw new Error(`provider "${p.id}" is registered twice`);
      ids.add(p.id);
      for (const key of Object.keys(p.settings)) {
        const owner = owners.get(key);
        if (owner) throw new Error(`setting ${key} of provider "${p.id}" is already declared by ${owner}`);
        owners.set(key, `provider "${p.id}"`);
      }
    }
    const candidates = providers.filter((p) => p.auto);
    const last = candidates.at(-1);
    if (!last || last.missingPackages) throw new Error('the last provider `auto` may pick must need no optional packages (e.g. loopback)');
    this.providers = providers;
  }

  /** Every id, in registry order. */
  get ids(): string[] {
    return this.providers.map((p) => p.id);
  }

  /** The provider with `id`, if registered. */
  get(id: string): ProviderDescriptor | undefined {
    return this.providers.find((p) => p.id === id);
  }

  /** Providers `auto` may pick, in the order it tries them. */
  get autoCandidates(): ProviderDescriptor[] {
    return this.providers.filter((p) => p.auto);
  }

  /** Ids of the providers installed here (`/health` availableModels), in registry order. */
  installed(): string[] {
    return this.providers.filter((p) => !p.missingPackages?.().length).map((p) => p.id);
  }

  /** Every provider's settings, merged in registry order. */
  settings(): SettingsSpec {
    return Object.assign({}, ...this.providers.map((p) => p.settings)) as SettingsSpec;
  }

  /**
   * The `VOICEBRIDGE_MODEL` setting: `auto` or a registered id, default `auto`, described from
   * each provider's summary and the `auto` candidates.
   */
  modelSetting(): Setting {
    const values = ['auto', ...this.ids];
    const schema = z.string().superRefine((v, ctx) => {
      if (!values.includes(v)) ctx.addIssue({ code: 'custom', message: `unknown model "${v}" (one of ${values.join(', ')})` });
    });
    const listed = this.providers.map((p) => `\`${p.id}\` (${p.summary})`);
    const candidates = this.autoCandidates;
    const auto = [...candidates.slice(0, -1).map((p) => `${p.id} when ${p.auto!.when}`), candidates.at(-1)!.id].join(', else ');
    return [schema, 'auto', `Model for new calls: ${listed.join(', ')}, or \`auto\` (${auto}).`];
  }
}

/** The registry of the built-in providers. */
export const providerRegistry = new ProviderRegistry(PROVIDERS);
