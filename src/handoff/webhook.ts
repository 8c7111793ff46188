/**
 * Tells a team's system about a hand-off: the record is POSTed as JSON to `TRANSFER_WEBHOOK_URL`,
 * signed with HMAC-SHA256 over the exact body (`X-VoiceBridge-Signature: sha256=<hex>`), and a
 * `X-VoiceBridge-Timestamp` (Unix seconds) that is part of the signed text so a captured request
 * cannot be replayed later. The receiver recomputes `HMAC(secret, timestamp + "." + body)`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Handoff } from './record.js';

/** Header carrying the signature. */
export const SIGNATURE_HEADER = 'x-voicebridge-signature';
/** Header carrying the signing time, Unix seconds. */
export const TIMESTAMP_HEADER = 'x-voicebridge-timestamp';

/** `sha256=<hex>` of `timestamp.body` under `secret`. */
export function signHandoffBody(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/**
 * Checks a received hand-off webhook (for receivers and tests): signature matches and the timestamp
 * is within `maxAgeS` of `nowS`.
 */
export function verifyHandoffBody(secret: string, signature: string | undefined, timestampS: number, body: string, nowS: number, maxAgeS = 300): boolean {
  if (!signature || !Number.isFinite(timestampS) || Math.abs(nowS - timestampS) > maxAgeS) return false;
  const expected = Buffer.from(signHandoffBody(secret, timestampS, body));
  const got = Buffer.from(signature);
  return expected.length === got.length && timingSafeEqual(expected, got);
}

/** Where and how to deliver hand-off records. */
export interface HandoffWebhook {
  url: string;
  secret: string;
  /** Wall clock, ms since the epoch (injected for tests). */
  nowMs(): number;
  /** `fetch` (injected for tests). */
  fetch: typeof fetch;
  /** Gives up after `timeoutMs` on this clock. */
  clock: Clock;
  /** Gives up after this long, ms. */
  timeoutMs: number;
}

/**
 * POSTs `handoff` to the webhook.
 * @returns the HTTP status, or an error message when it could not be delivered (never throws).
 */
export async function deliverHandoff(webhook: HandoffWebhook, handoff: Handoff): Promise<{ ok: true; status: number } | { ok: false; error: string }> {
  const body = JSON.stringify(handoff);
  const timestampS = Math.floor(webhook.nowMs() / 1000);
  const abort = new AbortController();
  const timer = webhook.clock.setTimeout(() => abort.abort(new Error(`no answer within ${webhook.timeoutMs} ms`)), webhook.timeoutMs);
  try {
    const res = await webhook.fetch(webhook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signHandoffBody(webhook.secret, timestampS, body), [TIMESTAMP_HEADER]: String(timestampS) },
      body,
      signal: abort.signal,
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.ok ? { ok: true, status: res.status } : { ok: false, error: `webhook answered ${res.status}` };
  } catch (err) {
    return { ok: false, error: abort.signal.aborted ? String((abort.signal.reason as Error).message) : err instanceof Error ? err.message : String(err) };
  } finally {
    webhook.clock.clearTimeout(timer);
  }
}
