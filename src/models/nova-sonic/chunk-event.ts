/**
 * Bedrock's bidirectional-stream input event, encoded the way the AWS SDK encodes it: one
 * `application/vnd.amazon.eventstream` message (framed by event-frame.ts) with the string headers `:event-type: chunk`, `:message-type: event`,
 * `:content-type: application/json`, in that order, and the body `{"bytes":"<base64 of the event
 * JSON>"}` (the `BidirectionalInputPayloadPart` shape; bedrock-wire.md §4), its base64 written
 * straight into the message. The unit test checks it byte for byte against the SDK's own
 * serializer. Pure.
 */
import { base64Bytes, writeBase64 } from '../../core/base64.js';
import { allocFrame, PRELUDE_BYTES, sealFrame } from './event-frame.js';

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
const BODY_START = '{"bytes":"';
const BODY_END = '"}';

/**
 * Encodes one input event (its UTF-8 JSON, e.g. `{"event":{"audioInput":…}}`) as the SDK's
 * `chunk` event-stream message, ready for the SigV4 envelope.
 * @returns the whole message (prelude, headers, body, message CRC-32).
 */
export function encodeChunkEvent(eventJson: Uint8Array): Buffer {
  const bodyBytes = BODY_START.length + base64Bytes(eventJson.length) + BODY_END.length;
  const out = allocFrame(HEADERS.length, bodyBytes);
  let at = PRELUDE_BYTES;
  at += HEADERS.copy(out, at);
  at += out.write(BODY_START, at, 'latin1');
  at = writeBase64(eventJson, out, at);
  out.write(BODY_END, at, 'latin1');
  return sealFrame(out);
}
