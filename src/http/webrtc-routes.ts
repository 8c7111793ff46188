/**
 * WebRTC signalling over plain HTTP, WHIP-like and non-trickle: `POST /webrtc/offer` with the SDP
 * offer (`application/sdp`) answers `201` with the SDP answer and a `Location` of the session;
 * `DELETE /webrtc/sessions/:id` hangs up. Behind browser auth when configured; the offer also takes
 * a presigned URL's one-time token (`?token=`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isVoiceId } from '../callers/browser/protocol.js';
import type { SignalledCarrier } from '../callers/core/carrier.js';
import type { WebRtcSupport } from '../callers/webrtc/loader.js';
import { portCount, type WebRtcNetwork } from '../callers/webrtc/network.js';
import type { WebRtcPeers } from '../callers/webrtc/peers.js';
import type { WebRtcTransport } from '../callers/webrtc/transport.js';
import { errorMessage, VoiceBridgeError } from '../core/errors.js';
import { isRefusal, type Admission } from '../limits/admission.js';
import type { LimitStats } from '../limits/stats.js';
import { acceptCall, replyWithError } from './accept-call.js';
import { appLogger, type AppDeps } from './deps.js';
import { clientKey, refuseHttp } from './limits.js';
import { requireAuth } from './request-helpers.js';
import { carrierAuthHook } from './stream-auth.js';

/** Largest SDP offer accepted, bytes. */
const MAX_OFFER_BYTES = 64 * 1024;

/** What the WebRTC routes are built with besides the app's dependencies. */
export interface WebRtcRouteDeps {
  /** The WebRTC carrier's registry entry (path, auth). */
  carrier: SignalledCarrier;
  /** The loaded WebRTC module, or why it is unavailable. */
  webrtc: WebRtcSupport;
  /** ICE and timeout settings, typed. */
  network: WebRtcNetwork;
  /** The server's open peer connections (owned by the composition root). */
  peers: WebRtcPeers;
  admission: Admission;
  stats: LimitStats;
}

/**
 * Registers the WebRTC signalling routes. When WebRTC is unavailable (lean install), the offer
 * route answers 503 `webrtc_unavailable` with the reason. Each offer counts against its address's
 * offers per minute and takes a call slot until its peer's connection is released (503 with
 * `Retry-After` when refused); with a `WEBRTC_PORT_RANGE`, an offer that finds every port held is
 * refused the same way. A peer that does not connect within `WEBRTC_CONNECT_TIMEOUT_MS` is released
 * at once (the transport's deadline).
 */
export function registerWebRtcRoutes(app: FastifyInstance, deps: AppDeps, route: WebRtcRouteDeps): void {
  const { webrtc, network, peers, admission, stats } = route;
  const log = appLogger(deps).child({ kind: route.carrier.kind });
  const sessions = new Map<string, WebRtcTransport>();
  app.addContentTypeParser('application/sdp', { parseAs: 'string', bodyLimit: MAX_OFFER_BYTES }, (_req, body, done) => done(null, body));

  const offerRate = async (req: FastifyRequest, reply: FastifyReply) => {
    const refusal = await admission.offer(clientKey(req));
    if (refusal) await refuseHttp(reply, refusal);
  };
  const ports = portCount(network);

  app.post(route.carrier.path, { preValidation: [offerRate, carrierAuthHook(deps, route.carrier)] }, async (req, reply) => {
    if (!webrtc.available) return reply.code(503).send({ error: 'webrtc_unavailable', message: webrtc.reason });
    if (deps.manager.isDraining) return replyWithError(reply, new VoiceBridgeError('draining', 'server is draining, try again later', true));
    const offer = typeof req.body === 'string' ? req.body : '';
    if (!req.headers['content-type']?.startsWith('application/sdp') || !offer.startsWith('v=0')) {
      return replyWithError(reply, new VoiceBridgeError('bad_offer', 'POST an SDP offer with Content-Type: application/sdp'));
    }
    if (peers.size >= ports) {
      stats.refuse('webrtcPorts');
      const retryAfterS = Math.ceil(network.connectTimeoutMs / 1000);
      return refuseHttp(reply, { reason: 'webrtcPorts', retryAfterS, message: `every WebRTC port is in use: try again in ${retryAfterS} s` });
    }
    const lease = await admission.call(clientKey(req));
    if (isRefusal(lease)) return refuseHttp(reply, lease);
    let answered: Awaited<ReturnType<typeof WebRtcTransport.answer>>;
    try {
      const query = new URL(req.url, 'http://localhost').searchParams;
      const pick = (name: string) => {
        const v = query.get(name);
        return v && isVoiceId(v) ? v : undefined;
      };
      answered = await webrtc.module.WebRtcTransport.answer(offer, {
        clock: deps.clock,
        logger: log,
        network,
        peers,
        requested: { voice: pick('voice'), model: pick('model') },
        hooks: { onReleased: () => lease.release(), onConnectTimeout: () => stats.offersExpired++ },
      });
    } catch (err) {
      lease.release();
      if (!(err instanceof VoiceBridgeError)) log.error({ err: errorMessage(err) }, 'WebRTC answer failed');
      return replyWithError(reply, err, 'could not answer the offer');
    }
    const { transport, answerSdp } = answered;
    sessions.set(transport.id, transport);
    void acceptCall({ manager: deps.manager, log }, { transport, refuse: () => transport.hangup('server error') })
      .then((call) => call?.ended)
      .catch(() => {})
      .finally(() => sessions.delete(transport.id));
    return reply.code(201).header('content-type', 'application/sdp').header('location', `/webrtc/sessions/${transport.id}`).send(answerSdp);
  });

  app.delete<{ Params: { id: string } }>('/webrtc/sessions/:id', { preValidation: requireAuth(deps.auth) }, async (req, reply) => {
    const t = sessions.get(req.params.id);
    if (!t) return reply.code(404).send({ error: 'not_found', message: 'no such WebRTC session' });
    t.hangup('caller-ended');
    return reply.code(204).send();
  });
}
