/**
 * Bearer-JWT authentication for browser callers (`/client`, `/ws`, `/webrtc/offer`) and the call
 * list: HS256 with a shared secret (development) or any JWKS URL (e.g. a Cognito user pool), with
 * optional issuer and audience checks, through `jose`. Tokens must carry `exp` (RFC 7519 §4.1.4):
 * one without would be valid forever. Browsers cannot set headers on a WebSocket, so the token may
 * also come as `?token=`.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';

/** Outcome of a check. */
export type AuthResult = { ok: true; claims: JWTPayload | null } | { ok: false; message: string };

/** Checks a request's credentials. */
export interface BrowserAuth {
  /** Whether a token is required at all. */
  readonly required: boolean;
  /** Verifies the token from `authorization` or the `token` query parameter. Never throws. */
  check(authorization: string | undefined, url: string): Promise<AuthResult>;
}

/** Auth settings (the AUTH_* configuration). */
export interface AuthSettings {
  jwtSecret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

/** The token of a request: `Authorization: Bearer …`, else `?token=`. */
export function bearerToken(authorization: string | undefined, url: string): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (m) return m[1];
  return new URL(url, 'http://localhost').searchParams.get('token') ?? undefined;
}

/** Builds the checker; with neither a secret nor a JWKS URL, everything is allowed. */
export function createBrowserAuth(settings: AuthSettings): BrowserAuth {
  if (!settings.jwtSecret && !settings.jwksUrl) return { required: false, check: async () => ({ ok: true, claims: null }) };
  const key = settings.jwksUrl ? createRemoteJWKSet(new URL(settings.jwksUrl)) : new TextEncoder().encode(settings.jwtSecret);
  // A token without `exp` would be valid forever: refused (jose `requiredClaims`).
  const options = { requiredClaims: ['exp'], ...(settings.issuer ? { issuer: settings.issuer } : {}), ...(settings.audience ? { audience: settings.audience } : {}), ...(settings.jwksUrl ? {} : { algorithms: ['HS256'] }) };
  return {
    required: true,
    async check(authorization, url) {
      const token = bearerToken(authorization, url);
      if (!token) return { ok: false, message: 'a bearer token is required' };
      try {
        const { payload } = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
        return { ok: true, claims: payload };
      } catch (err) {
        return { ok: false, message: `invalid token: ${err instanceof Error ? err.message : String(err)}` };
      }
    },
  };
}
