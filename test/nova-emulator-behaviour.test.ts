/**
 * How the Bedrock emulator behaves, seen through the real AWS SDK: the caller's turn ends after
 * the pause of the session's endpointing sensitivity (HIGH 1.5 s, MEDIUM 1.75 s, LOW 2 s; MEDIUM
 * when none is given, and on Nova Sonic v1) — told apart by whether two bursts of speech a given gap
 * apart are answered as one turn or two, from the audio alone, not from timing; each sentence gets
 * its SPECULATIVE text, AUDIO block and FINAL text; `usageEvent` carries `delta` and `total`; and
 * the idle-input timeout is the model's (295 s on Nova 2, 175 s on v1), counted from the last
 * interactive content — silent audio does not count — on a fake clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../src/core/clock.js';
import { echoBrainFactory } from '../src/emulators/nova-sonic/brains.js';
import type { NovaEmulator } from '../src/emulators/nova-sonic/server.js';
import * as ev from '../src/models/nova-sonic/events.js';
import { RecordingLogger } from './fakes/logger.js';
import { scriptedBrain } from './fakes/scripted-brain.js';
import { InputFeed, nameOf, runScript, type OutputEvent } from './helpers/bedrock-raw.js';
import { startEmulator } from './helpers/nova.js';
import { eventually } from './helpers/wait.js';

const NOVA2 = 'amazon.nova-2-sonic-v1:0';
const NOVA1 = 'amazon.nova-sonic-v1:0';
type Sensitivity = 'HIGH' | 'MEDIUM' | 'LOW' | undefined;
const head = (endpointing: Sensitivity) => [ev.sessionStart({ maxTokens: 1024, topP: 0.9, temperature: 0.7 }, endpointing), ev.promptStart('p', { rateHz: 24000, voiceId: 'matthew' }, []), ...ev.textBlock('p', 's', 'SYSTEM', false, ['You are a test.']), ev.audioContentStart('p', 'a', 16000)];

/** 20 ms frames at 16 kHz: `ms` of a 300 Hz tone, or of silence. */
function frames(ms: number, loud: boolean): unknown[] {
  return Array.from({ length: ms / 20 }, (_, k) => ev.audioInput('p', 'a', new Int16Array(320).map((_, i) => (loud ? Math.round(8000 * Math.sin((2 * Math.PI * 300 * (k * 320 + i)) / 16000)) : 0))));
}

/**
 * Blocks of the assistant's answer in order: `TEXT:<stage>:<text>:<stopReason>` or
 * `AUDIO:<ms, to 10 ms (the 16 → 24 kHz resampler holds back a few samples)>:<stopReason>`.
 */
function assistantBlocks(events: readonly OutputEvent[]): string[] {
  const open = new Map<string, { label: string; text: string; samples: number }>();
  const out: string[] = [];
  for (const e of events) {
    const [name, body] = [nameOf(e), Object.values(e.event)[0]];
    const id = String(body.contentId);
    if (name === 'contentStart' && body.role === 'ASSISTANT') {
      const stage = body.type === 'TEXT' ? `:${JSON.parse(String(body.additionalModelFields)).generationStage}` : '';
      open.set(id, { label: `${String(body.type)}${stage}`, text: '', samples: 0 });
    } else if (name === 'textOutput' && open.has(id)) open.get(id)!.text += String(body.content);
    else if (name === 'audioOutput' && open.has(id)) open.get(id)!.samples += Buffer.from(String(body.content), 'base64').length / 2;
    else if (name === 'contentEnd' && open.has(id)) {
      const b = open.get(id)!;
      out.push(b.label === 'AUDIO' ? `AUDIO:${Math.round(b.samples / 240) * 10}:${String(body.stopReason)}` : `${b.label}:${b.text}:${String(body.stopReason)}`);
      open.delete(id);
    }
  }
  return out;
}

