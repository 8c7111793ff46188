/**
 * The direct output path of a Bedrock bidirectional stream: the response body's
 * `application/vnd.amazon.eventstream` messages (AWS, "Event stream encoding"; bedrock-wire.md §2.3)
 * decoded here, for the SDK's `eventStreamSerdeProvider` option. Each `chunk` event becomes the
 * item the SDK yields, `{ chunk: { bytes } }` (`bytes`: the Nova event's UTF-8 JSON), with both
 * CRC-32s checked by zlib. The SDK's own path copies each message twice, checks the CRCs in
 * JavaScript, parses every header into objects, reads the `{"bytes":…}` body through its schema
 * deserializer, and runs four nested async generators per event.
 *
 * Everything else (modelled exceptions, `error` messages, other event types, a `chunk` body in
 * another layout) goes through the SDK's own unmarshaller, so errors are the SDK's typed errors.
 * Serializing (the request side) is the SDK's marshaller's.
 */
import { crc32 } from 'node:zlib';
import { getMessageUnmarshaller } from '@smithy/core/event-streams';
import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { PRELUDE_BYTES } from './event-frame.js';

/** The SDK's per-event deserializer handed to a marshaller's `deserialize` (schema based). */
export type SdkEventDeserializer = (event: Record<string, Message>) => Promise<unknown>;

/** What the SDK calls on its `eventStreamMarshaller` (`@smithy/types` `EventStreamMarshaller`). */
export interface EventStreamMarshallerLike {
  /** The response body (an async iterable of byte chunks, or a stream) → the output events. */
  deserialize(body: unknown, deserializer: SdkEventDeserializer): AsyncIterable<unknown>;
  /** Input events → the request body (the SDK's marshaller returns a `Readable`). */
  serialize(input: AsyncIterable<unknown>, serializer: (event: unknown) => Message): unknown;
}

