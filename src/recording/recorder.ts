/**
 * `CallRecorder`: one call's recording. Caller audio (as it arrived) and agent frames (as playout
 * sent them to the carrier) go into a `StereoAligner`; every `flushIntervalMs` of the injected
 * clock, the timeline up to `holdBackMs` before now is appended to the WAV file, so the call is
 * never held whole in memory, and audio sent ahead of real time can still be cut by a barge-in
 * before it reaches the file. `finish` writes the rest and finalizes the file. A file that cannot
 * be opened or written stops the recording (logged by the writer or here), never the call.
 */
import type { Resampler } from '../audio/resample.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { AGENT_CHANNEL, CALLER_CHANNEL, StereoAligner } from './aligner.js';

/** What a recorder needs of its file (`WavFileWriter` is one). */
export interface RecordingFile {
  /** Appends interleaved stereo PCM16; false when the file has stopped. */
  append(samples: Int16Array): boolean;
  /** Writes what waits, patches the sizes, closes; resolves with the sample bytes in the file. */
  finish(): Promise<number>;
  /** Why the file stopped, if it did. */
  readonly failure: string | undefined;
}

/** Dependencies and settings of a `CallRecorder`. */
export interface CallRecorderDeps {
  clock: Clock;
  logger: Logger;
  /** The file, once open; a rejection (cannot create it) stops the recording, logged. */
  file: Promise<RecordingFile>;
  /** Rate of the recording and of the caller's audio, Hz. */
  rateHz: number;
  /** When the call started, clock ms (the timeline's zero). */
  startedAtMs: number;
  /** Agent frames come at another rate: this resamples them to `rateHz` (the recorder destroys it). */
  agentResampler?: Resampler | null;
  /** How far behind the clock the file is written, ms: at least the playout lead, so a barge-in can still cut audio sent ahead (default 500). */
  holdBackMs?: number;
  /** How often audio is appended to the file, ms (default 500). */
  flushIntervalMs?: number;
}

/** A call's recording (see the module comment). */
export class CallRecorder {
  private readonly aligner: StereoAligner;
  private file: RecordingFile | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private finishing: Promise<number> | undefined;
  private readonly opened: Promise<void>;

  constructor(private readonly deps: CallRecorderDeps) {
    this.aligner = new StereoAligner({ rateHz: deps.rateHz });
    this.opened = deps.file.then(
      (f) => {
        this.file = f;
      },
      (err) => {
        this.stop();
        deps.logger.error({ err: errorMessage(err) }, 'call recording could not start: the call goes on without it');
      },
    );
    this.timer = deps.clock.setTimeout(this.onFlush, deps.flushIntervalMs ?? 500);
  }

  /** Whether the recording has stopped (finished, or its file failed). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Caller audio at `rateHz` that arrived at `receivedAtMs` (clock ms): it was spoken over the time just before. */
  callerAudio(pcm: Int16Array, receivedAtMs: number): void {
    if (this.stopped) return;
    const durationMs = (pcm.length * 1000) / this.deps.rateHz;
    this.aligner.push(CALLER_CHANNEL, pcm, receivedAtMs - durationMs - this.deps.startedAtMs);
  }

  /** One frame of agent audio that playout sent to the carrier at `sentAtMs` (clock ms). */
  agentAudio(pcm: Int16Array, sentAtMs: number): void {
    if (this.stopped) return;
    const r = this.deps.agentResampler;
    this.aligner.push(AGENT_CHANNEL, r ? r.process(pcm) : pcm, sentAtMs - this.deps.startedAtMs);
  }

  /** A barge-in cleared the carrier's buffer now: agent audio sent ahead of now was never heard. */
  cutAgent(): void {
    if (this.stopped) return;
    this.aligner.cut(AGENT_CHANNEL, this.deps.clock.nowMs() - this.deps.startedAtMs);
    this.deps.agentResampler?.reset();
  }

  /**
   * Writes the rest and finalizes the file (idempotent).
   * @returns sample bytes in the file (0 when it never opened).
   */
  finish(): Promise<number> {
    this.finishing ??= (async () => {
      if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
      this.timer = undefined;
      await this.opened;
      const wasStopped = this.stopped;
      this.stopped = true;
      this.deps.agentResampler?.destroy();
      if (!this.file) return 0;
      if (!wasStopped) this.file.append(this.aligner.takeAll());
      const bytes = await this.file.finish();
      const [callerDroppedMs, agentDroppedMs] = this.aligner.droppedMs.map(Math.round);
      if (!this.file.failure) this.deps.logger.info({ durationMs: Math.round((bytes / 4 / this.deps.rateHz) * 1000), ...(callerDroppedMs + agentDroppedMs > 0 ? { callerDroppedMs, agentDroppedMs } : {}) }, 'call recording finalized');
      return bytes;
    })();
    return this.finishing;
  }

  private readonly onFlush = (): void => {
    this.timer = undefined;
    if (this.stopped) return;
    if (this.file) {
      const block = this.aligner.take(this.deps.clock.nowMs() - this.deps.startedAtMs - (this.deps.holdBackMs ?? 500));
      if (!this.file.append(block) && this.file.failure) return this.stop();
    }
    this.timer = this.deps.clock.setTimeout(this.onFlush, this.deps.flushIntervalMs ?? 500);
  };

  private stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
