/**
 * Audio between the wire formats of a session (PCM16 LE 24 kHz, G.711 μ-law or A-law at 8 kHz;
 * protocols.md §2.2, §5.2–5.3) and the brain's PCM16 rates: caller bytes are decoded and
 * resampled to the brain's input rate; the brain's speech is resampled to the format's rate and
 * encoded, so a G.711 session gets G.711 bytes in its deltas. Stateful per direction (resampler
 * history, an odd PCM byte carried to the next append). No I/O.
 */
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from '../../audio/g711.js';
import { bytesToPcm16, pcm16ToBuffer } from '../../audio/pcm.js';
import type { Resampler, ResamplerFactory } from '../../audio/resample.js';
import { formatRateHz, type RealtimeAudioFormat } from './session.js';

/** Wire bytes per millisecond of audio in `format` (48 for PCM 24 kHz, 8 for G.711). */
export function bytesPerMs(format: RealtimeAudioFormat): number {
  return format.type === 'audio/pcm' ? 48 : 8;
}

/** Decodes caller audio in one wire format to PCM16 at the brain's input rate. */
export class InputDecoder {
  private readonly resampler: Resampler | null;
  private carry: number | undefined;

  constructor(readonly format: RealtimeAudioFormat, brainRateHz: number, resamplers: ResamplerFactory) {
    const rate = formatRateHz(format);
    this.resampler = rate === brainRateHz ? null : resamplers.create(rate, brainRateHz);
  }

  /** PCM16 at the format's own rate for `bytes` (an odd trailing PCM byte waits for the next call). */
  decode(bytes: Uint8Array): Int16Array {
    if (this.format.type === 'audio/pcmu') return mulawDecode(bytes);
    if (this.format.type === 'audio/pcma') return alawDecode(bytes);
    let data = bytes;
    if (this.carry !== undefined) {
      data = new Uint8Array(bytes.length + 1);
      data[0] = this.carry;
      data.set(bytes, 1);
      this.carry = undefined;
    }
    if (data.length % 2) {
      this.carry = data[data.length - 1];
      data = data.subarray(0, data.length - 1);
    }
    return bytesToPcm16(data.slice());
  }

  /** `pcm` (at the format's rate) at the brain's rate. */
  toBrain(pcm: Int16Array): Int16Array {
    return this.resampler ? this.resampler.process(pcm) : pcm;
  }

  /** Frees the resampler. */
  destroy(): void {
    this.resampler?.destroy();
  }
}

/** Encodes the brain's PCM16 speech into one wire format. */
export class OutputEncoder {
  private readonly resampler: Resampler | null;

  constructor(readonly format: RealtimeAudioFormat, brainRateHz: number, resamplers: ResamplerFactory) {
    const rate = formatRateHz(format);
    this.resampler = rate === brainRateHz ? null : resamplers.create(brainRateHz, rate);
  }

  /** Wire bytes for `pcm` at the brain's rate. */
  encode(pcm: Int16Array): Buffer {
    const at = this.resampler ? this.resampler.process(pcm) : pcm;
    if (this.format.type === 'audio/pcmu') return Buffer.from(mulawEncode(at));
    if (this.format.type === 'audio/pcma') return Buffer.from(alawEncode(at));
    return Buffer.from(pcm16ToBuffer(at));
  }

  /**
   * `pcm` (at the brain's rate) as wire deltas of up to `chunkMs` each, with their durations, ms
   * (from the encoded bytes, so they sum to the audio the client gets).
   */
  chunks(pcm: Int16Array, brainRateHz: number, chunkMs: number): Array<{ bytes: Buffer; ms: number }> {
    const step = Math.round((chunkMs * brainRateHz) / 1000);
    const out: Array<{ bytes: Buffer; ms: number }> = [];
    for (let at = 0; at < pcm.length; at += step) {
      const bytes = this.encode(pcm.subarray(at, Math.min(pcm.length, at + step)));
      out.push({ bytes, ms: bytes.length / bytesPerMs(this.format) });
    }
    return out;
  }

  /** Clears resampler history (a cancelled response's tail must not open the next). */
  reset(): void {
    this.resampler?.reset();
  }

  /** Frees the resampler. */
  destroy(): void {
    this.resampler?.destroy();
  }
}

/**
 * The caller's side of a session: appended bytes decoded to the brain's rate (the decoder follows
 * the session's input format), the time received so far, and the input buffer that holds audio
 * until `commit` when turn detection is off.
 */
export class CallerAudio {
  /** Caller audio received in the session, ms. */
  receivedMs = 0;
  /** Audio held in the input buffer (manual turns), ms. */
  bufferedMs = 0;
  private buffered: Int16Array[] = [];
  private decoder: InputDecoder | undefined;

  constructor(private readonly resamplers: ResamplerFactory) {}

  /** Decodes `bytes` in `format` to PCM16 at `brainRateHz`; returns it and its duration, ms. */
  decode(bytes: Uint8Array, format: RealtimeAudioFormat, brainRateHz: number): { pcm: Int16Array; ms: number } {
    if (this.decoder && JSON.stringify(this.decoder.format) !== JSON.stringify(format)) this.decoder = void this.decoder.destroy();
    this.decoder ??= new InputDecoder(format, brainRateHz, this.resamplers);
    const pcm = this.decoder.decode(bytes);
    const ms = (pcm.length * 1000) / formatRateHz(format);
    this.receivedMs += ms;
    return { pcm: this.decoder.toBrain(pcm), ms };
  }

  /** Holds `pcm` (`ms` long) in the input buffer. */
  hold(pcm: Int16Array, ms: number): void {
    this.buffered.push(pcm);
    this.bufferedMs += ms;
  }

  /** Empties the input buffer, returning what it held. */
  drain(): Int16Array[] {
    this.bufferedMs = 0;
    return this.buffered.splice(0);
  }

  /** Frees the decoder. */
  destroy(): void {
    this.decoder?.destroy();
    this.decoder = undefined;
  }
}
