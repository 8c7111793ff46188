import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { NovaFailure } from './errors.js';
import { audioInput, sessionEnd } from './events.js';
import { NovaStream, type BedrockStreamClient } from './stream.js';

/** A client that accepts the command and never answers (a silent service), recording its abort signal. */
function silentClient(): BedrockStreamClient & { signal?: AbortSignal } {
  const c: BedrockStreamClient & { signal?: AbortSignal } = {
    send: (_command, options) => {
      c.signal = options?.abortSignal;
      return new Promise(() => {});
    },
  };
  return c;
}

function stream(client: BedrockStreamClient, ends: (NovaFailure | undefined)[]): NovaStream {
  return new NovaStream({ client, modelId: 'amazon.nova-2-sonic-v1:0', startTimeoutMs: 50, closeTimeoutMs: 50, logger: silentLogger, onSignal: () => {}, onEnd: (f) => ends.push(f) });
}

describe('NovaStream', () => {
  it('fails start-up after the timeout when the service never answers, and aborts the request', async () => {
    const client = silentClient();
    const ends: (NovaFailure | undefined)[] = [];
    await expect(stream(client, ends).start([sessionEnd()])).rejects.toMatchObject({ code: 'start_timeout', retryable: true });
    expect(ends).toEqual([expect.objectContaining({ code: 'start_timeout' })]);
    expect(client.signal?.aborted).toBe(true);
  });

  it('fails as stalled when the service stops reading input instead of queueing without bound', () => {
    const ends: (NovaFailure | undefined)[] = [];
    const s = stream(silentClient(), ends);
    // 60 ms of 8 kHz audio per event; the limit is 8 MiB queued.
    const event = audioInput('p', 'c', new Int16Array(480));
    const eventBytes = Buffer.byteLength(JSON.stringify(event));
    for (let i = 0; i < 10_000 && !s.isEnded; i++) s.send(event);
    expect(ends).toEqual([expect.objectContaining({ code: 'stalled', retryable: true, message: expect.stringMatching(/KiB queued/) })]);
    expect(s.eventsSent).toBe(Math.ceil((8 * 1024 * 1024) / eventBytes));
    s.send(event);
    expect(s.eventsSent).toBe(Math.ceil((8 * 1024 * 1024) / eventBytes));
  });
});
