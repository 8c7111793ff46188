/**
 * Loopback model (diagnostics, as the seeds' loopback mode): every chunk of caller audio comes
 * straight back as assistant audio. No recognition, no transcripts. Useful to check a carrier's
 * audio path and to load-test the server without a model's cost.
 */
import { EventRelay } from '../../core/relay.js';
import { type ModelCapabilities, type ModelEvent, type ModelSession, type SessionInit, type SpeechModel } from '../model.js';

class LoopbackSession implements ModelSession {
  private readonly relay = new EventRelay<ModelEvent>();
  private closed = false;
  private responseSeq = 0;
  private responseId: string;

  constructor() {
    this.responseId = `loop-${++this.responseSeq}`;
  }

  setHandler(handler: (event: ModelEvent) => void): void {
    this.relay.setHandler(handler);
  }

  sendAudio(pcm: Int16Array): void {
    if (!this.closed) this.relay.emit({ type: 'audio', pcm, responseId: this.responseId });
  }

  sendText(_text: string): void {}
  sendToolResult(_toolCallId: string, _result: unknown): void {}

  cancelResponse(): void {
    // A cancelled echo restarts under a new response id so the call accepts its audio again.
    this.responseId = `loop-${++this.responseSeq}`;
  }

  truncate(_responseId: string, _heardMs: number): void {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.relay.emit({ type: 'closed', reason: 'closed by call' });
  }
}

/** What the loopback model can do: echo audio, nothing else. */
export const LOOPBACK_CAPABILITIES: ModelCapabilities = {
  truncation: false,
  serverTurnDetection: false,
  userTranscripts: false,
  textInput: false,
  needsContinuousAudio: false,
  midSessionTools: false,
};

/** The loopback provider, at `rateHz` both ways (default 16 kHz). */
export function loopbackModel(rateHz = 16000): SpeechModel {
  return {
    id: 'loopback',
    capabilities: LOOPBACK_CAPABILITIES,
    inputRateHz: rateHz,
    outputRateHz: rateHz,
    maxSessionMs: Infinity,
    async open(_init: SessionInit) {
      return new LoopbackSession();
    },
  };
}
