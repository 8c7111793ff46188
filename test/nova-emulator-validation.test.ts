/**
 * What the Bedrock emulator validates, and what it deliberately lets through, seen through the real
 * AWS SDK: a voice of the other model, audio that is not `audio/lpcm`, text that is not
 * `text/plain` and a `maxTokens` below 1 end the stream with a mid-stream `ValidationException`
 * (thrown from the SDK's `for await`, `$fault` client), logged with its type and message; the
 * history shape of AWS's resume-conversation sample, odd-length audio and a `sessionEnd` with the
 * prompt still open are accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ev from '../src/models/nova-sonic/events.js';
import type { NovaEmulator } from '../src/emulators/nova-sonic/server.js';
import { RecordingLogger } from './fakes/logger.js';
import { nameOf, runScript, type RawRun } from './helpers/bedrock-raw.js';
import { startEmulator } from './helpers/nova.js';

const NOVA2 = 'amazon.nova-2-sonic-v1:0';
const NOVA1 = 'amazon.nova-sonic-v1:0';
const inference = { maxTokens: 1024, topP: 0.9, temperature: 0.7 };
/** sessionStart (endpointing HIGH, or none for Nova Sonic v1), promptStart with `voiceId`, the system prompt. */
const head = (voiceId = 'tiffany', endpointing: 'HIGH' | 'none' = 'HIGH') => [ev.sessionStart(inference, endpointing === 'none' ? undefined : endpointing), ev.promptStart('p', { rateHz: 24000, voiceId }, []), ...ev.textBlock('p', 's', 'SYSTEM', false, ['You are a test.'])];
const close = (audio?: string) => ev.closingSequence('p', audio);

let emulator: NovaEmulator;
const logger = new RecordingLogger();

beforeAll(async () => {
  emulator = await startEmulator({ logger });
});
afterAll(async () => {
  await emulator.close();
});

/** Expects the run ended by a mid-stream ValidationException matching `message`, recorded and logged. */
function expectValidationError(run: RawRun, message: RegExp): void {
  expect(run.error?.name).toBe('ValidationException');
  expect(run.error?.message).toMatch(message);
  expect((run.error as { $fault?: string }).$fault).toBe('client');
  const record = emulator.streams.at(-1)!;
  expect(record).toMatchObject({ endReason: 'validation', exception: { type: 'validationException', message: run.error!.message } });
  expect(logger.lines.some((l) => l.level === 'warn' && l.fields.exception === 'validationException' && l.fields.message === run.error!.message && l.fields.stream === record.n)).toBe(true);
}

describe('validation the emulator does, as Bedrock does', () => {
  it("refuses a Nova 2 voice on Nova Sonic v1 ('tina'; v1's German voice is 'greta')", async () => {
    const run = await runScript(emulator.url, [...head('tina', 'none'), ...close()], { modelId: NOVA1 });
    expectValidationError(run, /voiceId tina is not a voice of amazon\.nova-sonic-v1:0/);
  });

  it("refuses a v1-only voice on Nova 2 ('greta')", async () => {
    const run = await runScript(emulator.url, [...head('greta'), ...close()], { modelId: NOVA2 });
    expectValidationError(run, /voiceId greta is not a voice of amazon\.nova-2-sonic-v1:0/);
  });

  it('accepts the voices each model documents', async () => {
    for (const [modelId, voiceId] of [[NOVA1, 'greta'], [NOVA2, 'tina'], [NOVA2, 'arjun'], [NOVA1, 'matthew']] as const) {
      const run = await runScript(emulator.url, [...head(voiceId, modelId === NOVA2 ? 'HIGH' : 'none'), ...close()], { modelId });
      expect(run.error, `${modelId} ${voiceId}`).toBeUndefined();
      expect(emulator.streams.at(-1)!.endReason).toBe('session-end');
    }
  });

  it('refuses input audio that is not audio/lpcm', async () => {
    const start = ev.audioContentStart('p', 'a', 16000) as { event: { contentStart: { audioInputConfiguration: Record<string, unknown> } } };
    start.event.contentStart.audioInputConfiguration.mediaType = 'audio/ogg';
    const run = await runScript(emulator.url, [...head(), start, ...close('a')]);
    expectValidationError(run, /audioInputConfiguration\.mediaType must be audio\/lpcm/);
  });

  it('refuses input audio at a rate Nova does not take', async () => {
    const run = await runScript(emulator.url, [...head(), ev.audioContentStart('p', 'a', 44100 as 16000), ...close('a')]);
    expectValidationError(run, /8000, 16000 or 24000 Hz/);
  });

  it('refuses text input that is not text/plain', async () => {
    const block = ev.textContentStart('p', 'h', 'USER', false) as { event: { contentStart: { textInputConfiguration: { mediaType: string } } } };
    block.event.contentStart.textInputConfiguration.mediaType = 'text/markdown';
    const run = await runScript(emulator.url, [...head(), block, ...close()]);
    expectValidationError(run, /textInputConfiguration\.mediaType must be text\/plain/);
  });

  it('refuses maxTokens below 1 or not an integer (the user guide states no upper bound)', async () => {
    for (const maxTokens of [0, 2.5]) {
      const run = await runScript(emulator.url, [ev.sessionStart({ ...inference, maxTokens }, 'HIGH'), ...close()]);
      expectValidationError(run, /maxTokens must be a positive integer/);
    }
    const big = await runScript(emulator.url, [ev.sessionStart({ ...inference, maxTokens: 65_536 }, 'HIGH'), ev.promptStart('p', { rateHz: 24000, voiceId: 'tiffany' }, []), ...close()]);
    expect(big.error).toBeUndefined();
  });
});

