/**
 * The caller side of a call: one carrier connection (Twilio, Vonage, browser WebSocket, raw PCM)
 * decoded into PCM16 frames and normalized events. Transports never import model code; only
 * `src/call/` joins the two.
 */

/**
 * A carrier's id, as its entry in `src/callers/registry.ts` declares it (`twilio`, `vonage`,
 * `browser`, `pcm`, `webrtc`, …); it labels calls in logs, records and metrics. Open, so that a new
 * carrier is one folder plus one registry entry.
 */
export type CallerKind = string;

/** What a transport learned when its stream started. */
export interface CallerStartInfo {
  /** Carrier's call identifier (Twilio CallSid, Vonage uuid), if any. */
  carrierCallId?: string;
  /** Carrier's stream identifier (Twilio streamSid), if any. */
  streamId?: string;
  /** Custom parameters (Twilio `<Parameter>`, Vonage headers, browser session options). */
  parameters: Record<string, string>;
  /** Browser-requested system prompt override, if allowed. */
  systemPrompt?: string;
  /** Requested model id, if the caller may choose. */
  model?: string;
  /** Requested voice id for the model. */
  voice?: string;
}

/** Events a transport reports to its call. */
export type CallerEvent =
  /** A chunk of caller audio at `inputRateHz`; `receivedAtMs` is the clock time it arrived. */
  | { type: 'audio'; pcm: Int16Array; receivedAtMs: number }
  /** A DTMF key press. */
  | { type: 'dtmf'; digit: string; durationMs?: number }
  /** The carrier reports that all audio sent before mark `markId` has been played. */
  | { type: 'played'; markId: string }
  /** Typed text from the caller (browser). */
  | { type: 'text'; text: string }
  /** The caller is gone (`reason` is e.g. `stop`, `socket-closed`, `protocol-error`). */
  | { type: 'ended'; reason: string };

/** Notices a call sends to a transport that can show them (browser); others ignore them. */
export type CallerNotice =
  | { type: 'transcript'; role: 'user' | 'assistant'; text: string; final: boolean; turn: number }
  | { type: 'state'; state: string }
  /** The caller started (`true`) or stopped (`false`) speaking, as the model's endpointing heard it. */
  | { type: 'speech'; speaking: boolean }
  | { type: 'turn'; turn: number; replyLatencyMs: number | null; interrupted: boolean }
  | { type: 'error'; code: string; message: string }
  /** A tool call the model made, once it has run. */
  | { type: 'tool'; name: string; ok: boolean; durationMs: number }
  /** The call is being handed to a person at `to` (E.164 number or SIP URI); the stream ends next. */
  | { type: 'transfer'; to: string; reason: string };

/**
 * Judges each chunk of inbound caller audio (`src/limits/inbound-audio.ts` implements it): `admit`
 * passes it on, `drop` discards it (counted by the limiter), `close` ends the connection (1008).
 */
export interface InboundAudioLimiter {
  /** `audioMs` of audio arrived at `nowMs` (the transport's clock). */
  admit(audioMs: number, nowMs: number): 'admit' | 'drop' | 'close';
}

/** How we end a call from our side. */
export interface HangupOptions {
  /**
   * The server is shutting down: WebSocket callers get close 1001 "going away" (RFC 6455 §7.4.1)
   * instead of 1000, so a client can tell "try again elsewhere" from "the call is over".
   */
  serverShutdown?: boolean;
}

/** A live caller connection. */
export interface CallerTransport {
  /** Which carrier. */
  readonly kind: CallerKind;
  /** Rate of PCM16 delivered in `audio` events. */
  readonly inputRateHz: number;
  /** Rate of PCM16 accepted by `sendAudio`. */
  readonly outputRateHz: number;
  /** Whether the carrier reports playback progress (marks / notify); if not, sent ≈ heard. */
  readonly supportsMarks: boolean;
  /** Resolves when the carrier's stream has started (e.g. Twilio `start`); rejects on failure. */
  readonly started: Promise<CallerStartInfo>;
  /** Installs the event handler; events before it is set are buffered. */
  setHandler(handler: (event: CallerEvent) => void): void;
  /** Sends exactly one 20 ms frame of PCM16 at `outputRateHz`. */
  sendAudio(frame: Int16Array): void;
  /** Asks the carrier to report `played` once everything sent so far has been heard. */
  mark(markId: string): void;
  /** Drops audio buffered at the carrier (barge-in). */
  clearPlayback(): void;
  /**
   * Runs `send` so that everything it sends leaves in one socket write (optional; transports
   * without a stream socket just run it).
   */
  corked?(send: () => void): void;
  /** Sends a notice the caller may display. */
  notify(notice: CallerNotice): void;
  /** Ends the call from our side (`reason` is logged and, where possible, sent). */
  hangup(reason: string, options?: HangupOptions): void;
  /**
   * Puts `limiter` in front of the caller's audio: only admitted audio reaches `audio` events, and a
   * `close` verdict ends the connection (reason `audio-flood`). Install it before audio flows.
   */
  limitInboundAudio?(limiter: InboundAudioLimiter): void;
}
