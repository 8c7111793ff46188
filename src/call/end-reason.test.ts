import { describe, expect, it } from 'vitest';
import { endReasonCode, endReasonLabel } from './end-reason.js';

describe('endReasonLabel', () => {
  it.each([
    ['stop', false, 'caller hung up'],
    ['socket-closed', false, 'caller hung up'],
    ['caller-ended', false, 'caller hung up'],
    ['datachannel-closed', false, 'caller hung up'],
    ['peer-failed', false, 'connection lost'],
    ['socket-closed-1006', false, 'connection lost'],
    ['rtp-timeout', false, "caller's audio stopped"],
    ['protocol-error', false, 'caller sent invalid data'],
    ['inactivity', false, 'inactivity'],
    ['server shutting down', false, 'server shutting down'],
    ['server-shutdown', false, 'server shutting down'],
    ['instance-lost', true, 'server lost'],
    ['model-closed: stream ended', true, 'model error'],
    ['model-open-failed: no credentials', true, 'model unavailable'],
    ['something-new', false, 'something-new'],
    ['something-new', true, 'error: something-new'],
    ['', false, 'unknown'],
  ])('%j (error %s) → %j', (reason, error, label) => {
    expect(endReasonLabel(reason, error)).toBe(label);
  });
});

describe('endReasonCode', () => {
  it.each([
    ['stop', 'stop'],
    ['inactivity', 'inactivity'],
    ['server shutting down', 'server-shutting-down'],
    ['model-closed: socket closed 1011 keepalive ping timeout', 'model-closed'],
    ['model-open-failed: HTTP 401 from wss://example', 'model-open-failed'],
    ['socket-closed-1006', 'socket-closed-abnormal'],
    ['something nobody planned for 12345', 'other'],
  ])('%s → %s', (reason, code) => {
    expect(endReasonCode(reason)).toBe(code);
  });
});
