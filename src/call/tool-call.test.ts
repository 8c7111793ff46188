import { describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../audio/resample.js';
import { FakeClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { ToolRegistry, type Tool } from '../tools/registry.js';
import { FakeCallerTransport } from '../../test/fakes/caller-transport.js';
import { FakeModelSession, fakeModel } from '../../test/fakes/model-session.js';
import { Call, type CallOptions } from './call.js';
import { MAX_RECORDED_VALUE_CHARS, recordedValue } from './tool-call.js';

const OPTIONS: CallOptions = { systemPrompt: 'x', inactivityTimeoutMs: 60_000, keepAliveAfterMs: 300, playoutLeadMs: 0, markIntervalMs: 100, bargeInVad: false, resampleQuality: 5, toolTimeoutMs: 10_000 };
const PHRASE = Int16Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin(i / 5))); // 1 s at 16 kHz

/** A tool that answers when the test says so and remembers its abort signal. */
function pendingTool(name: string) {
  let answer!: (v: unknown) => void;
  let signal: AbortSignal | undefined;
  const tool: Tool = {
    name, description: name, inputSchema: { type: 'object' },
    run: (_args, ctx) => new Promise((resolve) => {
      signal = ctx.signal;
      answer = resolve;
    }),
  };
  return { tool, answer: (v: unknown) => answer(v), signal: () => signal };
}

