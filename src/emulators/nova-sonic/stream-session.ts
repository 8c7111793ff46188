/**
 * One accepted bidirectional stream of the Bedrock emulator: it reads the signed envelopes,
 * checks each event's signature and the event sequence, feeds the emulated model, and ends the
 * stream as Bedrock does — on `sessionEnd` or the client's end of input, or with an exception:
 * `ValidationException` for a bad event, the idle-input timeout (`InternalErrorCode=531`, after
 * the model's gap without interactive content; silent audio does not count, `models.ts`),
 * `ModelTimeoutException` at the session limit (8 minutes, protocols.md §1.11), or an injected
 * fault. Every ending with an exception is logged with its type and message. All timers run on
 * the injected clock.
 */
import type { ServerHttp2Stream } from 'node:http2';
import http2 from 'node:http2';
import type { ResamplerFactory } from '../../audio/resample.js';
import { dbfs } from '../../audio/level.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { EmulatedConversation, type BrainFactory } from './conversation.js';
import type { NovaModelProfile } from './models.js';
import { InputValidator } from './protocol.js';
import { AUTH_MESSAGES, type EventSignatureChain } from './sigv4.js';
import { decodeChunk, decodeEnvelope, encodeError, encodeException, encodeOutputEvent, FrameSplitter, type StreamExceptionType } from './wire.js';

/** A fault to inject into a stream. */
export interface EmulatorFault {
  /**
   * `exception`: a modelled exception, then the stream ends; `reset`: RST_STREAM INTERNAL_ERROR;
   * `end`: END_STREAM without `completionEnd`; `goaway`: GOAWAY on the connection; `stall`: stop
   * answering and reading but keep the stream open; `slowStart`: delay the response headers.
   */
  kind: 'exception' | 'reset' | 'end' | 'goaway' | 'stall' | 'slowStart';
  /** When, after the stream opened, ms (for `slowStart`: the delay). */
  afterMs: number;
  /** For `exception` (default `modelStreamErrorException`). */
  exceptionType?: StreamExceptionType;
  message?: string;
  /** 1-based ordinal of the stream it applies to; 0 or absent: every stream. */
  stream?: number;
}

/** An exception a stream was refused or ended with: the error type (`err.name` in the SDK) and message. */
export interface EmulatorException {
  type: string;
  message: string;
}

/** One stream as the emulator saw it. */
export interface EmulatorStreamRecord {
  n: number;
  requestId: string;
  modelId: string;
  startedAtMs: number;
  endedAtMs: number | undefined;
  /** `client-end`, `session-end`, `client-abort`, `session-limit`, `idle-timeout`, `validation`, `auth`, `server-close`, `fault:<kind>`. */
  endReason: string | undefined;
  /** The exception the request was refused with or the stream ended with, if any. */
  exception: EmulatorException | undefined;
  eventsIn: number;
  conversation: EmulatedConversation | undefined;
  /** Input events whose signature did not verify. */
  badSignatures: number;
  /** ValidationException messages sent. */
  validationErrors: string[];
  /** When the audio content started (the stream went live), ms on the emulator's clock. */
  audioStartedAtMs: number | undefined;
}

/** Settings one stream needs. */
export interface StreamSessionOptions {
  brain: BrainFactory;
  resamplers: ResamplerFactory;
  clock: Clock;
  logger: Logger;
  model: NovaModelProfile;
  /** Event-signature chain (absent when signatures are not checked). */
  chain: EventSignatureChain | undefined;
  /** Faults for this stream (no `slowStart`). */
  faults: readonly EmulatorFault[];
  sessionLimitMs: number;
  idleTimeoutMs: number;
  toolTimeoutMs: number;
  keepAudio: boolean;
  onAudioInput?: (n: number, durationMs: number, atMs: number) => void;
  /** The stream has ended (for whatever reason). */
  onFinished(): void;
}

/** Audio louder than this counts as interactive content for the idle timeout (the echo brain's VAD threshold). */
const SPEECH_DBFS = -40;

/** Runs one stream until it ends. */
export class StreamSession {
  private readonly timers = new Set<TimerHandle>();
  private idleTimer: TimerHandle | undefined;
  private stalled = false;
  private finished = false;
  private work = Promise.resolve();
  private inputRateHz = 16000;
  private readonly validator: InputValidator;
  private readonly conversation: EmulatedConversation;

  constructor(private readonly stream: ServerHttp2Stream, private readonly record: EmulatorStreamRecord, private readonly options: StreamSessionOptions) {
    this.validator = new InputValidator(options.model);
    this.conversation = new EmulatedConversation({
      brain: options.brain,
      resamplers: options.resamplers,
      logger: options.logger,
      send: (event) => this.send(encodeOutputEvent(event)),
      onToolUse: (id) => this.validator.issueToolUse(id),
      toolTimeoutMs: options.toolTimeoutMs,
      clock: options.clock,
    });
    this.conversation.keepAudio = options.keepAudio;
    record.conversation = this.conversation;
    stream.on('close', () => this.finish(record.endReason ?? 'client-abort'));
    // Wording as Bedrock answers at the 8-minute limit (aws-samples/sample-sonic-cdk-agent#31).
    this.after(options.sessionLimitMs, () => this.finish('session-limit', { type: 'modelTimeoutException', message: 'Model has timed out in processing the request. Try your request again.' }));
    this.touch();
    for (const fault of options.faults) this.after(fault.afterMs, () => this.inject(fault));
    const splitter = new FrameSplitter();
    stream.on('data', (data: Buffer) => {
      let frames: Buffer[];
      try {
        frames = splitter.push(data);
      } catch (err) {
        return this.finish('validation', { type: 'validationException', message: errorMessage(err) });
      }
      for (const frame of frames) {
        this.work = this.work.then(() => this.processFrame(frame)).catch((err) => this.finish('validation', { type: 'validationException', message: `Malformed input: ${errorMessage(err)}` }));
      }
    });
    stream.on('end', () => {
      void this.work.then(() => this.finish(record.endReason ?? 'client-end'));
    });
  }

