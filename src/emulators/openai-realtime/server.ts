/**
 * A wire-level emulator of the OpenAI Realtime GA WebSocket API (protocols.md Part 2), so real
 * clients (the `openai` package's `OpenAIRealtimeWS`, `@openai/agents-realtime`, our provider)
 * can be tested without the cloud: `GET /v1/realtime?model=…` upgraded to a WebSocket (TLS
 * optional), the API key checked before the upgrade (`Authorization: Bearer <key>`, or the
 * `openai-insecure-api-key.<key>` subprotocol browsers use) and refused with 401 and OpenAI's JSON
 * error body, one `RealtimeConversation` per socket, the session time limit (an `error` event
 * `session_expired`, then close 1001, as clients report the real API ends a session), and fault
 * injection (close 1011, stall, slow start, an error event mid-response). Every timer is on the
 * injected clock.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ResamplerFactory } from '../../audio/resample.js';
import { systemClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { BrainFactory } from '../shared/brain.js';
import { RealtimeConversation } from './conversation.js';
import { errorEvent, RealtimeRequestError, SERVER_ERROR_MESSAGE } from './errors.js';
import { refuseUpgrade, sessionExpiredMessage, type RealtimeFault } from './http-refusals.js';
import type { ReplyPace } from './paced-output.js';
import { parseClientEvent } from './protocol.js';

export { parseRealtimeFault, REALTIME_MODELS, type RealtimeFault } from './http-refusals.js';

/** Emulator settings. */
export interface OpenAIRealtimeEmulatorOptions {
  brain: BrainFactory;
  resamplers: ResamplerFactory;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** API keys accepted (default `['test']`). */
  apiKeys?: readonly string[];
  /** Time and timers (session limit, faults, pacing, tool timeouts); default the real clock. */
  clock?: Clock;
  /** Session time limit, ms (default 60 minutes, the GA limit; protocols.md §2.1). */
  sessionLimitMs?: number;
  /** How long the client may take to answer a function call, ms (default 10 s). */
  toolTimeoutMs?: number;
  /** Replies at real-time pace in 100 ms chunks (default) or as fast as they are made. */
  pace?: ReplyPace;
  faults?: RealtimeFault[];
  /** Keep each session's received input audio (`conversation.receivedAudio`), for tests. */
  keepAudio?: boolean;
  /** TLS key and certificate (PEM); plain `ws://` when absent. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  logger?: Logger;
  /** Each caller audio append of session `n` (1-based): its duration and when it arrived, clock ms (load benchmarks). */
  onAudioInput?: (n: number, durationMs: number, atMs: number) => void;
}

/** One WebSocket session, for tests and logs. */
export interface RealtimeSessionRecord {
  /** 1-based, in connection order. */
  n: number;
  model: string;
  startedAtMs: number;
  endedAtMs: number | undefined;
  /** Close code the emulator or the client closed with. */
  closeCode: number | undefined;
  /** `client`, `session-limit`, `fault:close`, `shutdown`. */
  endReason: string | undefined;
  conversation: RealtimeConversation;
  /** When its first caller audio arrived, clock ms. */
  audioStartedAtMs: number | undefined;
  /** Client events refused with an `error` event (their codes). */
  errors: string[];
}

