/**
 * CORS for the routes a web page on another origin calls (`POST /connect`, `GET /status/:id`, the
 * WebRTC offer): the Fetch standard's CORS protocol (https://fetch.spec.whatwg.org/#http-cors-protocol).
 * Pipecat's client posts with `mode: "cors"` and `Content-Type: application/json`, so browsers send
 * a preflight `OPTIONS` first. Pure: request headers in, response headers out.
 */

/** Methods the CORS routes allow. */
export const CORS_METHODS = 'GET, POST, PATCH, DELETE, OPTIONS';
/** How long a browser may cache a preflight's answer, seconds. */
export const CORS_MAX_AGE_S = 600;
/** Response headers a page may read besides the CORS-safelisted ones. */
const EXPOSED = 'Location, Retry-After, WWW-Authenticate';

/** Whether `origin` (the `Origin` header) is one of `allowed` (`CORS_ORIGINS`; `*` allows any). */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (!origin) return false;
  return allowed.includes('*') || allowed.includes(origin.replace(/\/+$/, ''));
}

/**
 * The CORS response headers for a request from `origin`: none when it is not allowed (the browser
 * then refuses the page the response). `Vary: Origin` always, since the answer depends on it.
 * @param preflight for an `OPTIONS` preflight: `requestHeaders` is its `Access-Control-Request-Headers`,
 *   echoed back (validated as a header-name list) so the page may send `Authorization` and `Content-Type`.
 */
export function corsHeaders(origin: string | undefined, allowed: readonly string[], preflight?: { requestHeaders?: string }): Record<string, string> {
  const headers: Record<string, string> = { vary: 'Origin' };
  if (!originAllowed(origin, allowed)) return headers;
  headers['access-control-allow-origin'] = origin!;
  headers['access-control-expose-headers'] = EXPOSED;
  if (preflight) {
    headers['access-control-allow-methods'] = CORS_METHODS;
    const requested = preflight.requestHeaders?.trim();
    headers['access-control-allow-headers'] = requested && /^[\w-]+(\s*,\s*[\w-]+)*$/.test(requested) ? requested : 'Content-Type, Authorization';
    headers['access-control-max-age'] = String(CORS_MAX_AGE_S);
  }
  return headers;
}