  /** Ends the stream now (the emulator is closing). */
  close(): void {
    this.finish('server-close');
  }

  private send(bytes: Uint8Array): void {
    if (!this.finished && !this.stalled && !this.stream.destroyed) this.stream.write(bytes);
  }

  private after(ms: number, fn: () => void): TimerHandle {
    const handle = this.options.clock.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  /** Restarts the idle-input timer (interactive content arrived). */
  private touch(): void {
    if (this.idleTimer !== undefined) {
      this.options.clock.clearTimeout(this.idleTimer);
      this.timers.delete(this.idleTimer);
    }
    const seconds = Math.round(this.options.idleTimeoutMs / 1000);
    this.idleTimer = this.after(this.options.idleTimeoutMs, () =>
      this.finish('idle-timeout', { type: 'validationException', message: `InternalErrorCode=531: Timed out waiting for input events. Please ensure gaps between audio bytes and interactive content are less than ${seconds} seconds.` }),
    );
  }

  private end(reason: string, exception?: EmulatorException): void {
    const r = this.record;
    if (r.endReason) return;
    r.endReason = reason;
    r.endedAtMs = this.options.clock.nowMs();
    if (exception) {
      r.exception = exception;
      this.options.logger.warn({ stream: r.n, requestId: r.requestId, modelId: r.modelId, endReason: reason, exception: exception.type, message: exception.message }, `emulator ended stream ${r.n} with ${exception.type}: ${exception.message}`);
    }
  }

  /**
   * Ends the stream: sends `exception` first when given (a modelled exception by its lowerCamel
   * union name, or, for a PascalCase type, an `error` message), then END_STREAM.
   */
  private finish(reason: string, exception?: EmulatorException): void {
    if (this.finished) return;
    if (exception) this.send(/^[a-z]/.test(exception.type) ? encodeException(exception.type as StreamExceptionType, exception.message) : encodeError(exception.type, exception.message));
    this.finished = true;
    this.end(reason, exception);
    for (const t of this.timers) this.options.clock.clearTimeout(t);
    this.timers.clear();
    this.options.onFinished();
    void this.conversation.close();
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
  }

  private inject(f: EmulatorFault): void {
    this.options.logger.info({ stream: this.record.n, fault: f.kind }, 'emulator fault injected');
    if (f.kind === 'exception') this.finish('fault:exception', { type: f.exceptionType ?? 'modelStreamErrorException', message: f.message ?? 'System instability detected. Please retry your request.' });
    else if (f.kind === 'end') this.finish('fault:end');
    else if (f.kind === 'reset') {
      this.end('fault:reset');
      this.finish('fault:reset');
      this.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      this.stream.destroy(new Error('emulated reset'));
    } else if (f.kind === 'goaway') {
      this.end('fault:goaway');
      this.stream.session?.goaway(http2.constants.NGHTTP2_INTERNAL_ERROR);
      this.stream.session?.destroy();
    } else if (f.kind === 'stall') {
      this.stalled = true;
      this.end('fault:stall');
    }
  }

  private async processFrame(frame: Buffer): Promise<void> {
    if (this.finished || this.stalled) return;
    const env = decodeEnvelope(frame);
    const chain = this.options.chain;
    if (chain && !(await chain.verify(env.date, env.signature, env.payload))) {
      this.record.badSignatures++;
      // What Bedrock sends for a bad event signature is not known; the request's type and message.
      return this.finish('auth', { type: 'InvalidSignatureException', message: AUTH_MESSAGES.signatureMismatch });
    }
    if (env.payload.length === 0) return this.finish('client-end');
    this.record.eventsIn++;
    const result = this.validator.accept(decodeChunk(env.payload));
    if (!result.ok) {
      this.record.validationErrors.push(result.message);
      return this.finish('validation', { type: 'validationException', message: result.message });
    }
    const action = result.action;
    if (action.kind === 'audio') {
      if (action.pcm.length && dbfs(action.pcm) > SPEECH_DBFS) this.touch();
      this.options.onAudioInput?.(this.record.n, (action.pcm.length * 1000) / this.inputRateHz, this.options.clock.nowMs());
    } else if (action.kind === 'userText' || action.kind === 'toolResult') this.touch();
    else if (action.kind === 'audioStart') {
      this.record.audioStartedAtMs = this.options.clock.nowMs();
      this.inputRateHz = action.inputRateHz;
    }
    this.conversation.handle(action);
    if (action.kind === 'sessionEnd') this.finish('session-end');
  }
}
