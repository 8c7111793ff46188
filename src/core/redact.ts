/**
 * Keeping secrets and attacker-sized text out of log lines: credential-bearing query parameters in
 * URLs are replaced with `[REDACTED]`, and long strings are cut to a bounded length. Pure; the
 * logger (`log-output.ts`) and the HTTP app install these as pino serializers and hooks.
 */

/** What replaces a credential's value in a logged URL. */
export const REDACTED = '[REDACTED]';

/** Longest string field kept whole in a log line, characters; longer ones are cut. */
export const MAX_LOG_FIELD_CHARS = 256;

/** Longest log message kept whole, characters (messages may quote a bad input's reason). */
export const MAX_LOG_MESSAGE_CHARS = 512;

/**
 * Query-parameter names that carry credentials: our `token`, OAuth's `access_token`/`id_token`/
 * `code`, signatures (`signature`, `sig`, AWS `X-Amz-Signature`/`X-Amz-Credential`/
 * `X-Amz-Security-Token`), keys, secrets and passwords. Matched case-insensitively.
 */
const CREDENTIAL_PARAM = /token|secret|passw|pwd|signature|credential|key|jwt|^sig$|^auth|^code$/i;

/** Whether a query parameter named `name` carries a credential. */
export function isCredentialParam(name: string): boolean {
  return CREDENTIAL_PARAM.test(name);
}

/**
 * `url` (absolute, or a path with a query string such as `req.url`) with the value of every
 * credential-bearing query parameter replaced by `[REDACTED]`. Everything else is left byte for
 * byte as it was (no re-encoding), so the line still shows which route and options were used.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = hash < 0 ? url.slice(q + 1) : url.slice(q + 1, hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      return isCredentialParam(decodeName(pair.slice(0, eq))) ? `${pair.slice(0, eq)}=${REDACTED}` : pair;
    })
    .join('&');
  return `${url.slice(0, q + 1)}${redacted}${hash < 0 ? '' : url.slice(hash)}`;
}

/** A `?name=value` or `&name=value` pair inside free text. */
const QUERY_PAIR = /([?&])([^=&\s?#"'<>]+)=([^&\s#"'<>]*)/g;

/**
 * `text` (a log message, an error string) with every URL query pair in it whose name carries a
 * credential (`…?token=…`, `…&sig=…`) redacted: a backstop for URLs quoted in free text.
 */
export function redactText(text: string): string {
  if (!text.includes('=')) return text;
  return text.replace(QUERY_PAIR, (pair, sep: string, name: string) => (isCredentialParam(decodeName(name)) ? `${sep}${name}=${REDACTED}` : pair));
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** `text` cut to `maxChars` with a note of how much was dropped (`…[+N chars]`). */
export function truncateText(text: string, maxChars = MAX_LOG_FIELD_CHARS): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars)}…[+${text.length - maxChars} chars]`;
}

/**
 * A copy of a log line's fields with credentials in quoted URLs redacted (`redactText`) and long
 * strings cut to `maxChars`, in plain objects and arrays
 * down to `depth` levels. Other objects (errors, requests, buffers) are left to their serializers.
 */
export function truncateFields(value: unknown, maxChars = MAX_LOG_FIELD_CHARS, depth = 3): unknown {
  if (typeof value === 'string') return truncateText(redactText(value), maxChars);
  if (depth <= 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => truncateFields(v, maxChars, depth - 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = truncateFields(v, maxChars, depth - 1);
  return out;
}

/** The fields of a request that a log line shows (Fastify's own choice), with the URL redacted. */
export interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  remoteAddress?: string;
  remotePort?: number;
}

/**
 * pino serializers: `req` (a Fastify request) as method, redacted URL, host and peer; `url` and
 * `path` fields (e.g. a webhook URL, a WebSocket path) redacted wherever they appear.
 */
export const redactingSerializers = {
  req(req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }): LoggedRequest {
    return {
      method: req.method,
      url: typeof req.url === 'string' ? truncateText(redactUrl(req.url), MAX_LOG_MESSAGE_CHARS) : req.url,
      host: req.host,
      remoteAddress: req.ip,
      remotePort: req.socket?.remotePort,
    };
  },
  url: (url: unknown) => (typeof url === 'string' ? truncateText(redactUrl(url), MAX_LOG_MESSAGE_CHARS) : url),
  path: (path: unknown) => (typeof path === 'string' ? truncateText(redactUrl(path), MAX_LOG_MESSAGE_CHARS) : path),
};
