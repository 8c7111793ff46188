/**
 * `MAX_CALL_MS` against a server process: a caller who keeps a call "active" with a DTMF key now
 * and then (before: forever, since every key press resets the inactivity timeout) is hung up at
 * the longest call length, and the cut is counted in `/stats`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCaller } from '../src/sim/clients.js';
import { fetchSummary, isCallOf } from '../src/sim/simulate.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

let srv: ServerProcess;

beforeAll(async () => {
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, INACTIVITY_TIMEOUT_MS: 1500, MAX_CALL_MS: 4000 });
}, 120_000);

afterAll(async () => {
  expect(await srv?.stop()).toBe(0);
});

describe('MAX_CALL_MS', () => {
  it('hangs up a call kept alive by DTMF alone, with reason max-call-length', async () => {
    const caller = await connectCaller({ url: srv.url, via: 'twilio' });
    // A key press every 500 ms: the 1.5 s inactivity timeout never fires.
    const keys = setInterval(() => caller.sendDtmf('5'), 500);
    try {
      const closed = await Promise.race([caller.closed, new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
      expect(closed, 'the server hung up').not.toBeNull();
    } finally {
      clearInterval(keys);
    }
    const summary = await fetchSummary(srv.url, (c) => isCallOf(caller, c));
    expect(summary?.reason).toBe('max-call-length');
    expect(summary!.durationMs).toBeGreaterThanOrEqual(4000);
    const stats = (await (await fetch(`${srv.url}/stats`)).json()) as { limits: { callsAtMaxLength: number } };
    expect(stats.limits.callsAtMaxLength).toBe(1);
  }, 60_000);
});
