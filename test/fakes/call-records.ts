/** Whole call records (`CallSummary`) for store tests: every part filled, times and words varied by index. */
import type { CallSummary } from '../../src/call/types.js';

/** Call `i`'s record: started `i` minutes after 2026-01-01T00:00Z unless `startedAt` is given. */
export function sampleCall(i: number, over: Partial<CallSummary> = {}): CallSummary {
  const id = over.id ?? `call-${String(i).padStart(4, '0')}`;
  return {
    id,
    kind: i % 2 ? 'vonage' : 'twilio',
    model: i % 3 ? 'nova-sonic' : 'openai',
    carrierCallId: `CA${i}`,
    ...(i % 2 ? {} : { streamId: `MZ${i}` }),
    parameters: { simId: `sim-${i}`, from: '+15550000000' },
    reason: i % 4 === 3 ? 'model-closed: 1011 upstream' : 'stop',
    reasonLabel: i % 4 === 3 ? 'model error' : 'caller hung up',
    error: i % 4 === 3,
    startedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000 + 123).toISOString(),
    durationMs: 30_000 + i,
    turns: [
      { turn: 1, responseId: `r${i}a`, userText: `what is the weather in city${i}`, assistantText: 'It is sunny.', replyLatencyMs: 612.5, interrupted: false, atMs: 300, callerSpeechMs: 1400, endpointingMs: 500, firstAudioMs: 420, replyMs: 1900, replyAtMs: 2312 },
      { turn: 2, responseId: `r${i}b`, userText: 'and tomorrow', assistantText: 'Rain is', replyLatencyMs: null, interrupted: true, heardMs: 840.25, atMs: 4100, callerSpeechMs: 800, replyMs: 840.25 },
    ],
    transcript: [
      { role: 'user', text: `what is the weather in city${i}`, atMs: 1200.5 },
      { role: 'assistant', text: 'It is sunny.', atMs: 2400 },
      { role: 'user', text: 'and tomorrow', atMs: 5000 },
      { role: 'assistant', text: 'Rain is', atMs: 6100.75 },
    ],
    framesIn: 1500 + i,
    framesOut: 900,
    underruns: 1,
    bargeIns: 1,
    bargeInEvents: [{ source: 'vad', responseId: `r${i}b`, heardMs: 840.25, sentMs: 1200, droppedMs: 360, reactionMs: 3.5, atMs: 6950 }],
    history: [
      { role: 'user', text: `what is the weather in city${i}` },
      { role: 'assistant', text: 'It is sunny.' },
      { role: 'assistant', text: 'Rain is', truncatedAtMs: 840.25 },
    ],
    toolCalls: [
      { name: 'get_current_time', arguments: {}, ok: true, result: { time: '10:15' }, durationMs: 2.25, atMs: 1250.5 },
      { name: 'notes__lookup', arguments: { city: `city${i}`, days: [1, 2] }, ok: false, durationMs: 8000, error: 'timed out', atMs: 4000, heldCaller: true },
    ],
    modelStats: { renewals: 1, modelErrors: i % 4 === 3 ? 1 : 0, inputTokens: 1200 },
    handoff: {
      callId: id,
      carrier: 'twilio',
      carrierIds: { CallSid: `CA${i}` },
      target: { kind: 'phone', number: '+15551234567' },
      reason: 'caller asked',
      source: 'phrase',
      requestedAt: '2026-01-01T00:00:10.000Z',
      transcript: [{ role: 'user', text: 'a person please' }],
      summary: 'Transferred call.',
    },
    falseInterruptions: 0,
    usage: { inputTokens: 1200 + i, outputTokens: 800 },
    costUsd: 0.125 + i / 1000,
    events: [
      { kind: 'renewal', atMs: 20_000, code: 'limit' },
      ...(i % 4 === 3 ? [{ kind: 'model-error' as const, atMs: 29_000 + i, code: 'model_error', message: '1011 upstream' }] : []),
    ],
    ...over,
  };
}
