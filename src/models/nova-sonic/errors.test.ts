import { describe, expect, it } from 'vitest';
import { isRetryable, VoiceBridgeError } from '../../core/errors.js';
import { classifyNovaError, novaFailureError } from './errors.js';

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('classifying Nova Sonic failures', () => {
  it.each([
    [named('ThrottlingException', 'Too many requests'), 'ThrottlingException', true],
    [named('ModelStreamErrorException', 'System instability'), 'ModelStreamErrorException', true],
    [named('ValidationException', 'Invalid input request'), 'ValidationException', false],
    [named('AccessDeniedException', 'not authorized'), 'AccessDeniedException', false],
    [new Error('Stream closed with error code NGHTTP2_INTERNAL_ERROR'), 'stream_reset', true],
    [new Error('read ECONNRESET'), 'stream_reset', true],
    [new Error('something else'), 'nova_error', false],
    ['a thrown string', 'nova_error', false],
    [new VoiceBridgeError('start_timeout', 'did not accept the stream', true), 'start_timeout', true],
  ] as const)('%s → %s (retryable %s)', (err, code, retryable) => {
    expect(classifyNovaError(err)).toMatchObject({ code, retryable });
  });

  it('throws failures as coded errors that say whether a retry can help', () => {
    const err = novaFailureError({ code: 'stalled', message: 'no output', retryable: true });
    expect(err).toBeInstanceOf(VoiceBridgeError);
    expect(err).toMatchObject({ code: 'stalled', message: 'no output' });
    expect(isRetryable(err)).toBe(true);
    expect(isRetryable(novaFailureError({ code: 'nova_error', message: 'x', retryable: false }))).toBe(false);
    expect(isRetryable(Object.assign(new Error('duck'), { retryable: true }))).toBe(false);
  });
});
