/**
 * Whole calls through the real server (a child process, `VOICEBRIDGE_MODEL=nova-sonic`) and the
 * real AWS SDK, against the Bedrock emulator speaking with the offline speech pipeline: spoken
 * conversations over Twilio and the browser WebSocket, a tool call round trip, and barge-in on
 * Nova's own interruption signal (local VAD barge-in off).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResamplerFactory, type ResamplerFactory } from '../src/audio/resample.js';
import { voicedMs } from '../src/audio/level.js';
import { simulateCall } from '../src/sim/simulate.js';
import { startEmulatorProcess, startServerProcess, type EmulatorProcess, type ServerProcess } from './helpers/server-process.js';
import { novaServerSettings } from './helpers/nova.js';
import { TestSpeech } from './helpers/speech.js';
import { words } from './helpers/wer.js';

let emulator: EmulatorProcess;
let srv: ServerProcess;
let speech: TestSpeech;
let resamplers: ResamplerFactory;

beforeAll(async () => {
  emulator = await startEmulatorProcess(['--brain', 'speech']);
  // Phone deployments send 8 kHz straight through (no resampling); the emulator then recognizes
  // with its phone-band recognizer.
  srv = await startServerProcess(novaServerSettings(emulator.url, { NOVA_INPUT_RATE_HZ: 8000 }));
  speech = new TestSpeech();
  resamplers = await loadResamplerFactory();
}, 120_000);

afterAll(async () => {
  expect(await srv?.stop()).toBe(0);
  await emulator?.stop();
  await speech?.close();
});

describe.each(['twilio', 'ws'] as const)('a spoken conversation with Nova Sonic via %s', (via) => {
  it('transcribes the caller and answers with audible speech', async () => {
    const input = await speech.say('What is seven plus five?', 'rms');
    const result = await simulateCall({ url: srv.url, via, samples: input, sampleRateHz: 16000, resamplers, maxTailMs: 15_000 });
    const user = result.transcript.filter((t) => t.role === 'user').map((t) => t.text).join(' ');
    const assistant = result.transcript.filter((t) => t.role === 'assistant').map((t) => t.text).join(' ');
    expect(words(user), `caller transcript "${user}"`).toEqual(expect.arrayContaining(['seven', 'five']));
    expect(assistant, `assistant said "${assistant}"`).toMatch(/12|twelve/);
    expect(voicedMs(result.heard, result.sampleRateHz)).toBeGreaterThan(1000);
    expect(result.summary?.model).toBe('nova-sonic');
    expect(result.summary?.modelStats.failures).toBe(0);
  });
});

describe('tools with Nova Sonic', () => {
  it('runs the tool the model asks for and speaks its result (toolUse → toolResult round trip)', async () => {
    const input = await speech.say('What time is it now?', 'rms');
    const result = await simulateCall({ url: srv.url, via: 'ws', samples: input, sampleRateHz: 16000, resamplers, maxTailMs: 15_000 });
    const summary = result.summary!;
    expect(summary.toolCalls).toMatchObject([{ name: 'get_current_time', ok: true }]);
    const assistant = result.transcript.filter((t) => t.role === 'assistant').map((t) => t.text).join(' ');
    expect(assistant).toContain('get current time tool says');
    expect(voicedMs(result.heard, result.sampleRateHz)).toBeGreaterThan(1500);
  });
});

describe('barge-in with Nova Sonic', () => {
  it('stops the caller hearing the reply when Nova signals the interruption', async () => {
    const input = await speech.say('Please repeat after me the quick brown fox jumps over the lazy dog near the river bank', 'rms');
    const result = await simulateCall({ url: srv.url, via: 'twilio', samples: input, sampleRateHz: 16000, resamplers, bargeInAfterReplyMs: 1200, maxTailMs: 15_000 });
    const summary = result.summary!;
    expect(summary.bargeInEvents.length, 'barge-in happened').toBeGreaterThanOrEqual(1);
    const b = summary.bargeInEvents[0];
    expect(b.source).toBe('model');
    expect(b.heardMs).toBeGreaterThan(800);
    const bi = result.bargeIn!;
    console.log(`nova barge-in: caller speech onset → carrier clear ${bi.clearAfterMs} ms, → caller audio stopped ${bi.audioStoppedAfterMs} ms; signal → clear ${b.reactionMs.toFixed(2)} ms; heard ${b.heardMs} ms of ${b.sentMs} ms sent`);
    // The caller stopped hearing the reply when the clear arrived (frames already in flight
    // aside), while the reply had more to say. How soon after the caller's speech onset is a
    // figure for benchmarks (logged above).
    expect(bi.clearAfterMs, 'clear received').not.toBeNull();
    expect(bi.audioStoppedAfterMs, 'playback stopped').not.toBeNull();
    expect(bi.audioStoppedAfterMs!).toBeLessThanOrEqual(bi.clearAfterMs! + 100);
    expect(b.droppedMs + b.sentMs - b.heardMs, 'the reply had more to say').toBeGreaterThan(0);
    expect(summary.turns[0].interrupted).toBe(true);
    const last = summary.history.filter((m) => m.role === 'assistant').at(-1)!;
    expect(last.truncatedAtMs).toBeGreaterThan(0);
  });
});
