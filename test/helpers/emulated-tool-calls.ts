/**
 * The user-tools tests both emulated cloud models share (Nova Sonic through the Bedrock emulator,
 * OpenAI Realtime through its emulator): the emulator's speech brain calls the `TOOLS_FILE` tools
 * on the caller's spoken words (`EMULATOR_TRIGGERS`), the server runs them and returns the result.
 */
import { describe, expect, it } from 'vitest';
import { voicedMs } from '../../src/audio/level.js';
import { simulateCall } from '../../src/sim/simulate.js';
import type { SpokenCallFixture } from './spoken-calls.js';
import { SLOW_TOOL_MS, type ToolFixtures } from './user-tools.js';

const assistantText = (r: { transcript: Array<{ role: string; text: string }> }) => r.transcript.filter((t) => t.role === 'assistant').map((t) => t.text).join(' ');
const callerText = (r: { transcript: Array<{ role: string; text: string }> }) => r.transcript.filter((t) => t.role === 'user').map((t) => t.text).join(' ');

/** Registers the shared tests for `model` (its id in the call record). */
export function emulatedToolCallTests(model: string, fx: SpokenCallFixture, tools: ToolFixtures): void {
  describe.each([
    ['an HTTP tool', 'What is the weather forecast for today?', 'weather', { city: 'Paris' }, /weather tool says forecast sunny in Paris/i],
    ['a stdio MCP server', 'Please read my notes.', 'notes__lookup', { key: 'seven' }, /note seven says blue/i],
    ['a Streamable-HTTP MCP server', 'What is the stock price?', 'stock__price', { symbol: 'VB' }, /forty two dollars/i],
  ] as const)(`${model} calls %s`, (_what, words, tool, args, said) => {
    it('and speaks its result', async () => {
      const input = await fx.speech.say(words, 'rms');
      const result = await simulateCall({ url: fx.srv.url, via: 'ws', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
      expect(result.summary?.model).toBe(model);
      expect(assistantText(result), `caller said "${callerText(result)}"`).toMatch(said);
      expect(result.summary!.toolCalls).toMatchObject([{ name: tool, arguments: args, ok: true }]);
      expect(voicedMs(result.heard, result.sampleRateHz)).toBeGreaterThan(1000);
    });
  });

  it(`${model} gets an error result from a failing tool`, async () => {
    const input = await fx.speech.say('Check the broken service.', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via: 'ws', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    expect(result.summary!.toolCalls, `caller said "${callerText(result)}"`).toMatchObject([{ name: 'broken', ok: false, error: expect.stringContaining('HTTP 500') }]);
    expect(assistantText(result)).toMatch(/error HTTP 500/i);
  });

  it(`${model}: a slow tool holds the caller with the hold phrase, then the result is spoken`, async () => {
    const input = await fx.speech.say('Where is my order?', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via: 'ws', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 20_000, quietAfterReplyMs: 4000 });
    const [call] = result.summary!.toolCalls;
    expect(call, `caller said "${callerText(result)}"`).toMatchObject({ name: 'slow_order', ok: true, heldCaller: true, result: { status: 'shipped' } });
    expect(call.durationMs).toBeGreaterThanOrEqual(SLOW_TOOL_MS - 50);
    expect(assistantText(result)).toMatch(/status shipped/i);
    // While the tool ran, past the hold threshold (1500 ms), the caller heard speech: the hold
    // phrase (the reply comes only with the result). Margins of 300 ms cover the offset between
    // this caller's and the server's call start.
    const at = (ms: number) => Math.round((ms * result.sampleRateHz) / 1000);
    const whileRunning = result.heard.subarray(at(call.atMs! + 1500 + 300), at(call.atMs! + call.durationMs - 300));
    expect(voicedMs(whileRunning, result.sampleRateHz), 'hold phrase heard while the tool ran').toBeGreaterThan(700);
    expect(tools.httpRequests.some((r) => r.path === '/slow')).toBe(true);
  });
}
