import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { decodeChunk, decodeEnvelope, encodeException, encodeOutputEvent, FrameSplitter } from './wire.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

function inner(json: string): Uint8Array {
  return codec.encode({
    headers: { ':event-type': { type: 'string', value: 'chunk' }, ':message-type': { type: 'string', value: 'event' }, ':content-type': { type: 'string', value: 'application/json' } },
    body: fromUtf8(JSON.stringify({ bytes: Buffer.from(json).toString('base64') })),
  });
}

describe('event-stream framing', () => {
  it('unwraps a signed envelope and its chunk, split across reads', () => {
    const json = '{"event":{"sessionEnd":{}}}';
    const env = codec.encode({ headers: { ':date': { type: 'timestamp', value: new Date(1_795_000_000_000) }, ':chunk-signature': { type: 'binary', value: new Uint8Array(32).fill(7) } }, body: inner(json) });
    const bytes = Buffer.concat([Buffer.from(env), Buffer.from(env)]);
    const s = new FrameSplitter();
    const frames = [...s.push(bytes.subarray(0, 100)), ...s.push(bytes.subarray(100, 250)), ...s.push(bytes.subarray(250))];
    expect(frames.length).toBe(2);
    const e = decodeEnvelope(frames[0]);
    expect(e.date.getTime()).toBe(1_795_000_000_000);
    expect(e.signature.length).toBe(32);
    expect(decodeChunk(e.payload)).toBe(json);
  });

  it('rejects absurd lengths and corrupt CRCs', () => {
    expect(() => new FrameSplitter().push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/out of range/);
    const env = Buffer.from(inner('{}'));
    env[env.length - 1] ^= 1;
    expect(() => decodeChunk(env)).toThrow();
  });

  it('encodes output events and modelled exceptions the way the SDK reads them', () => {
    const out = codec.decode(encodeOutputEvent({ event: { completionStart: {} } }));
    expect(out.headers[':event-type'].value).toBe('chunk');
    expect(Buffer.from(JSON.parse(toUtf8(out.body)).bytes, 'base64').toString()).toBe('{"event":{"completionStart":{}}}');
    const ex = codec.decode(encodeException('modelTimeoutException', 'Model has timed out'));
    expect(ex.headers[':message-type'].value).toBe('exception');
    expect(ex.headers[':exception-type'].value).toBe('modelTimeoutException');
    expect(JSON.parse(toUtf8(ex.body))).toEqual({ message: 'Model has timed out' });
  });
});
