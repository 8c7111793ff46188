import { describe, expect, it } from 'vitest';
import { Conversation } from './conversation.js';
import { callSummary } from './summary.js';

describe('callSummary', () => {
  it('maps what the call kept into its summary, with a plain-language reason and a whole-ms duration', () => {
    const conversation = new Conversation(1000, { playbackStartedAtMs: () => undefined });
    conversation.addFinal('user', 'hello', 1500);
    conversation.responseStarted('r1');
    conversation.addToolCall({ name: 'lookup', ok: true, durationMs: 3 });
    const bargeInEvents = [{ source: 'model' as const, responseId: 'r1', heardMs: 400, sentMs: 600, droppedMs: 1000, reactionMs: 0 }];
    const summary = callSummary({
      id: 'c1', kind: 'twilio', modelId: 'fake', startInfo: { carrierCallId: 'CA1', parameters: { a: 'b' } },
      startedAt: '2026-01-01T00:00:00.000Z', startedAtMs: 1000, endedAtMs: 62_000.6, reason: 'socket-closed', error: false,
      conversation, framesIn: 50, playout: { framesSent: 40, underruns: 2 }, bargeIns: 1, bargeInEvents,
      modelStats: { renewals: 1 }, falseInterruptions: 1,
    });
    expect(summary).toEqual({
      id: 'c1', kind: 'twilio', model: 'fake', carrierCallId: 'CA1', parameters: { a: 'b' },
      reason: 'socket-closed', reasonLabel: 'caller hung up', error: false,
      startedAt: '2026-01-01T00:00:00.000Z', durationMs: 61_001,
      turns: conversation.turns, transcript: conversation.transcript, framesIn: 50, framesOut: 40, underruns: 2,
      bargeIns: 1, bargeInEvents, history: conversation.history, toolCalls: conversation.toolCalls, modelStats: { renewals: 1 }, falseInterruptions: 1,
      events: [],
    });
    expect(summary.turns[0].userText).toBe('hello');
  });

  it('adds the model\'s usage, its cost at the model\'s price, and its renewals and errors', () => {
    const conversation = new Conversation(1000, { playbackStartedAtMs: () => undefined });
    conversation.modelEvent({ type: 'usage', inputTokens: 2000, outputTokens: 1000 }, 5000);
    conversation.modelEvent({ type: 'renewed', cause: 'forced' }, 8000);
    const parts = {
      id: 'c2', kind: 'browser', modelId: 'openai', startInfo: { parameters: {} }, startedAt: '2026-01-01T00:00:00.000Z', startedAtMs: 1000, endedAtMs: 121_000,
      reason: 'stop', error: false, conversation, framesIn: 0, playout: { framesSent: 0, underruns: 0 }, bargeIns: 0, bargeInEvents: [], modelStats: {}, falseInterruptions: 0,
    };
    const priced = callSummary({ ...parts, billingId: 'gpt-realtime', prices: { 'gpt-realtime': { inputPer1kTokensUsd: 0.032, outputPer1kTokensUsd: 0.064 }, openai: { perMinuteUsd: 9 } } });
    expect(priced.usage).toEqual({ inputTokens: 2000, outputTokens: 1000 });
    expect(priced.costUsd).toBeCloseTo(2 * 0.032 + 0.064, 12);
    expect(priced.events).toEqual([{ kind: 'renewal', atMs: 7000, code: 'forced' }]);
    // By provider id when the vendor id has no price: 2 minutes at 9 $/min.
    expect(callSummary({ ...parts, billingId: 'gpt-other', prices: { openai: { perMinuteUsd: 9 } } }).costUsd).toBeCloseTo(18, 12);
    // No price for the model: no cost at all (not 0).
    expect(callSummary({ ...parts, prices: {} })).not.toHaveProperty('costUsd');
  });
});
