/**
 * The Bedrock emulator refuses requests as Bedrock does, seen through the real AWS SDK: a wrong
 * secret, an unknown access key, a request signed too far from the server's clock (either way),
 * and a credential scoped to another region or service each reject `send()` with Bedrock's HTTP
 * status, error type (`err.name`) and message; nothing is opened, and the refusal is logged with
 * its type and message. The server's wall clock is injected, so no test waits for time to pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as ev from '../src/models/nova-sonic/events.js';
import type { NovaEmulator, NovaEmulatorOptions } from '../src/emulators/nova-sonic/server.js';
import { formatAmzDate } from '../src/emulators/nova-sonic/sigv4.js';
import { RecordingLogger } from './fakes/logger.js';
import { runScript, type RawOptions } from './helpers/bedrock-raw.js';
import { startEmulator } from './helpers/nova.js';

const MIN = 60_000;
const SIGNATURE_MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
/** A whole, valid session: the emulator ends it on sessionEnd. */
const SESSION = [ev.sessionStart({ maxTokens: 1024, topP: 0.9, temperature: 0.7 }, 'MEDIUM'), ev.promptStart('p', { rateHz: 24000, voiceId: 'tiffany' }, []), ...ev.textBlock('p', 's', 'SYSTEM', false, ['You are a test.']), ev.promptEnd('p'), ev.sessionEnd()];

let emulator: NovaEmulator | undefined;
let logger: RecordingLogger;

async function start(options: Partial<NovaEmulatorOptions> = {}): Promise<NovaEmulator> {
  logger = new RecordingLogger();
  emulator = await startEmulator({ logger, ...options });
  return emulator;
}

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** Runs a whole session and expects it refused with `status`, `type` and `message`. */
async function expectRefused(options: RawOptions, status: number, type: string, message: string | RegExp): Promise<void> {
  const run = await runScript(emulator!.url, SESSION, options);
  expect(run.events).toEqual([]);
  expect(run.error?.name).toBe(type);
  if (typeof message === 'string') expect(run.error?.message).toBe(message);
  else expect(run.error?.message).toMatch(message);
  expect(run.error?.$metadata?.httpStatusCode).toBe(status);
  const record = emulator!.streams.at(-1)!;
  expect(record).toMatchObject({ endReason: 'auth', exception: { type }, conversation: undefined });
  expect(emulator!.openStreams()).toBe(0);
  // The last refusal logged is this run's (a test may run an earlier one; messages carry the time to the second).
  const line = logger.lines.findLast((l) => l.fields.exception === type);
  expect(line, 'the refusal is logged').toMatchObject({ level: 'warn', fields: { status, exception: type, message: run.error?.message } });
}

describe('the emulator refuses requests as Bedrock does', () => {
  it('accepts the right credentials (the control case)', async () => {
    await start();
    const run = await runScript(emulator!.url, SESSION);
    expect(run.error).toBeUndefined();
    expect(emulator!.streams.at(-1)).toMatchObject({ endReason: 'session-end', exception: undefined });
  });

  it('a wrong secret: 403 InvalidSignatureException with Bedrock message', async () => {
    await start();
    await expectRefused({ secretAccessKey: 'not-the-secret' }, 403, 'InvalidSignatureException', SIGNATURE_MISMATCH);
  });

  it('an unknown access key: 403 UnrecognizedClientException, "The security token included in the request is invalid."', async () => {
    await start();
    await expectRefused({ accessKeyId: 'AKIDNOBODYKNOWS' }, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  });

  it('a request signed 16 minutes before the server clock: "Signature expired"', async () => {
    let now = 0;
    await start({ wallClockMs: () => now });
    now = Date.now() + 16 * MIN; // the server is 16 min ahead of the client
    const run = await runScript(emulator!.url, SESSION);
    const expected = new RegExp(`^Signature expired: \\d{8}T\\d{6}Z is now earlier than ${formatAmzDate(now - 5 * MIN).slice(0, 11)}\\d{4}Z \\(${formatAmzDate(now).slice(0, 11)}\\d{4}Z - 5 min\\.\\)$`);
    expect(run.error?.message).toMatch(expected);
    await expectRefused({}, 403, 'InvalidSignatureException', /^Signature expired: /);
  });

  it("Bedrock's window is 5 minutes: 6 minutes off is refused, 4 minutes off is accepted", async () => {
    let offsetMs = 6 * MIN;
    await start({ wallClockMs: () => Date.now() + offsetMs });
    await expectRefused({}, 403, 'InvalidSignatureException', /^Signature expired: .* - 5 min\.\)$/);
    offsetMs = 4 * MIN;
    const run = await runScript(emulator!.url, SESSION);
    expect(run.error).toBeUndefined();
    expect(emulator!.streams.at(-1)!.endReason).toBe('session-end');
  });

  it('a request signed 16 minutes after the server clock: "Signature not yet current"', async () => {
    await start({ wallClockMs: () => Date.now() - 16 * MIN });
    await expectRefused({}, 403, 'InvalidSignatureException', /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)$/);
  });

  it('a credential scoped to another region: "Credential should be scoped to a valid region."', async () => {
    await start();
    await expectRefused({ region: 'us-west-2' }, 403, 'InvalidSignatureException', 'Credential should be scoped to a valid region.');
  });

  it('an emulator serving another region refuses us-east-1 credentials, and takes its own', async () => {
    await start({ region: 'eu-north-1' });
    await expectRefused({ region: 'us-east-1' }, 403, 'InvalidSignatureException', 'Credential should be scoped to a valid region.');
    const run = await runScript(emulator!.url, SESSION, { region: 'eu-north-1' });
    expect(run.error).toBeUndefined();
  });

  it("a credential scoped to another service: \"Credential should be scoped to correct service: 'bedrock'.\"", async () => {
    await start();
    await expectRefused({ signingName: 'execute-api' }, 403, 'InvalidSignatureException', "Credential should be scoped to correct service: 'bedrock'.");
  });
});
