/**
 * Classifies Bedrock / Nova Sonic failures as recoverable (open a new session with the history)
 * or not (end the call). Sources: protocols.md §1.12 (the SDK's modelled exceptions; the messages
 * LiveKit treats as recoverable) and bedrock-wire.md §6 (how resets and aborts surface).
 */

import { VoiceBridgeError, type ErrorCode } from '../../core/errors.js';

/** A failure of one Nova stream. */
export interface NovaFailure {
  /** Exception name (`ThrottlingException`, …) or our own code (`stream_ended`, `start_timeout`). */
  code: ErrorCode;
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

/** The failure as a thrown `VoiceBridgeError` (same code, message and `retryable`). */
export function novaFailureError(failure: NovaFailure): VoiceBridgeError {
  return new VoiceBridgeError(failure.code, failure.message, failure.retryable);
}

/** Maps a thrown value to a `NovaFailure`. */
export function classifyNovaError(err: unknown): NovaFailure {
  if (err instanceof VoiceBridgeError) return { code: err.code, message: err.message, retryable: err.retryable };
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  const code: ErrorCode | undefined = name.endsWith('Exception') ? (name as `${string}Exception`) : undefined;
  if (code && RETRYABLE_NAMES.has(name)) return { code, message, retryable: true };
  if (RETRYABLE_MESSAGES.some((m) => message.includes(m))) return { code: code ?? 'stream_reset', message, retryable: true };
  return { code: code ?? 'nova_error', message, retryable: false };
}
