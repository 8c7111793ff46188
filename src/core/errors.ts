/**
 * Error type carried through the call: a stable machine-readable code, whether retrying can help,
 * and a human-readable message.
 */
export class VoiceBridgeError extends Error {
  /**
   * @param code stable identifier, e.g. `bad_message`, `model_unavailable`.
   * @param message human-readable description.
   * @param retryable whether the same operation may succeed if tried again.
   */
  constructor(readonly code: string, message: string, readonly retryable = false) {
    super(message);
    this.name = 'VoiceBridgeError';
  }
}

/** Returns a message for any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
