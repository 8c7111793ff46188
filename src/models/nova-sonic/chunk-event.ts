/**
 * Bedrock's bidirectional-stream input event, encoded the way the AWS SDK encodes it: one
 * `application/vnd.amazon.eventstream` message (AWS, "Event stream encoding": 12-byte prelude of
 * total length, headers length and their CRC-32; headers; body; CRC-32 of everything before it)
 * with the string headers `:event-type: chunk`, `:message-type: event`,
 * `:content-type: application/json`, in that order, and the body `{"bytes":"<base64 of the event
 * JSON>"}` (the `BidirectionalInputPayloadPart` shape; bedrock-wire.md §4). The unit test checks it
 * byte for byte against the SDK's own serializer. Pure.
 */
import { crc32 } from 'node:zlib';

/** The three headers, encoded once: name length, name, type 7 (string), uint16 value length, value. */
const HEADERS: Buffer = Buffer.concat(
  [
    [':event-type', 'chunk'],
    [':message-type', 'event'],
    [':content-type', 'application/json'],
  ].map(([name, value]) => {
    const h = Buffer.alloc(1 + name.length + 1 + 2 + value.length);
    h[0] = name.length;
    h.write(name, 1, 'latin1');
    h[1 + name.length] = 7;
    h.writeUInt16BE(value.length, 2 + name.length);
    h.write(value, 4 + name.length, 'latin1');
    return h;
  }),
);
const PRELUDE_BYTES = 12;
const CRC_BYTES = 4;
const BODY_START = '{"bytes":"';
const BODY_END = '"}';

/**
 * Encodes one input event (its UTF-8 JSON, e.g. `{"event":{"audioInput":…}}`) as the SDK's
 * `chunk` event-stream message, ready for the SigV4 envelope.
 * @returns the whole message (prelude, headers, body, message CRC-32).
 */
export function encodeChunkEvent(eventJson: Uint8Array): Buffer {
  const base64Bytes = 4 * Math.ceil(eventJson.length / 3);
  const bodyBytes = BODY_START.length + base64Bytes + BODY_END.length;
  const total = PRELUDE_BYTES + HEADERS.length + bodyBytes + CRC_BYTES;
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(HEADERS.length, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  let at = PRELUDE_BYTES;
  at += HEADERS.copy(out, at);
  at += out.write(BODY_START, at, 'latin1');
  const json = Buffer.isBuffer(eventJson) ? eventJson : Buffer.from(eventJson.buffer, eventJson.byteOffset, eventJson.length);
  at += out.write(json.toString('base64'), at, 'latin1');
  at += out.write(BODY_END, at, 'latin1');
  out.writeUInt32BE(crc32(out.subarray(0, at)), at);
  return out;
}
