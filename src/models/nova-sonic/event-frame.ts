/**
 * The framing of one `application/vnd.amazon.eventstream` message (AWS, "Event stream encoding"):
 * a 12-byte prelude (total length, headers length, CRC-32 of those 8 bytes), the headers, the body,
 * and a CRC-32 of everything before it, all big-endian. The one place both of Nova's input encoders
 * (chunk-event.ts, the SigV4 envelope in event-signing.ts) frame their messages. Pure.
 */
import { crc32 } from 'node:zlib';

/** Bytes of the prelude; the headers start at this offset. */
export const PRELUDE_BYTES = 12;
const CRC_BYTES = 4;

/**
 * Allocates a message of `headersBytes` of headers and `bodyBytes` of body, with its prelude
 * written; the caller writes the headers at `PRELUDE_BYTES`, the body right after them, then
 * calls `sealFrame`.
 */
export function allocFrame(headersBytes: number, bodyBytes: number): Buffer {
  const total = PRELUDE_BYTES + headersBytes + bodyBytes + CRC_BYTES;
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(headersBytes, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  return out;
}

/** Writes the message CRC-32 into the last 4 bytes of a frame whose headers and body are in place; returns it. */
export function sealFrame(out: Buffer): Buffer {
  out.writeUInt32BE(crc32(out.subarray(0, out.length - CRC_BYTES)), out.length - CRC_BYTES);
  return out;
}
