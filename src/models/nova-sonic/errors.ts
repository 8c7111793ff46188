/**
 * Classifies Bedrock / Nova Sonic failures as recoverable (open a new session with the history)
 * or not (end the call). Sources: protocols.md §1.12 (the SDK's modelled exceptions; the messages
 * LiveKit treats as recoverable) and bedrock-wire.md §6 (how resets and aborts surface).
 */

/** A failure of one Nova stream. */
export interface NovaFailure {
  /** Exception name (`ThrottlingException`, …) or our own code (`stream_ended`, `start_timeout`). */
  code: string;
  message: string;
  /** A new session (with history) may succeed. */
  retryable: boolean;
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'ModelNotReadyException',
  'ModelErrorException',
  'ModelStreamErrorException',
  'ModelTimeoutException',
  'InternalServerException',
  'ServiceUnavailableException',
]);

const RETRYABLE_MESSAGES = [
  'System instability',
  'InternalErrorCode=531',
  'RST_STREAM',
  'Tool Response parsing error',
  'Stream closed with error code',
  'Session closed with error code',
  'abnormally aborted',
  'ECONNRESET',
  'socket hang up',
];

/** Maps a thrown value to a `NovaFailure`. */
export function classifyNovaError(err: unknown): NovaFailure {
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  if (RETRYABLE_NAMES.has(name)) return { code: name, message, retryable: true };
  if (RETRYABLE_MESSAGES.some((m) => message.includes(m))) return { code: name === 'Error' ? 'stream_reset' : name, message, retryable: true };
  return { code: name === 'Error' ? 'nova_error' : name, message, retryable: false };
}
