/**
 * WebRTC signalling over plain HTTP, two ways on one URL:
 * - ours, WHIP-like and non-trickle: `POST /webrtc/offer` with the SDP offer (`application/sdp`)
 *   answers `201` with the SDP answer and a `Location` of the session;
 * - Pipecat SmallWebRTC's (`../shared/reference/pipecat-rtvi.md` §3–§4): a JSON offer
 *   `{sdp, type: "offer", pc_id, restart_pc}` answers `200 {sdp, type: "answer", pc_id}` (our ICE
 *   candidates in the SDP), and `PATCH /webrtc/offer {pc_id, candidates}` trickles the browser's
 *   candidates (200; 404 for an unknown `pc_id`; 403 unless it presents the credential the offer did).
 * `DELETE /webrtc/sessions/:id` hangs up. Behind browser auth when configured; the offer also takes
 * a presigned URL's one-time token (`?token=`), and a `POST /connect` session's token links the
 * peer to that session (`GET /status/:id`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isVoiceId } from '../callers/browser/protocol.js';
import type { SignalledCarrier } from '../callers/core/carrier.js';
import type { WebRtcSupport } from '../callers/webrtc/loader.js';
import { portCount, type WebRtcNetwork } from '../callers/webrtc/network.js';
import type { WebRtcPeers } from '../callers/webrtc/peers.js';
import { parseIceCandidatePatch, parseSmallWebRtcOffer, smallWebRtcAnswer } from '../callers/webrtc/smallwebrtc.js';
import type { WebRtcTransport } from '../callers/webrtc/transport.js';
import { errorMessage, VoiceBridgeError } from '../core/errors.js';
import { isRefusal, type Admission } from '../limits/admission.js';
import type { LimitStats } from '../limits/stats.js';
import { acceptCall, replyWithError } from './accept-call.js';
import { bearerToken } from './auth.js';
import type { ConnectSessions } from './connect-sessions.js';
import { appLogger, type AppDeps } from './deps.js';
import { clientKey, refuseHttp } from './limits.js';
import { requireAuth } from './request-helpers.js';
import { carrierAuthHook, upgradeClaims } from './stream-auth.js';

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
  /** `POST /connect` sessions, told about the peers their tokens open. */
  connectSessions?: ConnectSessions;
}

/** A live peer as the routes know it: its transport and a hash of the credential its offer presented. */
interface LivePeer {
  transport: WebRtcTransport;
  credentialHash: Buffer;
}

/** SHA-256 of the request's bearer credential (`Authorization` or `?token=`; empty when none). */
function credentialHash(req: FastifyRequest): Buffer {
  return createHash('sha256').update(bearerToken(req.headers.authorization, req.url) ?? '').digest();
}

/**
 * Registers the WebRTC signalling routes. When WebRTC is unavailable (lean install), the offer
 * route answers 503 `webrtc_unavailable` with the reason. Each offer counts against its address's
 * offers per minute and takes a call slot until its peer's connection is released (503 with
 * `Retry-After` when refused); with a `WEBRTC_PORT_RANGE`, an offer that finds every port held is
 * refused the same way. An offer the server cannot set a peer up for (no UDP port could be bound,
 * libdatachannel failed) is answered 503 `peer_setup_failed` with the reason and `Retry-After`; an
 * offer libdatachannel refuses is 400 `bad_offer`. A peer that does not connect within
 * `WEBRTC_CONNECT_TIMEOUT_MS` is released at once (the transport's deadline).
 */
