/**
 * A conversation ten times longer than Nova Sonic's session limit. The emulator's limit is cut to
 * 3 s (the server renews after 1.5 s); a 30 s call over the raw PCM WebSocket at 16 kHz carries a
 * frame number in every caller frame, so the test can check that every caller frame reached some
 * model stream, that every bit of the assistant's audio reached the caller across the handovers
 * (the longest gap there is logged; gaps are timing, measured by benchmarks), and that the
 * history sent at each renewal passed the emulator's 1 KB / 40 KB checks. The call's record lists
 * the renewals with increasing times, and its usage over all streams with its cost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NovaEmulator } from '../src/emulators/nova-sonic/server.js';
import { connectCaller } from '../src/sim/clients.js';
import { fetchSummary } from '../src/sim/simulate.js';
import { novaServerSettings, startEmulator } from './helpers/nova.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';

const LIMIT_MS = 3000;
const CALL_S = 30;
const FRAME = 320; // 20 ms at 16 kHz
const MAGIC = 291; // small values keep tagged silence below the echo brain's VAD threshold
/**
 * The caller speaks BURST_MS in every PERIOD_MS (a period that drifts against the renewal
 * cadence): the pause after each burst is longer than Nova's 1.5 s endpointing pause (HIGH), and
 * the echo of each burst is over before the next one starts.
 */
const BURST_MS = 700;
const PERIOD_MS = 3500;

let emulator: NovaEmulator;
let srv: ServerProcess;

beforeAll(async () => {
  emulator = await startEmulator({ sessionLimitMs: LIMIT_MS, keepAudio: true });
  srv = await startServerProcess(novaServerSettings(emulator.url, { NOVA_SESSION_LIMIT_MS: LIMIT_MS, NOVA_RENEW_AFTER_MS: 1500, NOVA_ENDPOINTING: 'HIGH' }));
}, 120_000);

afterAll(async () => {
  expect(await srv?.stop()).toBe(0);
  await emulator?.close();
});

/** Frame numbers found in a stream's received audio (tags sit at every 320-sample boundary). */
function tagsIn(chunks: readonly Int16Array[]): number[] {
  const found: number[] = [];
  for (const c of chunks) {
    for (let at = 0; at + 4 <= c.length; at += FRAME) {
      if (c[at] === MAGIC && c[at + 3] === (MAGIC ^ c[at + 1])) found.push(c[at + 1] + (c[at + 2] << 10));
    }
  }
  return found;
}