/** Smallest message: prelude, no headers, no body, message CRC (the SDK's `MINIMUM_MESSAGE_LENGTH`). */
const MIN_MESSAGE_BYTES = 16;
const CRC_BYTES = 4;
const BODY_START = Buffer.from('{"bytes":"', 'latin1');
const QUOTE = 0x22;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const EQUALS = 0x3d;
const DASH = 0x2d;
const UNDERSCORE = 0x5f;
/** Value sizes of the fixed-size header types (event stream encoding: 0 true … 9 uuid); -1: length-prefixed. */
const HEADER_VALUE_BYTES = [0, 0, 1, 2, 4, 8, -1, -1, 8, 16];
const codec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * The `chunk` event's JSON bytes in `message` (one whole, length-checked message), or undefined
 * when it is any other kind of message, or its body is not `{"bytes":"<base64>"` followed by `}`
 * or by more members (Bedrock adds a random-length `"p"` padding string to stream events), or the
 * base64 is not strict (RFC 4648 alphabet, padded): the SDK's own path then reads it, and throws
 * where the SDK throws.
 * @throws Error when either CRC-32 does not match (the SDK's wording).
 */
export function chunkEventBytes(message: Buffer): Uint8Array | undefined {
  const totalBytes = message.length;
  const headersBytes = message.readUInt32BE(4);
  const preludeCrc = message.readUInt32BE(8);
  const actualPrelude = crc32(message.subarray(0, 8));
  if (actualPrelude !== preludeCrc) throw new Error(`The prelude checksum specified in the message (${preludeCrc}) does not match the calculated CRC32 checksum (${actualPrelude})`);
  const messageCrc = message.readUInt32BE(totalBytes - CRC_BYTES);
  const actualMessage = crc32(message.subarray(0, totalBytes - CRC_BYTES));
  if (actualMessage !== messageCrc) throw new Error(`The message checksum (${actualMessage}) did not match the expected value of ${messageCrc}`);
  const bodyAt = PRELUDE_BYTES + headersBytes;
  const bodyEnd = totalBytes - CRC_BYTES;
  if (bodyAt > bodyEnd || !isChunkEvent(message, PRELUDE_BYTES, bodyAt)) return undefined;
  const b64At = bodyAt + BODY_START.length;
  if (b64At > bodyEnd || !startsWith(message, bodyAt, BODY_START)) return undefined;
  // Base64 has no quote: the first one after the opening quote closes the string.
  const b64End = message.indexOf(QUOTE, b64At);
  if (b64End < 0 || b64End >= bodyEnd || !restIsOtherMembers(message, b64End + 1, bodyEnd)) return undefined;
  return strictBase64(message, b64At, b64End);
}

/** Whether `[at, end)` is `}` or `,` + more JSON members without another `bytes` (JSON.parse keeps the last). */
function restIsOtherMembers(m: Buffer, at: number, end: number): boolean {
  if (end - at < 1) return false;
  if (end - at === 1) return m[at] === CLOSE_BRACE;
  if (m[at] !== COMMA) return false;
  try {
    const rest: unknown = JSON.parse(`{${m.toString('utf8', at + 1, end)}`);
    // `{}` here means the body ended `,}`, which JSON.parse of the whole body refuses.
    return typeof rest === 'object' && rest !== null && !Array.isArray(rest) && Object.keys(rest).length > 0 && !Object.hasOwn(rest, 'bytes');
  } catch {
    return false;
  }
}

/**
 * Decodes `[at, end)` as padded RFC 4648 base64, or undefined when it is not (the SDK's `fromBase64`
 * refuses it). Node's decoder skips what it does not know and stops at `=`, so a strict input is
 * one whose length is a multiple of 4 and whose decoded length is exactly ¾ of it less the padding,
 * with no `-` or `_` (base64url, which Node also takes).
 */
function strictBase64(m: Buffer, at: number, end: number): Uint8Array | undefined {
  const length = end - at;
  if (length % 4 !== 0) return undefined;
  const text = m.subarray(at, end);
  if (text.includes(DASH) || text.includes(UNDERSCORE)) return undefined;
  const padding = length === 0 ? 0 : (m[end - 1] === EQUALS ? 1 : 0) + (m[end - 2] === EQUALS ? 1 : 0);
  const bytes = Buffer.from(m.toString('latin1', at, end), 'base64');
  if (bytes.length !== (length / 4) * 3 - padding) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Whether the headers in `[at, end)` say `:message-type` event and `:event-type` chunk. */
function isChunkEvent(m: Buffer, at: number, end: number): boolean {
  let event = false;
  let chunk = false;
  while (at < end) {
    const nameBytes = m[at];
    const nameAt = at + 1;
    at = nameAt + nameBytes + 1;
    if (at > end) return false;
    const fixed = HEADER_VALUE_BYTES[m[at - 1]];
    if (fixed === undefined) return false;
    let valueAt = at;
    let valueBytes = fixed;
    if (fixed < 0) {
      if (at + 2 > end) return false;
      valueBytes = m.readUInt16BE(at);
      valueAt = at + 2;
    }
    at = valueAt + valueBytes;
    if (at > end) return false;
    if (m[nameAt + nameBytes] !== 7) continue;
    const name = m.toString('latin1', nameAt, nameAt + nameBytes);
    if (name === ':message-type') event = valueBytes === 5 && m.toString('latin1', valueAt, at) === 'event';
    else if (name === ':event-type') chunk = valueBytes === 5 && m.toString('latin1', valueAt, at) === 'chunk';
  }
  return event && chunk;
}

function startsWith(m: Buffer, at: number, prefix: Buffer): boolean {
  return m.compare(prefix, 0, prefix.length, at, at + prefix.length) === 0;
}

/**
 * Splits `body` (the response's byte chunks) into messages and yields what the SDK would: each
 * `chunk` event as `{ chunk: { bytes } }`, decoded here; any other message through the SDK's
 * unmarshaller with `deserializer` (a modelled exception is thrown as its typed error).
 * @throws Error on a CRC mismatch, a message shorter than 16 bytes, or a truncated last message.
 */
export async function* decodeOutputEvents(body: AsyncIterable<Uint8Array>, deserializer: SdkEventDeserializer): AsyncGenerator<unknown, void, undefined> {
  const unmarshal = getMessageUnmarshaller(deserializer as Parameters<typeof getMessageUnmarshaller>[0], toUtf8);
  let pending: Buffer | undefined;
  for await (const raw of body) {
    const data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const buf: Buffer = pending ? Buffer.concat([pending, data]) : data;
    pending = undefined;
    let at = 0;
    while (buf.length - at >= 4) {
      const totalBytes = buf.readUInt32BE(at);
      if (totalBytes < MIN_MESSAGE_BYTES) throw new Error('Provided message too short to accommodate event stream message overhead');
      if (buf.length - at < totalBytes) break;
      const message = buf.subarray(at, at + totalBytes);
      at += totalBytes;
      const bytes = chunkEventBytes(message);
      if (bytes) {
        yield { chunk: { bytes } };
        continue;
      }
      const item = await unmarshal(codec.decode(message));
      if (item !== undefined) yield item;
    }
    // What is left is the start of the next message: copied, so the chunk it came in can go.
    if (at < buf.length) pending = Buffer.from(buf.subarray(at));
  }
  if (pending && pending.length >= 4) throw new Error('Truncated event message received.');
}

/**
 * The SDK's event-stream marshaller with Nova's output decoded by `decodeOutputEvents`; pass
 * `(config) => new NovaOutputMarshaller(eventStreamSerdeProvider(config))` as the client's
 * `eventStreamSerdeProvider`. A body that is not an async iterable goes to the SDK's marshaller.
 */
export class NovaOutputMarshaller implements EventStreamMarshallerLike {
  /** @param sdk the SDK's own marshaller (serializing, and bodies we do not read ourselves). */
  constructor(private readonly sdk: EventStreamMarshallerLike) {}

  /** Output events of `body`: decoded here when it is an async iterable, else by the SDK's marshaller. */
  deserialize(body: unknown, deserializer: SdkEventDeserializer): AsyncIterable<unknown> {
    const iterable = body as Partial<AsyncIterable<Uint8Array>> | null;
    if (typeof iterable?.[Symbol.asyncIterator] !== 'function') return this.sdk.deserialize(body, deserializer);
    return decodeOutputEvents(iterable as AsyncIterable<Uint8Array>, deserializer);
  }

  /** The request body, by the SDK's marshaller. */
  serialize(input: AsyncIterable<unknown>, serializer: (event: unknown) => Message): unknown {
    return this.sdk.serialize(input, serializer);
  }
}
