/**
 * Building blocks of settings: the shape of one setting (schema, default, description), the
 * schemas shared by the core settings and every provider's slice, and the one parser that turns
 * environment strings into validated values. Only `config.ts` calls the parser with `process.env`.
 */
import { z } from 'zod';
import { parseTransferTarget, type TransferTarget } from '../handoff/target.js';

/** One setting: its zod schema, its default (undefined: unset) and its README description. */
export type Setting = readonly [schema: z.ZodType, defaultValue: unknown, description: string];

/** Settings by environment variable name. */
export type SettingsSpec = Readonly<Record<string, Setting>>;

/** The validated values of the settings `S`. */
export type SettingValues<S extends SettingsSpec> = { -readonly [K in keyof S]: z.output<S[K][0]> };

/** A boolean from `1/true/yes/on` or `0/false/no/off/` (any case). */
export const bool = z.union([z.boolean(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'boolean') return v;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
  ctx.addIssue({ code: 'custom', message: `expected a boolean, got "${v}"` });
  return z.NEVER;
});

/** An integer in [min, max], from a number or a numeric string. */
export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A string trimmed, or undefined when empty or blank. */
export const optionalString = z
  .string()
  .optional()
  .transform((v) => (v && v.trim() ? v.trim() : undefined));

/** A comma-separated list, trimmed, empty items dropped (`'a, b,'` → `['a', 'b']`). */
export const commaList = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/** An inclusive UDP/TCP port range `FIRST-LAST` (1–65535, FIRST ≤ LAST), or undefined when empty. */
export const portRange = z
  .string()
  .regex(/^\s*(\d+-\d+)?\s*$/, 'expected FIRST-LAST, e.g. 10000-10999')
  .transform((v, ctx): [number, number] | undefined => {
    if (!v.trim()) return undefined;
    const [first, last] = v.trim().split('-').map(Number) as [number, number];
    if (first < 1 || last > 65_535 || first > last) {
      ctx.addIssue({ code: 'custom', message: `expected 1 ≤ FIRST ≤ LAST ≤ 65535, got ${first}-${last}` });
      return z.NEVER;
    }
    return [first, last];
  });

/**
 * Which proxies' `X-Forwarded-For` to believe: none (`false`), any (`true`), the nearest `hops`
 * proxies, or these addresses/CIDRs.
 */
export type TrustProxySetting = boolean | { hops: number } | string[];

/** `TRUST_PROXY`: empty or `false` → false, `true`, a hop count, or comma-separated addresses/CIDRs. */
export const trustProxy = z
  .string()
  .regex(/^(|true|false|\d+|[0-9a-fA-F.:/,\s]+)$/, 'expected true, false, a hop count or comma-separated addresses/CIDRs')
  .transform((value): TrustProxySetting => {
    const v = value.trim();
    if (!v || v === 'false') return false;
    if (v === 'true') return true;
    if (/^\d+$/.test(v)) return { hops: Number(v) };
    return v.split(',').map((s) => s.trim()).filter(Boolean);
  });

/** A transfer target (`TRANSFER_TO`): an E.164 number or a `sip:` URI, or undefined when empty. */
export const transferTarget = z
  .string()
  .optional()
  .transform((v, ctx): TransferTarget | undefined => {
    if (!v || !v.trim()) return undefined;
    const r = parseTransferTarget(v);
    if (r.ok) return r.target;
    ctx.addIssue({ code: 'custom', message: r.error });
    return z.NEVER;
  });

/** An absolute `http:`/`https:` URL, or undefined when empty. */
export const optionalHttpUrl = z
  .string()
  .optional()
  .transform((v, ctx): string | undefined => {
    if (!v || !v.trim()) return undefined;
    try {
      const url = new URL(v.trim());
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.toString();
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: `expected an http(s) URL, got "${v}"` });
    return z.NEVER;
  });

/** Invalid settings: `problems` names each one (`KEY="value": why`). */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates every setting of `spec` from `env` plus `overrides` (which win); an empty or absent
 * value takes the default.
 * @throws ConfigError listing every invalid setting.
 */
export function parseSettings<S extends SettingsSpec>(spec: S, env: Readonly<Record<string, string | undefined>>, overrides: Readonly<Record<string, unknown>> = {}): SettingValues<S> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, [schema, def]] of Object.entries(spec)) {
    const raw = overrides[key] ?? env[key];
    const value = raw === undefined || raw === '' ? def : raw;
    if (value === undefined) {
      out[key] = undefined;
      continue;
    }
    const r = schema.safeParse(value);
    if (r.success) out[key] = r.data;
    else problems.push(`${key}=${JSON.stringify(raw)}: ${r.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length) throw new ConfigError(problems);
  return out as SettingValues<S>;
}

/**
 * The README's configuration table (Markdown) of `spec`, in its order: variable, default
 * (`(unset)` when none) and description.
 */
export function settingsTable(spec: SettingsSpec): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const rows = Object.entries(spec).map(([key, [, def, description]]) => `| \`${key}\` | ${def === undefined ? '(unset)' : `\`${String(def)}\``} | ${cell(description)} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
