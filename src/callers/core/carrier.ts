/**
 * The shape of a carrier (caller protocol): what the HTTP layer needs to serve it. Each carrier
 * folder exports one `Carrier`; `registry.ts` lists them; `src/http/carrier-routes.ts` serves every
 * WebSocket carrier the same way and `src/http/accept-call.ts` hands every transport to the calls.
 */
import type { StreamRoute } from '../../auth/stream-token.js';
import type { CallerKind, CallerTransport } from '../transport.js';
import type { CallerSocket } from './socket.js';
import type { TransportDeps } from './transport-core.js';

/**
 * Who may open a stream on a carrier's route, checked before the upgrade:
 * - `caller`: a one-time presigned stream token for the route, or a valid JWT (open when no JWT
 *   auth is configured) — browsers, devices and bridges;
 * - `stream-token`: the one-time stream token the carrier's answer webhook put in the stream URL;
 * - `carrier-signature`: the carrier's signature on the upgrade (when a secret is configured); its
 *   one-time token arrives inside the stream and is checked through `CarrierContext.admitStreamToken`.
 */
export type CarrierAuth = 'caller' | 'stream-token' | 'carrier-signature';

/** What a carrier's transport is built with besides its socket. */
export interface CarrierContext extends TransportDeps {
  /** The upgrade's query parameters, credentials (`token`, signatures) removed. */
  query: Record<string, string>;
  /**
   * Admits a one-time stream token for this carrier's route, bound to `carrierCallId` (for tokens
   * that arrive inside the stream). Resolves with the reason to refuse, or null to admit.
   */
  admitStreamToken(token: string | undefined, carrierCallId: string | undefined): Promise<string | null>;
  /**
   * Checks the call binding of the token presented at the upgrade (`stream-token` auth) once the
   * carrier names its call: the reason to refuse, or null to admit.
   */
  checkCallBinding(carrierCallId: string | undefined): string | null;
}

/** A transport a carrier built; `announce` tells the caller its call id (browser protocols). */
export type CarrierTransport = CallerTransport & { announce?(callId: string, modelId: string): void };

/** A caller protocol served over a WebSocket. */
export interface WebSocketCarrier {
  readonly kind: CallerKind;
  /** Name in log lines and docs, e.g. `Twilio`. */
  readonly name: string;
  readonly connection: 'websocket';
  /** The WebSocket route, e.g. `/twilio/media`. */
  readonly path: string;
  /** Stream-token route name (`StreamRoute`) the route's tokens are issued for. */
  readonly tokenRoute: StreamRoute;
  readonly auth: CarrierAuth;
  /** Builds the transport over an accepted socket (the one constructor shape: socket, deps). */
  create(socket: CallerSocket, context: CarrierContext): CarrierTransport;
}

/** A caller protocol with its own signalling route (WebRTC: an SDP offer over HTTP). */
export interface SignalledCarrier {
  readonly kind: CallerKind;
  /** Name in log lines and docs, e.g. `WebRTC`. */
  readonly name: string;
  readonly connection: 'signalled';
  /** The signalling route, e.g. `/webrtc/offer`. */
  readonly path: string;
  readonly tokenRoute: StreamRoute;
  readonly auth: CarrierAuth;
}

/** Any carrier. */
export type Carrier = WebSocketCarrier | SignalledCarrier;
