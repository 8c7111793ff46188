/**
 * Standard base64 (RFC 4648 §4, with `=` padding) written straight into a byte array, for wire
 * encoders that would otherwise build a base64 string only to copy it into a buffer: on the Nova
 * input path (two base64 layers per 60 ms audio event) those strings were most of the event's
 * young-generation garbage. Pure.
 */

const ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const PAD = 0x3d; // '='

/** Length of the base64 text of `n` bytes, in bytes (4 per 3, padded). */
export function base64Bytes(n: number): number {
  return 4 * Math.ceil(n / 3);
}

/**
 * Writes the base64 text of `src` into `dst` from `at`.
 * @returns the offset just past what was written (`at + base64Bytes(src.length)`).
 * @throws RangeError when `dst` has less than `base64Bytes(src.length)` bytes from `at`.
 */
export function writeBase64(src: Uint8Array, dst: Uint8Array, at: number): number {
  const n = src.length;
  const end = at + base64Bytes(n);
  if (at < 0 || end > dst.length) throw new RangeError(`base64 of ${n} bytes needs ${end - at} bytes at ${at}; the buffer has ${dst.length}`);
  let o = at;
  let i = 0;
  for (const whole = n - (n % 3); i < whole; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    dst[o] = ALPHABET[v >>> 18]!;
    dst[o + 1] = ALPHABET[(v >>> 12) & 63]!;
    dst[o + 2] = ALPHABET[(v >>> 6) & 63]!;
    dst[o + 3] = ALPHABET[v & 63]!;
    o += 4;
  }
  const rest = n - i;
  if (rest > 0) {
    const v = (src[i]! << 16) | (rest === 2 ? src[i + 1]! << 8 : 0);
    dst[o] = ALPHABET[v >>> 18]!;
    dst[o + 1] = ALPHABET[(v >>> 12) & 63]!;
    dst[o + 2] = rest === 2 ? ALPHABET[(v >>> 6) & 63]! : PAD;
    dst[o + 3] = PAD;
    o += 4;
  }
  return o;
}
