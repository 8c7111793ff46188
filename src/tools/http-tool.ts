/**
 * A `TOOLS_FILE` HTTP tool: the model's arguments go to the URL as query parameters (GET, DELETE)
 * or as a JSON body (POST, PUT, PATCH); a 2xx answer is the result (JSON when it parses, else its
 * text), any other status an error naming it. Aborted with the call (hang-up) or its timeout.
 */
import type { Tool } from './registry.js';
import type { HttpToolSpec } from './tools-file.js';
import { offlineOf } from './offline.js';

/** Longest answer body read, bytes (a larger one is an error: the model could not use it anyway). */
export const MAX_HTTP_TOOL_RESPONSE_BYTES = 256 * 1024;

/**
 * Builds the tool for `spec`, with `headers` already resolved (see `resolveHeaders`).
 * @param fetchImpl injected fetch (default the global one).
 */
export function httpTool(spec: HttpToolSpec, headers: Record<string, string>, fetchImpl: typeof fetch = fetch): Tool {
  const withBody = spec.method === 'POST' || spec.method === 'PUT' || spec.method === 'PATCH';
  return {
    name: spec.name,
    description: spec.description,
    inputSchema: spec.parameters,
    ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
    ...offlineOf(spec.offline),
    async run(args, ctx) {
      const url = new URL(spec.url);
      if (!withBody) for (const [k, v] of Object.entries(args)) url.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
      const res = await fetchImpl(url, {
        method: spec.method,
        headers: { accept: 'application/json, text/plain;q=0.9', ...(withBody ? { 'content-type': 'application/json' } : {}), ...headers },
        body: withBody ? JSON.stringify(args) : undefined,
        signal: ctx.signal,
        redirect: 'error',
      });
      const text = await readLimited(res, MAX_HTTP_TOOL_RESPONSE_BYTES);
      if (!res.ok) throw new Error(`HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    },
  };
}

/** Reads `res`'s body as text, at most `maxBytes`. @throws Error when it is longer. */
async function readLimited(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new Error(`answer longer than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
