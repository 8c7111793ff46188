/**
 * A fake model session and provider for tests of the call layer: it records what the call sends
 * (audio, text, tool results, cancels, truncations) and lets the test play the model by emitting
 * events, or a whole reply with `reply()`. It keeps the ModelSession contract the conformance suite
 * checks: events buffered until a handler is set, nothing after close but one `closed`.
 */
import { EventRelay } from '../../src/core/relay.js';
import type { ModelCapabilities, ModelEvent, ModelSession, SessionInit, SpeechModel } from '../../src/models/model.js';

/** Records the call's input and emits what the test scripts. */
export class FakeModelSession implements ModelSession {
  private readonly relay = new EventRelay<ModelEvent>();
  readonly audioIn: Int16Array[] = [];
  readonly textIn: string[] = [];
  readonly toolResults: Array<[string, unknown]> = [];
  cancels = 0;
  readonly truncations: Array<[string, number]> = [];
  closed = false;
  private responseSeq = 0;
  private readonly replies = new Map<string, { text: string; audioMs: number }>();

  /** @param outputRateHz rate of the audio `reply` gets, for truncation (default 16 kHz). */
  constructor(private readonly outputRateHz = 16000) {}

  setHandler(h: (e: ModelEvent) => void): void {
    this.relay.setHandler(h);
  }
  sendAudio(pcm: Int16Array): void {
    if (!this.closed) this.audioIn.push(pcm);
  }
  sendText(text: string): void {
    if (!this.closed) this.textIn.push(text);
  }
  sendToolResult(toolCallId: string, result: unknown): void {
    this.toolResults.push([toolCallId, result]);
  }
  cancelResponse(): void {
    this.cancels++;
  }
  /** Records the cut and emits the heard share of the reply's words as its final transcript. */
  truncate(responseId: string, heardMs: number): void {
    this.truncations.push([responseId, heardMs]);
    const r = this.replies.get(responseId);
    if (!r) return;
    const words = r.text.split(' ');
    const heard = r.audioMs > 0 ? words.slice(0, Math.floor((words.length * Math.min(heardMs, r.audioMs)) / r.audioMs)) : words;
    this.emit({ type: 'transcript', role: 'assistant', text: heard.join(' '), final: true, responseId });
  }

  /** Emits `event` as the model (ignored after close). */
  emit(event: ModelEvent): void {
    if (!this.closed) this.relay.emit(event);
  }

  /** Emits a whole reply: responseStarted, the audio chunks, the final transcript, responseDone. Returns its id. */
  reply(text: string, ...audio: Int16Array[]): string {
    const responseId = `fake-${++this.responseSeq}`;
    this.replies.set(responseId, { text, audioMs: (audio.reduce((n, a) => n + a.length, 0) * 1000) / this.outputRateHz });
    this.emit({ type: 'responseStarted', responseId });
    for (const pcm of audio) this.emit({ type: 'audio', pcm, responseId });
    this.emit({ type: 'transcript', role: 'assistant', text, final: true, responseId });
    this.emit({ type: 'responseDone', responseId, cancelled: false });
    return responseId;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.relay.emit({ type: 'closed', reason: 'closed by call' });
  }
}

/**
 * A provider whose sessions are `session` (or a new one per open); rates 16 kHz unless given.
 * `opened` holds each open's init, `sessions` each session handed out.
 */
export function fakeModel(session?: FakeModelSession, caps: Partial<ModelCapabilities> = {}, rateHz = 16000): SpeechModel & { opened: SessionInit[]; sessions: FakeModelSession[] } {
  const opened: SessionInit[] = [];
  const sessions: FakeModelSession[] = [];
  return {
    id: 'fake',
    inputRateHz: rateHz,
    outputRateHz: rateHz,
    maxSessionMs: Infinity,
    capabilities: { truncation: true, serverTurnDetection: true, userTranscripts: true, textInput: true, needsContinuousAudio: false, ...caps },
    opened,
    sessions,
    open: async (init) => {
      opened.push(init);
      const s = session ?? new FakeModelSession(rateHz);
      sessions.push(s);
      return s;
    },
  };
}
