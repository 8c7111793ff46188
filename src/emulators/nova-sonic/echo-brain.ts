/**
 * The emulator's cheapest "model": energy-VAD endpointing (the turn ends after `endpointSilenceMs`
 * of silence), and each utterance answered by playing it back without that trailing pause (up to
 * `maxReplyMs`), with transcripts `utterance N` / `echo N`. The utterance is cut from the caller's
 * audio at the positions the VAD reports, so the echo is exact however far the VAD lags behind
 * audio that arrives faster than real time. Typed text is answered
 * with a 440 Hz tone as long as the text would take to say. Used for load benchmarks and long
 * renewal tests, where recognition quality does not matter and CPU does.
 */
import { energyVadFactory } from '../../audio/vad/energy.js';
import type { SegmenterEvent } from '../../audio/vad/segmenter.js';
import { VadStream } from '../../audio/vad/vad.js';
import { EventRelay } from '../../core/relay.js';
import type { ModelEvent, ModelSession, SpeechModel } from '../../models/model.js';

const RATE_HZ = 16000;
/** Caller audio kept for cutting utterances out of, ms. */
const KEEP_MS = 30_000;

/** The caller's audio by absolute sample position (from the session's first sample), the recent part kept. */
class AudioTimeline {
  private chunks: Int16Array[] = [];
  /** Absolute position of the first kept sample. */
  private start = 0;
  private kept = 0;

  push(pcm: Int16Array, keepSamples: number): void {
    this.chunks.push(pcm);
    this.kept += pcm.length;
    while (this.chunks.length > 1 && this.kept - this.chunks[0].length >= keepSamples) this.dropFirst();
  }

  /** Samples `[from, to)` that are still kept (a copy). */
  slice(from: number, to: number): Int16Array {
    const out = new Int16Array(Math.max(0, to - Math.max(from, this.start)));
    let at = this.start;
    for (const c of this.chunks) {
      const lo = Math.max(from, at);
      const hi = Math.min(to, at + c.length);
      if (hi > lo) out.set(c.subarray(lo - at, hi - at), lo - Math.max(from, this.start));
      at += c.length;
    }
    return out;
  }

  /** Forgets whole chunks that end before `position`. */
  dropBefore(position: number): void {
    while (this.chunks.length && this.start + this.chunks[0].length <= position) this.dropFirst();
  }

  private dropFirst(): void {
    const c = this.chunks.shift()!;
    this.start += c.length;
    this.kept -= c.length;
  }
}

class EchoSession implements ModelSession {
  private readonly relay = new EventRelay<ModelEvent>();
  private readonly vad: VadStream;
  private readonly audio = new AudioTimeline();
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
    this.audio.push(pcm, (KEEP_MS * RATE_HZ) / 1000);
    this.vad.push(pcm);
  }

  private onStart(): void {
    this.relay.emit({ type: 'speechStarted' });
  }

  private onEnd(e: Extract<SegmenterEvent, { type: 'end' }>): void {
    if (this.closed) return;
    const n = ++this.seq;
    // The utterance as spoken (`atMs` is where the speech ended), without the pause that ended it.
    const end = Math.round((e.atMs * RATE_HZ) / 1000);
    const start = end - Math.round((e.speechMs * RATE_HZ) / 1000);
    const pcm = this.audio.slice(start, Math.min(end, start + (this.maxReplyMs * RATE_HZ) / 1000));
    this.audio.dropBefore(end);
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
