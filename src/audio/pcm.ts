/**
 * PCM16 helpers: conversions between little-endian byte buffers and `Int16Array`, durations and
 * sample counts, and channel mixing. Pure functions; no I/O.
 */

/** Bytes per PCM16 sample. */
export const PCM16_BYTES_PER_SAMPLE = 2;

/**
 * Number of samples in `durationMs` at `sampleRateHz` (rounded down).
 * @example samplesForMs(20, 8000) === 160
 */
export function samplesForMs(durationMs: number, sampleRateHz: number): number {
  return Math.floor((durationMs * sampleRateHz) / 1000);
}

/** Duration in ms of `samples` samples at `sampleRateHz`. */
export function msForSamples(samples: number, sampleRateHz: number): number {
  return (samples * 1000) / sampleRateHz;
}

/**
 * Views (or copies, when unaligned) little-endian PCM16 bytes as samples. The host must be little
 * endian, which every platform Node supports is.
 * @throws RangeError when the byte length is odd.
 */
export function bytesToPcm16(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) throw new RangeError(`PCM16 byte length must be even, got ${bytes.byteLength}`);
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  return new Int16Array(bytes.slice().buffer);
}

/** Views PCM16 samples as little-endian bytes, without copying. */
export function pcm16ToBytes(pcm: Int16Array): Uint8Array {
  return new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** Wraps PCM16 samples as a Node `Buffer` view (no copy). */
export function pcm16ToBuffer(pcm: Int16Array): Buffer {
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** Concatenates PCM16 chunks into one array. */
export function concatPcm16(chunks: readonly Int16Array[]): Int16Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Int16Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/**
 * Mixes interleaved multi-channel samples down to mono by averaging.
 * @param interleaved samples, channel-interleaved.
 * @param channels channel count (≥ 1).
 */
export function downmixToMono(interleaved: Int16Array, channels: number): Int16Array {
  if (channels === 1) return interleaved;
  const frames = Math.floor(interleaved.length / channels);
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c];
    out[i] = Math.round(sum / channels);
  }
  return out;
}

/** Converts float samples in [-1, 1] to PCM16 with clipping. */
export function floatToPcm16(samples: Float32Array | Float64Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    out[i] = v < 0 ? Math.round(v * 32768) : Math.round(v * 32767);
  }
  return out;
}

/** A PCM16 buffer of digital silence lasting `durationMs` at `sampleRateHz`. */
export function silence(durationMs: number, sampleRateHz: number): Int16Array {
  return new Int16Array(samplesForMs(durationMs, sampleRateHz));
}
