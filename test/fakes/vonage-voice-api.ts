/**
 * A local stand-in of Vonage's Voice API for tests: a real HTTP server on 127.0.0.1 that checks the
 * application JWT (RS256 with the application's public key, `application_id` claim) as Vonage does,
 * records each `PUT /v1/calls/{uuid}`, and answers 204, or 404 with Vonage's problem body for a
 * call it does not know, 401 for a bad token.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { importSPKI, jwtVerify } from 'jose';

/** One request the stand-in accepted. */
export interface VoiceApiRequest {
  method: string;
  path: string;
  body: unknown;
}

/** A running stand-in. */
export interface VonageVoiceApi {
  url: string;
  applicationId: string;
  /** PEM private key the SDK signs with. */
  privateKey: string;
  /** Accepted requests. */
  requests: VoiceApiRequest[];
  /** Calls the stand-in knows (others get 404). */
  liveCalls: Set<string>;
  /**
   * Runs before an accepted transfer is answered (Vonage may close the call's WebSocket before its
   * answer to the PUT arrives); the answer waits for it.
   */
  beforeAnswer: ((uuid: string) => Promise<void>) | undefined;
  close(): Promise<void>;
}

/** Starts the stand-in on a free port. */
export async function startVonageVoiceApi(applicationId = 'app-test-1'): Promise<VonageVoiceApi> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const key = await importSPKI(publicKey, 'RS256');
  const requests: VoiceApiRequest[] = [];
  const liveCalls = new Set<string>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      void (async () => {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        try {
          const { payload } = await jwtVerify(token ?? '', key, { algorithms: ['RS256'] });
          if (payload.application_id !== applicationId) throw new Error('wrong application');
        } catch {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'https://developer.nexmo.com/api-errors#unauthorized', title: 'Unauthorized' }));
          return;
        }
        const uuid = /^\/v1\/calls\/([^/]+)$/.exec(req.url ?? '')?.[1];
        if (req.method !== 'PUT' || !uuid || !liveCalls.has(decodeURIComponent(uuid))) {
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ type: 'https://developer.nexmo.com/api-errors/voice#not-found', title: 'Not Found', detail: `Call ${uuid} was not found` }));
          return;
        }
        requests.push({ method: req.method, path: req.url ?? '', body: JSON.parse(raw) });
        await api.beforeAnswer?.(decodeURIComponent(uuid));
        res.writeHead(204).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const api: VonageVoiceApi = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    applicationId,
    privateKey,
    requests,
    liveCalls,
    beforeAnswer: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  return api;
}
