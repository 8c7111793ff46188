/**
 * Start-up check that the AWS SDK's default credential chain (environment, shared profile, SSO,
 * container or instance role) finds credentials for Nova Sonic, with a time limit so a machine
 * without an instance metadata service does not hold anything up. It only reports; calls still
 * resolve credentials themselves (they may appear later, e.g. after `aws sso login`).
 */
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';

/** Outcome of `checkCredentials`. */
export type CredentialCheck = { ok: true } | { ok: false; reason: string };

/**
 * Resolves `provider` (e.g. a Bedrock client's `config.credentials`) within `timeoutMs`. Never
 * throws: a rejection or the time limit becomes `{ ok: false, reason }`.
 */
export function checkCredentials(provider: () => Promise<unknown>, timeoutMs: number, clock: Clock): Promise<CredentialCheck> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve({ ok: false, reason: `no credentials were found within ${timeoutMs / 1000} s` }), timeoutMs);
    provider().then(
      (creds) => {
        clock.clearTimeout(timer);
        const id = (creds as { accessKeyId?: string } | undefined)?.accessKeyId;
        resolve(id ? { ok: true } : { ok: false, reason: 'the credential chain returned no access key' });
      },
      (err) => {
        clock.clearTimeout(timer);
        resolve({ ok: false, reason: errorMessage(err).split('\n')[0].slice(0, 200) });
      },
    );
  });
}

/** The start-up warning for a failed check, in plain words with the ways to fix it. */
export function missingCredentialsWarning(reason: string): string {
  return (
    `Nova Sonic has no AWS credentials (${reason}): calls will fail until it has some. ` +
    'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE for a profile in ~/.aws, ' +
    'or run where a container or instance role applies; the identity needs bedrock:InvokeModelWithBidirectionalStream.'
  );
}
