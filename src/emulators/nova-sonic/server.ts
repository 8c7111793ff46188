/**
 * A wire-level emulator of Bedrock's `InvokeModelWithBidirectionalStream` for Nova Sonic, so the
 * unmodified AWS SDK can be tested without AWS (bedrock-wire.md §9): plain HTTP/2 (TLS optional),
 * event-stream framing both ways, SigV4 checks of the request (access key, credential scope,
 * clock skew, signature — each refused with Bedrock's status, error type and message) and of every
 * event, validation of event order and shapes with Bedrock's exception types, the session time
 * limit (`ModelTimeoutException`), the idle-input timeout, and fault injection. Every refused
 * request and every ending with an exception is logged with the exception's type and message.
 * What it reproduces and what it does not: README, "What the emulator reproduces".
 */
import { randomUUID } from 'node:crypto';
import http2, { type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { ResamplerFactory } from '../../audio/resample.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { BrainFactory } from './conversation.js';
import { NOVA_MODELS } from './models.js';
import { EventSignatureChain, verifyRequestSignature } from './sigv4.js';
import { StreamSession, type EmulatorException, type EmulatorFault, type EmulatorStreamRecord } from './stream-session.js';

export type { EmulatorException, EmulatorFault, EmulatorStreamRecord } from './stream-session.js';
export { NOVA_MODEL_IDS } from './models.js';

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
  /** Region the emulated endpoint serves; credentials scoped to another are refused (default `us-east-1`). */
  region?: string;
  /**
   * Largest accepted difference between a request's `x-amz-date` and the server's wall clock, ms
   * (default 5 minutes, as Bedrock answers: "Signature expired: … (… - 5 min.)").
   */
  maxClockSkewMs?: number;
  /** Wall clock for the SigV4 time check, ms since the epoch (default `Date.now`). */
  wallClockMs?: () => number;
  /** Time and timers of the streams (session limit, idle timeout, faults, tool timeouts); default the real clock. */
  clock?: Clock;
  /** Stream time limit, ms (Bedrock: 8 minutes). */
  sessionLimitMs?: number;
  /** Longest gap without interactive content, ms (default per model: Nova 2 295 s, Nova Sonic v1 175 s). */
  idleTimeoutMs?: number;
  /** How long a tool may take to answer, ms. */
  toolTimeoutMs?: number;
  faults?: EmulatorFault[];
  /** Keep each stream's caller audio (for tests that count frames). */
  keepAudio?: boolean;
  /**
   * Observer: an `audioInput` event holding `durationMs` of audio arrived on stream `n`
   * (1-based) at `atMs` (the clock's `nowMs()`); benchmarks time the server's input path against it.
   */
  onAudioInput?: (n: number, durationMs: number, atMs: number) => void;
  /** TLS key and certificate (PEM); plain h2c when absent. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  logger?: Logger;
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

const PATH_RE = /^\/model\/([^/]+)\/invoke-with-bidirectional-stream$/;
/** Errors of AWS's request layer, named in the `com.amazon.coral.service` namespace (as in recorded Bedrock responses). */
const CORAL_SERVICE_ERRORS = new Set(['InvalidSignatureException', 'UnrecognizedClientException', 'IncompleteSignatureException', 'MissingAuthenticationTokenException', 'UnknownOperationException']);

/** Starts the emulator on `host:port` (default 127.0.0.1, a free port). */
export async function startNovaSonicEmulator(options: NovaEmulatorOptions): Promise<NovaEmulator> {
  const log = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const wallClockMs = options.wallClockMs ?? Date.now;
  const region = options.region ?? 'us-east-1';
  const credentials = options.credentials ?? new Map([['test', 'test']]);
  const verify = options.verifySignatures ?? true;
  const faults = [...(options.faults ?? [])];
  const records: EmulatorStreamRecord[] = [];
  const live = new Set<StreamSession>();
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

  /** Refuses a request with an HTTP error as Bedrock does (`x-amzn-errortype`, `{"message"}`), records and logs it. */
  function refuse(stream: ServerHttp2Stream, status: number, error: EmulatorException, record?: EmulatorStreamRecord, reason?: string): void {
    if (record && !record.endReason) {
      record.endReason = reason;
      record.endedAtMs = clock.nowMs();
      record.exception = error;
    }
    log.warn({ stream: record?.n, status, exception: error.type, message: error.message }, `emulator refused request with ${status} ${error.type}: ${error.message}`);
    if (stream.destroyed || stream.headersSent) return;
    const namespace = CORAL_SERVICE_ERRORS.has(error.type) ? 'com.amazon.coral.service' : 'com.amazon.bedrock';
    stream.respond({ ':status': status, 'content-type': 'application/json', 'x-amzn-errortype': `${error.type}:http://internal.amazon.com/coral/${namespace}/`, 'x-amzn-requestid': record?.requestId ?? randomUUID() });
    stream.end(JSON.stringify({ message: error.message }));
  }

  async function handleStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const path = String(headers[':path'] ?? '');
    const m = PATH_RE.exec(path);
    if (headers[':method'] !== 'POST' || !m) return refuse(stream, 404, { type: 'UnknownOperationException', message: `no operation at ${headers[':method']} ${path}` });
    const modelId = decodeURIComponent(m[1]);
    const record: EmulatorStreamRecord = { n: records.length + 1, requestId: randomUUID(), modelId, startedAtMs: clock.nowMs(), endedAtMs: undefined, endReason: undefined, exception: undefined, eventsIn: 0, conversation: undefined, badSignatures: 0, validationErrors: [], audioStartedAtMs: undefined };
    records.push(record);
    const model = NOVA_MODELS.get(modelId);
    if (!model) return refuse(stream, 400, { type: 'ValidationException', message: 'The provided model identifier is invalid.' }, record, 'validation');
    let chain: EventSignatureChain | undefined;
    if (verify) {
      const received = { method: 'POST', scheme: String(headers[':scheme'] ?? 'http'), path, headers: headers as Record<string, string> };
      const check = await verifyRequestSignature(received, credentials, { region, nowEpochMs: wallClockMs(), maxClockSkewMs: options.maxClockSkewMs ?? 300_000 });
      if (!check.ok) return refuse(stream, check.status, { type: check.type, message: check.message }, record, 'auth');
      chain = new EventSignatureChain(check);
    }
    const mine = faults.filter((f) => !f.stream || f.stream === record.n);
    const slow = mine.find((f) => f.kind === 'slowStart');
    if (slow) await new Promise<void>((resolve) => clock.setTimeout(resolve, slow.afterMs));
    if (stream.destroyed) {
      record.endReason = 'client-abort';
      record.endedAtMs = clock.nowMs();
      return;
    }
    stream.respond({ ':status': 200, 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': record.requestId });
    const session: StreamSession = new StreamSession(stream, record, {
      brain: options.brain,
      resamplers: options.resamplers,
      clock,
      logger: log,
      model,
      chain,
      faults: mine.filter((f) => f.kind !== 'slowStart'),
      sessionLimitMs: options.sessionLimitMs ?? 480_000,
      idleTimeoutMs: options.idleTimeoutMs ?? model.idleTimeoutMs,
      toolTimeoutMs: options.toolTimeoutMs ?? 10_000,
      keepAudio: options.keepAudio ?? false,
      onAudioInput: options.onAudioInput,
      onFinished: () => live.delete(session),
    });
    live.add(session);
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
      for (const session of [...live]) session.close();
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
