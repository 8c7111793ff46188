/**
 * The one coded error of voicebridge: a stable machine-readable code from a closed set, whether
 * retrying can help, and a human-readable message. Everything that crosses a boundary (a refused
 * call, a bad offer, a model failure) is a `VoiceBridgeError`, so callers branch on `code` and
 * `retryable` instead of duck-typing error shapes.
 */

/**
 * Codes of our own. `…Exception` codes are AWS's exception names passed through from Bedrock
 * (e.g. `ThrottlingException`, `ValidationException`; protocols.md §1.12).
 */
export type ErrorCode =
  /** A caller's message was not JSON. */
  | 'bad_json'
  /** A caller's message was JSON but not a valid message. */
  | 'bad_message'
  /** A caller sent text where only binary frames are accepted. */
  | 'binary_only'
  /** A caller's message type is not one we know. */
  | 'unknown_type'
  /** A WebRTC offer we cannot answer (HTTP 400). */
  | 'bad_offer'
  /** The server could not set up a WebRTC peer connection for a valid offer (HTTP 503). */
  | 'peer_setup_failed'
  /** The server is draining and takes no new calls (retry elsewhere or later). */
  | 'draining'
  /** The model provider refused or could not be reached. */
  | 'model_unavailable'
  /** The model stopped producing output or reading input. */
  | 'stalled'
  /** The model did not accept a new stream in time. */
  | 'start_timeout'
  /** The model's stream ended without the closing handshake. */
  | 'stream_ended'
  /** The model's stream was reset (HTTP/2 RST_STREAM, socket reset, "System instability"). */
  | 'stream_reset'
  /** Any other failure of the Nova Sonic stream. */
  | 'nova_error'
  /** The offline model could not make a reply. */
  | 'local_response_failed'
  /** The model's session reached the provider's maximum duration (OpenAI Realtime `session_expired`). */
  | 'session_expired'
  /** The provider refused for a rate or quota limit. */
  | 'rate_limited'
  /** The provider refused one of our requests as invalid (OpenAI `invalid_request_error`). */
  | 'invalid_request'
  /** Any other OpenAI Realtime error. */
  | 'openai_error'
  /** An AWS exception name passed through as it is. */
  | `${string}Exception`;

/** Error carried through the call: a stable code, whether retrying can help, and a message. */
export class VoiceBridgeError extends Error {
  /**
   * @param code stable identifier (see `ErrorCode`).
   * @param message human-readable description.
   * @param retryable whether the same operation may succeed if tried again.
   */
  constructor(readonly code: ErrorCode, message: string, readonly retryable = false) {
    super(message);
    this.name = 'VoiceBridgeError';
  }
}

/** Whether `err` is a `VoiceBridgeError` that says retrying may help. */
export function isRetryable(err: unknown): boolean {
  return err instanceof VoiceBridgeError && err.retryable;
}

/** Returns a message for any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
