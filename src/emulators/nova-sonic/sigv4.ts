/**
 * SigV4 checks the Bedrock emulator makes, with `@smithy/signature-v4` (the signer the SDK itself
 * uses) re-signing what the client sent (bedrock-wire.md §5):
 * - the request: the access key, the credential scope (region, service `bedrock`), the request
 *   time against the server's clock, then `Authorization` over the signed headers (`:authority`
 *   in place of `host`), payload hash `STREAMING-AWS4-HMAC-SHA256-EVENTS`; each refusal with
 *   Bedrock's HTTP status, error type and message;
 * - every event envelope: a chain seeded with the request signature, each `:chunk-signature`
 *   signing the `:date` header and the envelope payload.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { parseAuthorization, type ParsedAuthorization } from '../../models/nova-sonic/event-signing.js';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const toBytes = (d: SourceData): Uint8Array =>
  typeof d === 'string' ? Buffer.from(d) : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d);

/** SHA-256 (and HMAC-SHA-256 with a secret) for `@smithy/signature-v4` on node:crypto (the pure-JS one costs about twice the CPU). */
export class NodeSha256 {
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

/** What the server expects of a request's credential scope and time. */
export interface SigningExpectations {
  /** Region the endpoint serves (a credential scoped to another is refused). */
  region: string;
  /** The server's wall clock now, ms since the epoch. */
  nowEpochMs: number;
  /** Largest accepted difference between `x-amz-date` and `nowEpochMs`, ms (Bedrock: 5 minutes). */
  maxClockSkewMs: number;
}

/**
 * Why a request was refused, as Bedrock answers it: HTTP status, the `x-amzn-errortype` shape name
 * (the SDK turns it into `err.name`) and the `{"message"}` text.
 */
export interface AuthRefusal {
  ok: false;
  status: number;
  type: string;
  message: string;
}

/** Outcome of the request check. */
export type RequestCheck = { ok: true; auth: ParsedAuthorization; secretAccessKey: string } | AuthRefusal;

/** The signing service of Bedrock Runtime (protocols.md §1.1). */
export const SIGNING_SERVICE = 'bedrock';

/**
 * Bedrock's messages for refused signatures. Sources: AWS answers quoted in public issues —
 * aws-sdk-js#254, anthropic-sdk-go#122 and bedrock-access-gateway#163 (`Signature expired: … -
 * 5 min.)`, the latter two from Bedrock itself, 403), the smithy-rs SigV4 error docs (`Signature
 * not yet current`), elastic/kibana#218244 and earendil-works/pi#3487 (Bedrock: 403
 * `InvalidSignatureException` "Credential should be scoped to a valid region."),
 * cllunsford/aws-signing-proxy#25 (the service wording), and a recorded Bedrock 403
 * `UnrecognizedClientException` response used as a test fixture in a public repository.
 */
export const AUTH_MESSAGES = {
  signatureMismatch: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  unknownKey: 'The security token included in the request is invalid.',
  wrongRegion: 'Credential should be scoped to a valid region.',
  wrongService: `Credential should be scoped to correct service: '${SIGNING_SERVICE}'.`,
  missing: 'Missing Authentication Token',
} as const;

/** `Date` → `20261121T062735Z` (SigV4 basic ISO 8601, seconds). */
export function formatAmzDate(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(/[-:]/g, '').replace('.000', '');
}

/**
 * The clock-skew refusal for a request signed at `signedMs` seen at `nowMs` (both ms since the
 * epoch), or undefined when within `maxSkewMs`. Wording as AWS answers (see `AUTH_MESSAGES`):
 * `Signature expired: <signed> is now earlier than <now - window> (<now> - 5 min.)` and
 * `Signature not yet current: <signed> is still later than <now + window> (<now> + 5 min.)`.
 */
export function clockSkewMessage(signedMs: number, nowMs: number, maxSkewMs: number): string | undefined {
  const minutes = `${Math.round(maxSkewMs / 60_000)} min.`;
  if (signedMs < nowMs - maxSkewMs) return `Signature expired: ${formatAmzDate(signedMs)} is now earlier than ${formatAmzDate(nowMs - maxSkewMs)} (${formatAmzDate(nowMs)} - ${minutes})`;
  if (signedMs > nowMs + maxSkewMs) return `Signature not yet current: ${formatAmzDate(signedMs)} is still later than ${formatAmzDate(nowMs + maxSkewMs)} (${formatAmzDate(nowMs)} + ${minutes})`;
  return undefined;
}

const refuse = (status: number, type: string, message: string): AuthRefusal => ({ ok: false, status, type, message });

/**
 * Verifies the request signature against `credentials` (access key id → secret) and `expect`, in
 * this order: header present and well formed, access key known (`UnrecognizedClientException`),
 * credential scoped to `expect.region` and `bedrock`, scope date equal to `x-amz-date`, request
 * time within `expect.maxClockSkewMs` of the server's clock, then the signature itself (all
 * `InvalidSignatureException`, HTTP 403). Never throws; a refusal carries Bedrock's status, type
 * and message.
 */
export async function verifyRequestSignature(req: ReceivedRequest, credentials: ReadonlyMap<string, string>, expect: SigningExpectations): Promise<RequestCheck> {
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  const raw = header('authorization');
  if (!raw) return refuse(403, 'MissingAuthenticationTokenException', AUTH_MESSAGES.missing);
  const auth = parseAuthorization(raw);
  if (!auth) return refuse(400, 'IncompleteSignatureException', `Authorization header is not a well-formed AWS4-HMAC-SHA256 header: Credential, SignedHeaders and Signature are required.`);
  const secretAccessKey = credentials.get(auth.accessKeyId);
  if (secretAccessKey === undefined) return refuse(403, 'UnrecognizedClientException', AUTH_MESSAGES.unknownKey);
  if (auth.region !== expect.region) return refuse(403, 'InvalidSignatureException', AUTH_MESSAGES.wrongRegion);
  if (auth.service !== SIGNING_SERVICE) return refuse(403, 'InvalidSignatureException', AUTH_MESSAGES.wrongService);
  const amzDate = header('x-amz-date');
  const date = parseAmzDate(amzDate);
  if (!date) return refuse(400, 'IncompleteSignatureException', 'Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
  if (amzDate!.slice(0, 8) !== auth.shortDate) return refuse(403, 'InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.shortDate}' != '${amzDate!.slice(0, 8)}', from '${amzDate}'.`);
  const skew = clockSkewMessage(date.getTime(), expect.nowEpochMs, expect.maxClockSkewMs);
  if (skew) return refuse(403, 'InvalidSignatureException', skew);
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const v = header(name);
    if (v === undefined) return refuse(403, 'InvalidSignatureException', AUTH_MESSAGES.signatureMismatch);
    headers[name] = v;
  }
  const authority = header(':authority') ?? '';
  const sessionToken = header('x-amz-security-token');
  const signer = new SignatureV4({ credentials: { accessKeyId: auth.accessKeyId, secretAccessKey, sessionToken }, region: auth.region, service: SIGNING_SERVICE, sha256: NodeSha256, uriEscapePath: true });
  const signed = await signer.sign(
    { method: req.method, protocol: `${req.scheme}:`, hostname: authority.replace(/:\d+$/, ''), path: req.path, query: {}, headers },
    { signingDate: date, signingRegion: auth.region, signingService: SIGNING_SERVICE, signableHeaders: new Set(auth.signedHeaders) },
  );
  const expected = parseAuthorization(String(signed.headers.authorization))?.signature;
  if (expected !== auth.signature) return refuse(403, 'InvalidSignatureException', AUTH_MESSAGES.signatureMismatch);
  return { ok: true, auth, secretAccessKey };
}

/** Verifies the chain of event signatures of one stream. */
export class EventSignatureChain {
  private prior: string;
  private readonly signer: SignatureV4;

  constructor(private readonly check: { auth: ParsedAuthorization; secretAccessKey: string }) {
    this.prior = check.auth.signature;
    this.signer = new SignatureV4({ credentials: { accessKeyId: check.auth.accessKeyId, secretAccessKey: check.secretAccessKey }, region: check.auth.region, service: SIGNING_SERVICE, sha256: NodeSha256, uriEscapePath: true });
  }

  /**
   * Checks one envelope: `date` from its `:date` header, `signature` its `:chunk-signature`,
   * `payload` the envelope body. Returns whether it matched; the chain advances either way.
   */
  async verify(date: Date, signature: Uint8Array, payload: Uint8Array): Promise<boolean> {
    const { signature: expected } = await this.signer.signMessage(
      { message: { headers: { ':date': { type: 'timestamp', value: date } }, body: payload }, priorSignature: this.prior },
      { signingDate: date, signingRegion: this.check.auth.region, signingService: SIGNING_SERVICE },
    );
    const got = Buffer.from(signature).toString('hex');
    this.prior = got;
    return got === expected;
  }
}
