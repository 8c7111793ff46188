/**
 * A fake caller transport for tests of the call layer: it records what the call sends (audio
 * frames, marks, clears, notices, hang-up) and lets the test play the caller through `handler`
 * (`audio`, `dtmf`, `played`, `text`, `ended` events). Rates and marks support are set per test.
 */
import type { CallerEvent, CallerKind, CallerNotice, CallerStartInfo, CallerTransport, HangupOptions } from '../../src/callers/transport.js';

/** Options of a fake transport: kind (default `twilio`), rates (default 8 kHz both ways), marks (default true). */
export interface FakeCallerOptions {
  kind?: CallerKind;
  inputRateHz?: number;
  outputRateHz?: number;
  supportsMarks?: boolean;
  startInfo?: CallerStartInfo;
}

/** Records everything the call does to the caller. */
export class FakeCallerTransport implements CallerTransport {
  readonly kind: CallerKind;
  readonly inputRateHz: number;
  readonly outputRateHz: number;
  readonly supportsMarks: boolean;
  readonly started: Promise<CallerStartInfo>;
  handler: (e: CallerEvent) => void = () => {};
  /** Audio frames sent to the caller, in order (at `outputRateHz`). */
  readonly sent: Int16Array[] = [];
  readonly marks: string[] = [];
  clears = 0;
  readonly notices: CallerNotice[] = [];
  /** The hang-up reason, once hung up. */
  hungUp: string | undefined;
  hangupOptions: HangupOptions | undefined;

  constructor(options: FakeCallerOptions = {}) {
    this.kind = options.kind ?? 'twilio';
    this.inputRateHz = options.inputRateHz ?? 8000;
    this.outputRateHz = options.outputRateHz ?? 8000;
    this.supportsMarks = options.supportsMarks ?? true;
    this.started = Promise.resolve(options.startInfo ?? { parameters: {} });
  }

  setHandler(h: (e: CallerEvent) => void): void {
    this.handler = h;
  }
  sendAudio(frame: Int16Array): void {
    this.sent.push(frame);
  }
  mark(markId: string): void {
    this.marks.push(markId);
  }
  clearPlayback(): void {
    this.clears++;
  }
  notify(notice: CallerNotice): void {
    this.notices.push(notice);
  }
  hangup(reason: string, options?: HangupOptions): void {
    this.hungUp ??= reason;
    this.hangupOptions ??= options;
  }

  /** The caller speaks one frame (at `inputRateHz`), received at `receivedAtMs`. */
  speak(pcm: Int16Array, receivedAtMs = 0): void {
    this.handler({ type: 'audio', pcm, receivedAtMs });
  }

  /** Samples sent to the caller so far. */
  get sentSamples(): number {
    return this.sent.reduce((n, f) => n + f.length, 0);
  }
}