let emulator: NovaEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe('endpointing: the pause that ends the caller turn follows endpointingSensitivity', () => {
  // [model, sensitivity, gap between two 400 ms bursts (ms), answered as two turns?]
  const cases: Array<[string, Sensitivity, number, boolean]> = [
    [NOVA2, 'HIGH', 1600, true],
    [NOVA2, 'MEDIUM', 1600, false],
    [NOVA2, 'MEDIUM', 1900, true],
    [NOVA2, 'LOW', 1900, false],
    [NOVA2, 'LOW', 2200, true],
    [NOVA2, undefined, 1600, false],
    [NOVA2, undefined, 1900, true],
    [NOVA1, undefined, 1600, false],
    [NOVA1, undefined, 1900, true],
  ];
  for (const [modelId, sensitivity, gapMs, split] of cases) {
    it(`${modelId === NOVA1 ? 'Nova Sonic v1' : 'Nova 2'}, ${sensitivity ?? 'no setting'}: a ${gapMs} ms gap ${split ? 'ends' : 'does not end'} the turn`, async () => {
      emulator = await startEmulator({ brain: echoBrainFactory(5000) });
      const speech = [...frames(400, true), ...frames(gapMs, false), ...frames(400, true), ...frames(2600, false)];
      const firstAudioEnd = (events: readonly OutputEvent[]) => events.some((e) => nameOf(e) === 'contentEnd' && e.event.contentEnd.type === 'AUDIO');
      const run = await runScript(emulator.url, [...head(sensitivity), ...speech], { modelId, endInputWhen: firstAudioEnd });
      expect(run.error).toBeUndefined();
      // The first answer echoes the first turn: one burst when the gap ended it, both bursts and the gap when not.
      const firstReplyMs = Number(assistantBlocks(run.events).find((b) => b.startsWith('AUDIO'))!.split(':')[1]);
      if (split) expect(firstReplyMs).toBeLessThan(1000);
      else expect(firstReplyMs).toBeGreaterThan(400 + gapMs);
    });
  }
});

describe("the assistant's answer, sentence by sentence", () => {
  it('sends SPECULATIVE text, an AUDIO block and FINAL text per sentence; the last ones END_TURN', async () => {
    emulator = await startEmulator({ brain: scriptedBrain(['First sentence.', 'Second one?', 'Third!']) });
    const typed = ev.textBlock('p', 't', 'USER', true, ['hello']);
    const done = (events: readonly OutputEvent[]) => events.some((e) => nameOf(e) === 'contentEnd' && e.event.contentEnd.stopReason === 'END_TURN' && e.event.contentEnd.type === 'TEXT');
    const run = await runScript(emulator.url, [...head('HIGH'), ...typed], { endInputWhen: done });
    expect(run.error).toBeUndefined();
    expect(assistantBlocks(run.events)).toEqual([
      'TEXT:SPECULATIVE:First sentence.:PARTIAL_TURN',
      'AUDIO:200:PARTIAL_TURN',
      'TEXT:FINAL:First sentence.:PARTIAL_TURN',
      'TEXT:SPECULATIVE:Second one?:PARTIAL_TURN',
      'AUDIO:200:PARTIAL_TURN',
      'TEXT:FINAL:Second one?:PARTIAL_TURN',
      'TEXT:SPECULATIVE:Third!:PARTIAL_TURN',
      'AUDIO:200:END_TURN',
      'TEXT:FINAL:Third!:END_TURN',
    ]);
  });

  it('reports usage with delta (since the last usageEvent) and total (running), and session totals', async () => {
    emulator = await startEmulator({ brain: scriptedBrain(['One.', 'Two.']) });
    const feed = new InputFeed();
    let answers = 0;
    const run = await runScript(emulator.url, [...head('HIGH'), ...ev.textBlock('p', 't1', 'USER', true, ['first question'])], {
      feed,
      onEvent: (e) => {
        if (nameOf(e) === 'contentEnd' && e.event.contentEnd.stopReason === 'END_TURN' && e.event.contentEnd.type === 'TEXT' && ++answers === 1) feed.push(...ev.textBlock('p', 't2', 'USER', true, ['second question']));
        return undefined;
      },
      endInputWhen: (events) => answers === 2 && nameOf(events.at(-1)!) === 'usageEvent',
    });
    expect(run.error).toBeUndefined();
    type Counts = { input: { speechTokens: number; textTokens: number }; output: { speechTokens: number; textTokens: number } };
    const usage = run.events.filter((e) => nameOf(e) === 'usageEvent').map((e) => e.event.usageEvent as unknown as { details: { delta: Counts; total: Counts }; totalInputTokens: number; totalOutputTokens: number; totalTokens: number });
    expect(usage.length).toBeGreaterThanOrEqual(4);
    let previous: Counts = { input: { speechTokens: 0, textTokens: 0 }, output: { speechTokens: 0, textTokens: 0 } };
    for (const u of usage) {
      for (const side of ['input', 'output'] as const) {
        for (const kind of ['speechTokens', 'textTokens'] as const) expect(u.details.total[side][kind]).toBe(previous[side][kind] + u.details.delta[side][kind]);
      }
      expect(u.totalInputTokens).toBe(u.details.total.input.speechTokens + u.details.total.input.textTokens);
      expect(u.totalOutputTokens).toBe(u.details.total.output.speechTokens + u.details.total.output.textTokens);
      expect(u.totalTokens).toBe(u.totalInputTokens + u.totalOutputTokens);
      previous = u.details.total;
    }
    expect(previous.output.textTokens).toBeGreaterThan(0);
    expect(usage.some((u) => u.details.delta.output.speechTokens > 0)).toBe(true);
  });
});