async function setUp(tools: Tool[], holdAfterMs = 1500) {
  const clock = new FakeClock();
  const transport = new FakeCallerTransport({ kind: 'twilio', inputRateHz: 8000, outputRateHz: 8000, supportsMarks: false });
  const session = new FakeModelSession();
  let synthesised = true;
  let prepared = 0;
  const call = new Call({
    id: 'c1', transport, startInfo: { parameters: {} }, model: fakeModel(session), resamplers: await loadResamplerFactory(), clock, logger: silentLogger, vad: null,
    options: OPTIONS, tools: new ToolRegistry(tools, clock),
    holdPhrase: { afterMs: holdAfterMs, audio: () => (synthesised ? { pcm: PHRASE, sampleRateHz: 16000 } : undefined), prepare: () => prepared++ },
  });
  await call.start();
  return { clock, transport, session, call, unsynthesise: () => (synthesised = false), prepared: () => prepared };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('tool calls in a call', () => {
  it('plays the hold phrase to the caller past the threshold, then delivers the result when it arrives', async () => {
    const slow = pendingTool('slow_lookup');
    const { clock, transport, session, call } = await setUp([slow.tool]);
    session.emit({ type: 'toolCall', toolCallId: 't1', name: 'slow_lookup', arguments: { q: 'x' } });
    clock.advance(1499);
    expect(transport.sent).toHaveLength(0);
    clock.advance(1);
    expect(call.phase).toBe('responding');
    clock.advance(2000);
    expect(transport.sent.length * 20, 'the hold phrase was heard').toBeGreaterThanOrEqual(1000);
    expect(call.phase).toBe('listening');
    expect(session.toolResults).toEqual([]);
    slow.answer({ found: 'yes' });
    await flush();
    expect(session.toolResults).toEqual([['t1', { found: 'yes' }]]);
    expect(call.toolCalls).toEqual([{ name: 'slow_lookup', arguments: { q: 'x' }, ok: true, result: { found: 'yes' }, durationMs: 3500, atMs: 0, heldCaller: true }]);
    expect(transport.notices).toContainEqual({ type: 'tool', name: 'slow_lookup', ok: true, durationMs: 3500 });
  });

  it('stays silent for a quick tool and records its error', async () => {
    const failing: Tool = { name: 'broken', description: 'b', inputSchema: { type: 'object' }, run: async () => { throw new Error('HTTP 500'); } };
    const { clock, transport, session, call } = await setUp([failing]);
    session.emit({ type: 'toolCall', toolCallId: 't1', name: 'broken', arguments: {} });
    await flush();
    clock.advance(5000);
    expect(transport.sent).toHaveLength(0);
    expect(session.toolResults).toEqual([['t1', { error: 'HTTP 500' }]]);
    expect(call.toolCalls).toEqual([{ name: 'broken', arguments: {}, ok: false, error: 'HTTP 500', durationMs: 0, atMs: 0 }]);
  });

  it('does not talk over the assistant: no hold phrase while a reply plays', async () => {
    const slow = pendingTool('slow_lookup');
    const { clock, transport, session } = await setUp([slow.tool]);
    session.reply('let me look', new Int16Array(16000 * 3));
    session.emit({ type: 'toolCall', toolCallId: 't1', name: 'slow_lookup', arguments: {} });
    clock.advance(5000);
    expect(transport.sent.length, 'only the 3 s reply').toBe(150);
  });

  it('lets the caller barge in on the hold phrase without cancelling the model, and the result still arrives', async () => {
    const slow = pendingTool('slow_lookup');
    const { clock, transport, session, call } = await setUp([slow.tool]);
    session.emit({ type: 'toolCall', toolCallId: 't1', name: 'slow_lookup', arguments: {} });
    clock.advance(1700);
    expect(call.phase).toBe('responding');
    session.emit({ type: 'speechStarted' });
    expect(call.phase).toBe('listening');
    expect(transport.clears).toBe(1);
    expect(session.cancels).toBe(0);
    const sent = transport.sent.length;
    clock.advance(1000);
    expect(transport.sent.length, 'the rest of the phrase is dropped').toBe(sent);
    slow.answer('done');
    await flush();
    expect(session.toolResults).toEqual([['t1', 'done']]);
  });

  it('aborts a running tool when the caller hangs up', async () => {
    const slow = pendingTool('slow_lookup');
    const { transport, session, call } = await setUp([slow.tool]);
    session.emit({ type: 'toolCall', toolCallId: 't1', name: 'slow_lookup', arguments: {} });
    await flush();
    expect(slow.signal()?.aborted).toBe(false);
    transport.handler({ type: 'ended', reason: 'stop' });
    await call.ended;
    expect(slow.signal()?.aborted).toBe(true);
  });

  it('skips the hold phrase while it is not synthesised', async () => {
    const slow = pendingTool('slow_lookup');
    const { clock, transport, session, unsynthesise, prepared } = await setUp([slow.tool]);
    unsynthesise();
    expect(prepared()).toBe(0);
    session.emit({ type: 'toolCall', toolCallId: 't1', name: 'slow_lookup', arguments: {} });
    expect(prepared(), 'a tool call makes the phrase ready').toBe(1);
    clock.advance(3000);
    expect(transport.sent).toHaveLength(0);
  });
});

describe('recordedValue', () => {
  it('keeps small values and cuts long ones', () => {
    expect(recordedValue({ a: 1 })).toEqual({ a: 1 });
    const long = recordedValue('x'.repeat(5000)) as string;
    expect(long).toHaveLength(MAX_RECORDED_VALUE_CHARS + 1);
    expect(long.endsWith('…')).toBe(true);
    expect(recordedValue(undefined)).toBeNull();
  });
});

describe('a reply that starts while the hold phrase plays', () => {
  it('keeps the call responding until the model is done, even across a gap in its audio', async () => {
    const slow = pendingTool('slow_lookup');
    const { clock, session, call } = await setUp([slow.tool]);
    session.emit({ type: 'toolCall', toolCallId: 't1', name: 'slow_lookup', arguments: {} });
    clock.advance(1600); // the hold phrase (1.1 s) is playing
    slow.answer('ok');
    await flush();
    session.emit({ type: 'responseStarted', responseId: 'r1' });
    session.emit({ type: 'audio', pcm: new Int16Array(1600), responseId: 'r1' }); // 100 ms, then the model pauses
    clock.advance(3000); // hold phrase and the first audio have played out; the model has not finished
    expect(call.phase).toBe('responding');
    session.emit({ type: 'audio', pcm: new Int16Array(1600), responseId: 'r1' });
    session.emit({ type: 'responseDone', responseId: 'r1', cancelled: false });
    clock.advance(1000);
    expect(call.phase).toBe('listening');
  });
});
