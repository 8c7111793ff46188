/**
 * One Bedrock `InvokeModelWithBidirectionalStream` stream: the I/O shell around the SDK. It owns
 * the traps listed in bedrock-wire.md §8:
 * - start-up is judged by the HTTP response headers (seen through a middleware), not by `send()`,
 *   which resolves only on the first output event; a start-up timeout aborts a silent service;
 * - a stream that ends without `completionEnd`/our own closing handshake is reported as a failure;
 * - the input iterable is ended by us (close or abort), never left for the SDK to stop;
 * - every stream is aborted when it is done, so no HTTP/2 session outlives it.
 */
import { InvokeModelWithBidirectionalStreamCommand, type InvokeModelWithBidirectionalStreamCommandOutput } from '@aws-sdk/client-bedrock-runtime';
import { systemClock, withTimeout, type Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { classifyNovaError, novaFailureError, type NovaFailure } from './errors.js';
import type { NovaInputEvent } from './events.js';
import { InputQueue } from './input-queue.js';
import { NovaOutputParser, type NovaSignal } from './output.js';

/** The part of `BedrockRuntimeClient` a stream uses (inject the real client; tests do too). */
export interface BedrockStreamClient {
  send(command: InvokeModelWithBidirectionalStreamCommand, options?: { abortSignal?: AbortSignal }): Promise<InvokeModelWithBidirectionalStreamCommandOutput>;
}

/** Settings and callbacks of one stream. */
export interface NovaStreamOptions {
  client: BedrockStreamClient;
  modelId: string;
  /** Longest wait for the service to accept the stream (HTTP response headers), ms. */
  startTimeoutMs: number;
  /** After our closing sequence, longest wait for the service to end the stream, ms. */
  closeTimeoutMs: number;
  logger: Logger;
  /** Timers for the start-up and close waits (default: the system clock). */
  clock?: Clock;
  /** Every parsed output signal, in order. */
  onSignal(signal: NovaSignal): void;
  /** Called once when the stream is over: `failure` undefined for a clean end. */
  onEnd(failure: NovaFailure | undefined): void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/**
 * Input queued for a stream that is not reading before it counts as stalled, bytes (signed
 * envelopes once the request body is attached): ≈ 2 min of 8 kHz audio or 1 min of 16 kHz in
 * 60 ms events, above a full 30 s outage replay plus history.
 */
const MAX_INPUT_BACKLOG_BYTES = 8 * 1024 * 1024;
/** After an abort, longest wait for the SDK to end the output loop, ms. */
const ABORT_WAIT_MS = 1000;

/** One bidirectional stream. */
export class NovaStream {
  private readonly queue = new InputQueue();
  private readonly abort = new AbortController();
  private readonly parser = new NovaOutputParser();
  private closing = false;
  private ended = false;
  private sawCompletionEnd = false;
  private failure: NovaFailure | undefined;
  private headersAt: ((status: number) => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  /** Input events sent (queued for the SDK). */
  eventsSent = 0;
  /** Output events received. */
  eventsReceived = 0;
  /** The service's request id, once known. */
  requestId: string | undefined;

  private readonly clock: Clock;

  constructor(private readonly options: NovaStreamOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Whether the stream has ended (cleanly or not). */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Whether `close()` was called. */
  get isClosing(): boolean {
    return this.closing;
  }

  /**
   * Queues `initial` events and opens the stream; resolves once the service accepted it (HTTP 200).
   * @throws VoiceBridgeError (the failure's `code` and `retryable`) when the service refuses or the start-up times out.
   */
  async start(initial: readonly NovaInputEvent[]): Promise<void> {
    for (const e of initial) this.send(e);
    const command = new InvokeModelWithBidirectionalStreamCommand({ modelId: this.options.modelId, body: this.queue });
    const accepted = new Promise<number>((resolve) => (this.headersAt = resolve));
    command.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        const status = (out.response as { statusCode?: number }).statusCode ?? 0;
        this.headersAt?.(status);
        return out;
      },
      { step: 'deserialize', priority: 'low', name: 'voicebridgeResponseHeaders' },
    );
    const sent = this.options.client.send(command, { abortSignal: this.abort.signal });
    this.loopDone = this.consume(sent);
    const failed = this.loopDone.then(() => 'ended' as const);
    const outcome = await withTimeout(this.clock, Promise.race([accepted, failed]), this.options.startTimeoutMs, 'timeout' as const);
    if (outcome === 'timeout') {
      const failure: NovaFailure = { code: 'start_timeout', message: `Nova Sonic did not accept the stream within ${this.options.startTimeoutMs} ms`, retryable: true };
      this.finish(failure);
      this.terminate();
      throw novaFailureError(failure);
    }
    if (typeof outcome === 'number' && outcome !== 200) {
      // An HTTP error (403, 400, …): send() rejects with the typed error once the body is read.
      await this.loopDone;
    }
    if (outcome === 'ended' || this.ended) {
      const failure = this.failure ?? { code: 'stream_ended', message: 'stream ended during start-up', retryable: true };
      throw novaFailureError(failure);
    }
  }

  private async consume(sent: Promise<InvokeModelWithBidirectionalStreamCommandOutput>): Promise<void> {
    try {
      const response = await sent;
      this.requestId = response.$metadata?.requestId;
      for await (const part of response.body ?? []) {
        const bytes = part.chunk?.bytes;
        if (!bytes) continue;
        this.eventsReceived++;
        let json: unknown;
        try {
          json = JSON.parse(decoder.decode(bytes));
        } catch {
          this.options.logger.warn('Nova Sonic sent an event that is not JSON; ignored');
          continue;
        }
        const signal = this.parser.parse(json);
        if (signal.kind === 'completionEnd') this.sawCompletionEnd = true;
        if (this.ended) break;
        this.options.onSignal(signal);
      }
      if (this.closing || this.abort.signal.aborted) this.finish(undefined);
      else if (this.sawCompletionEnd) this.finish({ code: 'stream_ended', message: 'Nova Sonic ended the stream after completionEnd without our sessionEnd', retryable: true });
      else this.finish({ code: 'stream_ended', message: 'Nova Sonic stream ended without completionEnd (reset or lost connection)', retryable: true });
    } catch (err) {
      if (this.abort.signal.aborted && this.closing) this.finish(undefined);
      else this.finish(classifyNovaError(err));
    } finally {
      this.terminate();
    }
  }

  private finish(failure: NovaFailure | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.headersAt?.(0);
    this.options.onEnd(failure);
  }

  /** Stops the input and the HTTP/2 stream at once. Idempotent. */
  private terminate(): void {
    this.queue.abort();
    if (!this.abort.signal.aborted) this.abort.abort();
  }

  /**
   * Queues one input event (dropped after the stream ended). A service that stops reading (HTTP/2
   * flow control) makes the request body stop draining; past `MAX_INPUT_BACKLOG_BYTES` queued the
   * stream is failed as stalled rather than left to grow.
   */
  send(event: NovaInputEvent): void {
    this.sendJson(encoder.encode(JSON.stringify(event)));
  }

  /** `send` for an event already encoded as UTF-8 JSON (e.g. by `audioInputEncoder`); the queue keeps `json`. */
  sendJson(json: Uint8Array): void {
    if (this.ended || this.queue.isEnded) return;
    if (this.queue.backlogBytes >= MAX_INPUT_BACKLOG_BYTES) {
      this.fail({ code: 'stalled', message: `Nova Sonic stopped reading input (${Math.round(this.queue.backlogBytes / 1024)} KiB queued)`, retryable: true });
      return;
    }
    this.eventsSent++;
    this.queue.push(json);
  }

  /**
   * Sends `closing` (the closing sequence), ends the input and waits for the service to end the
   * stream, at most `closeTimeoutMs`; then aborts whatever is left. Never throws. Idempotent.
   */
  async close(closing: readonly NovaInputEvent[]): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      if (!this.ended) {
        for (const e of closing) this.send(e);
        this.queue.close();
        await withTimeout(this.clock, this.loopDone, this.options.closeTimeoutMs, undefined);
      }
      this.finish(undefined);
      this.terminate();
    }
    // After an abort the SDK ends the output loop promptly; never wait forever on it.
    await withTimeout(this.clock, this.loopDone, ABORT_WAIT_MS, undefined);
  }

  /** Declares the stream failed (e.g. it stalled) and aborts it; `onEnd` gets `failure`. */
  fail(failure: NovaFailure): void {
    this.finish(failure);
    this.terminate();
  }

  /** Aborts the stream without the closing handshake (call end in a hurry, or a broken stream). */
  destroy(): void {
    this.closing = true;
    this.finish(undefined);
    this.terminate();
  }
}
