/**
 * `StreamTokens`: issues stream tokens and admits media streams that present one, once. Holds the
 * secret, the default lifetime, the wall clock and the replay store (all injected).
 */
import { randomBytes } from 'node:crypto';
import type { ReplayStore } from './replay-store.js';
import { callBindingProblem, refusal, signStreamToken, verifyStreamToken, type StreamRoute, type StreamTokenCheck } from './stream-token.js';

/** Settings and collaborators of `StreamTokens`. */
export interface StreamTokensOptions {
  /** HMAC key (`STREAM_TOKEN_SECRET`). */
  secret: Uint8Array;
  /** Lifetime of a token when the issuer gives none, ms (`STREAM_TOKEN_TTL_MS`). */
  ttlMs: number;
  /** Wall clock, Unix epoch ms (`Date.now` in production). */
  nowMs: () => number;
  store: ReplayStore;
}

/** A token as handed out. */
export interface IssuedStreamToken {
  token: string;
  /** Unix epoch ms. */
  expiresAtMs: number;
}

/** Issues and admits stream tokens. */
export class StreamTokens {
  constructor(private readonly opts: StreamTokensOptions) {}

  /** Default lifetime, ms. */
  get ttlMs(): number {
    return this.opts.ttlMs;
  }

  /**
   * A new token for `route`, bound to `carrierCallId` when given, living `ttlMs` (default: the
   * configured lifetime).
   */
  issue(route: StreamRoute, options: { carrierCallId?: string; ttlMs?: number } = {}): IssuedStreamToken {
    const expiresAtMs = this.opts.nowMs() + (options.ttlMs ?? this.opts.ttlMs);
    return { token: signStreamToken(this.opts.secret, { route, carrierCallId: options.carrierCallId, expiresAtMs }), expiresAtMs };
  }

  /**
   * Admits a stream on `route`: checks the token's signature, route and expiry, its call binding
   * when `carrierCallId` is known (pass `undefined` to check it later with `callBindingProblem`),
   * then uses it up. A refused token is not used up. Never throws (a failing store refuses).
   */
  async admit(token: string | undefined, route: StreamRoute, carrierCallId?: string): Promise<StreamTokenCheck> {
    const check = verifyStreamToken(this.opts.secret, token, route, this.opts.nowMs());
    if (!check.ok) return check;
    if (carrierCallId !== undefined) {
      const binding = callBindingProblem(check.claims, carrierCallId);
      if (binding) return binding;
    }
    let fresh: boolean;
    try {
      fresh = await this.opts.store.consume(check.claims.tokenId, check.claims.expiresAtMs);
    } catch {
      return refusal('unchecked');
    }
    return fresh ? check : refusal('replayed');
  }
}

/** A random secret for one process (when `STREAM_TOKEN_SECRET` is unset), 32 bytes. */
export function randomStreamSecret(): Uint8Array {
  return randomBytes(32);
}
