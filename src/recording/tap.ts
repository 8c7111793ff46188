/**
 * `RecordingTap`: a caller transport that passes everything through to the real one and tells a
 * `CallRecorder` what crossed it: caller audio as it arrived (the `audio` events, after the
 * inbound limiter), each agent frame at the moment it was sent to the carrier (`sendAudio`), and
 * the moment the carrier was told to drop what it had buffered (`clearPlayback`: a barge-in). So
 * the recording holds what the caller heard, however the call got there. No timers of its own.
 */
import type { CallerEvent, CallerNotice, CallerStartInfo, CallerTransport, HangupOptions, InboundAudioLimiter } from '../callers/transport.js';
import type { Clock } from '../core/clock.js';
import type { CallRecorder } from './recorder.js';

/** A transport that records what crosses it (see the module comment). */
export class RecordingTap implements CallerTransport {
  /** One socket write for several frames, when the real transport can (absent otherwise, as on it). */
  readonly corked?: (send: () => void) => void;
  /** The real transport's inbound limiter, when it has one. */
  readonly limitInboundAudio?: (limiter: InboundAudioLimiter) => void;

  /**
   * @param inner the real transport.
   * @param recorder where the audio goes (at `inner.inputRateHz`; agent frames at `inner.outputRateHz`).
   * @param clock the time frames were sent and cut (the same clock the transport stamps arrivals with).
   */
  constructor(
    private readonly inner: CallerTransport,
    private readonly recorder: Pick<CallRecorder, 'callerAudio' | 'agentAudio' | 'cutAgent'>,
    private readonly clock: Clock,
  ) {
    if (inner.corked) this.corked = (send) => inner.corked!(send);
    if (inner.limitInboundAudio) this.limitInboundAudio = (limiter) => inner.limitInboundAudio!(limiter);
  }

  get kind(): string { return this.inner.kind; }
  get inputRateHz(): number { return this.inner.inputRateHz; }
  get outputRateHz(): number { return this.inner.outputRateHz; }
  get supportsMarks(): boolean { return this.inner.supportsMarks; }
  get started(): Promise<CallerStartInfo> { return this.inner.started; }

  setHandler(handler: (event: CallerEvent) => void): void {
    this.inner.setHandler((e) => {
      if (e.type === 'audio') this.recorder.callerAudio(e.pcm, e.receivedAtMs);
      handler(e);
    });
  }

  sendAudio(frame: Int16Array): void {
    this.inner.sendAudio(frame);
    this.recorder.agentAudio(frame, this.clock.nowMs());
  }

  clearPlayback(): void {
    this.inner.clearPlayback();
    this.recorder.cutAgent();
  }

  mark(markId: string): void { this.inner.mark(markId); }
  notify(notice: CallerNotice): void { this.inner.notify(notice); }
  hangup(reason: string, options?: HangupOptions): void { this.inner.hangup(reason, options); }
}
