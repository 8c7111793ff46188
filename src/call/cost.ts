/**
 * What a call cost: the model's token usage × its prices, plus a price per minute of call. Pure.
 *
 * Prices are looked up by the model's vendor id (`SpeechModel.billingId`: `NOVA_MODEL_ID`,
 * `OPENAI_REALTIME_MODEL`) first, then by the provider id (`nova-sonic`, `openai`, `local`); a model
 * with no price has no cost (`CallSummary.costUsd` absent). The local and loopback models run here
 * and have no default price: their calls have no cost unless `MODEL_PRICES` gives one.
 *
 * Default prices (`DEFAULT_MODEL_PRICES`), US dollars, on-demand, read 2026-12-01:
 * - Nova Sonic (`amazon.nova-sonic-v1:0`): speech input $0.0034 and speech output $0.0136 per 1,000
 *   tokens (https://aws.amazon.com/bedrock/pricing/, "Amazon Nova Sonic", us-east-1).
 * - Nova 2 Sonic (`amazon.nova-2-sonic-v1:0`): speech input $3.00 and speech output $12.00 per 1M
 *   tokens (AWS Price List API, AmazonBedrock offer, us-east-1, as quoted by cost write-ups; the
 *   Bedrock pricing page's figure was not read: check it).
 * - OpenAI `gpt-realtime`, `gpt-realtime-1.5`, `gpt-realtime-2`: audio input $32 and audio output
 *   $64 per 1M tokens; `gpt-realtime-mini`: $10 and $20
 *   (https://developers.openai.com/api/docs/models/gpt-realtime-1.5, …/gpt-realtime-2, …/gpt-realtime-mini).
 *
 * Both vendors price text tokens far lower than speech/audio ones and OpenAI cached input lower
 * still, but the usage events voicebridge keeps are totals (input, output) without that split: the
 * speech prices apply to every token, since voice dominates a call's tokens. The cost is therefore an
 * upper estimate; prices change and differ by region: override them with `MODEL_PRICES`.
 */
import { z } from 'zod';

/** Prices of one model, US dollars; an absent price counts as 0. */
export interface ModelPrice {
  /** Per 1,000 input tokens. */
  inputPer1kTokensUsd?: number;
  /** Per 1,000 output tokens. */
  outputPer1kTokensUsd?: number;
  /** Per minute of call (the call's whole duration), for models billed by time. */
  perMinuteUsd?: number;
}

/** Prices by model id (a vendor model id such as `gpt-realtime`, or a provider id such as `local`). */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/** Token usage of a call (all its model sessions), tokens. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

const OPENAI_REALTIME: ModelPrice = { inputPer1kTokensUsd: 0.032, outputPer1kTokensUsd: 0.064 };

/** Default prices (sources and date: this module's comment). */
export const DEFAULT_MODEL_PRICES: PriceTable = {
  'amazon.nova-sonic-v1:0': { inputPer1kTokensUsd: 0.0034, outputPer1kTokensUsd: 0.0136 },
  'amazon.nova-2-sonic-v1:0': { inputPer1kTokensUsd: 0.003, outputPer1kTokensUsd: 0.012 },
  'gpt-realtime': OPENAI_REALTIME,
  'gpt-realtime-1.5': OPENAI_REALTIME,
  'gpt-realtime-2': OPENAI_REALTIME,
  'gpt-realtime-mini': { inputPer1kTokensUsd: 0.01, outputPer1kTokensUsd: 0.02 },
};

const usd = z.number().finite().min(0);

/** Schema of `MODEL_PRICES`: a JSON object of model id → prices (unknown price names refused). */
export const priceTableSchema = z.record(
  z.string().min(1),
  z.strictObject({ inputPer1kTokensUsd: usd.optional(), outputPer1kTokensUsd: usd.optional(), perMinuteUsd: usd.optional() }),
);

/**
 * `MODEL_PRICES` as a setting: JSON text parsed and checked, merged over the defaults (a model
 * given here replaces its default prices whole). Empty: the defaults.
 */
export const modelPricesSetting = z.string().transform((text, ctx): PriceTable => {
  if (!text.trim()) return DEFAULT_MODEL_PRICES;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `not JSON (${(err as Error).message}); expected {"<model>": {"inputPer1kTokensUsd": 0.03, "outputPer1kTokensUsd": 0.06, "perMinuteUsd": 0}}` });
    return z.NEVER;
  }
  const r = priceTableSchema.safeParse(json);
  if (!r.success) {
    for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: `${i.path.join('.') || '(top)'}: ${i.message}` });
    return z.NEVER;
  }
  return { ...DEFAULT_MODEL_PRICES, ...r.data };
});

/** The prices of `model` in `table`: by its vendor id (`billingId`), else its provider id; undefined: none. */
export function priceFor(table: PriceTable, model: { id: string; billingId?: string }): ModelPrice | undefined {
  return (model.billingId !== undefined ? table[model.billingId] : undefined) ?? table[model.id];
}

/**
 * The cost of a call, US dollars: input tokens × `inputPer1kTokensUsd` / 1000 + output tokens ×
 * `outputPer1kTokensUsd` / 1000 + `durationMs` / 60,000 × `perMinuteUsd` (no usage: tokens count 0).
 */
export function callCostUsd(price: ModelPrice, usage: TokenUsage | undefined, durationMs: number): number {
  const tokens = usage ? (usage.inputTokens * (price.inputPer1kTokensUsd ?? 0) + usage.outputTokens * (price.outputPer1kTokensUsd ?? 0)) / 1000 : 0;
  return tokens + (Math.max(0, durationMs) / 60_000) * (price.perMinuteUsd ?? 0);
}
