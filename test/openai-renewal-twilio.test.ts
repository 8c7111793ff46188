/**
 * The long call of `openai-renewal.test.ts` through the whole server and a real Twilio media
 * socket: a server on 127.0.0.1 (`VOICEBRIDGE_MODEL=openai`, session limit cut to 3 s, renewal
 * after 1.5 s) against the in-process emulator (echo brain, replies at real time); a simulated
 * Twilio caller talks for 30 s (ten limits). Every second of caller audio reaches some emulator
 * session (G.711 bytes cannot carry frame tags, so this counts audio: what the sessions received
 * covers what was sent), no session hits the limit, replies go on across renewals, and the call
 * record reports the renewals and the longest handover gap.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../src/audio/resample.js';
import { echoBrainFactory } from '../src/emulators/nova-sonic/brains.js';
import { startOpenAIRealtimeEmulator, type OpenAIRealtimeEmulator } from '../src/emulators/openai-realtime/server.js';
import { loadConfig } from '../src/config/config.js';
import { createServer, type Server } from '../src/server.js';
import { connectCaller } from '../src/sim/clients.js';
import { eventually } from './helpers/wait.js';
import { MemoryCallStore } from './fakes/call-store.js';

const LIMIT_MS = 3000;
const CALL_S = 30;
const FRAME_SAMPLES = 160; // 20 ms at 8 kHz
const BURST_MS = 700;
const PERIOD_MS = 3500;

let emulator: OpenAIRealtimeEmulator;
let server: Server;
let url: string;
beforeAll(async () => {
  emulator = await startOpenAIRealtimeEmulator({ brain: echoBrainFactory(1000), resamplers: await loadResamplerFactory(), pace: 'realtime', sessionLimitMs: LIMIT_MS, apiKeys: ['sk-renew'] });
  const config = loadConfig({}, {
    LOG_LEVEL: 'silent', PORT: 0, HOST: '127.0.0.1', ADMIN_TOKEN: 'admin-token-0123456789', VOICEBRIDGE_MODEL: 'openai', BARGE_IN_VAD: false,
    OPENAI_API_KEY: 'sk-renew', OPENAI_REALTIME_URL: `${emulator.wsUrl}?model=gpt-realtime`, OPENAI_SESSION_LIMIT_MS: LIMIT_MS, OPENAI_RENEW_AFTER_MS: 1500,
  });
  server = await createServer(config, { store: new MemoryCallStore(), logger: pino({ level: 'silent' }), webrtc: { available: false, reason: 'not in this test' } });
  url = await server.listen();
});
afterAll(async () => {
  await server?.close(0);
  await emulator?.close();
});

describe(`a ${CALL_S} s Twilio call on OpenAI Realtime with a ${LIMIT_MS / 1000} s session limit`, () => {
  it('renews before every limit through the server: all caller audio reaches a session, none expires, replies go on', async () => {
    const caller = await connectCaller({ url, via: 'twilio', ignoreMedia: true });
    let mediaOut = 0;
    caller.socket.on('message', (d: Buffer) => d.toString('latin1', 0, 24).includes('"media"') && mediaOut++);
    const frames = (CALL_S * 1000) / 20;
    const start = performance.now();
    for (let k = 0; k < frames; k++) {
      const speaking = (k * 20) % PERIOD_MS < BURST_MS;
      caller.sendFrame(Int16Array.from({ length: FRAME_SAMPLES }, (_, i) => (speaking ? Math.round(7000 * Math.sin((2 * Math.PI * 330 * (k * FRAME_SAMPLES + i)) / 8000)) : 0)));
      const wait = start + (k + 1) * 20 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const live = server.manager.calls()[0];
    expect(live, 'the call is still live after ten session limits').toBeDefined();
    const stats = live.modelStats();
    await caller.hangup();
    await eventually(() => emulator.openSessions() === 0, 'every emulator session closed');

    const sessions = emulator.sessions;
    const receivedMs = sessions.reduce((ms, s) => ms + s.conversation.stats.inputAudioMs, 0);
    expect(sessions.map((s) => s.endReason).filter((r) => r !== 'client')).toEqual([]);
    expect(sessions.flatMap((s) => s.errors)).toEqual([]);
    expect(stats.renewals).toBeGreaterThanOrEqual(CALL_S / (LIMIT_MS / 1000) - 1);
    // Replays only add: the sessions together heard at least all the caller sent (less the last
    // frames still in flight at hang-up).
    expect(receivedMs).toBeGreaterThanOrEqual(CALL_S * 1000 - 200);
    expect(sessions.slice(1).some((s) => s.conversation.stats.responses > 0)).toBe(true);
    expect(mediaOut, 'the caller heard replies').toBeGreaterThan(200);
    console.log(`openai renewal over Twilio: ${sessions.length} sessions, ${stats.renewals} renewals, sent ${CALL_S * 1000} ms, sessions received ${Math.round(receivedMs)} ms, longest handover gap ${stats.maxHandoverGapMs} ms, ${mediaOut} reply frames heard`);
    expect(stats.maxHandoverGapMs).toBeLessThanOrEqual(200);
  }, 90_000);
});
