/**
 * `GET /monitor` on a real server process: admin-only exactly as `/calls` (401 without or with a
 * wrong admin token, 403 through a proxy when only local clients are admins; loopback model), and
 * sensible figures after two Twilio calls against the OpenAI Realtime emulator (a child process,
 * echo brain: it detects the caller's tone and plays it back as a reply, so turns have a reply
 * latency): a live call counted while it runs, then none live, the turns' reply latencies in the
 * 5-minute window, and process figures in range.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../src/audio/resample.js';
import type { MonitorSnapshot } from '../src/observability/monitor.js';
import { simulateCall } from '../src/sim/simulate.js';
import { openAIEmulatorSettings, startEmulatorProcess, startServerProcess, type EmulatorProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';

const ADMIN = 'admin-token-monitor-0123456789';
const servers: ServerProcess[] = [];
let emulator: EmulatorProcess | undefined;

afterAll(async () => {
  for (const s of servers) await s.stop();
  await emulator?.stop();
});

async function start(settings: Record<string, string | boolean> = {}): Promise<ServerProcess> {
  const s = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: 'false', ...settings });
  servers.push(s);
  return s;
}

async function monitor(srv: ServerProcess, headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` }): Promise<MonitorSnapshot> {
  const res = await fetch(`${srv.url}/monitor`, { headers });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  return (await res.json()) as MonitorSnapshot;
}

/** One second of a 300 Hz tone at 16 kHz: the echo brain plays it back as the reply. */
const TONE = Int16Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 16000)));

describe('GET /monitor', () => {
  it('is for admins only, as /calls is: 401 without the admin token, 403 through a proxy when only local clients are admins', async () => {
    const withToken = await start({ ADMIN_TOKEN: ADMIN });
    const none = await fetch(`${withToken.url}/monitor`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await none.json()) as { error: string }).error).toBe('unauthorized');
    expect((await fetch(`${withToken.url}/monitor`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
    expect((await monitor(withToken)).activeCalls).toBe(0);

    const localOnly = await start();
    expect((await monitor(localOnly, {})).activeCalls).toBe(0);
    const proxied = await fetch(`${localOnly.url}/monitor`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.status).toBe(403);
    expect(((await proxied.json()) as { message: string }).message).toContain('ADMIN_TOKEN');
  }, 120_000);

  it('counts a live call while it runs, and after two calls has their reply latencies and sensible process figures', async () => {
    emulator = await startEmulatorProcess(['--brain', 'echo'], 60_000, 'openai-realtime');
    const srv = await start({ ...openAIEmulatorSettings(emulator), OPENAI_TRANSCRIPTION_MODEL: 'none', ADMIN_TOKEN: ADMIN });
    const resamplers = await loadResamplerFactory();
    let during: Promise<MonitorSnapshot> | undefined;
    const results = [];
    for (let i = 0; i < 2; i++) {
      results.push(
        await simulateCall({
          url: srv.url, via: 'twilio', samples: TONE, sampleRateHz: 16000, resamplers, maxTailMs: 4000, adminToken: ADMIN,
          // Read once the caller is connected (the call is live until the simulation hangs up).
          onTick: () => (during ??= eventually(async () => { const s = await monitor(srv); return s.activeCalls >= 1 ? s : undefined; }, 'the live call in /monitor')),
        }),
      );
    }
    const live = await during!;
    expect(live.activeCalls).toBe(1);
    expect(live.activeByCarrier).toEqual({ twilio: 1 });
    const timed = results.flatMap((r) => r.turns).filter((t) => t.replyLatencyMs !== null);
    expect(timed.length).toBeGreaterThanOrEqual(2);

    const after = await eventually(async () => { const s = await monitor(srv); return s.activeCalls === 0 && s.replyLatencyMs.count >= timed.length && s.storeBacklog === 0 ? s : undefined; }, 'both calls ended in /monitor');
    expect(after.activeByCarrier).toEqual({});
    expect(after.replyLatencyMs.count).toBe(timed.length);
    const latencies = timed.map((t) => t.replyLatencyMs!).sort((a, b) => a - b);
    expect(after.replyLatencyMs.p50).toBe(latencies[Math.ceil(latencies.length / 2) - 1]);
    expect(after.replyLatencyMs.p99).toBe(latencies[latencies.length - 1]);
    expect(after.replyLatencyMs.p50!).toBeGreaterThan(0);
    expect(after.underruns.lastMinute).toBeLessThanOrEqual(after.underruns.total);
    expect(after.underruns.total).toBeGreaterThanOrEqual(0);
    expect(after.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(after.cpuPercent)).toBe(true);
    const lag = after.eventLoopLagMs;
    expect(lag.p50).toBeGreaterThanOrEqual(0);
    expect(lag.p99).toBeGreaterThanOrEqual(lag.p50);
    expect(lag.max).toBeGreaterThanOrEqual(lag.p99);
    expect(after.rssBytes).toBeGreaterThan(20 * 1024 * 1024);
    expect(after.uptimeMs).toBeGreaterThan(live.uptimeMs);
    expect(Math.abs(after.atMs - Date.now())).toBeLessThan(60_000);
  }, 120_000);
});
