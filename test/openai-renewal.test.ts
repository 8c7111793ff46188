/**
 * A call ten times longer than the OpenAI Realtime session limit: the real `Call` with a 24 kHz
 * caller (PCM16 to the model, so frames arrive on the wire as sent) on the OpenAI provider against
 * the in-process emulator (echo brain, replies paced at real time) with its session limit cut to
 * 3 s and renewal after 1.5 s. Every caller frame carries its number, so the test checks that every
 * frame reached some emulator session, that no session hit the limit (no `session_expired`), that
 * renewed sessions were opened with the conversation so far as history and went on answering, and it logs the longest handover
 * gap (the call's `maxHandoverGapMs`: clock time between the last caller frame the old session got
 * and the first the new one got), which stays within a few frame intervals. The call's record lists
 * the renewals with increasing times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../src/audio/resample.js';
import { Call, type CallOptions } from '../src/call/call.js';
import { systemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { echoBrainFactory } from '../src/emulators/nova-sonic/brains.js';
import { startOpenAIRealtimeEmulator, type OpenAIRealtimeEmulator } from '../src/emulators/openai-realtime/server.js';
import { openaiRealtimeModel } from '../src/models/openai/model.js';
import { FakeCallerTransport } from './fakes/caller-transport.js';
import { eventually } from './helpers/wait.js';

const LIMIT_MS = 3000;
const RENEW_AFTER_MS = 1500;
const CALL_S = 30;
const RATE_HZ = 24_000;
const FRAME = 480; // 20 ms at 24 kHz
const MAGIC = 291; // small values keep tagged silence below the echo brain's VAD threshold
/** The caller speaks BURST_MS in every PERIOD_MS (drifting against the renewal cadence). */
const BURST_MS = 700;
const PERIOD_MS = 3500;

const OPTIONS: CallOptions = { systemPrompt: 'You are a test.', inactivityTimeoutMs: 60_000, keepAliveAfterMs: 300, playoutLeadMs: 0, markIntervalMs: 100, bargeInVad: false, resampleQuality: 5 };

let emulator: OpenAIRealtimeEmulator;
beforeAll(async () => {
  emulator = await startOpenAIRealtimeEmulator({ brain: echoBrainFactory(1000), resamplers: await loadResamplerFactory(), pace: 'realtime', sessionLimitMs: LIMIT_MS, keepAudio: true, apiKeys: ['sk-renew'] });
});
afterAll(async () => {
  await emulator?.close();
});

/** Frame numbers found in a session's received PCM16 (little-endian) audio, scanning every sample. */
function tagsIn(chunks: readonly Buffer[]): number[] {
  const all = Buffer.concat(chunks);
  const pcm = new Int16Array(all.buffer, all.byteOffset, Math.floor(all.length / 2));
  const found: number[] = [];
  for (let i = 0; i + 4 <= pcm.length; i++) {
    if (pcm[i] === MAGIC && pcm[i + 3] === (MAGIC ^ pcm[i + 1])) found.push(pcm[i + 1] + (pcm[i + 2] << 10));
  }
  return found;
}

