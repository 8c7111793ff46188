/**
 * WAV (RIFF) reading and writing. Reading walks the chunk list (it does not assume a 44-byte
 * header) and accepts PCM 8/16/24/32-bit, IEEE float 32/64-bit, A-law (tag 6), mu-law (tag 7) and
 * WAVE_FORMAT_EXTENSIBLE wrapping those, any channel count (mixed to mono) and any rate.
 * Writing produces 16-bit PCM. Layout per protocols.md part 5.5 (Microsoft RIFF/mmreg.h).
 */
import { alawDecode, mulawDecode } from './g711.js';
import { downmixToMono } from './pcm.js';

/** A decoded WAV file: mono PCM16 samples and their rate. */
export interface WavAudio {
  /** Mono PCM16 samples (multi-channel input is averaged). */
  samples: Int16Array;
  /** Sample rate in Hz. */
  sampleRateHz: number;
  /** Channel count in the file, before mixing to mono. */
  sourceChannels: number;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_ALAW = 6;
const FORMAT_MULAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;

/**
 * Parses a WAV file.
 * @throws Error with a readable message for non-RIFF data, a missing `fmt `/`data` chunk, or an
 *   unsupported encoding.
 */
export function readWav(file: Uint8Array): WavAudio {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const tag = (o: number) => String.fromCharCode(file[o], file[o + 1], file[o + 2], file[o + 3]);
  if (file.byteLength < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let format = -1, channels = 0, rate = 0, bits = 0;
  let data: Uint8Array | undefined;
  let offset = 12;
  while (offset + 8 <= file.byteLength) {
    const id = tag(offset);
    let size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (body + size > file.byteLength) size = file.byteLength - body; // tolerate truncated/streamed files
    if (id === 'fmt ') {
      if (size < 16) throw new Error('fmt chunk too short');
      format = view.getUint16(body, true);
      channels = view.getUint16(body + 2, true);
      rate = view.getUint32(body + 4, true);
      bits = view.getUint16(body + 14, true);
      if (format === FORMAT_EXTENSIBLE && size >= 26) format = view.getUint16(body + 24, true);
    } else if (id === 'data') {
      data = file.subarray(body, body + size);
    }
    offset = body + size + (size & 1);
  }
  if (format < 0) throw new Error('WAV has no fmt chunk');
  if (!data) throw new Error('WAV has no data chunk');
  if (channels < 1 || rate < 1) throw new Error(`bad WAV fmt: ${channels} channels at ${rate} Hz`);
  const interleaved = decodeSamples(data, format, bits);
  return { samples: downmixToMono(interleaved, channels), sampleRateHz: rate, sourceChannels: channels };
}

function decodeSamples(data: Uint8Array, format: number, bits: number): Int16Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (format === FORMAT_ALAW) return alawDecode(data);
  if (format === FORMAT_MULAW) return mulawDecode(data);
  const bytesPer = bits / 8;
  const n = Math.floor(data.byteLength / bytesPer);
  const out = new Int16Array(n);
  if (format === FORMAT_PCM) {
    for (let i = 0; i < n; i++) {
      const o = i * bytesPer;
      if (bits === 8) out[i] = (data[o] - 128) << 8;
      else if (bits === 16) out[i] = view.getInt16(o, true);
      else if (bits === 24) out[i] = (view.getInt8(o + 2) << 8) | data[o + 1];
      else if (bits === 32) out[i] = view.getInt32(o, true) >> 16;
      else throw new Error(`unsupported PCM bit depth ${bits}`);
    }
    return out;
  }
  if (format === FORMAT_FLOAT && (bits === 32 || bits === 64)) {
    for (let i = 0; i < n; i++) {
      const v = bits === 32 ? view.getFloat32(i * 4, true) : view.getFloat64(i * 8, true);
      const c = Math.max(-1, Math.min(1, v));
      out[i] = c < 0 ? Math.round(c * 32768) : Math.round(c * 32767);
    }
    return out;
  }
  throw new Error(`unsupported WAV format tag ${format} with ${bits} bits`);
}

/**
 * Encodes mono PCM16 samples as a 44-byte-header WAV file.
 * @param samples PCM16 samples.
 * @param sampleRateHz sample rate written to the header.
 */
export function writeWav(samples: Int16Array, sampleRateHz: number): Buffer {
  const dataBytes = samples.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(FORMAT_PCM, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRateHz, 24);
  out.writeUInt32LE(sampleRateHz * 2, 28);
  out.writeUInt16LE(2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  Buffer.from(samples.buffer, samples.byteOffset, dataBytes).copy(out, 44);
  return out;
}
