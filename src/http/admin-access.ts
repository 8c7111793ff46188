/**
 * Who may read every caller's records and control calls: `GET /calls` (transcripts, numbers),
 * `GET /stats`, `GET /monitor` and any route under `/calls/`. Callers are not admins; the rule, in order:
 *
 * 1. `ADMIN_TOKEN` set: `Authorization: Bearer <ADMIN_TOKEN>` is admin (compared in constant time;
 *    header only, so it never sits in a URL).
 * 2. Browser JWT auth configured (`AUTH_JWT_SECRET`/`AUTH_JWKS_URL`): a valid JWT whose `scope`
 *    (space-separated, RFC 8693 §4.2) or `scp` (string or array) holds `AUTH_ADMIN_SCOPE` is admin;
 *    any other valid JWT gets 403.
 * 3. Neither configured: a local client is admin: the TCP peer is loopback (127.0.0.0/8, ::1) and
 *    the request carries no forwarding header (`X-Forwarded-For`, `Forwarded`, `X-Real-IP`), since
 *    through a reverse proxy on the same machine every client looks local. The peer address is the
 *    socket's, never a header's, so a forged `X-Forwarded-For` cannot pass for loopback.
 *
 * Anything else: 401 without (valid) credentials, 403 with credentials that are not admin's or
 * from a client that is not local.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JWTPayload } from 'jose';
import type { BrowserAuth } from './auth.js';

/** Settings of the rule (`ADMIN_TOKEN`, `AUTH_ADMIN_SCOPE`) and the browser JWT check. */
export interface AdminAccessSettings {
  adminToken?: string;
  /** Scope a JWT must hold to be admin (e.g. `voicebridge:admin`). */
  adminScope: string;
  auth: BrowserAuth;
}

/** What the rule needs to know about a request. */
export interface AdminRequest {
  authorization?: string;
  /** The request URL (a JWT may come as `?token=`). */
  url: string;
  /** The TCP peer's address (`req.socket.remoteAddress`). */
  remoteAddress?: string;
  /** Whether the request carries a forwarding header (it came through a proxy). */
  forwarded: boolean;
  /** The `Host` header, as sent. */
  host?: string;
}

/** The rule's answer: who was let in, or the HTTP status and reason of a refusal. */
export type AdminDecision = { ok: true; via: 'admin-token' | 'jwt-scope' | 'local' } | { ok: false; status: 401 | 403; message: string };

/** The admin rule for one server. */
export interface AdminAccess {
  /** Who is admin, in one line (for the start-up log and errors). */
  readonly description: string;
  /** Applies the rule. Never throws. */
  check(req: AdminRequest): Promise<AdminDecision>;
}

/** Whether `address` is a loopback address: 127.0.0.0/8 (also IPv4-mapped, `::ffff:127.x`) or ::1. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === '::1' || address === '0:0:0:0:0:0:0:1';
}

/**
 * Whether a `Host` header names this machine's loopback (`localhost`, `127.x.x.x` in any form
 * the URL standard reads as one, such as `127.1`, `[::1]`, `[::ffff:127.0.0.1]`, any
 * port). A page on another site that rebinds its own name to 127.0.0.1 (DNS rebinding) reaches a
 * local server over loopback, but its requests still carry that site's name. The any-address
 * `0.0.0.0` is not taken: browsers have let public pages reach it ("0.0.0.0 day"). The header is
 * read as the WHATWG URL parser reads a host (so `127.1` is 127.0.0.1); anything but a host and
 * port (a user part, a path) is refused.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return false;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  if (name.startsWith('[')) name = name.slice(1, -1);
  // `localhost.` is refused: unlike `localhost`, some resolvers send it to the network's DNS.
  if (name === 'localhost') return true;
  // The parser writes an IPv4-mapped address in hex: ::ffff:7f00:1 is ::ffff:127.0.0.1.
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(name);
  if (mapped) return parseInt(mapped[1], 16) >> 8 === 127;
  return isLoopbackAddress(name);
}

/** Whether JWT `claims` grant `scope` (`scope`: space-separated string; `scp`: string or array). */
export function hasScope(claims: JWTPayload | null, scope: string): boolean {
  if (!claims) return false;
  const listed = (v: unknown): string[] => (typeof v === 'string' ? v.split(/\s+/) : Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
  return [...listed(claims.scope), ...listed(claims.scp)].includes(scope);
}

/** Constant-time string equality (both sides hashed first, so lengths leak nothing either). */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Builds the rule from the settings. */
export function createAdminAccess(settings: AdminAccessSettings): AdminAccess {
  const { adminToken, adminScope, auth } = settings;
  const description = [adminToken ? 'the admin token (Authorization: Bearer ADMIN_TOKEN)' : '', auth.required ? `a bearer JWT with scope ${adminScope}` : '', !adminToken && !auth.required ? 'clients on this machine (loopback) only' : ''].filter(Boolean).join(' or ');
  const needs = `admin access needed: ${description}`;
  return {
    description,
    async check(req) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(req.authorization ?? '')?.[1];
      if (adminToken && bearer && sameSecret(bearer, adminToken)) return { ok: true, via: 'admin-token' };
      if (auth.required) {
        const result = await auth.check(req.authorization, req.url);
        if (!result.ok) return { ok: false, status: 401, message: `${needs} (${result.message})` };
        if (hasScope(result.claims, adminScope)) return { ok: true, via: 'jwt-scope' };
        return { ok: false, status: 403, message: `this token lacks the ${adminScope} scope: ${needs}` };
      }
      if (adminToken) return { ok: false, status: 401, message: needs };
      if (isLoopbackAddress(req.remoteAddress) && !req.forwarded) {
        if (isLoopbackHost(req.host)) return { ok: true, via: 'local' };
        return { ok: false, status: 403, message: `${needs}: a loopback client must address this server as localhost, 127.0.0.1 or [::1], not ${JSON.stringify(req.host ?? '')}; set ADMIN_TOKEN to use another name` };
      }
      return { ok: false, status: 403, message: `${needs}; set ADMIN_TOKEN to allow other clients` };
    },
  };
}

/** Headers that mean a proxy forwarded the request. */
const FORWARDING_HEADERS = ['x-forwarded-for', 'forwarded', 'x-real-ip'];

/** The rule's view of a Fastify request (the socket's peer address, never `req.ip`). */
export function adminRequestOf(req: FastifyRequest): AdminRequest {
  return { authorization: req.headers.authorization, url: req.url, remoteAddress: req.socket?.remoteAddress ?? req.raw.socket?.remoteAddress, forwarded: FORWARDING_HEADERS.some((h) => req.headers[h] !== undefined), host: req.headers.host };
}

/** Whether `url` (a route path) is an admin route: `/calls`, `/stats`, `/monitor`, or under `/calls/`. */
export function isAdminRoute(url: string): boolean {
  return url === '/calls' || url === '/stats' || url === '/monitor' || url.startsWith('/calls/');
}

/**
 * A `preValidation` hook applying `access`: refusals answer 401 (with `WWW-Authenticate: Bearer`)
 * or 403, with `{ error, message }`.
 */
export function requireAdmin(access: AdminAccess) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const decision = await access.check(adminRequestOf(req));
    if (decision.ok) return;
    if (decision.status === 401) reply.header('www-authenticate', 'Bearer');
    await reply.code(decision.status).send({ error: decision.status === 401 ? 'unauthorized' : 'forbidden', message: decision.message });
  };
}
