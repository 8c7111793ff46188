/**
 * WAV (RIFF) reading and writing. Reading walks the chunk list (it does not assume a 44-byte
 * header) and accepts PCM 8/16/24/32-bit, IEEE float 32/64-bit, A-law (tag 6), mu-law (tag 7) and
 * WAVE_FORMAT_EXTENSIBLE wrapping those, any channel count (mixed to mono) and any rate.
 * Writing produces 16-bit PCM: whole files (`writeWav`), or a header for a file streamed to disk
 * whose sizes are patched when it is finalized (`pcm16WavHeader`, `wavSizePatches`). Layout per
 * protocols.md part 5.5 (Microsoft RIFF/mmreg.h).
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
  const { interleaved, channels, sampleRateHz } = parseWav(file);
  return { samples: downmixToMono(interleaved, channels), sampleRateHz, sourceChannels: channels };
}

/** A decoded WAV file with its channels kept apart. */
export interface WavChannels {
  /** One PCM16 array per channel (channel 0 first: left of a stereo file). */
  channels: Int16Array[];
  /** Sample rate in Hz. */
  sampleRateHz: number;
}

/**
 * Parses a WAV file keeping its channels apart (e.g. a call recording: caller left, agent right).
 * @throws Error as `readWav` does.
 */
export function readWavChannels(file: Uint8Array): WavChannels {
  const { interleaved, channels, sampleRateHz } = parseWav(file);
  const frames = Math.floor(interleaved.length / channels);
  const out = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let i = 0; i < frames; i++) for (let c = 0; c < channels; c++) out[c][i] = interleaved[i * channels + c];
  return { channels: out, sampleRateHz };
}

function parseWav(file: Uint8Array): { interleaved: Int16Array; channels: number; sampleRateHz: number } {
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
  return { interleaved: decodeSamples(data, format, bits), channels, sampleRateHz: rate };
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

/** Length of the header `pcm16WavHeader` writes, bytes (RIFF + `fmt ` + `data` chunk headers). */
export const PCM16_WAV_HEADER_BYTES = 44;
/** Byte offset of the RIFF chunk size (file size − 8) in that header. */
export const RIFF_SIZE_OFFSET = 4;
/** Byte offset of the `data` chunk size in that header. */
export const DATA_SIZE_OFFSET = 40;
/** Largest `data` size a RIFF file can state, bytes (the RIFF size field is 32-bit and counts 36 header bytes too). */
export const MAX_WAV_DATA_BYTES = 0xffffffff - 36;

/**
 * The 44-byte header of a 16-bit PCM WAV file (protocols.md part 5.5).
 * @param channels channel count (1 mono, 2 stereo; samples interleaved).
 * @param sampleRateHz sample rate.
 * @param dataBytes length of the sample data that follows, bytes; for a file still being
 *   streamed, `MAX_WAV_DATA_BYTES` ("unknown", as streaming writers do), patched at the end with
 *   `wavSizePatches`.
 * @throws RangeError for a channel count outside 1–65535 or a size over `MAX_WAV_DATA_BYTES`.
 */
export function pcm16WavHeader(channels: number, sampleRateHz: number, dataBytes: number): Buffer {
  if (!Number.isInteger(channels) || channels < 1 || channels > 0xffff) throw new RangeError(`bad channel count ${channels}`);
  const out = Buffer.alloc(PCM16_WAV_HEADER_BYTES);
  out.write('RIFF', 0, 'ascii');
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(FORMAT_PCM, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRateHz, 24);
  out.writeUInt32LE(sampleRateHz * channels * 2, 28); // byte rate
  out.writeUInt16LE(channels * 2, 32); // block align
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  for (const p of wavSizePatches(dataBytes)) p.bytes.copy(out, p.offset);
  return out;
}

/**
 * The two size fields of a `pcm16WavHeader` file holding `dataBytes` of samples, as writes at
 * their byte offsets: RIFF size (offset 4, = 36 + dataBytes) and `data` size (offset 40).
 * @throws RangeError when `dataBytes` is negative, fractional or over `MAX_WAV_DATA_BYTES`.
 */
export function wavSizePatches(dataBytes: number): Array<{ offset: number; bytes: Buffer }> {
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > MAX_WAV_DATA_BYTES) throw new RangeError(`bad WAV data size ${dataBytes}`);
  const riff = Buffer.alloc(4);
  riff.writeUInt32LE(36 + dataBytes, 0);
  const data = Buffer.alloc(4);
  data.writeUInt32LE(dataBytes, 0);
  return [
    { offset: RIFF_SIZE_OFFSET, bytes: riff },
    { offset: DATA_SIZE_OFFSET, bytes: data },
  ];
}

/**
 * Encodes mono PCM16 samples as a 44-byte-header WAV file.
 * @param samples PCM16 samples.
 * @param sampleRateHz sample rate written to the header.
 */
export function writeWav(samples: Int16Array, sampleRateHz: number): Buffer {
  const dataBytes = samples.length * 2;
  return Buffer.concat([pcm16WavHeader(1, sampleRateHz, dataBytes), Buffer.from(samples.buffer, samples.byteOffset, dataBytes)]);
}