describe('what the emulator lets through', () => {
  it("accepts the history of AWS's resume-conversation sample: no role on contentStart, the role on textInput", async () => {
    const history = (name: string, role: string, content: string) => [
      { event: { contentStart: { promptName: 'p', contentName: name, type: 'TEXT', interactive: false, textInputConfiguration: { mediaType: 'text/plain' } } } },
      { event: { textInput: { promptName: 'p', contentName: name, content, role } } },
      ev.contentEnd('p', name),
    ];
    const run = await runScript(emulator.url, [...head(), ...history('h1', 'USER', 'I booked a room.'), ...history('h2', 'ASSISTANT', 'Which date?'), ev.audioContentStart('p', 'a', 16000), ev.audioInput('p', 'a', new Int16Array(320)), ...close('a')]);
    expect(run.error).toBeUndefined();
    expect(emulator.streams.at(-1)).toMatchObject({ endReason: 'session-end', validationErrors: [] });
  });

  it('accepts odd-length audioInput: the odd byte joins the next chunk, no sample is lost', async () => {
    const bytes = Buffer.alloc(6401, 0); // 3200.5 samples, sent in chunks of 7 bytes
    const chunks = [];
    for (let at = 0; at < bytes.length; at += 7) chunks.push({ event: { audioInput: { promptName: 'p', contentName: 'a', content: bytes.subarray(at, at + 7).toString('base64') } } });
    const run = await runScript(emulator.url, [...head(), ev.audioContentStart('p', 'a', 16000), ...chunks, ...close('a')]);
    expect(run.error).toBeUndefined();
    const record = emulator.streams.at(-1)!;
    expect(record.endReason).toBe('session-end');
    expect(record.conversation!.stats.audioInputSamples).toBe(3200);
  });

  it('ends the session on sessionEnd with the prompt and audio still open: completionEnd, then the end of the stream', async () => {
    const typed = ev.textBlock('p', 't', 'USER', true, ['hello']);
    let ended = false;
    const run = await runScript(emulator.url, [...head(), ev.audioContentStart('p', 'a', 16000), ...typed], {
      // Once the typed text has been answered, end the session without contentEnd or promptEnd.
      onEvent: (e) => {
        if (ended || nameOf(e) !== 'usageEvent' || !(Number(e.event.usageEvent.totalOutputTokens) > 0)) return undefined;
        ended = true;
        return [ev.sessionEnd()];
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.events.map(nameOf).at(-1)).toBe('completionEnd');
    expect(emulator.streams.at(-1)).toMatchObject({ endReason: 'session-end', exception: undefined });
  });
});
