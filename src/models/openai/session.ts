/**
 * One OpenAI Realtime conversation (GA, WebSocket) as a `ModelSession`. It dials the injected
 * socket factory with `Authorization: Bearer`, configures the session (`session.update`, waits
 * for `session.updated`), replays the prior history as items, speaks first when there is a
 * greeting, streams caller audio as `input_audio_buffer.append`, and maps server events to model
 * events (`responses.ts`). Barge-in: the server's `speech_started` becomes `speechStarted` (the
 * call clears the carrier), `cancelResponse` sends `response.cancel`, and `truncate` sends
 * `conversation.item.truncate` with the heard position (protocols.md §2.5). Tool results go back as
 * `function_call_output` then `response.create`. Every timer is on the injected clock.
 */
import WebSocket from 'ws';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { errorMessage, VoiceBridgeError } from '../../core/errors.js';
import type { ModelEvent, ModelSession, ModelSessionStats, SessionInit } from '../model.js';
import { audioFormatForRate, formatRateHz, functionCallOutput, historyItem, inputAudioAppend, itemTruncate, parseServerEvent, responseCancel, responseCreate, sessionUpdate, userTextItem, type OpenAIAudioFormat, type OpenAIClientEvent, type OpenAISignal, type OpenAITurnDetection } from './codec.js';
import { LivenessWatchdog } from './liveness.js';
import { OpenAIResponseTracker } from './responses.js';
import { SessionEvents } from '../shared/session-events.js';

/** Opens a WebSocket to `url` with these HTTP headers (the default: the `ws` client). */
export type RealtimeSocketFactory = (url: string, headers: Record<string, string>) => WebSocket;

/** The `ws` client: `new WebSocket(url, { headers })`. */
export const wsSocketFactory: RealtimeSocketFactory = (url, headers) => new WebSocket(url, { headers, perMessageDeflate: false });

/** Settings of OpenAI Realtime sessions. */
export interface OpenAISettings {
  /** Full WebSocket URL, `wss://api.openai.com/v1/realtime?model=…` or an override (`ws://` allowed). */
  url: string;
  /** Sent as `Authorization: Bearer …`. */
  apiKey: string;
  /** Voice when the caller picks none; undefined: the API's default. */
  voice?: string;
  turnDetection: OpenAITurnDetection;
  /** Input transcription model; undefined: no user transcripts. */
  transcriptionModel?: string;
  /** Longest wait from dialling to `session.updated`, ms. */
  startTimeoutMs: number;
  /** Longest wait for the socket's closing handshake before it is terminated, ms. */
  closeTimeoutMs?: number;
  /** The session limit the endpoint enforces, ms (default `OPENAI_MAX_SESSION_MS`, 60 minutes). */
  maxSessionMs?: number;
  /** Age of a session at which the next one is prepared for a renewal, ms (default 55 minutes). */
  renewAfterMs?: number;
  /**
   * Longest time a live session may go without any event from the API, ms; after half of it a
   * no-op `session.update` asks for one (`liveness.ts`). Past it the session has stalled: a
   * retryable `stalled` error, then `closed`. Undefined: not watched.
   */
  stallTimeoutMs?: number;
}

/** Dependencies of a session. */
export interface OpenAISessionDeps {
  settings: OpenAISettings;
  init: SessionInit;
  clock: Clock;
  connect: RealtimeSocketFactory;
}

/** The words that make the model speak first (as Nova's greeting: quoted, to be said as they are). */
export function greetingInstructions(greeting: string): string {
  return `The caller has just connected. Greet them by saying: "${greeting}"`;
}

/** Most characters of typed text sent as one user item. */
const MAX_TEXT_CHARS = 4000;

/** An HTTP status in `ws`'s "Unexpected server response: 401" handshake error. */
function handshakeStatus(err: Error): number | undefined {
  const m = /Unexpected server response: (\d{3})/.exec(err.message);
  return m ? Number(m[1]) : undefined;
}

/** One OpenAI Realtime session over one WebSocket. */
export class OpenAIRealtimeSession implements ModelSession {
  private readonly events = new SessionEvents(() => this.closing);
  private readonly tracker: OpenAIResponseTracker;
  /** Audio format both ways: PCM16 24 kHz, or G.711 mu-law 8 kHz for phone callers. */
  private readonly format: OpenAIAudioFormat;
  private readonly pendingTools = new Set<string>();
  private closing = false;
  private liveness: LivenessWatchdog | undefined;
  private readonly counters = { audioEventsSent: 0, inputMs: 0, outputMs: 0, errors: 0, malformedEvents: 0 };

  private constructor(private readonly deps: OpenAISessionDeps, private readonly socket: WebSocket) {
    const td = deps.settings.turnDetection;
    this.format = audioFormatForRate(deps.init.inputRateHz ?? formatRateHz('audio/pcm'));
    this.tracker = new OpenAIResponseTracker(td.type === 'server_vad' ? td.silenceDurationMs : undefined, formatRateHz(this.format));
  }

