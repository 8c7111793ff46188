/**
 * AWS event-stream framing for the Bedrock emulator (protocols.md §1.16, bedrock-wire.md §2):
 * splitting the request body into messages, unwrapping the signed envelope and the inner `chunk`
 * message, and encoding output `chunk` events and modelled exceptions. Message encoding and CRCs
 * are `@smithy/eventstream-codec`'s, the codec the SDK uses.
 */
import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** Largest event-stream message accepted (the format's own limit is 16 MB; Bedrock's is far lower). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Accumulates body bytes and yields whole messages (split on the 4-byte big-endian total length). */
export class FrameSplitter {
  private buf: Buffer = Buffer.alloc(0);

  /**
   * Adds bytes; returns the complete frames now available.
   * @throws Error when a frame declares a length below 16 or above `MAX_MESSAGE_BYTES`.
   */
  push(data: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: Buffer[] = [];
    while (this.buf.length >= 4) {
      const total = this.buf.readUInt32BE(0);
      if (total < 16 || total > MAX_MESSAGE_BYTES) throw new Error(`event-stream message length ${total} is out of range`);
      if (this.buf.length < total) break;
      out.push(this.buf.subarray(0, total));
      this.buf = this.buf.subarray(total);
    }
    return out;
  }

  /** Bytes held that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.buf.length;
  }
}

/** A decoded signed envelope. */
export interface Envelope {
  date: Date;
  signature: Uint8Array;
  /** The encoded inner message; empty for the end-of-input frame. */
  payload: Uint8Array;
}

/**
 * Decodes a signed envelope.
 * @throws Error on a CRC mismatch or when `:date` / `:chunk-signature` is missing.
 */
export function decodeEnvelope(frame: Uint8Array): Envelope {
  const m = codec.decode(frame);
  const date = m.headers[':date'];
  const sig = m.headers[':chunk-signature'];
  if (date?.type !== 'timestamp' || sig?.type !== 'binary') throw new Error('envelope lacks :date or :chunk-signature');
  return { date: date.value, signature: sig.value, payload: m.body };
}

/**
 * Decodes the inner `chunk` message and returns the Nova event JSON text.
 * @throws Error when the message is not an `event`/`chunk` with a `{"bytes": base64}` body.
 */
export function decodeChunk(inner: Uint8Array): string {
  const m = codec.decode(inner);
  const type = m.headers[':message-type']?.value;
  const event = m.headers[':event-type']?.value;
  if (type !== 'event' || event !== 'chunk') throw new Error(`expected an event of type chunk, got ${String(type)}/${String(event)}`);
  const body: unknown = JSON.parse(toUtf8(m.body));
  const bytes = (body as { bytes?: unknown }).bytes;
  if (typeof bytes !== 'string') throw new Error('chunk body has no "bytes" string');
  return Buffer.from(bytes, 'base64').toString('utf8');
}

function encode(message: Message): Uint8Array {
  return codec.encode(message);
}

/** An output event as the service sends it: an unsigned `chunk` message. */
export function encodeOutputEvent(event: unknown): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(event)).toString('base64');
  return encode({
    headers: {
      ':message-type': { type: 'string', value: 'event' },
      ':event-type': { type: 'string', value: 'chunk' },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(`{"bytes":"${bytes}"}`),
  });
}

/** Modelled stream exceptions of the operation (lowerCamel union member names, bedrock-wire.md §2.3). */
export type StreamExceptionType =
  | 'validationException'
  | 'modelStreamErrorException'
  | 'internalServerException'
  | 'throttlingException'
  | 'modelTimeoutException'
  | 'serviceUnavailableException';

/** A modelled exception message (the SDK throws it from `for await` as the typed error). */
export function encodeException(type: StreamExceptionType, message: string): Uint8Array {
  return encode({
    headers: {
      ':message-type': { type: 'string', value: 'exception' },
      ':exception-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify({ message })),
  });
}

/** A generic service error message (`:message-type` `error`): the SDK throws an Error named `code`. */
export function encodeError(code: string, message: string): Uint8Array {
  return encode({
    headers: {
      ':message-type': { type: 'string', value: 'error' },
      ':error-code': { type: 'string', value: code },
      ':error-message': { type: 'string', value: message },
    },
    body: new Uint8Array(0),
  });
}
