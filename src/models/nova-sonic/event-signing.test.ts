import { PassThrough, Readable } from 'node:stream';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { describe, expect, it } from 'vitest';
import { eventStreamSigningHandlerProvider, requestSignature, SigV4EventSigner } from './event-signing.js';
import { NodeSha256 as Sha256 } from '../../emulators/nova-sonic/sigv4.js';

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const REQUEST_SIGNATURE = 'c0ffee'.repeat(10) + 'abcd';

/** The SDK's own chain (what `@aws-sdk/eventstream-handler-node` does per event), for comparison. */
async function sdkEnvelopes(bodies: Uint8Array[], dates: Date[]): Promise<Uint8Array[]> {
  const signer = new SignatureV4({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' }, region: 'eu-north-1', service: 'bedrock', sha256: Sha256 });
  let prior = REQUEST_SIGNATURE;
  const out: Uint8Array[] = [];
  for (let i = 0; i < bodies.length; i++) {
    const date = dates[i]!;
    const dateHeader = { ':date': { type: 'timestamp' as const, value: date } };
    const { signature } = await signer.signMessage({ message: { body: bodies[i]!, headers: dateHeader }, priorSignature: prior }, { signingDate: date });
    prior = signature;
    out.push(codec.encode({ headers: { ...dateHeader, ':chunk-signature': { type: 'binary', value: Buffer.from(signature, 'hex') } }, body: bodies[i]! }));
  }
  return out;
}

const bodies = [codec.encode({ headers: { ':event-type': { type: 'string', value: 'chunk' } }, body: fromUtf8('{"bytes":"eyJldmVudCI6e319"}') }), new Uint8Array(3000).fill(7), new Uint8Array(0)];
// The second and third cross midnight UTC, so the signing key is derived again for the new day.
const dates = [new Date('2026-12-01T23:59:59.250Z'), new Date('2026-12-01T23:59:59.999Z'), new Date('2026-12-02T00:00:00.001Z')];

describe('SigV4EventSigner', () => {
  it('produces the same envelopes as the SDK signer and codec, byte for byte, across a day boundary', async () => {
    const ours = new SigV4EventSigner({ secretAccessKey: 'wJalrXUtnFEMI/K7MDENG', region: 'eu-north-1', service: 'bedrock', priorSignature: REQUEST_SIGNATURE });
    const expected = await sdkEnvelopes(bodies, dates);
    for (let i = 0; i < bodies.length; i++) expect(Buffer.from(ours.sign(bodies[i]!, dates[i]!.getTime())).equals(Buffer.from(expected[i]!))).toBe(true);
    const decoded = codec.decode(ours.sign(new Uint8Array([1, 2, 3]), dates[0]!.getTime()));
    expect(decoded.headers[':date']).toEqual({ type: 'timestamp', value: dates[0] });
    expect(decoded.headers[':chunk-signature']?.type).toBe('binary');
    expect([...decoded.body]).toEqual([1, 2, 3]);
  });

  it('chains: the same body signed twice gets two different signatures', () => {
    const s = new SigV4EventSigner({ secretAccessKey: 'k', region: 'us-east-1', service: 'bedrock', priorSignature: REQUEST_SIGNATURE });
    const a = s.sign(bodies[1]!, dates[0]!.getTime());
    const first = s.priorSignature;
    const b = s.sign(bodies[1]!, dates[0]!.getTime());
    expect(first).not.toBe(REQUEST_SIGNATURE);
    expect(s.priorSignature).not.toBe(first);
    expect(a.equals(b)).toBe(false);
  });
});

describe('requestSignature', () => {
  it('reads the scope and signature from the Authorization header or a presigned query', () => {
    const authorization = `AWS4-HMAC-SHA256 Credential=AKID/20261201/us-west-2/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=${REQUEST_SIGNATURE}`;
    expect(requestSignature({ authorization }, undefined)).toEqual({ region: 'us-west-2', service: 'bedrock', signature: REQUEST_SIGNATURE });
    expect(requestSignature({}, { 'X-Amz-Credential': 'AKID/20261201/ap-northeast-1/bedrock/aws4_request', 'X-Amz-Signature': 'ab12' })).toEqual({ region: 'ap-northeast-1', service: 'bedrock', signature: 'ab12' });
  });

  it('throws a clear error for an unsigned request', () => {
    expect(() => requestSignature({ authorization: 'Bearer x' }, {})).toThrow(/no SigV4 signature/);
  });
});

describe('eventStreamSigningHandlerProvider', () => {
  it("signs the SDK's message readable into the request body, in order, ending with the signed end frame", async () => {
    const handler = eventStreamSigningHandlerProvider({ credentials: async () => ({ secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' }) });
    const request = {
      body: Readable.from(bodies) as unknown,
      headers: { authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/eu-north-1/bedrock/aws4_request, SignedHeaders=host, Signature=${REQUEST_SIGNATURE}` },
    };
    const written: Buffer[] = [];
    await handler.handle(async ({ request: r }) => {
      const sink = new PassThrough();
      sink.on('data', (b: Buffer) => written.push(b));
      await new Promise((resolve) => (r.body as Readable).pipe(sink).on('finish', resolve));
      return 'ok';
    }, { request });
    const all = Buffer.concat(written);
    const messages = [];
    for (let at = 0; at < all.length; at += all.readUInt32BE(at)) messages.push(codec.decode(all.subarray(at, at + all.readUInt32BE(at))));
    expect(messages.map((m) => m.body.length)).toEqual(bodies.map((b) => b.length));
    // Each envelope verifies against the SDK's signer, chained from the request signature.
    const signer = new SignatureV4({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' }, region: 'eu-north-1', service: 'bedrock', sha256: Sha256 });
    let prior = REQUEST_SIGNATURE;
    for (const m of messages) {
      const date = m.headers[':date']!.value as Date;
      const { signature } = await signer.signMessage({ message: { body: m.body, headers: { ':date': { type: 'timestamp', value: date } } }, priorSignature: prior }, { signingDate: date });
      expect(Buffer.from(m.headers[':chunk-signature']!.value as Uint8Array).toString('hex')).toBe(signature);
      prior = signature;
    }
  });

  it('refuses a payload that is not a stream, and a client without credentials', async () => {
    const request = { body: 'x' as unknown, headers: {} };
    await expect(eventStreamSigningHandlerProvider({}).handle(async () => 'never', { request })).rejects.toThrow(/Readable/);
    const signed = { body: Readable.from([]) as unknown, headers: { authorization: `AWS4-HMAC-SHA256 Credential=A/20261201/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=${REQUEST_SIGNATURE}` } };
    await expect(eventStreamSigningHandlerProvider({}).handle(async () => 'never', { request: signed })).rejects.toThrow(/credentials/);
  });
});
