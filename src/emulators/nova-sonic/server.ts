/**
 * A wire-level emulator of Bedrock's `InvokeModelWithBidirectionalStream` for Nova Sonic, so the
 * unmodified AWS SDK can be tested without AWS (bedrock-wire.md §9): plain HTTP/2 (TLS optional),
 * event-stream framing both ways, SigV4 checks of the request and of every event, validation of
 * event order and shapes with Bedrock's exception types, the session time limit
 * (`ModelTimeoutException`), an idle-input timeout, and fault injection.
 */
import { randomUUID } from 'node:crypto';
import http2, { type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { ResamplerFactory } from '../../audio/resample.js';
import { errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { EmulatedConversation, type BrainFactory } from './conversation.js';
import { InputValidator } from './protocol.js';
import { EventSignatureChain, verifyRequestSignature } from './sigv4.js';
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

/** Emulator settings. */
export interface NovaEmulatorOptions {
  brain: BrainFactory;
  resamplers: ResamplerFactory;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Access key id → secret key accepted (default `test` → `test`). */
  credentials?: ReadonlyMap<string, string>;
  /** Check SigV4 on the request and every event (default true). */
  verifySignatures?: boolean;
  /** Stream time limit, ms (Bedrock: 8 minutes). */
  sessionLimitMs?: number;
  /** Longest gap between input events, ms. */
  idleTimeoutMs?: number;
  /** How long a tool may take to answer, ms. */
  toolTimeoutMs?: number;
  faults?: EmulatorFault[];
  /** Keep each stream's caller audio (for tests that count frames). */
  keepAudio?: boolean;
  /**
   * Observer: an `audioInput` event holding `durationMs` of audio arrived on stream `n`
   * (1-based) at `atMs` (`performance.now()`); benchmarks time the server's input path against it.
   */
  onAudioInput?: (n: number, durationMs: number, atMs: number) => void;
  /** TLS key and certificate (PEM); plain h2c when absent. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  logger?: Logger;
}

/** One stream as the emulator saw it. */
export interface EmulatorStreamRecord {
  n: number;
  requestId: string;
  modelId: string;
  startedAtMs: number;
  endedAtMs: number | undefined;
  /** `client-end`, `session-end`, `client-abort`, `session-limit`, `idle-timeout`, `validation`, `auth`, `fault:<kind>`. */
  endReason: string | undefined;
  eventsIn: number;
  conversation: EmulatedConversation | undefined;
  /** Input events whose signature did not verify. */
  badSignatures: number;
  /** ValidationException messages sent. */
  validationErrors: string[];
  /** When the audio content started (the stream went live), ms on `performance.now()`. */
  audioStartedAtMs: number | undefined;
}

/** A running emulator. */
export interface NovaEmulator {
  /** e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  readonly streams: readonly EmulatorStreamRecord[];
  /** Streams not yet ended. */
  openStreams(): number;
  /** Adds a fault for streams opened from now on. */
  addFault(fault: EmulatorFault): void;
  /** Removes all faults. */
  clearFaults(): void;
  close(): Promise<void>;
}

export const NOVA_MODEL_IDS = ['amazon.nova-sonic-v1:0', 'amazon.nova-2-sonic-v1:0'];
const PATH_RE = /^\/model\/([^/]+)\/invoke-with-bidirectional-stream$/;

function httpError(stream: ServerHttp2Stream, status: number, type: string, message: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond({ ':status': status, 'content-type': 'application/json', 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'x-amzn-requestid': randomUUID() });
  stream.end(JSON.stringify({ message }));
}

/** Starts the emulator on `host:port` (default 127.0.0.1, a free port). */
export async function startNovaSonicEmulator(options: NovaEmulatorOptions): Promise<NovaEmulator> {
  const log = options.logger ?? silentLogger;
  const credentials = options.credentials ?? new Map([['test', 'test']]);
  const verify = options.verifySignatures ?? true;
  const faults = [...(options.faults ?? [])];
  const records: EmulatorStreamRecord[] = [];
  const live = new Set<() => void>();
  const sessions = new Set<Http2Session>();
  const server = options.tls ? http2.createSecureServer({ ...options.tls, allowHTTP1: false }) : http2.createServer();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => {});
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    handleStream(stream, headers).catch((err) => {
      log.warn({ err: errorMessage(err) }, 'emulator stream failed');
      if (!stream.destroyed) stream.destroy();
    });
  });

  async function handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const path = String(headers[':path'] ?? '');
    const m = PATH_RE.exec(path);
    if (headers[':method'] !== 'POST' || !m) return httpError(stream, 404, 'UnknownOperationException', `no operation at ${headers[':method']} ${path}`);
    const modelId = decodeURIComponent(m[1]);
    const record: EmulatorStreamRecord = { n: records.length + 1, requestId: randomUUID(), modelId, startedAtMs: performance.now(), endedAtMs: undefined, endReason: undefined, eventsIn: 0, conversation: undefined, badSignatures: 0, validationErrors: [], audioStartedAtMs: undefined };
    records.push(record);
    const end = (reason: string): void => {
      if (record.endReason) return;
      record.endReason = reason;
      record.endedAtMs = performance.now();
    };
    if (!NOVA_MODEL_IDS.includes(modelId)) {
      end('validation');
      return httpError(stream, 400, 'ValidationException', 'The provided model identifier is invalid.');
    }
    let chain: EventSignatureChain | undefined;
    if (verify) {
      const check = await verifyRequestSignature({ method: 'POST', scheme: String(headers[':scheme'] ?? 'http'), path, headers: headers as Record<string, string> }, credentials);
      if (!check.ok) {
        end('auth');
        return httpError(stream, 403, 'AccessDeniedException', check.message);
      }
      chain = new EventSignatureChain(check);
    }
    const mine = faults.filter((f) => !f.stream || f.stream === record.n);
    const slow = mine.find((f) => f.kind === 'slowStart');
    if (slow) await new Promise((r) => setTimeout(r, slow.afterMs));
    if (stream.destroyed) return end('client-abort');
    stream.respond({ ':status': 200, 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': record.requestId });

    const timers: NodeJS.Timeout[] = [];
    let stalled = false;
    let finished = false;
    const send = (bytes: Uint8Array): void => {
      if (!finished && !stalled && !stream.destroyed) stream.write(bytes);
    };
    const validator = new InputValidator(modelId.includes('nova-2-sonic'));
    const conversation = new EmulatedConversation({
      brain: options.brain,
      resamplers: options.resamplers,
      logger: log,
      send: (event) => send(encodeOutputEvent(event)),
      onToolUse: (id) => validator.issueToolUse(id),
      toolTimeoutMs: options.toolTimeoutMs ?? 10_000,
      nowMs: () => performance.now(),
    });
    conversation.keepAudio = options.keepAudio ?? false;
    record.conversation = conversation;
    const finish = (reason: string, last?: Uint8Array): void => {
      if (finished) return;
      if (last) send(last);
      finished = true;
      end(reason);
      for (const t of timers) clearTimeout(t);
      live.delete(abortAll);
      void conversation.close();
      if (!stream.destroyed && !stream.writableEnded) stream.end();
    };
    const abortAll = (): void => finish('server-close');
    live.add(abortAll);
    stream.on('close', () => finish(record.endReason ?? 'client-abort'));

    const limitMs = options.sessionLimitMs ?? 480_000;
    timers.push(setTimeout(() => finish('session-limit', encodeException('modelTimeoutException', 'Model has timed out in processing the request')), limitMs));
    const idleMs = options.idleTimeoutMs ?? 295_000;
    let idleTimer: NodeJS.Timeout | undefined;
    const touch = (): void => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => finish('idle-timeout', encodeException('validationException', `InternalErrorCode=531: Timed out waiting for input events. Please ensure gaps between audio bytes and interactive content are less than ${Math.round(idleMs / 1000)} seconds.`)), idleMs);
      timers.push(idleTimer);
    };
    touch();
    for (const f of mine) {
      if (f.kind === 'slowStart') continue;
      timers.push(
        setTimeout(() => {
          log.info({ stream: record.n, fault: f.kind }, 'emulator fault injected');
          if (f.kind === 'exception') finish(`fault:exception`, encodeException(f.exceptionType ?? 'modelStreamErrorException', f.message ?? 'System instability detected. Please retry your request.'));
          else if (f.kind === 'end') finish('fault:end');
          else if (f.kind === 'reset') {
            end('fault:reset');
            finish('fault:reset');
            stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
            stream.destroy(new Error('emulated reset'));
          } else if (f.kind === 'goaway') {
            end('fault:goaway');
            stream.session?.goaway(http2.constants.NGHTTP2_INTERNAL_ERROR);
            stream.session?.destroy();
          } else if (f.kind === 'stall') {
            stalled = true;
            end('fault:stall');
          }
        }, f.afterMs),
      );
    }

    const splitter = new FrameSplitter();
    let work = Promise.resolve();
    let inputRateHz = 16000;
    const processFrame = async (frame: Buffer): Promise<void> => {
      if (finished || stalled) return;
      const env = decodeEnvelope(frame);
      if (chain && !(await chain.verify(env.date, env.signature, env.payload))) {
        record.badSignatures++;
        return finish('auth', encodeError('AccessDeniedException', 'The event signature we calculated does not match the signature you provided.'));
      }
      if (env.payload.length === 0) return finish('client-end');
      record.eventsIn++;
      const result = validator.accept(decodeChunk(env.payload));
      if (!result.ok) {
        record.validationErrors.push(result.message);
        return finish('validation', encodeException('validationException', result.message));
      }
      if (result.action.kind === 'audio' || result.action.kind === 'userText') touch();
      if (result.action.kind === 'audioStart') {
        record.audioStartedAtMs = performance.now();
        inputRateHz = result.action.inputRateHz;
      } else if (result.action.kind === 'audio') options.onAudioInput?.(record.n, (result.action.pcm.length * 1000) / inputRateHz, performance.now());
      conversation.handle(result.action);
      if (result.action.kind === 'sessionEnd') finish('session-end');
    };
    stream.on('data', (data: Buffer) => {
      let frames: Buffer[];
      try {
        frames = splitter.push(data);
      } catch (err) {
        return finish('validation', encodeException('validationException', errorMessage(err)));
      }
      for (const frame of frames) {
        work = work.then(() => processFrame(frame)).catch((err) => finish('validation', encodeException('validationException', `Malformed input: ${errorMessage(err)}`)));
      }
    });
    stream.on('end', () => {
      void work.then(() => finish(record.endReason ?? 'client-end'));
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.tls ? 'https' : 'http'}://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    streams: records,
    openStreams: () => records.filter((r) => r.endReason === undefined).length,
    addFault: (f) => faults.push(f),
    clearFaults: () => faults.splice(0),
    async close() {
      for (const abort of [...live]) abort();
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