/** A running emulator. */
export interface OpenAIRealtimeEmulator {
  /** e.g. `http://127.0.0.1:41234` (https with TLS): an OpenAI client's base URL is `${url}/v1`. */
  readonly url: string;
  /** e.g. `ws://127.0.0.1:41234/v1/realtime` (wss with TLS), without `?model=`. */
  readonly wsUrl: string;
  readonly port: number;
  readonly sessions: readonly RealtimeSessionRecord[];
  /** Sessions whose socket is still open. */
  openSessions(): number;
  /** Upgrades refused before the WebSocket opened (status codes). */
  readonly refusals: readonly number[];
  /** Adds a fault for sessions opened from now on. */
  addFault(fault: RealtimeFault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

/** Starts the emulator on `host:port` (default 127.0.0.1, a free port). */
export async function startOpenAIRealtimeEmulator(options: OpenAIRealtimeEmulatorOptions): Promise<OpenAIRealtimeEmulator> {
  const log = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const keys = new Set(options.apiKeys ?? ['test']);
  const faults = [...(options.faults ?? [])];
  const records: RealtimeSessionRecord[] = [];
  const refusals: number[] = [];
  const sockets = new Map<WebSocket, RealtimeSessionRecord>();
  /** Upgrades a slow-start fault is holding: their raw sockets and timers (ended by `close`). */
  const held = new Map<Socket, TimerHandle>();
  let connections = 0;
  const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }) : http.createServer();
  // Room for the largest append (15 MiB of audio, base64) and its JSON envelope.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 21 * 1024 * 1024, handleProtocols: (protocols) => (protocols.has('realtime') ? 'realtime' : false) });
  server.on('request', (_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'This emulator serves only the Realtime WebSocket at /v1/realtime.', type: 'invalid_request_error', param: null, code: null } }));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => {});
    const refused = refuseUpgrade(req, keys);
    if (refused) {
      refusals.push(refused.status);
      log.warn({ status: refused.status, code: refused.code }, `emulator refused upgrade with ${refused.status}: ${refused.message}`);
      socket.end(refused.response);
      return;
    }
    const n = ++connections;
    const mine = faults.filter((f) => !f.session || f.session === n);
    const slow = mine.find((f) => f.kind === 'slowStart');
    const accept = (): void => {
      held.delete(socket);
      if (socket.destroyed) return;
      wss.handleUpgrade(req, socket, head, (ws) => open(ws, n, new URL(req.url ?? '/', 'http://x').searchParams.get('model')!, mine));
    };
    if (slow) held.set(socket, clock.setTimeout(accept, slow.afterMs));
    else accept();
  });

  function open(ws: WebSocket, n: number, model: string, mine: RealtimeFault[]): void {
    const timers: TimerHandle[] = [];
    // A stall at 0 ms holds back everything, `session.created` included (no race with the first client event).
    let stalled = mine.some((f) => f.kind === 'stall' && f.afterMs <= 0);
    const send = (event: Record<string, unknown>): void => {
      if (!stalled && ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
    };
    const limitMs = options.sessionLimitMs ?? 3_600_000;
    const conversation = new RealtimeConversation({
      brain: options.brain,
      resamplers: options.resamplers,
      clock,
      logger: log,
      pace: options.pace ?? 'realtime',
      model,
      expiresAtS: Math.floor(Date.now() / 1000 + limitMs / 1000),
      toolTimeoutMs: options.toolTimeoutMs ?? 10_000,
      keepAudio: options.keepAudio,
      send,
      onAudioInput: (durationMs) => {
        const atMs = clock.nowMs();
        record.audioStartedAtMs ??= atMs;
        options.onAudioInput?.(n, durationMs, atMs);
      },
    });
    const record: RealtimeSessionRecord = { n, model, startedAtMs: clock.nowMs(), endedAtMs: undefined, closeCode: undefined, endReason: undefined, conversation, errors: [], audioStartedAtMs: undefined };
    records.push(record);
    sockets.set(ws, record);
    const end = (code: number, reason: string, why: string): void => {
      if (record.endReason === undefined) record.endReason = why;
      if (ws.readyState === ws.OPEN) ws.close(code, reason);
    };
    timers.push(
      clock.setTimeout(() => {
        const message = sessionExpiredMessage(limitMs);
        log.info({ session: n, limitMs }, 'emulator session hit its time limit');
        send({ type: 'error', event_id: `event_expired_${n}`, error: { type: 'invalid_request_error', code: 'session_expired', message, param: null, event_id: null } });
        end(1001, message, 'session-limit');
      }, limitMs),
    );
    for (const f of mine) {
      const act = f.kind === 'close' ? () => end(1011, 'Internal server error', 'fault:close') : f.kind === 'stall' ? () => (stalled = true) : () => conversation.failResponse();
      if (f.kind === 'slowStart' || (f.kind === 'stall' && stalled)) continue;
      timers.push(
        clock.setTimeout(() => {
          log.warn({ session: n, fault: f.kind, afterMs: f.afterMs }, `emulator injects fault ${f.kind} into session ${n}`);
          act();
        }, f.afterMs),
      );
    }
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? undefined : data.toString();
      let clientEventId: string | null = null;
      try {
        if (text === undefined) throw new RealtimeRequestError('invalid_value', 'Binary frames are not supported: send JSON text events.', null);
        clientEventId = eventIdOf(text);
        conversation.handle(parseClientEvent(text));
      } catch (err) {
        if (!(err instanceof RealtimeRequestError)) {
          log.warn({ session: n, err: errorMessage(err) }, 'emulator failed on a client event');
          err = new RealtimeRequestError('server_error', SERVER_ERROR_MESSAGE, null, 'server_error');
        }
        const e = err as RealtimeRequestError;
        record.errors.push(e.code);
        send(errorEvent(e, clientEventId) as unknown as Record<string, unknown>);
      }
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      sockets.delete(ws);
      for (const t of timers) clock.clearTimeout(t);
      record.closeCode = code;
      record.endedAtMs = clock.nowMs();
      if (record.endReason === undefined) record.endReason = 'client';
      void conversation.close().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'emulator conversation failed to close'));
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}`,
    wsUrl: `${options.tls ? 'wss' : 'ws'}://${host}:${port}/v1/realtime`,
    port,
    sessions: records,
    refusals,
    openSessions: () => sockets.size,
    addFault: (f) => faults.push(f),
    clearFaults: () => faults.splice(0),
    async close() {
      for (const [socket, timer] of held) {
        clock.clearTimeout(timer);
        socket.destroy();
      }
      held.clear();
      for (const [ws, r] of sockets) {
        if (r.endReason === undefined) r.endReason = 'shutdown';
        ws.close(1001, 'server shutting down');
      }
      await Promise.all(records.map((r) => r.conversation.close()));
      for (const ws of sockets.keys()) ws.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
    },
  };
}

/** The `event_id` of a client event's JSON, if it has a string one (for the `error` event's `event_id`). */
function eventIdOf(text: string): string | null {
  try {
    const v = JSON.parse(text) as { event_id?: unknown };
    return typeof v?.event_id === 'string' ? v.event_id : null;
  } catch {
    return null;
  }
}
