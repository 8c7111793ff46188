/**
 * Counters of everything the server refused or cut short because of a limit, for `GET /stats`
 * (`limits`). Plain numbers; the limit checks increment them.
 */

/** Why a request, socket or call was refused or cut. */
export type RefusalReason =
  /** `MAX_CALLS` calls (and sockets that may become calls) were already live. */
  | 'maxCalls'
  /** The client address already held `MAX_CALLS_PER_ADDRESS`. */
  | 'callsPerAddress'
  /** The client address opened `WS_UPGRADES_PER_MINUTE` WebSockets in the last minute. */
  | 'upgradesPerMinute'
  /** The client address sent `WEBRTC_OFFERS_PER_MINUTE` offers in the last minute. */
  | 'offersPerMinute'
  /** Every UDP port of `WEBRTC_PORT_RANGE` was in use. */
  | 'webrtcPorts'
  /** A webhook without the signature its secret requires (refused before its body was read). */
  | 'unsignedWebhook'
  /** A request body over its route's limit (413). */
  | 'bodyTooLarge'
  /** A request whose headers or body did not arrive in time (408). */
  | 'requestTimeout';

/** Limit counters of one server. */
export class LimitStats {
  /** Refusals by reason. */
  readonly refused: Record<RefusalReason, number> = {
    maxCalls: 0,
    callsPerAddress: 0,
    upgradesPerMinute: 0,
    offersPerMinute: 0,
    webrtcPorts: 0,
    unsignedWebhook: 0,
    bodyTooLarge: 0,
    requestTimeout: 0,
  };
  /** Inbound audio beyond real time: chunks and ms dropped, callers closed (1008). */
  readonly inboundAudio = { droppedChunks: 0, droppedMs: 0, closedCallers: 0 };
  /** WebRTC offers whose peer never connected within `WEBRTC_CONNECT_TIMEOUT_MS`. */
  offersExpired = 0;
  /** Calls hung up at `MAX_CALL_MS`. */
  callsAtMaxLength = 0;

  /** Counts one refusal. */
  refuse(reason: RefusalReason): void {
    this.refused[reason]++;
  }

  /** A copy for `/stats` (`refusedTotal`: the sum of `refused`). */
  snapshot(): { refused: Record<RefusalReason, number>; refusedTotal: number; inboundAudio: LimitStats['inboundAudio']; offersExpired: number; callsAtMaxLength: number } {
    const refused = { ...this.refused };
    return {
      refused,
      refusedTotal: Object.values(refused).reduce((a, b) => a + b, 0),
      inboundAudio: { ...this.inboundAudio, droppedMs: Math.round(this.inboundAudio.droppedMs) },
      offersExpired: this.offersExpired,
      callsAtMaxLength: this.callsAtMaxLength,
    };
  }
}
