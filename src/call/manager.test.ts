import { describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../audio/resample.js';
import type { CallerTransport } from '../callers/transport.js';
import { FakeClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { FakeCallerTransport } from '../../test/fakes/caller-transport.js';
import { fakeModel } from '../../test/fakes/model-session.js';
import { CallManager } from './manager.js';

describe('CallManager', () => {
  it('wrapTransport puts a wrapper between each new call and its transport, given the call id', async () => {
    const wrapped: Array<{ id: string; transport: CallerTransport }> = [];
    let framesThroughWrapper = 0;
    const manager = new CallManager({
      model: fakeModel(), resamplers: await loadResamplerFactory(), clock: new FakeClock(), logger: silentLogger, vad: null,
      options: { systemPrompt: 'x', inactivityTimeoutMs: 10_000, keepAliveAfterMs: 300, playoutLeadMs: 0, markIntervalMs: 100, bargeInVad: false, resampleQuality: 5 },
      wrapTransport: (id, transport) => {
        wrapped.push({ id, transport });
        // a wrapper that counts the caller audio the call receives through it
        return Object.assign(Object.create(transport) as CallerTransport, {
          setHandler: (h: Parameters<CallerTransport['setHandler']>[0]) => transport.setHandler((e) => (e.type === 'audio' && framesThroughWrapper++, h(e))),
        });
      },
    });
    const inner = new FakeCallerTransport();
    const call = await manager.accept(inner);
    expect(wrapped).toEqual([{ id: call!.id, transport: inner }]);
    inner.speak(new Int16Array(160), 0);
    expect(framesThroughWrapper).toBe(1);
    expect(call!.framesIn).toBe(1);
    call!.hangup('test');
    await call!.ended;
  });
});
