/**
 * Signing of Bedrock's bidirectional-stream input, one event at a time, without the per-event
 * promise and object-stream machinery of the SDK's own handler (`@aws-sdk/eventstream-handler-node`).
 *
 * Every input event is wrapped in an envelope message whose headers are `:date` (timestamp) and
 * `:chunk-signature` (32 bytes): an AWS SigV4 chain seeded with the request's own signature
 * ("AWS4-HMAC-SHA256-PAYLOAD" string to sign; AWS, "Signature Version 4 for streaming uploads"
 * and `@smithy/signature-v4` `signEvent`; bedrock-wire.md §4). The envelope is an
 * `application/vnd.amazon.eventstream` message (framed by event-frame.ts). At 60 calls this runs a thousand times a second, so it is synchronous: node:crypto
 * hashes and zlib's native CRC-32, the signing key derived once per day.
 *
 * `SigV4EventSigner` is pure (no clock, no I/O); `eventStreamSigningHandlerProvider` plugs it into
 * the real SDK client through its `eventStreamPayloadHandlerProvider` option.
 */
import { createHmac, hash } from 'node:crypto';
import { Readable, Transform, pipeline } from 'node:stream';
import { allocFrame, PRELUDE_BYTES, sealFrame } from './event-frame.js';
import { InputQueue } from './input-queue.js';
import { SignedInputSink } from './signed-input.js';

const ALGORITHM = 'AWS4-HMAC-SHA256-PAYLOAD';
const DATE_NAME = Buffer.from(':date');
const SIGNATURE_NAME = Buffer.from(':chunk-signature');
/** `:date` header bytes: name length, name, type 8 (timestamp), int64 ms. */
const DATE_HEADER_BYTES = 1 + DATE_NAME.length + 1 + 8;
/** `:chunk-signature` header bytes: name length, name, type 6 (byte array), uint16 length, 32 bytes. */
const SIGNATURE_HEADER_BYTES = 1 + SIGNATURE_NAME.length + 1 + 2 + 32;
const HEADERS_BYTES = DATE_HEADER_BYTES + SIGNATURE_HEADER_BYTES;

/** Credentials and scope of one signed stream. */
export interface EventSignerOptions {
  secretAccessKey: string;
  /** Signing region, e.g. `us-east-1`. */
  region: string;
  /** Signing service name (`bedrock` for Bedrock Runtime). */
  service: string;
  /** Hex signature the chain starts from: the request's own SigV4 signature. */
  priorSignature: string;
}

/** Writes the `:date` header (type 8, int64 big-endian milliseconds) at `offset`. */
function writeDateHeader(buf: Buffer, offset: number, ms: number): void {
  buf[offset] = DATE_NAME.length;
  DATE_NAME.copy(buf, offset + 1);
  buf[offset + 1 + DATE_NAME.length] = 8;
  buf.writeBigInt64BE(BigInt(ms), offset + 2 + DATE_NAME.length);
}

/** The last second `sigV4Dates` formatted (Unix seconds) and its two dates. */
let lastDates = { second: NaN, longDate: '', shortDate: '' };

/**
 * `YYYYMMDDTHHMMSSZ` and `YYYYMMDD` of a time (UTC, whole seconds), as SigV4 writes dates; the
 * last second's pair is reused (every stream signs many events a second).
 */
function sigV4Dates(ms: number): { longDate: string; shortDate: string } {
  const second = Math.floor(ms / 1000);
  if (second === lastDates.second) return lastDates;
  const iso = new Date(ms).toISOString(); // 2026-12-01T13:41:09.123Z
  const shortDate = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  lastDates = { second, shortDate, longDate: `${shortDate}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z` };
  return lastDates;
}

/**
 * The signature chain of one stream's input: `sign(body, ms)` returns the whole envelope message
 * for one already-encoded event message (`body`; the empty end frame is `body.length === 0`).
 * Signatures chain, so envelopes must be sent in the order they were signed.
 */
export class SigV4EventSigner {
  private prior: string;
  private keyDate = '';
  private key: Buffer = Buffer.alloc(0);

  constructor(private readonly options: EventSignerOptions) {
    this.prior = options.priorSignature;
  }

  /** Hex signature of the last envelope (the request signature before the first). */
  get priorSignature(): string {
    return this.prior;
  }

  private signingKey(shortDate: string): Buffer {
    if (this.keyDate !== shortDate) {
      const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
      const { secretAccessKey, region, service } = this.options;
      this.key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, shortDate), region), service), 'aws4_request');
      this.keyDate = shortDate;
    }
    return this.key;
  }

  /**
   * Signs `body` at `ms` (Unix epoch milliseconds, the `:date` header) and encodes the envelope.
   * @returns the envelope: prelude, `:date` and `:chunk-signature` headers, `body`, message CRC.
   */
  sign(body: Uint8Array, ms: number): Buffer {
    const out = allocFrame(HEADERS_BYTES, body.length);
    const dateAt = PRELUDE_BYTES;
    writeDateHeader(out, dateAt, ms);
    const { longDate, shortDate } = sigV4Dates(ms);
    const stringToSign =
      `${ALGORITHM}\n${longDate}\n${shortDate}/${this.options.region}/${this.options.service}/aws4_request\n${this.prior}\n` +
      `${hash('sha256', out.subarray(dateAt, dateAt + DATE_HEADER_BYTES), 'hex')}\n` +
      hash('sha256', body, 'hex');
    const signature = createHmac('sha256', this.signingKey(shortDate)).update(stringToSign).digest();
    this.prior = signature.toString('hex');

    let at = dateAt + DATE_HEADER_BYTES;
    out[at] = SIGNATURE_NAME.length;
    SIGNATURE_NAME.copy(out, at + 1);
    at += 1 + SIGNATURE_NAME.length;
    out[at] = 6;
    out.writeUInt16BE(32, at + 1);
    signature.copy(out, at + 3);
    at += 3 + 32;
    out.set(body, at);
    return sealFrame(out);
  }
}

/** Parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
export interface ParsedAuthorization {
  accessKeyId: string;
  shortDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses a SigV4 `Authorization` header; undefined when it is not one. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return undefined;
  return { accessKeyId: m[1], shortDate: m[2], region: m[3], service: m[4], signedHeaders: m[5].split(';'), signature: m[6] };
}

/**
 * The request's SigV4 signature and scope, from its `Authorization` header (or the presigned
 * query's `X-Amz-Credential` / `X-Amz-Signature`).
 * @throws Error when neither carries a SigV4 credential scope and signature.
 */
export function requestSignature(headers: Record<string, string | undefined>, query: Record<string, unknown> | undefined): { signature: string; region: string; service: string } {
  const auth = parseAuthorization(headers.authorization ?? headers.Authorization);
  if (auth) return { region: auth.region, service: auth.service, signature: auth.signature };
  const credential = typeof query?.['X-Amz-Credential'] === 'string' ? /^[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request$/.exec(query['X-Amz-Credential']) : null;
  const signature = query?.['X-Amz-Signature'];
  if (credential && typeof signature === 'string') return { region: credential[1]!, service: credential[2]!, signature };
  throw new Error('event stream request carries no SigV4 signature to chain from');
}

/** What the SDK hands an event-stream payload handler provider (the client's resolved config). */
export interface PayloadHandlerConfig {
  /** The client's credential provider (resolved once per stream, as the SDK's own handler does). */
  credentials?: () => Promise<{ secretAccessKey: string }>;
  /** Clock skew the SDK learned from the service, ms (added to the local clock). */
  systemClockOffset?: number;
}

/** The SDK's event-stream payload handler shape (`@smithy/types` `EventStreamPayloadHandler`). */
export interface EventStreamSigningHandler {
  handle<T>(next: (args: SdkHandlerArgs) => Promise<T>, args: SdkHandlerArgs, context?: Record<string, unknown>): Promise<T>;
}

/** The SDK's finalize-step arguments: the command's input and its HTTP request. */
interface SdkHandlerArgs {
  request: SdkRequest;
  input?: unknown;
}

/** The parts of the SDK's HTTP request a payload handler touches. */
interface SdkRequest {
  body: unknown;
  headers: Record<string, string | undefined>;
  query?: Record<string, unknown>;
}

/**
 * An `eventStreamPayloadHandlerProvider` for the AWS SDK client: each request's input (the SDK's
 * readable of encoded event messages, ending with the empty end frame) is signed as it arrives by a
 * `SigV4EventSigner` and written as bytes. Time is the local clock plus the SDK's learned offset.
 * A signing failure fails the request the way the SDK's handler does (the send rejects).
 *
 * When the command's input body is our own `InputQueue` (NovaStream's), the SDK's serializer is
 * bypassed: the queue is attached to a `SignedInputSink` that encodes (chunk-event.ts, the SDK's
 * bytes) and signs each event as it is pushed, with no per-event promise or object stream.
 */
export function eventStreamSigningHandlerProvider(config: PayloadHandlerConfig): EventStreamSigningHandler {
  return {
    async handle(next, args, context = {}) {
      const request = args.request;
      const payload = request.body;
      if (!(payload instanceof Readable)) throw new Error('Eventstream payload must be a Readable stream.');
      const scope = requestSignature(request.headers, request.query);
      const identity = await config.credentials?.();
      if (!identity?.secretAccessKey) throw new Error('event stream signing needs credentials with a secret access key');
      const signer = new SigV4EventSigner({ ...scope, secretAccessKey: identity.secretAccessKey, priorSignature: context.__staticSignature ? '' : scope.signature });
      const nowMs = (): number => Date.now() + (config.systemClockOffset ?? 0);
      const input = (args.input as { body?: unknown } | undefined)?.body;
      if (input instanceof InputQueue && input.canAttach) {
        const sink = new SignedInputSink(signer, nowMs);
        payload.destroy(); // the SDK's serializer readable, never read
        request.body = sink.readable;
        input.attach(sink);
        return next(args);
      }
      const signing = new Transform({
        writableObjectMode: true,
        transform(chunk: Uint8Array, _encoding, callback) {
          try {
            callback(null, signer.sign(chunk, nowMs()));
          } catch (err) {
            callback(err as Error);
          }
        },
      });
      request.body = signing;
      let settle: () => void = () => {};
      const failed = new Promise<never>((resolve, reject) => {
        settle = () => resolve(undefined as never);
        pipeline(payload, signing, (err) => {
          if (err) reject(new Error(`event stream signing failed: ${err.message}`, { cause: err }));
        });
      });
      try {
        return await Promise.race([next(args), failed]);
      } catch (err) {
        signing.end();
        throw err;
      } finally {
        settle();
      }
    },
  };
}
