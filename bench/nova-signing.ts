/**
 * Signing one Nova Sonic input event: CPU per event for the AWS SDK's way (`SignatureV4.signMessage`
 * and `EventStreamCodec.encode`, what `@aws-sdk/eventstream-handler-node` runs per event, without its
 * stream plumbing) and for voicebridge's synchronous `SigV4EventSigner`, on an event the size of a
 * 60 ms phone-band audio batch. Both produce the same bytes (src/models/nova-sonic/event-signing.test.ts);
 * the SDK signer hashes with node:crypto (the emulator's `NodeSha256`).
 *
 *   npx tsx bench/nova-signing.ts
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { audioInput } from '../src/models/nova-sonic/events.js';
import { SigV4EventSigner } from '../src/models/nova-sonic/event-signing.js';
import { NodeSha256 as Sha256 } from '../src/emulators/nova-sonic/sigv4.js';

const EVENTS = 20_000;
const codec = new EventStreamCodec(toUtf8, fromUtf8);
// The inner message the SDK hands the signer: a 60 ms, 8 kHz audioInput event in its `chunk` envelope.
const pcm = Int16Array.from({ length: 480 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
const json = Buffer.from(JSON.stringify(audioInput('prompt-1', 'audio-1', pcm))).toString('base64');
const body = codec.encode({ headers: { ':event-type': { type: 'string', value: 'chunk' }, ':message-type': { type: 'string', value: 'event' }, ':content-type': { type: 'string', value: 'application/json' } }, body: fromUtf8(`{"bytes":"${json}"}`) });

/** CPU µs per event (user + system) of `run(EVENTS)`, best of 3 rounds after a warm-up round. */
async function cpuPerEventUs(run: (n: number) => Promise<void> | void): Promise<number> {
  await run(2000);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    await run(EVENTS);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / EVENTS);
  }
  return best;
}

const sdkSigner = new SignatureV4({ credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, region: 'us-east-1', service: 'bedrock', sha256: Sha256 });
const sdk = await cpuPerEventUs(async (n) => {
  let prior = 'ab'.repeat(32);
  for (let i = 0; i < n; i++) {
    const now = new Date();
    const dateHeader = { ':date': { type: 'timestamp' as const, value: now } };
    const { signature } = await sdkSigner.signMessage({ message: { body, headers: dateHeader }, priorSignature: prior }, { signingDate: now });
    prior = signature;
    codec.encode({ headers: { ...dateHeader, ':chunk-signature': { type: 'binary', value: Buffer.from(signature, 'hex') } }, body });
  }
});
const ours = await cpuPerEventUs((n) => {
  const signer = new SigV4EventSigner({ secretAccessKey: 'secret', region: 'us-east-1', service: 'bedrock', priorSignature: 'ab'.repeat(32) });
  for (let i = 0; i < n; i++) signer.sign(body, Date.now());
});
console.log(`event of ${body.length} bytes (60 ms of 8 kHz audio), CPU per event, best of 3 × ${EVENTS}:`);
console.log(`  AWS SDK SignatureV4.signMessage + EventStreamCodec.encode: ${sdk.toFixed(1)} µs`);
console.log(`  SigV4EventSigner.sign:                                     ${ours.toFixed(1)} µs`);
