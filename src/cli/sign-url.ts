/**
 * `voicebridge sign-url --route ws|client|webrtc [--ttl SECONDS] [--url https://HOST]`: prints a
 * presigned URL that opens one stream on that route, once, within `--ttl` seconds (default
 * `STREAM_TOKEN_TTL_MS`), signed with `STREAM_TOKEN_SECRET` — the server's own key, so it must be
 * set for both. The URL goes to stdout alone (for scripts); its expiry to stderr.
 */
import { isPresignableRoute, MAX_PRESIGNED_TTL_S, PRESIGNABLE_ROUTES, presignedUrl } from '../auth/presign.js';
import { signStreamToken } from '../auth/stream-token.js';
import { loadConfig } from '../config/config.js';

/** Flags of `sign-url` (strings as given). */
export interface SignUrlFlags {
  route?: string;
  ttl?: string;
  url?: string;
}

/**
 * Prints the URL; returns the exit code (0, or 2 for bad flags or a missing secret or base URL).
 * @param env the environment (`STREAM_TOKEN_SECRET`, `PUBLIC_URL`, `STREAM_TOKEN_TTL_MS`).
 * @param nowMs the wall clock, Unix epoch ms.
 * @throws Error for an invalid configuration (as every command).
 */
export function runSignUrl(flags: SignUrlFlags, env: Record<string, string | undefined>, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, nowMs: () => number = Date.now): number {
  const fail = (line: string) => {
    io.stderr.write(`voicebridge sign-url: ${line}\n`);
    return 2;
  };
  if (!isPresignableRoute(flags.route)) return fail(`--route must be one of ${PRESIGNABLE_ROUTES.join(', ')} (Twilio and Vonage streams get theirs from the answer webhook)`);
  const config = loadConfig(env);
  const ttlS = flags.ttl === undefined ? config.STREAM_TOKEN_TTL_MS / 1000 : Number(flags.ttl);
  if (!Number.isInteger(ttlS) || ttlS < 1 || ttlS > MAX_PRESIGNED_TTL_S) return fail(`--ttl must be a whole number of seconds from 1 to ${MAX_PRESIGNED_TTL_S}`);
  if (!config.STREAM_TOKEN_SECRET) return fail('STREAM_TOKEN_SECRET is not set: set the same value here and on the server (without it the server signs with a random key only it knows; an authenticated POST /streams asks the server instead)');
  const base = flags.url ?? config.PUBLIC_URL;
  if (!base || !/^https?:\/\/[^/]+\/?$/.test(base)) return fail('needs the server\'s base URL: --url https://HOST (or PUBLIC_URL)');
  const expiresAtMs = nowMs() + ttlS * 1000;
  const token = signStreamToken(Buffer.from(config.STREAM_TOKEN_SECRET), { route: flags.route, expiresAtMs });
  io.stdout.write(`${presignedUrl(base, flags.route, token)}\n`);
  io.stderr.write(`one stream on ${flags.route}, once, until ${new Date(expiresAtMs).toISOString()}\n`);
  return 0;
}