export function registerWebRtcRoutes(app: FastifyInstance, deps: AppDeps, route: WebRtcRouteDeps): void {
  const { webrtc, network, peers, admission, stats } = route;
  const log = appLogger(deps).child({ kind: route.carrier.kind });
  const sessions = new Map<string, LivePeer>();
  app.addContentTypeParser('application/sdp', { parseAs: 'string', bodyLimit: MAX_OFFER_BYTES }, (_req, body, done) => done(null, body));

  const offerRate = async (req: FastifyRequest, reply: FastifyReply) => {
    const refusal = await admission.offer(clientKey(req));
    if (refusal) await refuseHttp(reply, refusal);
  };
  const ports = portCount(network);

  app.post(route.carrier.path, { preValidation: [offerRate, carrierAuthHook(deps, route.carrier)] }, async (req, reply) => {
    if (!webrtc.available) return reply.code(503).send({ error: 'webrtc_unavailable', message: webrtc.reason });
    if (deps.manager.isDraining) return replyWithError(reply, new VoiceBridgeError('draining', 'server is draining, try again later', true));
    const smallWebRtc = req.headers['content-type']?.startsWith('application/json') ?? false;
    let offer: string;
    if (smallWebRtc) {
      const parsed = parseSmallWebRtcOffer(req.body);
      if (!parsed.ok) return replyWithError(reply, new VoiceBridgeError('bad_offer', parsed.error));
      // A re-offer (renegotiation, or a reconnection with restart_pc) names an earlier peer: not
      // supported, and a 4xx makes the client stop instead of retrying.
      if (parsed.value.pcId !== null) return reply.code(409).send({ error: 'renegotiation_unsupported', message: 'this server answers one offer per peer connection: start a new session' });
      offer = parsed.value.sdp;
    } else {
      offer = typeof req.body === 'string' ? req.body : '';
      if (!req.headers['content-type']?.startsWith('application/sdp') || !offer.startsWith('v=0')) {
        return replyWithError(reply, new VoiceBridgeError('bad_offer', 'POST an SDP offer with Content-Type: application/sdp, or a SmallWebRTC offer {sdp, type, pc_id} as application/json'));
      }
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
      else if (err.code === 'peer_setup_failed') {
        // Ours, not the caller's (e.g. no UDP port could be bound): 503, worth a retry.
        log.warn({ err: err.message }, 'WebRTC peer setup failed');
        reply.header('retry-after', String(Math.ceil(network.connectTimeoutMs / 1000)));
      }
      return replyWithError(reply, err, 'could not answer the offer');
    }
    const { transport, answerSdp } = answered;
    sessions.set(transport.id, { transport, credentialHash: credentialHash(req) });
    const connectId = upgradeClaims.get(req)?.carrierCallId;
    const connect = connectId && route.connectSessions ? { id: connectId, sessions: route.connectSessions } : undefined;
    connect?.sessions.connecting(connect.id);
    void acceptCall({ manager: deps.manager, log }, { transport, refuse: () => transport.hangup('server error') })
      .then(async (call) => {
        if (call) connect?.sessions.connected(connect.id, call.id);
        const reason = call ? (await call.ended).reason : 'not-connected';
        connect?.sessions.ended(connect.id, reason);
      })
      .catch(() => {})
      .finally(() => sessions.delete(transport.id));
    if (smallWebRtc) return reply.code(200).send(smallWebRtcAnswer(answerSdp, transport.id));
    return reply.code(201).header('content-type', 'application/sdp').header('location', `/webrtc/sessions/${transport.id}`).send(answerSdp);
  });

  // Trickle ICE from a SmallWebRTC client: it PATCHes the offer URL (same token, already used) with
  // the pc_id of our answer, so the credential must be the one its offer presented.
  app.patch(route.carrier.path, async (req, reply) => {
    const parsed = parseIceCandidatePatch(req.body);
    if (!parsed.ok) return reply.code(400).send({ error: 'bad_request', message: parsed.error });
    const peer = sessions.get(parsed.value.pcId);
    if (!peer) return reply.code(404).send({ error: 'not_found', message: 'Peer connection not found' });
    if (!timingSafeEqual(peer.credentialHash, credentialHash(req))) return reply.code(403).send({ error: 'forbidden', message: 'present the credential the offer was made with' });
    const applied = peer.transport.addRemoteCandidates(parsed.value.candidates);
    return reply.code(200).send({ status: 'success', applied });
  });

  app.delete<{ Params: { id: string } }>('/webrtc/sessions/:id', { preValidation: requireAuth(deps.auth) }, async (req, reply) => {
    const t = sessions.get(req.params.id)?.transport;
    if (!t) return reply.code(404).send({ error: 'not_found', message: 'no such WebRTC session' });
    t.hangup('caller-ended');
    return reply.code(204).send();
  });
}