  /**
   * Dials, configures the session and waits for `session.updated` (at most `startTimeoutMs`).
   * @throws VoiceBridgeError `model_unavailable` when the handshake is refused (HTTP 401/403: not
   *   retryable; 429 and 5xx: retryable), the socket fails or closes, the API answers the
   *   configuration with an `error` event, the start times out (retryable), `signal` aborts, or
   *   the factory cannot dial (a malformed URL; not retryable).
   */
  static async open(deps: OpenAISessionDeps, signal?: AbortSignal): Promise<OpenAIRealtimeSession> {
    const { settings, init, clock } = deps;
    if (signal?.aborted) throw new VoiceBridgeError('model_unavailable', 'OpenAI Realtime: aborted before opening', false);
    let socket: WebSocket;
    try {
      socket = deps.connect(settings.url, { Authorization: `Bearer ${settings.apiKey}` });
    } catch (err) {
      throw new VoiceBridgeError('model_unavailable', `OpenAI Realtime: cannot dial ${settings.url.replace(/\?.*$/, '')}: ${errorMessage(err)}`, false);
    }
    const session = new OpenAIRealtimeSession(deps, socket);
    let timer: TimerHandle | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (message: string, retryable: boolean) => reject(new VoiceBridgeError('model_unavailable', `OpenAI Realtime: ${message}`, retryable));
        timer = clock.setTimeout(() => fail(`no session.updated within ${settings.startTimeoutMs} ms`, true), settings.startTimeoutMs);
        onAbort = () => fail('aborted while opening', false);
        signal?.addEventListener('abort', onAbort, { once: true });
        socket.on('error', (err) => {
          const status = handshakeStatus(err);
          if (status !== undefined) fail(`handshake refused with HTTP ${status}`, status === 429 || status >= 500);
          else fail(errorMessage(err), true);
        });
        socket.once('close', (code, reason) => fail(`socket closed while opening (code ${code}${reason.length ? `: ${reason.toString()}` : ''})`, true));
        socket.once('open', () => session.send(sessionUpdate({ instructions: init.systemPrompt, voice: init.voice ?? settings.voice, turnDetection: settings.turnDetection, transcriptionModel: settings.transcriptionModel, tools: init.tools ?? [], audioFormat: session.format })));
        session.onSignal = (s) => {
          if (s.kind === 'sessionUpdated') {
            // Frames that arrived in the same chunk are handled (events buffer until a handler is set).
            session.onSignal = (next) => session.handle(next);
            resolve();
          } else if (s.kind === 'error' && !s.benign) fail(`session.update refused: ${s.message}${s.openai.param ? ` (${s.openai.param})` : ''}`, s.retryable);
        };
        socket.on('message', (data, isBinary) => session.onMessage(data, isBinary));
      });
    } catch (err) {
      socket.removeAllListeners('close');
      await session.dispose();
      throw err;
    } finally {
      clock.clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    socket.on('error', (err) => init.logger.warn({ err: errorMessage(err) }, 'OpenAI Realtime socket error'));
    socket.once('close', (code, reason) => session.onClose(code, reason.toString()));
    if (socket.readyState !== WebSocket.OPEN) session.onClose(1006, 'closed while opening');
    else if (settings.stallTimeoutMs) {
      // The GA API answers every session.update with session.updated; one with only the type changes nothing.
      session.liveness = new LivenessWatchdog(clock, settings.stallTimeoutMs, { probe: () => session.send({ type: 'session.update', session: { type: 'realtime' } }), stalled: (quietMs) => session.onStalled(quietMs) });
    }
    for (const message of init.history) session.send(historyItem(message));
    // Per-response instructions replace the session's for that response: the prompt goes with them.
    if (init.greeting) session.send(responseCreate(`${init.systemPrompt}\n\n${greetingInstructions(init.greeting)}`));
    init.logger.info({ url: settings.url.replace(/\?.*$/, ''), historyMessages: init.history.length }, 'OpenAI Realtime session live');
    return session;
  }

  /** Where parsed signals go: the opening handshake, then `handle`. */
  private onSignal: (s: OpenAISignal) => void = () => {};

  setHandler(handler: (event: ModelEvent) => void): void {
    this.events.setHandler(handler);
  }

  /** Relays events; after close only `closed`, and that once (`SessionEvents`). */
  private emit(events: readonly ModelEvent[]): void {
    this.events.emitAll(events);
  }

  private send(event: OpenAIClientEvent): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(event));
    return true;
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closing) return;
    this.liveness?.heard();
    if (isBinary) {
      this.counters.malformedEvents++;
      return;
    }
    this.onSignal(parseServerEvent(data.toString(), this.format));
  }

  private handle(s: OpenAISignal): void {
    const log = this.deps.init.logger;
    switch (s.kind) {
      case 'malformed':
        this.counters.malformedEvents++;
        log.warn({ reason: s.reason }, 'malformed OpenAI Realtime event ignored');
        return;
      case 'functionCall':
        this.pendingTools.add(s.callId);
        if (s.argumentsError !== undefined) {
          log.warn({ tool: s.name, err: s.argumentsError }, 'tool call arguments are not valid JSON; answered with an error');
          this.sendToolResult(s.callId, { error: `arguments are not valid JSON: ${s.argumentsError}` });
          return;
        }
        this.emit([{ type: 'toolCall', toolCallId: s.callId, name: s.name, arguments: s.arguments }]);
        return;
      case 'userTranscriptFailed':
        log.warn({ itemId: s.itemId, err: s.message }, 'OpenAI input transcription failed');
        return;
      case 'error':
        this.counters.errors++;
        if (s.benign) {
          log.debug({ openai: s.openai }, `OpenAI Realtime: ${s.message}`);
          return;
        }
        log.warn({ openai: s.openai, retryable: s.retryable }, `OpenAI Realtime error: ${s.message}`);
        this.emit([{ type: 'error', code: s.code, message: s.message, retryable: s.retryable }]);
        if (s.fatal) {
          this.emit([{ type: 'closed', reason: `openai: ${s.code}` }]);
          void this.close();
        }
        return;
      case 'audioDelta':
        this.counters.outputMs += (s.pcm.length * 1000) / formatRateHz(this.format);
        break;
      case 'responseDone':
        if (s.error) {
          this.counters.errors++;
          log.warn({ openai: s.error.openai, responseId: s.responseId }, `OpenAI Realtime: ${s.error.message}`);
          this.emit([{ type: 'error', code: s.error.code, message: s.error.message, retryable: s.error.retryable }]);
        }
        break;
      default:
        break;
    }
    this.emit(this.tracker.handle(s));
  }

  /** The socket closed: by us (close) or not (a drop: a retryable error, then closed). */
  private onClose(code: number, reason: string): void {
    if (this.closing) return;
    const message = `OpenAI Realtime socket closed (code ${code}${reason ? `: ${reason}` : ''})`;
    this.deps.init.logger.warn({ code, reason }, message);
    this.emit([
      { type: 'error', code: 'stream_ended', message, retryable: true },
      { type: 'closed', reason: `openai: socket closed (${code})` },
    ]);
    void this.close();
  }

  /** Nothing came from the API for `quietMs`, a probe notwithstanding: a retryable `stalled` error, then closed. */
  private onStalled(quietMs: number): void {
    if (this.closing) return;
    const message = `OpenAI Realtime stalled: no event for ${Math.round(quietMs)} ms`;
    this.deps.init.logger.warn({ quietMs: Math.round(quietMs) }, message);
    this.counters.errors++;
    this.emit([
      { type: 'error', code: 'stalled', message, retryable: true },
      { type: 'closed', reason: `openai: stalled (no event for ${Math.round(quietMs)} ms)` },
    ]);
    void this.close();
  }

  sendAudio(pcm: Int16Array): void {
    if (this.closing || pcm.length === 0) return;
    if (this.send(inputAudioAppend(pcm, this.format))) {
      this.counters.audioEventsSent++;
      this.counters.inputMs += (pcm.length * 1000) / formatRateHz(this.format);
    }
  }

  sendText(text: string): void {
    const trimmed = text.trim();
    if (this.closing || !trimmed) return;
    // A response in flight would refuse the next `response.create`: the typed turn replaces it.
    const open = this.tracker.openResponseId;
    if (open) this.send(responseCancel(open));
    this.send(userTextItem(trimmed.slice(0, MAX_TEXT_CHARS)));
    this.send(responseCreate());
  }

  sendToolResult(toolCallId: string, result: unknown): void {
    if (this.closing) return;
    if (!this.pendingTools.delete(toolCallId)) {
      this.deps.init.logger.warn({ toolCallId }, 'tool result for an unknown or finished tool call; dropped');
      return;
    }
    this.send(functionCallOutput(toolCallId, result));
    // The model goes on only when asked, once every call of the turn has its output.
    if (this.pendingTools.size === 0) this.send(responseCreate());
  }

  cancelResponse(): void {
    const open = this.tracker.openResponseId;
    if (this.closing || !open) return;
    this.send(responseCancel(open));
  }

  truncate(responseId: string, heardMs: number): void {
    if (this.closing) return;
    const { events, cut } = this.tracker.truncate(responseId, heardMs);
    this.emit(events);
    if (cut) this.send(itemTruncate(cut.itemId, cut.audioEndMs));
  }

  stats(): ModelSessionStats {
    const c = this.counters;
    return { audioEventsSent: c.audioEventsSent, inputMs: Math.round(c.inputMs), outputMs: Math.round(c.outputMs), openaiErrors: c.errors, malformedEvents: c.malformedEvents };
  }

  /** Closes the socket and waits for its handshake (terminated after `closeTimeoutMs`). */
  private async dispose(): Promise<void> {
    const { socket } = this;
    if (socket.readyState === WebSocket.CLOSED) return;
    const { clock, settings } = this.deps;
    let timer: TimerHandle | undefined;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      timer = clock.setTimeout(() => {
        socket.terminate();
        resolve();
      }, settings.closeTimeoutMs ?? 2000);
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000, 'closed by client');
    });
    clock.clearTimeout(timer);
  }

  private closed: Promise<void> | undefined;

  async close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      this.liveness?.stop();
      this.pendingTools.clear();
      await this.dispose();
      this.emit([{ type: 'closed', reason: 'closed by call' }]);
    })();
    return this.closed;
  }
}
