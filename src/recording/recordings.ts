/**
 * `Recordings`: the call recordings of this server (`RECORD_CALLS`), one stereo 16-bit WAV per call
 * in a folder (`RECORDINGS_DIR`), named `<callId>.wav`: the caller on the left, the agent on the
 * right, at the caller's rate, aligned to what the caller heard (`aligner.ts`) as it crossed the
 * call's transport (`tap.ts`), streamed to disk while the call runs (`recorder.ts`, `wav-file.ts`)
 * and finalized when it ends (`finalize`, on the call's end); `close` waits for
 * every recording still being finalized (the server's shutdown path, after the drain ended the
 * calls). Errors of the disk are logged and stop a recording, never a call.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ResamplerFactory } from '../audio/resample.js';
import type { CallerTransport } from '../callers/transport.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { CallRecorder } from './recorder.js';
import { RecordingTap } from './tap.js';
import { WavFileWriter } from './wav-file.js';

/** Dependencies and settings of `Recordings`. */
export interface RecordingsDeps {
  /** Folder of the recordings (created when the first call is recorded). */
  dir: string;
  clock: Clock;
  logger: Logger;
  /** For agent audio at another rate than the caller's (no carrier does that today). */
  resamplers: ResamplerFactory;
  /** How far behind the clock the files are written, ms (≥ the playout lead; default 500). */
  holdBackMs?: number;
  /** How often audio is appended to the files, ms (default 500). */
  flushIntervalMs?: number;
}

/** Call ids as this server makes them (UUIDs) and nothing that could name another path. */
const CALL_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;

/** The call recordings (see the module comment). */
export class Recordings {
  private readonly active = new Map<string, CallRecorder>();
  private readonly finishing = new Map<string, Promise<void>>();

  constructor(private readonly deps: RecordingsDeps) {}

  /** The folder of the recordings. */
  get dir(): string {
    return this.deps.dir;
  }

  /** Recordings being written now, count. */
  get activeCount(): number {
    return this.active.size;
  }

  /** The file name of call `callId`'s recording inside `dir`, or undefined for an id that is not a call id. */
  fileName(callId: string): string | undefined {
    return CALL_ID.test(callId) ? `${callId}.wav` : undefined;
  }

  /**
   * Starts recording call `callId`, from now (the timeline's zero) until `finalize(callId)`: returns
   * the transport the call is to use, a `RecordingTap` in front of `transport`.
   */
  tap(callId: string, transport: CallerTransport): CallerTransport {
    const { clock, logger, dir } = this.deps;
    const name = this.fileName(callId);
    if (!name || this.active.has(callId)) return transport;
    const log = logger.child({ callId });
    const rateHz = transport.inputRateHz;
    const file = mkdir(dir, { recursive: true }).then(() => WavFileWriter.open(path.join(dir, name), { channels: 2, sampleRateHz: rateHz, logger: log }));
    const recorder = new CallRecorder({
      clock, logger: log, file, rateHz, startedAtMs: clock.nowMs(),
      agentResampler: transport.outputRateHz === rateHz ? null : this.deps.resamplers.create(transport.outputRateHz, rateHz, 5),
      holdBackMs: this.deps.holdBackMs, flushIntervalMs: this.deps.flushIntervalMs,
    });
    this.active.set(callId, recorder);
    return new RecordingTap(transport, recorder, clock);
  }

  /**
   * Whether call `callId` has a recording on disk.
   * @returns its size in bytes, or undefined when there is none.
   */
  async sizeOf(callId: string): Promise<number | undefined> {
    const name = this.fileName(callId);
    if (!name) return undefined;
    try {
      const s = await stat(path.join(this.deps.dir, name));
      return s.isFile() ? s.size : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Deletes call `callId`'s recording (a privacy request); one still being written is finalized first.
   * @returns whether there was one.
   * @throws the file system's error when the file exists but cannot be removed.
   */
  async deleteRecording(callId: string): Promise<boolean> {
    const name = this.fileName(callId);
    if (!name) return false;
    await this.finalize(callId);
    if ((await this.sizeOf(callId)) === undefined) return false;
    await rm(path.join(this.deps.dir, name), { force: true });
    return true;
  }

  /** Finalizes every recording still open (calls should have ended: the drain comes first) and waits for all. */
  async close(): Promise<void> {
    for (const id of [...this.active.keys()]) void this.finalize(id);
    while (this.finishing.size > 0) await Promise.all([...this.finishing.values()]);
  }

  /** Finalizes call `callId`'s recording (its call ended), or waits for that when it has begun already; never rejects. */
  finalize(callId: string): Promise<void> {
    const pending = this.finishing.get(callId);
    if (pending) return pending;
    const recorder = this.active.get(callId);
    if (!recorder) return Promise.resolve();
    this.active.delete(callId);
    const done = recorder
      .finish()
      .then(() => undefined)
      .catch((err) => this.deps.logger.error({ callId, err: errorMessage(err) }, 'call recording could not be finalized'))
      .finally(() => this.finishing.delete(callId));
    this.finishing.set(callId, done);
    return done;
  }
}
