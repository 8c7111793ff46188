/**
 * Presigned URLs for the caller routes (`/ws`, `/client`, `/webrtc/offer`): the route's address
 * with a one-time stream token as `?token=`, which those routes accept instead of a JWT. What
 * `POST /streams` and `voicebridge sign-url` hand out.
 */
import type { StreamRoute } from './stream-token.js';

/** Routes a presigned URL can open (the carriers' routes get theirs from the answer webhooks). */
export const PRESIGNABLE_ROUTES = ['ws', 'client', 'webrtc'] as const;
/** A route a presigned URL can open. */
export type PresignableRoute = (typeof PRESIGNABLE_ROUTES)[number] & StreamRoute;

/** Longest lifetime of a presigned URL, seconds (`POST /streams`, `voicebridge sign-url`). */
export const MAX_PRESIGNED_TTL_S = 3600;

const PATHS: Record<PresignableRoute, string> = { ws: '/ws', client: '/client', webrtc: '/webrtc/offer' };

/** Whether `route` can be presigned. */
export function isPresignableRoute(route: unknown): route is PresignableRoute {
  return PRESIGNABLE_ROUTES.includes(route as PresignableRoute);
}

/**
 * The presigned URL of `route` on the server at `baseUrl` (`https://host`, no path): `wss://` for
 * the WebSocket routes, `https://` for the WebRTC offer (POST the SDP offer to it).
 */
export function presignedUrl(baseUrl: string, route: PresignableRoute, token: string): string {
  const http = baseUrl.replace(/\/+$/, '');
  const base = route === 'webrtc' ? http : http.replace(/^http/, 'ws');
  return `${base}${PATHS[route]}?token=${encodeURIComponent(token)}`;
}
