import { crc32 } from 'node:zlib';
import { eventStreamSerdeProvider } from '@smithy/core/event-streams';
import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { encodeError, encodeException, encodeOutputEvent } from '../../emulators/nova-sonic/wire.js';
import { chunkEventBytes, decodeOutputEvents, NovaOutputMarshaller, type SdkEventDeserializer } from './output-stream.js';

async function* pieces(bytes: Uint8Array, sizes: () => number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; ) {
    const n = Math.max(1, sizes());
    yield bytes.subarray(at, at + n);
    at += n;
  }
}

async function collect(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The SDK's schema deserializer for this operation, as far as these tests need it. */
const sdkLike: SdkEventDeserializer = async (event) => {
  const [key, message] = Object.entries(event)[0];
  if (key === 'chunk') return { chunk: { bytes: Buffer.from((JSON.parse(toUtf8(message.body)) as { bytes: string }).bytes, 'base64') } };
  if (key === 'throttlingException') return { throttlingException: Object.assign(new Error((JSON.parse(toUtf8(message.body)) as { message: string }).message), { name: 'ThrottlingException' }) };
  return { $unknown: event };
};

const events = [
  { event: { textOutput: { role: 'ASSISTANT', content: 'Hello — ünïcödé "quoted" \\ back' } } },
  { event: { audioOutput: { content: Buffer.alloc(4800, 7).toString('base64'), contentId: 'c1' } } },
  { event: { completionEnd: {} } },
];
const stream = Buffer.concat(events.map((e) => encodeOutputEvent(e)));

describe('decodeOutputEvents', () => {
  it('yields each chunk event as the SDK does, whatever the byte chunks (whole, 1-byte, random)', async () => {
    let seed = 3;
    const random = (): number => (seed = (seed * 48271) % 2147483647) % 700;
    for (const sizes of [() => stream.length, () => 1, random, () => 16384]) {
      const items = (await collect(decodeOutputEvents(pieces(stream, sizes), sdkLike))) as { chunk: { bytes: Uint8Array } }[];
      expect(items.map((i) => JSON.parse(toUtf8(i.chunk.bytes)))).toEqual(events);
    }
  });

  it('gives the same items as the SDK marshaller on the same bytes', async () => {
    const sdk = eventStreamSerdeProvider({ utf8Encoder: toUtf8, utf8Decoder: fromUtf8 });
    const theirs = await collect(sdk.deserialize(pieces(stream, () => 1000), sdkLike as never));
    const ours = await collect(decodeOutputEvents(pieces(stream, () => 1000), sdkLike));
    expect(ours.map((i) => toUtf8((i as { chunk: { bytes: Uint8Array } }).chunk.bytes))).toEqual(theirs.map((i) => toUtf8((i as { chunk: { bytes: Uint8Array } }).chunk.bytes)));
  });

  it('throws a modelled exception as the SDK deserializer types it, after the events before it', async () => {
    const bytes = Buffer.concat([encodeOutputEvent(events[0]), encodeException('throttlingException', 'slow down'), encodeOutputEvent(events[2])]);
    const seen: unknown[] = [];
    const run = async (): Promise<void> => {
      for await (const item of decodeOutputEvents(pieces(bytes, () => 50), sdkLike)) seen.push(item);
    };
    await expect(run()).rejects.toMatchObject({ name: 'ThrottlingException', message: 'slow down' });
    expect(seen).toHaveLength(1);
  });

  it('throws an unknown exception by its type, and an error message by its code (the SDK unmarshaller)', async () => {
    await expect(collect(decodeOutputEvents(pieces(encodeException('modelTimeoutException', 'too long'), () => 9), sdkLike))).rejects.toMatchObject({ name: 'modelTimeoutException' });
    await expect(collect(decodeOutputEvents(pieces(encodeError('InternalFailure', 'boom'), () => 9), sdkLike))).rejects.toMatchObject({ name: 'InternalFailure', message: 'boom' });
  });

  it('refuses a corrupted message, a too-short length and a truncated stream', async () => {
    const bad = Buffer.from(encodeOutputEvent(events[0]));
    bad[bad.length - 10] ^= 1;
    await expect(collect(decodeOutputEvents(pieces(bad, () => 64), sdkLike))).rejects.toThrow(/message checksum/);
    const badPrelude = Buffer.from(encodeOutputEvent(events[0]));
    badPrelude[9] ^= 1;
    await expect(collect(decodeOutputEvents(pieces(badPrelude, () => 64), sdkLike))).rejects.toThrow(/prelude checksum/);
    await expect(collect(decodeOutputEvents(pieces(Buffer.from([0, 0, 0, 8, 0, 0, 0, 0]), () => 8), sdkLike))).rejects.toThrow(/too short/);
    await expect(collect(decodeOutputEvents(pieces(stream.subarray(0, stream.length - 3), () => 100), sdkLike))).rejects.toThrow(/Truncated/);
  });

  it('hands a chunk body in another layout to the SDK deserializer', async () => {
    expect(chunkEventBytes(Buffer.from(encodeOutputEvent(events[2])))).toBeDefined();
    const other = Buffer.from(
      new EventStreamCodec(toUtf8, fromUtf8).encode({
        headers: { ':event-type': { type: 'string', value: 'chunk' }, ':message-type': { type: 'string', value: 'event' } },
        body: fromUtf8(`{ "bytes": "${Buffer.from('{"x":1}').toString('base64')}" }`),
      }),
    );
    expect(chunkEventBytes(other)).toBeUndefined();
    let called: Record<string, Message> | undefined;
    const items = await collect(
      decodeOutputEvents(pieces(other, () => 1000), async (event) => {
        called = event;
        return sdkLike(event);
      }),
    );
    expect(Object.keys(called ?? {})).toEqual(['chunk']);
    expect(toUtf8((items[0] as { chunk: { bytes: Uint8Array } }).chunk.bytes)).toBe('{"x":1}');
  });
});

describe('chunkEventBytes', () => {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const json = '{"event":{"textOutput":{"content":"hi"}}}';
  const b64 = Buffer.from(json).toString('base64');
  const message = (body: string, headerOrder = [':event-type', ':content-type', ':message-type']): Buffer => {
    const values: Record<string, string> = { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' };
    return Buffer.from(codec.encode({ headers: Object.fromEntries(headerOrder.map((h) => [h, { type: 'string', value: values[h] }])), body: fromUtf8(body) }));
  };

  it("reads Bedrock's layout: headers in any order, and a padding member after the bytes", () => {
    for (const body of [`{"bytes":"${b64}"}`, `{"bytes":"${b64}","p":"abcdefghijklmnopqrstuvwxyzABCD"}`, `{"bytes":"${b64}","p":"ab","q":[1,{"r":null}]}`]) {
      const bytes = chunkEventBytes(message(body));
      expect(bytes && toUtf8(bytes)).toBe(json);
      expect(Buffer.isBuffer(bytes)).toBe(false);
    }
    expect(toUtf8(chunkEventBytes(message(`{"bytes":"${b64}"}`, [':message-type', ':event-type', ':content-type']))!)).toBe(json);
  });

  it('leaves to the SDK whatever it would read differently or refuse', () => {
    const bodies = [
      `{"bytes":"${b64}","bytes":"QUJD"}`, // JSON.parse keeps the last
      `{"bytes":"${b64}",}`,
      `{"bytes":"${b64}"`,
      `{"bytes":"${b64.replace(/=+$/, '')}"}`, // unpadded
      `{"bytes":"${Buffer.from([0xfb, 0xff, 0xbf]).toString('base64url')}"}`, // "-_-_": base64url, which Node decodes too
      `{"bytes":"QU JD"}`,
      `{"bytes":"QU=D"}`,
      `{"bytes":"${b64}"} `,
    ];
    for (const body of bodies) expect(chunkEventBytes(message(body)), body).toBeUndefined();
    const notChunk = Buffer.from(codec.encode({ headers: { ':event-type': { type: 'string', value: 'other' }, ':message-type': { type: 'string', value: 'event' } }, body: fromUtf8(`{"bytes":"${b64}"}`) }));
    expect(chunkEventBytes(notChunk)).toBeUndefined();
  });

  it('stops at headers that run past their length instead of reading beyond them', () => {
    const m = message(`{"bytes":"${b64}"}`);
    m.writeUInt32BE(3, 4); // headers length cut to 3 bytes: the first name runs past it
    m.writeUInt32BE(crc32(m.subarray(0, 8)), 8);
    m.writeUInt32BE(crc32(m.subarray(0, m.length - 4)), m.length - 4);
    expect(chunkEventBytes(m)).toBeUndefined();
  });
});

describe('NovaOutputMarshaller', () => {
  it('decodes async-iterable bodies itself and leaves the rest and serializing to the SDK marshaller', async () => {
    const calls: string[] = [];
    const sdk = {
      deserialize: (body: unknown) => {
        calls.push(`deserialize ${typeof body}`);
        return (async function* () {})();
      },
      serialize: () => {
        calls.push('serialize');
        return 'serialized';
      },
    };
    const m = new NovaOutputMarshaller(sdk);
    expect(await collect(m.deserialize(pieces(stream, () => 100), sdkLike))).toHaveLength(3);
    await collect(m.deserialize('not a stream', sdkLike));
    expect(m.serialize((async function* () {})(), () => ({ headers: {}, body: new Uint8Array(0) }))).toBe('serialized');
    expect(calls).toEqual(['deserialize string', 'serialize']);
  });
});
