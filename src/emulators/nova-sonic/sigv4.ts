/**
 * SigV4 checks the Bedrock emulator makes, with `@smithy/signature-v4` (the signer the SDK itself
 * uses) re-signing what the client sent (bedrock-wire.md §5):
 * - the request: `Authorization` over the signed headers (`:authority` in place of `host`), payload
 *   hash `STREAMING-AWS4-HMAC-SHA256-EVENTS`, service `bedrock`;
 * - every event envelope: a chain seeded with the request signature, each `:chunk-signature`
 *   signing the `:date` header and the envelope payload.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

/** SHA-256 for the signer on node:crypto (the pure-JS one costs about twice the CPU). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const toBytes = (d: SourceData): Uint8Array =>
  typeof d === 'string' ? Buffer.from(d) : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);

class NodeSha256 {
  private h: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.h = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.secret));
  }
  update(data: SourceData): void {
    this.h.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.fresh();
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

/** `20261121T062735Z` → Date; undefined when malformed. */
export function parseAmzDate(value: string | undefined): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : undefined;
}

/** The request as the server received it. */
export interface ReceivedRequest {
  method: string;
  scheme: string;
  /** Raw `:path` (still percent-encoded). */
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Outcome of the request check. */
export type RequestCheck = { ok: true; auth: ParsedAuthorization; secretAccessKey: string } | { ok: false; message: string };

/**
 * Verifies the request signature against `credentials` (access key id → secret).
 * Never throws; a mismatch, unknown key or malformed header gives `ok: false` with the reason.
 */
export async function verifyRequestSignature(req: ReceivedRequest, credentials: ReadonlyMap<string, string>): Promise<RequestCheck> {
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const auth = parseAuthorization(header('authorization'));
  if (!auth) return { ok: false, message: 'Authorization header is missing or is not AWS4-HMAC-SHA256' };
  const secretAccessKey = credentials.get(auth.accessKeyId);
  if (secretAccessKey === undefined) return { ok: false, message: `The security token included in the request is invalid (unknown access key ${auth.accessKeyId})` };
  const date = parseAmzDate(header('x-amz-date'));
  if (!date) return { ok: false, message: 'x-amz-date is missing or malformed' };
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const v = header(name);
    if (v === undefined) return { ok: false, message: `signed header ${name} is missing` };
    headers[name] = v;
  }
  const authority = header(':authority') ?? '';
  const sessionToken = header('x-amz-security-token');
  const signer = new SignatureV4({ credentials: { accessKeyId: auth.accessKeyId, secretAccessKey, sessionToken }, region: auth.region, service: 'bedrock', sha256: NodeSha256, uriEscapePath: true });
  const signed = await signer.sign(
    { method: req.method, protocol: `${req.scheme}:`, hostname: authority.replace(/:\d+$/, ''), path: req.path, query: {}, headers },
    { signingDate: date, signingRegion: auth.region, signingService: 'bedrock', signableHeaders: new Set(auth.signedHeaders) },
  );
  const expected = parseAuthorization(String(signed.headers.authorization))?.signature;
  if (expected !== auth.signature) return { ok: false, message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.' };
  return { ok: true, auth, secretAccessKey };
}

/** Verifies the chain of event signatures of one stream. */
export class EventSignatureChain {
  private prior: string;
  private readonly signer: SignatureV4;

  constructor(private readonly check: { auth: ParsedAuthorization; secretAccessKey: string }) {
    this.prior = check.auth.signature;
    this.signer = new SignatureV4({ credentials: { accessKeyId: check.auth.accessKeyId, secretAccessKey: check.secretAccessKey }, region: check.auth.region, service: 'bedrock', sha256: NodeSha256, uriEscapePath: true });
  }

  /**
   * Checks one envelope: `date` from its `:date` header, `signature` its `:chunk-signature`,
   * `payload` the envelope body. Returns whether it matched; the chain advances either way.
   */
  async verify(date: Date, signature: Uint8Array, payload: Uint8Array): Promise<boolean> {
    const { signature: expected } = await this.signer.signMessage(
      { message: { headers: { ':date': { type: 'timestamp', value: date } }, body: payload }, priorSignature: this.prior },
      { signingDate: date, signingRegion: this.check.auth.region, signingService: 'bedrock' },
    );
    const got = Buffer.from(signature).toString('hex');
    this.prior = got;
    return got === expected;
  }
}