describe(`a ${CALL_S} s call with a ${LIMIT_MS / 1000} s model session limit`, () => {
  it('survives every renewal: no caller frame lost, history within limits, gaps measured', async () => {
    const caller = await connectCaller({ url: srv.url, via: 'pcm' });
    const frames = (CALL_S * 1000) / 20;
    const start = performance.now();
    const streamsBefore = emulator.streams.length;
    for (let k = 0; k < frames; k++) {
      const frame = new Int16Array(FRAME);
      if ((k * 20) % PERIOD_MS < BURST_MS) for (let i = 4; i < FRAME; i++) frame[i] = Math.round(7000 * Math.sin((2 * Math.PI * 330 * (k * FRAME + i)) / 16000));
      frame[0] = MAGIC;
      frame[1] = k & 0x3ff;
      frame[2] = k >> 10;
      frame[3] = MAGIC ^ frame[1];
      caller.sendFrame(frame);
      const wait = start + (k + 1) * 20 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    // Let the last reply play out: nothing heard for a second.
    await eventually(() => performance.now() - caller.playout.endMs > 1000 && performance.now() - start > CALL_S * 1000 + 1000, 'the last reply to finish', 30_000, 50);
    await caller.hangup();
    const summary = (await fetchSummary(srv.url, (c) => c.parameters?.simId === caller.simId))!;
    await eventually(() => emulator.openStreams() === 0, 'every model stream closed');

    const streams = emulator.streams.slice(streamsBefore);
    // Every caller frame reached some model stream.
    const seen = new Set(streams.flatMap((s) => tagsIn(s.conversation?.receivedAudio ?? [])));
    const missing = [...Array(frames).keys()].filter((k) => !seen.has(k));
    expect(missing, `${missing.length} of ${frames} frames never reached a model stream`).toEqual([]);

    // Renewed before every limit; none of the streams hit the limit or failed validation.
    const stats = summary.modelStats;
    expect(stats.renewals).toBeGreaterThanOrEqual(CALL_S / (LIMIT_MS / 1000) - 1);
    expect(stats.failures).toBe(0);
    expect(stats.droppedInputMs).toBe(0);
    expect(streams.map((s) => s.endReason).filter((r) => r !== 'session-end' && r !== 'client-end')).toEqual([]);
    expect(streams.flatMap((s) => s.validationErrors)).toEqual([]);
    expect(stats.maxHistoryBytes).toBeLessThanOrEqual(40 * 1024);
    expect(summary.reason).not.toMatch(/model/);
    // The record lists each renewal with its time in the call, oldest first, and no model error.
    const renewals = (summary.events ?? []).filter((e) => e.kind === 'renewal');
    expect(renewals.length).toBe(stats.renewals);
    const times = renewals.map((e) => e.atMs);
    expect(times[0]).toBeGreaterThan(0);
    expect(times.every((t, i) => i === 0 || t > times[i - 1]!), `renewals at ${times.join(', ')} ms`).toBe(true);
    expect(times.at(-1)!).toBeLessThanOrEqual(summary.durationMs);
    expect(summary.events!.filter((e) => e.kind === 'model-error')).toEqual([]);
    // Usage summed over every stream, priced at Nova 2 Sonic's default speech prices ($3 / $12 per million tokens).
    const { inputTokens, outputTokens } = summary.usage!;
    expect(inputTokens).toBeGreaterThan(0);
    expect(outputTokens).toBeGreaterThan(0);
    expect(summary.costUsd).toBeCloseTo((inputTokens * 0.003 + outputTokens * 0.012) / 1000, 12);

    // The assistant answered every utterance (9 bursts in 30 s).
    const utterances = Math.ceil((CALL_S * 1000) / PERIOD_MS);
    expect(summary.turns.length).toBeGreaterThanOrEqual(utterances - 1);

    // Longest gap in the assistant's audio around a handover, as the caller heard it: for each
    // stream going live, the largest silence between consecutive heard frames within the reply
    // that was playing (if any) at that moment.
    const timeline = caller.playout.timeline().sort((a, b) => a.playAtMs - b.playAtMs);
    let worstGapMs = 0;
    let handoversDuringPlayback = 0;
    for (const s of streams.slice(1)) {
      const at = s.audioStartedAtMs!;
      const i = timeline.findIndex((c) => c.playAtMs + c.durationMs >= at);
      if (i <= 0 || timeline[i].playAtMs - (timeline[i - 1].playAtMs + timeline[i - 1].durationMs) > 300) continue;
      handoversDuringPlayback++;
      for (let j = Math.max(1, i - 5); j < Math.min(timeline.length, i + 25); j++) {
        const gap = timeline[j].playAtMs - (timeline[j - 1].playAtMs + timeline[j - 1].durationMs);
        if (gap < 300) worstGapMs = Math.max(worstGapMs, gap);
      }
    }
    console.log(
      `renewal run: ${streams.length} streams, ${stats.renewals} renewals (${stats.forcedRenewals} forced), ${frames} caller frames all delivered, ` +
        `replayed ${stats.replayedMs} ms, ${handoversDuringPlayback} handovers during playback, longest assistant-audio gap there ${Math.round(worstGapMs)} ms, ` +
        `max history ${stats.maxHistoryBytes} bytes, longest stream prepare ${stats.maxPrepareMs} ms, underruns ${summary.underruns}`,
    );
    // No assistant audio was lost at a handover: everything the streams said reached the caller,
    // less what barge-ins dropped, at the playout and, for the rest of a cut turn Nova went on
    // generating, in the session (each reply's last frame is padded to 20 ms, hence the slack), and
    // less a reply an old stream began as the server handed over from it (the end of the caller's
    // turn was detected there while the handover happened; the new stream answers that turn from
    // the replayed audio, so the caller still hears one reply to it).
    const producedMs = streams.reduce((ms, s) => ms + (s.conversation?.stats.audioOutputMs ?? 0), 0);
    const cutMs = summary.bargeInEvents.reduce((ms, b) => ms + b.droppedMs + (b.sentMs - b.heardMs), 0) + (stats.cancelledAudioMs ?? 0);
    const droppedMs = cutMs + (stats.discardedAudioMs ?? 0);
    const heardMs = timeline.reduce((ms, c) => ms + c.durationMs, 0);
    console.log(
      `renewal run: assistant audio produced ${Math.round(producedMs)} ms, heard ${Math.round(heardMs)} ms, cut by ${summary.bargeIns} barge-ins ${cutMs} ms, ` +
        `sent by a stream after the handover from it ${stats.discardedAudioMs} ms`,
    );
    expect(stats.discardedAudioMs).toBeGreaterThanOrEqual(0);
    expect(producedMs).toBeGreaterThan(5000);
    expect(Math.abs(producedMs - droppedMs - heardMs)).toBeLessThanOrEqual(20 * summary.turns.length + 20);
  }, 90_000);
});
