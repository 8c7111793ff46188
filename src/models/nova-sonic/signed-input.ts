/**
 * The direct input path of a Bedrock bidirectional stream: each event pushed into the stream's
 * `InputQueue` is encoded as the SDK's `chunk` message (chunk-event.ts), wrapped in its SigV4
 * envelope (event-signing.ts) and pushed into the HTTP/2 request body at once, in push order.
 * The SDK's own path does the same through its schema serializer, two async generators, an object
 * stream and a transform, a few promises per event; at 60 calls that is a thousand events a second.
 */
import { Readable } from 'node:stream';
import { encodeChunkEvent } from './chunk-event.js';
import type { InputSink } from './input-queue.js';

const END_FRAME = new Uint8Array(0);

/** A stream's signature chain (`SigV4EventSigner`): `sign(message, ms)` returns its envelope. */
export interface EnvelopeSigner {
  sign(message: Uint8Array, ms: number): Buffer;
}

/** An `InputSink` whose `readable` is the request body: signed envelopes, then the signed end frame. */
export class SignedInputSink implements InputSink {
  /** The request body (bytes; the HTTP handler pipes it into the request stream). */
  readonly readable = new Readable({ read() {} });
  private done = false;

  /**
   * @param signer the stream's signature chain (seeded with the request's signature)
   * @param nowMs the signing time, Unix epoch ms (the local clock plus the SDK's learned skew)
   */
  constructor(
    private readonly signer: EnvelopeSigner,
    private readonly nowMs: () => number,
  ) {}

  /** Encodes, signs and queues one event's UTF-8 JSON; ignored after the end. */
  write(bytes: Uint8Array): void {
    if (this.done) return;
    this.readable.push(this.signer.sign(encodeChunkEvent(bytes), this.nowMs()));
  }

  /** Queues the signed empty end frame and ends the body. */
  end(): void {
    if (this.done) return;
    this.readable.push(this.signer.sign(END_FRAME, this.nowMs()));
    this.finish();
  }

  /** Ends the body at once (the request is being aborted). */
  abort(): void {
    this.finish();
  }

  /** Bytes queued in the body and not yet taken by the request stream. */
  get backlogBytes(): number {
    return this.readable.readableLength;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (!this.readable.destroyed) this.readable.push(null);
  }
}
