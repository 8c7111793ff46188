/**
 * A 16-bit PCM WAV file written while it grows: the header goes first with "unknown" sizes, blocks
 * are appended one write at a time (blocks that arrive meanwhile wait, joined, for the next write:
 * the disk sets the pace, never more than `maxPendingBytes` waits in memory), and `finish` patches
 * the RIFF and `data` sizes in place (positional writes at offsets 4 and 40) and closes the file.
 * A disk error (or a disk too slow for `maxPendingBytes`) stops the file: it is logged once, later
 * blocks are dropped, and `finish` still patches the sizes of what was written when it can. Never
 * throws after `open`.
 */
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { MAX_WAV_DATA_BYTES, PCM16_WAV_HEADER_BYTES, pcm16WavHeader, wavSizePatches } from '../audio/wav.js';

/** Settings of `WavFileWriter.open`. */
export interface WavFileOptions {
  /** Channel count (2: stereo, interleaved). */
  channels: number;
  /** Sample rate, Hz. */
  sampleRateHz: number;
  /** Where a failure is logged (once). */
  logger: Logger;
  /** Most audio waiting for the disk, bytes; more stops the file as failed (default 2 MiB). */
  maxPendingBytes?: number;
}

/** A WAV file being written (see the module comment). */
export class WavFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private writing: Promise<void> | undefined;
  private dataBytes = 0;
  private error: string | undefined;
  private finished: Promise<number> | undefined;

  private constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    private readonly options: WavFileOptions,
  ) {}

  /**
   * Creates (or truncates) `path` and writes the header.
   * @throws the file system's error (e.g. ENOENT, EACCES, ENOSPC) when the file cannot be created.
   */
  static async open(path: string, options: WavFileOptions): Promise<WavFileWriter> {
    const fh = await openFile(path, 'w');
    try {
      await fh.write(pcm16WavHeader(options.channels, options.sampleRateHz, MAX_WAV_DATA_BYTES));
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    return new WavFileWriter(fh, path, options);
  }

  /** Why the file stopped (a disk error), or undefined while it is fine. */
  get failure(): string | undefined {
    return this.error;
  }

  /** Sample bytes written to the file so far. */
  get writtenBytes(): number {
    return this.dataBytes;
  }

  /**
   * Appends interleaved PCM16 samples (copied). Dropped after a failure or `finish`.
   * @returns false when dropped.
   */
  append(samples: Int16Array): boolean {
    if (this.error !== undefined || this.finished || samples.length === 0) return this.error === undefined && !this.finished;
    const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    if (this.pendingBytes + bytes.length > (this.options.maxPendingBytes ?? 2 * 1024 * 1024)) {
      this.fail(`disk too slow: more than ${this.options.maxPendingBytes ?? 2 * 1024 * 1024} bytes waiting`);
      return false;
    }
    if (this.dataBytes + this.pendingBytes + bytes.length > MAX_WAV_DATA_BYTES) {
      this.fail('recording reached the largest size a WAV file can state (4 GiB)');
      return false;
    }
    this.pending.push(Buffer.from(bytes)); // a copy: the caller may reuse its buffer
    this.pendingBytes += bytes.length;
    this.writing ??= this.drain();
    return true;
  }

  /**
   * Writes what waits, patches the sizes and closes the file; idempotent.
   * @returns the sample bytes in the file.
   */
  finish(): Promise<number> {
    this.finished ??= (async () => {
      await this.writing;
      try {
        if (this.error === undefined || this.dataBytes > 0) {
          for (const p of wavSizePatches(this.dataBytes)) await this.fh.write(p.bytes, 0, p.bytes.length, p.offset);
        }
      } catch (err) {
        this.fail(errorMessage(err));
      }
      await this.fh.close().catch((err) => this.fail(errorMessage(err)));
      return this.dataBytes;
    })();
    return this.finished;
  }

  /** One write at a time, each taking everything that waits; ends when nothing does. */
  private async drain(): Promise<void> {
    while (this.pending.length > 0 && this.error === undefined) {
      const chunk = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
      this.pending = [];
      this.pendingBytes = 0;
      try {
        for (let done = 0; done < chunk.length; ) {
          const { bytesWritten } = await this.fh.write(chunk, done, chunk.length - done, PCM16_WAV_HEADER_BYTES + this.dataBytes);
          if (bytesWritten <= 0) throw new Error('the disk accepted no bytes');
          done += bytesWritten;
          this.dataBytes += bytesWritten;
        }
      } catch (err) {
        this.fail(errorMessage(err));
      }
    }
    this.writing = undefined;
  }

  private fail(message: string): void {
    if (this.error !== undefined) return;
    this.error = message;
    this.pending = [];
    this.pendingBytes = 0;
    this.options.logger.error({ path: this.path, err: message }, 'call recording stopped: the call goes on without it');
  }
}
