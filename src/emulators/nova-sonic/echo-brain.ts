/**
 * The emulator's cheapest "model": energy-VAD endpointing (the turn ends after `endpointSilenceMs`
 * of silence), and each utterance answered by playing it back without that trailing pause (up to
 * `maxReplyMs`), with transcripts `utterance N` / `echo N`. Typed text is answered
 * with a 440 Hz tone as long as the text would take to say. Used for load benchmarks and long
 * renewal tests, where recognition quality does not matter and CPU does.
 */
import { energyVadFactory } from '../../audio/vad/energy.js';
import type { SegmenterEvent } from '../../audio/vad/segmenter.js';
import { VadStream } from '../../audio/vad/vad.js';
import { EventRelay } from '../../core/relay.js';
import type { ModelEvent, ModelSession, SpeechModel } from '../../models/model.js';

const RATE_HZ = 16000;

class EchoSession implements ModelSession {
  private readonly relay = new EventRelay<ModelEvent>();
  private readonly vad: VadStream;
  private utterance: Int16Array[] | undefined;
  private utteranceSamples = 0;
  private seq = 0;
  private closed = false;

  constructor(private readonly maxReplyMs: number, endpointSilenceMs: number) {
    this.vad = new VadStream(energyVadFactory().createStream(RATE_HZ), {
      minSpeechMs: 96,
      minSilenceMs: endpointSilenceMs,
      onEvent: (e) => (e.type === 'start' ? this.onStart() : this.onEnd(e)),
      onError: () => {},
    });
  }

  setHandler(handler: (event: ModelEvent) => void): void {
    this.relay.setHandler(handler);
  }

  sendAudio(pcm: Int16Array): void {
    if (this.closed) return;
    if (this.utterance && this.utteranceSamples < (this.maxReplyMs * RATE_HZ) / 1000) {
      this.utterance.push(pcm);
      this.utteranceSamples += pcm.length;
    }
    this.vad.push(pcm);
  }

  private onStart(): void {
    this.utterance = [];
    this.utteranceSamples = 0;
    this.relay.emit({ type: 'speechStarted' });
  }

  private onEnd(e: Extract<SegmenterEvent, { type: 'end' }>): void {
    const chunks = this.utterance ?? [];
    this.utterance = undefined;
    if (this.closed) return;
    const n = ++this.seq;
    const all = new Int16Array(chunks.reduce((k, c) => k + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    // The utterance as spoken: without the pause that ended it (when it was collected that far).
    const spokenSamples = Math.round((e.speechMs * RATE_HZ) / 1000);
    const pcm = all.length > spokenSamples ? all.subarray(0, spokenSamples) : all;
    this.relay.emit({ type: 'speechStopped' });
    this.relay.emit({ type: 'transcript', role: 'user', text: `utterance ${n}`, final: true });
    this.reply(`echo-${n}`, `echo ${n}`, pcm);
  }

  private reply(id: string, text: string, pcm: Int16Array): void {
    this.relay.emit({ type: 'responseStarted', responseId: id });
    this.relay.emit({ type: 'audio', pcm, responseId: id });
    this.relay.emit({ type: 'transcript', role: 'assistant', text, final: false, responseId: id });
    this.relay.emit({ type: 'transcript', role: 'assistant', text, final: true, responseId: id });
    this.relay.emit({ type: 'responseDone', responseId: id, cancelled: false });
  }

  sendText(text: string): void {
    if (this.closed) return;
    const ms = Math.min(this.maxReplyMs, 300 + text.length * 50);
    const tone = new Int16Array((ms * RATE_HZ) / 1000);
    for (let i = 0; i < tone.length; i++) tone[i] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / RATE_HZ));
    this.relay.emit({ type: 'transcript', role: 'user', text, final: true });
    this.reply(`text-${++this.seq}`, `You wrote: ${text}`, tone);
  }

  sendToolResult(): void {}
  cancelResponse(): void {}
  truncate(): void {}

  async close(): Promise<void> {
    this.closed = true;
    this.vad.close();
  }
}

/** The echo brain as a 16 kHz `SpeechModel`. */
export function echoBrain(maxReplyMs = 3000, endpointSilenceMs = 500): SpeechModel {
  return {
    id: 'echo',
    capabilities: { truncation: false, serverTurnDetection: true, userTranscripts: true, textInput: true, needsContinuousAudio: false },
    inputRateHz: RATE_HZ,
    outputRateHz: RATE_HZ,
    maxSessionMs: Infinity,
    open: async () => new EchoSession(maxReplyMs, endpointSilenceMs),
  };
}