describe(`a ${CALL_S} s call on OpenAI Realtime with a ${LIMIT_MS / 1000} s session limit`, () => {
  it('renews before every limit: every caller frame reaches a session, none expires, handover gaps bounded', async () => {
    const transport = new FakeCallerTransport({ kind: 'browser', inputRateHz: RATE_HZ, outputRateHz: RATE_HZ, supportsMarks: false });
    const model = openaiRealtimeModel(
      { url: `${emulator.wsUrl}?model=gpt-realtime`, apiKey: 'sk-renew', voice: 'marin', turnDetection: { type: 'server_vad', threshold: 0.5, silenceDurationMs: 500, prefixPaddingMs: 300 }, transcriptionModel: 'gpt-4o-mini-transcribe', startTimeoutMs: 10_000, maxSessionMs: LIMIT_MS, renewAfterMs: RENEW_AFTER_MS },
      systemClock,
    );
    const call = new Call({ id: 'renew1', transport, startInfo: { parameters: {} }, model, resamplers: await loadResamplerFactory(), clock: systemClock, logger: silentLogger, vad: null, options: OPTIONS });
    await call.start();
    expect(call.phase).toBe('listening');

    const frames = (CALL_S * 1000) / 20;
    const start = performance.now();
    for (let k = 0; k < frames; k++) {
      const frame = new Int16Array(FRAME);
      if ((k * 20) % PERIOD_MS < BURST_MS) for (let i = 4; i < FRAME; i++) frame[i] = Math.round(7000 * Math.sin((2 * Math.PI * 330 * (k * FRAME + i)) / RATE_HZ));
      frame[0] = MAGIC;
      frame[1] = k & 0x3ff;
      frame[2] = k >> 10;
      frame[3] = MAGIC ^ frame[1];
      transport.handler({ type: 'audio', pcm: frame, receivedAtMs: performance.now() });
      const wait = start + (k + 1) * 20 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const stats = call.modelStats();
    expect(call.phase).not.toBe('ended');
    call.hangup('test over');
    await eventually(() => emulator.openSessions() === 0, 'every emulator session closed');

    const sessions = emulator.sessions;
    // Every caller frame reached some session.
    const seen = new Set(sessions.flatMap((s) => tagsIn(s.conversation.receivedAudio)));
    const missing = [...Array(frames).keys()].filter((k) => !seen.has(k));
    expect(missing, `${missing.length} of ${frames} frames never reached a session`).toEqual([]);
    // No session hit the limit; each renewal opened one more session.
    expect(sessions.map((s) => s.endReason).filter((r) => r !== 'client')).toEqual([]);
    expect(sessions.flatMap((s) => s.errors)).toEqual([]);
    expect(stats.renewals).toBeGreaterThanOrEqual(CALL_S / (LIMIT_MS / 1000) - 1);
    expect(sessions.length).toBe(stats.segments);
    // The renewed sessions carried the conversation: history went with them and the replies went on.
    expect(stats.maxHistoryBytes).toBeGreaterThan(0);
    expect(sessions.slice(1).some((s) => s.conversation.stats.responses > 0)).toBe(true);
    expect(call.transcript.filter((t) => t.role === 'assistant').length).toBeGreaterThanOrEqual(Math.ceil((CALL_S * 1000) / PERIOD_MS) - 2);
    const receivedMs = sessions.reduce((ms, s) => ms + s.conversation.stats.inputAudioMs, 0);
    console.log(
      `openai renewal run: ${sessions.length} sessions, ${stats.renewals} renewals (${stats.forcedRenewals} forced, ${stats.staleSegments} stale), ${frames} caller frames all delivered, ` +
        `sent ${CALL_S * 1000} ms, received ${Math.round(receivedMs)} ms (replayed ${stats.replayedMs} ms), longest handover gap ${stats.maxHandoverGapMs} ms, max history ${stats.maxHistoryBytes} bytes`,
    );
    expect(stats.maxHandoverGapMs).toBeLessThanOrEqual(200);
    // The record lists each renewal with its time in the call, oldest first, and the usage of every session.
    const summary = await call.ended;
    const renewals = (summary.events ?? []).filter((e) => e.kind === 'renewal');
    expect(renewals.length).toBe(stats.renewals);
    expect(renewals.every((e) => e.code === 'limit' || e.code === 'forced')).toBe(true);
    const times = renewals.map((e) => e.atMs);
    expect(times[0]).toBeGreaterThan(0);
    expect(times.every((t, i) => i === 0 || t > times[i - 1]!), `renewals at ${times.join(', ')} ms`).toBe(true);
    expect(times.at(-1)!).toBeLessThanOrEqual(summary.durationMs);
    expect(summary.usage!.inputTokens).toBeGreaterThan(0);
  }, 90_000);
});
