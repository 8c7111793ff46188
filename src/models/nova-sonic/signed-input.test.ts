import { Readable } from 'node:stream';
import { BedrockRuntimeClient, InvokeModelWithBidirectionalStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { NodeSha256 as Sha256 } from '../../emulators/nova-sonic/sigv4.js';
import { encodeChunkEvent } from './chunk-event.js';
import { eventStreamSigningHandlerProvider, parseAuthorization, SigV4EventSigner } from './event-signing.js';
import { InputQueue } from './input-queue.js';
import { SignedInputSink } from './signed-input.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' };
/** Event JSON of 0, 1 and 2 bytes past a multiple of 3 (every base64 padding), one with non-ASCII text. */
const events = ['{"event":{"a":1}}', '{"event":{"ab":1}}', '{"event":{"textInput":{"content":"héllo ✓"}}}', JSON.stringify({ event: { audioInput: { content: Buffer.alloc(960, 3).toString('base64') } } })].map((s) => new TextEncoder().encode(s));

/** Reads a request body readable to its end and splits it into event-stream messages. */
async function messagesOf(body: Readable): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
  const all = Buffer.concat(chunks);
  const out: Buffer[] = [];
  for (let at = 0; at < all.length; at += all.readUInt32BE(at)) out.push(all.subarray(at, at + all.readUInt32BE(at)));
  return out;
}

/** A real SDK client whose HTTP handler reads the request body and answers 200 with no events. */
function clientWith(provider: unknown, seen: { body?: Readable; authorization?: string; requested?: () => void }): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'eu-north-1',
    credentials,
    requestHandler: {
      handle: async (request: { body: Readable; headers: Record<string, string> }) => {
        seen.body = request.body;
        seen.authorization = request.headers.authorization;
        seen.requested?.();
        return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
      },
    } as never,
    eventStreamPayloadHandlerProvider: provider as never,
  });
}

describe('encodeChunkEvent', () => {
  it("is byte for byte the SDK's serialization of a `chunk` input event", async () => {
    const captured: Uint8Array[] = [];
    const capture = () => ({
      handle: async (next: (a: unknown) => Promise<unknown>, args: { request: { body: unknown } }) => {
        for await (const m of args.request.body as Readable) captured.push(m as Uint8Array);
        args.request.body = Buffer.alloc(0);
        return next(args);
      },
    });
    const client = clientWith(capture, {});
    const out = await client.send(new InvokeModelWithBidirectionalStreamCommand({ modelId: 'amazon.nova-2-sonic-v1:0', body: Readable.from(events.map((bytes) => ({ chunk: { bytes } }))) }));
    for await (const _ of out.body ?? []);
    // The SDK's messages, then its empty end frame.
    expect(captured.length).toBe(events.length + 1);
    for (let i = 0; i < events.length; i++) expect(encodeChunkEvent(events[i]!).equals(Buffer.from(captured[i]!))).toBe(true);
    expect(captured[events.length]!.length).toBe(0);
  });
});

describe('the direct input path', () => {
  it("takes a NovaStream queue through the real SDK client: each event encoded and signed as pushed, chained from the request's signature", async () => {
    const seen: { body?: Readable; authorization?: string; requested?: () => void } = {};
    const requested = new Promise<void>((resolve) => (seen.requested = resolve));
    const client = clientWith(eventStreamSigningHandlerProvider, seen);
    const queue = new InputQueue();
    queue.push(events[0]!); // queued before the request exists
    const sent = client.send(new InvokeModelWithBidirectionalStreamCommand({ modelId: 'amazon.nova-2-sonic-v1:0', body: queue }));
    await requested;
    expect(queue.canAttach).toBe(false); // the handler attached it: the SDK's serializer never read it
    for (const e of events.slice(1)) queue.push(e);
    queue.close();
    queue.push(events[0]!); // after close: dropped
    const messages = await messagesOf(seen.body!);
    for await (const _ of (await sent).body ?? []);
    expect(queue.pulled).toBe(events.length);

    const decoded = messages.map((m) => codec.decode(m));
    expect(decoded.map((m) => Buffer.from(m.body))).toEqual([...events.map((e) => encodeChunkEvent(e)), Buffer.alloc(0)]);
    const signer = new SignatureV4({ credentials, region: 'eu-north-1', service: 'bedrock', sha256: Sha256 });
    let prior = parseAuthorization(seen.authorization)!.signature;
    for (const m of decoded) {
      const date = m.headers[':date']!.value as Date;
      const { signature } = await signer.signMessage({ message: { body: m.body, headers: { ':date': { type: 'timestamp', value: date } } }, priorSignature: prior }, { signingDate: date });
      expect(Buffer.from(m.headers[':chunk-signature']!.value as Uint8Array).toString('hex')).toBe(signature);
      prior = signature;
    }
  });
});

describe('SignedInputSink', () => {
  const signer = (): SigV4EventSigner => new SigV4EventSigner({ secretAccessKey: 'k', region: 'us-east-1', service: 'bedrock', priorSignature: 'ab'.repeat(32) });

  it('counts what the transport has not taken as backlog, and an abort ends the body without the end frame', async () => {
    const queue = new InputQueue();
    const sink = new SignedInputSink(signer(), () => Date.UTC(2026, 11, 1));
    queue.attach(sink);
    expect(() => queue.attach(sink)).toThrow(/already/);
    expect(() => queue[Symbol.asyncIterator]()).toThrow(/sink/);
    queue.push(events[3]!);
    queue.push(events[3]!);
    expect(queue.backlogBytes).toBe(sink.readable.readableLength);
    expect(queue.backlogBytes).toBeGreaterThan(2 * events[3]!.length);
    queue.abort();
    queue.push(events[3]!);
    const messages = await messagesOf(sink.readable);
    expect(messages.map((m) => codec.decode(m).body.length)).toEqual([encodeChunkEvent(events[3]!).length, encodeChunkEvent(events[3]!).length]);
  });

  it('drains what was queued before attaching, and a queue closed before attaching ends with the end frame', async () => {
    const queue = new InputQueue();
    queue.push(events[0]!);
    queue.push(events[1]!);
    queue.close();
    const sink = new SignedInputSink(signer(), () => Date.UTC(2026, 11, 1));
    queue.attach(sink);
    queue.abort(); // after close: the end frame stays
    const messages = await messagesOf(sink.readable);
    expect(messages.map((m) => Buffer.from(codec.decode(m).body))).toEqual([encodeChunkEvent(events[0]!), encodeChunkEvent(events[1]!), Buffer.alloc(0)]);
  });
});
