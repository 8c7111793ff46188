/**
 * What the WebRTC caller is configured with, and how it fails, without loading its native parts
 * (node-datachannel): the composition root and the routes import this module statically.
 */
import { VoiceBridgeError } from '../../core/errors.js';

/** Longest wait for ICE gathering before answering with what was gathered, ms (non-trickle answers). */
export const ICE_GATHER_TIMEOUT_MS = 2000;

/** Network settings for peer connections. */
export interface WebRtcNetwork {
  /** Local address ICE binds to (e.g. 127.0.0.1 in tests); all interfaces when absent. */
  bindAddress?: string;
  /** STUN/TURN server URLs, e.g. `stun:stun.example.org:3478`. */
  iceServers: string[];
  /** UDP port range for ICE, inclusive. */
  portRange?: [number, number];
  /** Longest wait for ICE gathering before answering with what was gathered, ms. */
  gatherTimeoutMs: number;
  /**
   * A peer that has not connected this long after its offer was answered is released at once
   * (connection closed, UDP port returned), ms.
   */
  connectTimeoutMs: number;
}

/**
 * The network settings from the configuration's WebRTC settings (`WEBRTC_ICE_SERVERS` and
 * `WEBRTC_PORT_RANGE`, already parsed and checked by the config loader), with the gather timeout.
 */
export function webRtcNetwork(settings: { bindAddress?: string; iceServers: readonly string[]; portRange: readonly [number, number] | undefined; connectTimeoutMs: number }): WebRtcNetwork {
  return {
    bindAddress: settings.bindAddress,
    iceServers: [...settings.iceServers],
    portRange: settings.portRange ? [settings.portRange[0], settings.portRange[1]] : undefined,
    gatherTimeoutMs: ICE_GATHER_TIMEOUT_MS,
    connectTimeoutMs: settings.connectTimeoutMs,
  };
}

/** UDP ports `network` may use (Infinity without a range): one per open peer connection. */
export function portCount(network: WebRtcNetwork): number {
  return network.portRange ? network.portRange[1] - network.portRange[0] + 1 : Infinity;
}

/** Notifications about one peer's lifetime (e.g. to return its call slot). */
export interface WebRtcLifecycleHooks {
  /** The peer connection was closed and its ports released (called once). */
  onReleased?(): void;
  /** The peer did not connect within `connectTimeoutMs`. */
  onConnectTimeout?(): void;
}

/** A rejected offer (HTTP 400), code `bad_offer`. */
export class BadOfferError extends VoiceBridgeError {
  /** @param message why the offer cannot be answered. */
  constructor(message: string) {
    super('bad_offer', message);
  }
}

/**
 * The server could not set up a peer connection for an offer it accepted (HTTP 503, code
 * `peer_setup_failed`, retryable): libdatachannel could not be created, bind a UDP port for ICE
 * (every port of `WEBRTC_PORT_RANGE` held, by our peers or another process, or an unusable
 * `WEBRTC_BIND_ADDRESS`), or the connection closed before its answer was made. Not the caller's
 * fault, so never a 4xx.
 */
export class PeerSetupError extends VoiceBridgeError {
  /** @param message what failed, for the caller and the log. */
  constructor(message: string) {
    super('peer_setup_failed', message, true);
  }
}

/**
 * What libdatachannel's `setRemoteDescription` throws when the fault is ours, not the offer's
 * (libdatachannel 0.24.5 `src/impl/peerconnection.cpp`, `src/impl/icetransport.cpp`; node-datachannel
 * prefixes them with "libdatachannel error while adding remote description: "): the ICE agent could
 * not be created or bind a port ("ICE transport initialization failed", "Failed to gather local ICE
 * candidates"), the connection was closed ("Connection is
 * closed", "called on destroyed peer connection"). Anything else it refuses (no ICE credentials,
 * no fingerprint, no active media, an unparsable line) is the offer's fault.
 */
const PEER_SETUP_FAILURES = [/transport initialization failed/i, /failed to gather local ICE candidates/i, /connection is closed/i, /destroyed peer connection/i];

/**
 * Classifies an error libdatachannel threw while applying an offer: a `PeerSetupError` (503) when
 * the fault is ours (see `PEER_SETUP_FAILURES`), else a `BadOfferError` (400). Pure.
 * @param message the native error's message.
 */
export function remoteDescriptionError(message: string): BadOfferError | PeerSetupError {
  return PEER_SETUP_FAILURES.some((p) => p.test(message)) ? new PeerSetupError(`could not set up the peer connection: ${message}`) : new BadOfferError(`offer rejected: ${message}`);
}
