/**
 * Whole calls through the real server (a child process, `VOICEBRIDGE_MODEL=openai`) against the
 * OpenAI Realtime emulator (a child process, `voicebridge emulate openai-realtime --brain speech`,
 * its offline speech pipeline answering): spoken conversations over Twilio (a G.711 session),
 * Vonage and the browser WebSocket (PCM16 24 kHz), a tool call round trip, and barge-in on the
 * API's own `speech_started` with the reply's item truncated to what the caller heard; the call's
 * cost from the usage the API reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voicedMs } from '../src/audio/level.js';
import type { CallSummary } from '../src/call/types.js';
import { simulateCall } from '../src/sim/simulate.js';
import { openAIEmulatorSettings, startEmulatorProcess, type EmulatorProcess } from './helpers/server-process.js';
import { useSpokenCallFixture } from './helpers/spoken-calls.js';
import { words } from './helpers/wer.js';

let emulator: EmulatorProcess;
beforeAll(async () => {
  emulator = await startEmulatorProcess(['--brain', 'speech'], 60_000, 'openai-realtime');
}, 120_000);
// Registered first, so it runs after the fixture has stopped the server.
afterAll(async () => {
  await emulator?.stop();
});

const fx = useSpokenCallFixture(() => openAIEmulatorSettings(emulator));

describe.each(['twilio', 'vonage', 'ws'] as const)('a spoken conversation with OpenAI Realtime via %s', (via) => {
  it('transcribes the caller and answers with audible speech', async () => {
    const input = await fx.speech.say('What is seven plus five?', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via, samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    const user = result.transcript.filter((t) => t.role === 'user').map((t) => t.text).join(' ');
    const assistant = result.transcript.filter((t) => t.role === 'assistant').map((t) => t.text).join(' ');
    expect(words(user), `caller transcript "${user}"`).toEqual(expect.arrayContaining(['seven', 'five']));
    expect(assistant, `assistant said "${assistant}"`).toMatch(/12|twelve/);
    expect(voicedMs(result.heard, result.sampleRateHz)).toBeGreaterThan(1000);
    expect(result.summary?.model).toBe('openai');
  });
});

describe('tools with OpenAI Realtime', () => {
  it('runs the function the model calls and speaks its result (function_call_output, response.create)', async () => {
    const input = await fx.speech.say('What time is it now?', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via: 'ws', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    const summary = result.summary!;
    expect(summary.toolCalls).toMatchObject([{ name: 'get_current_time', ok: true }]);
    expect(voicedMs(result.heard, result.sampleRateHz)).toBeGreaterThan(1500);
  });
});

describe('the cost of a call with OpenAI Realtime', () => {
  it('is the usage the API reported × the default gpt-realtime prices, in the record and in the totals', async () => {
    const input = await fx.speech.say('What is two plus two?', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via: 'ws', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    const id = result.summary!.id;
    const record = (await (await fetch(`${fx.srv.url}/calls/${id}`)).json()) as CallSummary;
    const { inputTokens, outputTokens } = record.usage!;
    expect(inputTokens, 'input tokens reported').toBeGreaterThan(0);
    expect(outputTokens, 'output tokens reported').toBeGreaterThan(0);
    // gpt-realtime (OPENAI_REALTIME_MODEL's default): $32 / $64 per million audio tokens (src/call/cost.ts).
    expect(record.costUsd).toBeCloseTo((inputTokens * 0.032 + outputTokens * 0.064) / 1000, 12);
    expect(record.costUsd!).toBeGreaterThan(0);
    const list = (await (await fetch(`${fx.srv.url}/calls?model=openai`)).json()) as { totals: { calls: number; costUsd: number | null } };
    expect(list.totals.calls).toBeGreaterThanOrEqual(1);
    expect(list.totals.costUsd!).toBeGreaterThanOrEqual(record.costUsd!);
  });
});

describe('barge-in with OpenAI Realtime', () => {
  it("stops the caller hearing the reply on the API's speech_started and truncates the reply to what was heard", async () => {
    const input = await fx.speech.say('Please repeat after me the quick brown fox jumps over the lazy dog near the river bank', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via: 'twilio', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, bargeInAfterReplyMs: 1200, maxTailMs: 15_000 });
    const summary = result.summary!;
    expect(summary.bargeInEvents.length, 'barge-in happened').toBeGreaterThanOrEqual(1);
    const b = summary.bargeInEvents[0];
    expect(b.source).toBe('model');
    expect(b.heardMs).toBeGreaterThan(800);
    expect(b.atMs, 'when, in the call').toBeGreaterThan(0);
    expect(b.atMs!).toBeLessThan(summary.durationMs);
    const bi = result.bargeIn!;
    console.log(`openai barge-in: caller speech onset → carrier clear ${bi.clearAfterMs} ms, → caller audio stopped ${bi.audioStoppedAfterMs} ms; signal → clear ${b.reactionMs.toFixed(2)} ms; heard ${b.heardMs} ms of ${b.sentMs} ms sent`);
    expect(bi.clearAfterMs, 'clear received').not.toBeNull();
    expect(bi.audioStoppedAfterMs, 'playback stopped').not.toBeNull();
    expect(bi.audioStoppedAfterMs!).toBeLessThanOrEqual(bi.clearAfterMs! + 100);
    expect(summary.turns[0].interrupted).toBe(true);
    const last = summary.history.filter((m) => m.role === 'assistant').at(-1)!;
    expect(last.truncatedAtMs).toBeGreaterThan(0);
  });
});
