/**
 * G.711 mu-law (PCMU) and A-law (PCMA) codecs, table driven.
 *
 * Mu-law encoding follows the classic Reese/Campbell routine (bias 0x84, clip 32635) and A-law follows
 * Sun's `g711.c`, as described in shared/reference/protocols.md part 5.2–5.3 (ITU-T G.711). Decoders
 * are bit-exact with sox for all 256 codes.
 */

const MULAW_BIAS = 0x84;
const MULAW_CLIP = 32635;

/** Decoded PCM16 value for each mu-law byte (256 entries). */
const MULAW_DECODE = new Int16Array(256);
/** Decoded PCM16 value for each A-law byte (256 entries). */
const ALAW_DECODE = new Int16Array(256);
/** Mu-law byte for each PCM16 value, indexed by `sample + 32768` (65536 entries). */
const MULAW_ENCODE = new Uint8Array(65536);
/** A-law byte for each PCM16 value, indexed by `sample + 32768` (65536 entries). */
const ALAW_ENCODE = new Uint8Array(65536);

function mulawEncodeSample(sample: number): number {
  let sign = 0;
  let magnitude = sample;
  if (magnitude < 0) {
    sign = 0x80;
    magnitude = -magnitude;
  }
  if (magnitude > MULAW_CLIP) magnitude = MULAW_CLIP;
  magnitude += MULAW_BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function mulawDecodeByte(byte: number): number {
  const b = ~byte & 0xff;
  const exponent = (b >> 4) & 0x07;
  const mantissa = b & 0x0f;
  const magnitude = (((mantissa << 3) + MULAW_BIAS) << exponent) - MULAW_BIAS;
  return b & 0x80 ? -magnitude : magnitude;
}

const ALAW_SEGMENT_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function alawEncodeSample(sample: number): number {
  let v = sample >> 3;
  let mask: number;
  if (v >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    v = -v - 1;
  }
  let seg = 0;
  while (seg < 8 && v > ALAW_SEGMENT_END[seg]) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  const a = (seg << 4) | (seg < 2 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f);
  return a ^ mask;
}

function alawDecodeByte(byte: number): number {
  const a = byte ^ 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

for (let b = 0; b < 256; b++) {
  MULAW_DECODE[b] = mulawDecodeByte(b);
  ALAW_DECODE[b] = alawDecodeByte(b);
}
for (let s = -32768; s < 32768; s++) {
  MULAW_ENCODE[s + 32768] = mulawEncodeSample(s);
  ALAW_ENCODE[s + 32768] = alawEncodeSample(s);
}

/**
 * Encodes PCM16 samples to mu-law bytes (one byte per sample).
 * @param pcm PCM16 samples at any rate (G.711 on the wire is 8000 Hz).
 * @param out optional destination of at least `pcm.length` bytes.
 * @returns the mu-law bytes.
 */
export function mulawEncode(pcm: Int16Array, out = new Uint8Array(pcm.length)): Uint8Array {
  for (let i = 0; i < pcm.length; i++) out[i] = MULAW_ENCODE[pcm[i] + 32768];
  return out;
}

/**
 * Decodes mu-law bytes to PCM16 samples (range ±32124; 0xFF and 0x7F decode to 0).
 * @param bytes mu-law bytes.
 * @param out optional destination of at least `bytes.length` samples.
 */
export function mulawDecode(bytes: Uint8Array, out = new Int16Array(bytes.length)): Int16Array {
  for (let i = 0; i < bytes.length; i++) out[i] = MULAW_DECODE[bytes[i]];
  return out;
}

/**
 * Encodes PCM16 samples to A-law bytes (one byte per sample), Sun g711.c rules.
 * @param pcm PCM16 samples.
 * @param out optional destination of at least `pcm.length` bytes.
 */
export function alawEncode(pcm: Int16Array, out = new Uint8Array(pcm.length)): Uint8Array {
  for (let i = 0; i < pcm.length; i++) out[i] = ALAW_ENCODE[pcm[i] + 32768];
  return out;
}

/**
 * Decodes A-law bytes to PCM16 samples (range ±32256; 0xD5 decodes to +8).
 * @param bytes A-law bytes.
 * @param out optional destination of at least `bytes.length` samples.
 */
export function alawDecode(bytes: Uint8Array, out = new Int16Array(bytes.length)): Int16Array {
  for (let i = 0; i < bytes.length; i++) out[i] = ALAW_DECODE[bytes[i]];
  return out;
}

/** The mu-law byte for digital silence (decodes to 0). */
export const MULAW_SILENCE_BYTE = 0xff;
/** The A-law byte for digital silence (decodes to +8). */
export const ALAW_SILENCE_BYTE = 0xd5;
