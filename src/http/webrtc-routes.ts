/**
 * WebRTC signalling over plain HTTP, WHIP-like and non-trickle: `POST /webrtc/offer` with the SDP
 * offer (`application/sdp`) answers `201` with the SDP answer and a `Location` of the session;
 * `DELETE /webrtc/sessions/:id` hangs up. Behind browser auth when configured; the offer also takes
 * a presigned URL's one-time token (`?token=`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DrainingError } from '../call/manager.js';
import { isVoiceId } from '../callers/browser/protocol.js';
import type { WebRtcSupport } from '../callers/webrtc/loader.js';
import type { WebRtcNetwork, WebRtcTransport } from '../callers/webrtc/transport.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { isRefusal, type Admission } from '../limits/admission.js';
import type { LimitStats } from '../limits/stats.js';
import { requireAuth, type AppDeps } from './app.js';
import { clientKey, refuseHttp } from './limits.js';
import { requireCaller } from './stream-auth.js';

/** Largest SDP offer accepted, bytes. */
const MAX_OFFER_BYTES = 64 * 1024;

/** WebRTC network settings from the configuration. */
export function webRtcNetwork(config: AppDeps['config']): WebRtcNetwork {
  const range = config.WEBRTC_PORT_RANGE ? (config.WEBRTC_PORT_RANGE.split('-').map(Number) as [number, number]) : undefined;
  return {
    bindAddress: config.WEBRTC_BIND_ADDRESS,
    iceServers: config.WEBRTC_ICE_SERVERS.split(',').map((s) => s.trim()).filter(Boolean),
    portRange: range,
    gatherTimeoutMs: 2000,
    connectTimeoutMs: config.WEBRTC_CONNECT_TIMEOUT_MS,
  };
}

/**
 * Registers the WebRTC signalling routes. When WebRTC is unavailable (lean install), the offer
 * route answers 503 `webrtc_unavailable` with the reason. Each offer counts against its address's
 * offers per minute and takes a call slot until its peer's connection is released (503 with
 * `Retry-After` when refused); with a `WEBRTC_PORT_RANGE`, an offer that finds every port held is
 * refused the same way. A peer that does not connect within `WEBRTC_CONNECT_TIMEOUT_MS` is released
 * at once (the transport's deadline).
 */
export function registerWebRtcRoutes(app: FastifyInstance, deps: AppDeps, webrtc: WebRtcSupport, limits: { admission: Admission; stats: LimitStats }): void {
  const log = (deps.logger as unknown as Logger).child({ kind: 'webrtc' });
  const network = webRtcNetwork(deps.config);
  const sessions = new Map<string, WebRtcTransport>();
  app.addContentTypeParser('application/sdp', { parseAs: 'string', bodyLimit: MAX_OFFER_BYTES }, (_req, body, done) => done(null, body));

  const offerRate = async (req: FastifyRequest, reply: FastifyReply) => {
    const refusal = await limits.admission.offer(clientKey(req));
    if (refusal) await refuseHttp(reply, refusal);
  };
  const portCount = network.portRange ? network.portRange[1] - network.portRange[0] + 1 : Infinity;

  app.post('/webrtc/offer', { preValidation: [offerRate, requireCaller(deps, 'webrtc')] }, async (req, reply) => {
    if (!webrtc.available) return reply.code(503).send({ error: 'webrtc_unavailable', message: webrtc.reason });
    if (deps.manager.isDraining) return reply.code(503).send({ error: 'draining', message: 'server is draining, try again later' });
    const { BadOfferError, WebRtcTransport, openPeerConnections } = webrtc.module;
    const offer = typeof req.body === 'string' ? req.body : '';
    if (!req.headers['content-type']?.startsWith('application/sdp') || !offer.startsWith('v=0')) {
      return reply.code(400).send({ error: 'bad_offer', message: 'POST an SDP offer with Content-Type: application/sdp' });
    }
    if (openPeerConnections() >= portCount) {
      limits.stats.refuse('webrtcPorts');
      const retryAfterS = Math.ceil(network.connectTimeoutMs / 1000);
      return refuseHttp(reply, { reason: 'webrtcPorts', retryAfterS, message: `every WebRTC port is in use: try again in ${retryAfterS} s` });
    }
    const lease = await limits.admission.call(clientKey(req));
    if (isRefusal(lease)) return refuseHttp(reply, lease);
    let answered: Awaited<ReturnType<typeof WebRtcTransport.answer>>;
    try {
      const query = new URL(req.url, 'http://localhost').searchParams;
      const pick = (name: string) => {
        const v = query.get(name);
        return v && isVoiceId(v) ? v : undefined;
      };
      answered = await WebRtcTransport.answer(offer, network, deps.clock, log, { voice: pick('voice'), model: pick('model') }, {
        onReleased: () => lease.release(),
        onConnectTimeout: () => limits.stats.offersExpired++,
      });
    } catch (err) {
      lease.release();
      if (err instanceof BadOfferError) return reply.code(400).send({ error: 'bad_offer', message: err.message });
      log.error({ err: errorMessage(err) }, 'WebRTC answer failed');
      return reply.code(500).send({ error: 'internal', message: 'could not answer the offer' });
    }
    const { transport, answerSdp } = answered;
    sessions.set(transport.id, transport);
    deps.manager
      .accept(transport, (call) => transport.announce(call.id, call.modelId))
      .then((call) => call?.ended)
      .catch((err) => {
        if (!(err instanceof DrainingError)) log.error({ err: errorMessage(err) }, 'WebRTC call failed to start');
        transport.hangup('server error');
      })
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