describe('the idle-input timeout of each model (fake clock)', () => {
  /** Starts a stream on a fake clock; resolves the live record once `events` input events arrived. */
  async function idleStream(modelId: string, sensitivity: Sensitivity) {
    const clock = new FakeClock();
    const logger = new RecordingLogger();
    // A session limit beyond every gap here, so only the idle timeout can end the stream.
    emulator = await startEmulator({ clock, logger, sessionLimitMs: 3_600_000 });
    const feed = new InputFeed();
    const input = [...head(sensitivity), ...frames(100, false)];
    const pending = runScript(emulator.url, input, { modelId, feed });
    const record = await eventually(() => (emulator!.streams.at(-1)?.eventsIn === input.length ? emulator!.streams.at(-1) : undefined), 'the stream to take its input');
    /** Sends `more` and waits until the emulator has taken it. */
    const send = async (more: unknown[]) => {
      const want = record.eventsIn + more.length;
      feed.push(...more);
      await eventually(() => record.eventsIn === want, 'the emulator to take the input');
    };
    return { clock, logger, record, send, pending };
  }

  for (const [modelId, sensitivity, idleS] of [[NOVA2, 'HIGH', 295], [NOVA1, undefined, 175]] as const) {
    it(`${modelId}: ends the stream after ${idleS} s without interactive content; silent audio does not count`, async () => {
      const { clock, logger, record, send, pending } = await idleStream(modelId, sensitivity);
      clock.advance(100_000);
      await send(frames(200, false)); // silence: the gap goes on
      clock.advance((idleS - 100) * 1000 - 1);
      expect(record.endReason).toBeUndefined();
      clock.advance(1);
      expect(record.endReason).toBe('idle-timeout');
      const run = await pending;
      expect(run.error?.name).toBe('ValidationException');
      expect(run.error?.message).toBe(`InternalErrorCode=531: Timed out waiting for input events. Please ensure gaps between audio bytes and interactive content are less than ${idleS} seconds.`);
      expect(logger.lines.some((l) => l.fields.exception === 'validationException' && l.fields.endReason === 'idle-timeout' && l.fields.message === run.error!.message)).toBe(true);
    });
  }

  it('ends the stream at the session limit (8 minutes) with ModelTimeoutException, logged', async () => {
    const clock = new FakeClock();
    const logger = new RecordingLogger();
    emulator = await startEmulator({ clock, logger });
    const feed = new InputFeed();
    const input = [...head('HIGH'), ...frames(200, true)];
    const pending = runScript(emulator.url, input, { feed });
    const record = await eventually(() => (emulator!.streams.at(-1)?.eventsIn === input.length ? emulator!.streams.at(-1) : undefined), 'the stream to take its input');
    clock.advance(250_000);
    feed.push(...frames(200, true)); // speech keeps the idle timeout away
    await eventually(() => record.eventsIn === input.length + 10, 'the emulator to take the speech');
    clock.advance(229_999);
    expect(record.endReason).toBeUndefined();
    clock.advance(1);
    const run = await pending;
    expect(run.error?.name).toBe('ModelTimeoutException');
    expect(record).toMatchObject({ endReason: 'session-limit', exception: { type: 'modelTimeoutException', message: 'Model has timed out in processing the request. Try your request again.' } });
    expect(logger.lines.some((l) => l.level === 'warn' && l.fields.exception === 'modelTimeoutException' && l.fields.endReason === 'session-limit')).toBe(true);
  });

  it('speech and typed text restart the gap', async () => {
    const { clock, record, send, pending } = await idleStream(NOVA2, 'HIGH');
    clock.advance(200_000);
    await send(frames(200, true)); // speech at 200 s
    clock.advance(294_999);
    expect(record.endReason).toBeUndefined();
    await send(ev.textBlock('p', 't', 'USER', true, ['still here'])); // typed text at 494.999 s
    clock.advance(294_999);
    expect(record.endReason).toBeUndefined();
    clock.advance(1);
    expect(record.endReason).toBe('idle-timeout');
    expect((await pending).error?.name).toBe('ValidationException');
  });
});
