/**
 * The ModelSession conformance suite: the same behavioural checks against every provider in
 * ./providers.ts (in the spirit of LiveKit's plugin tests). A session opens; accepts audio at its
 * input rate and answers; emits events in a legal order (audio inside a response when the provider
 * frames responses, every started response done once, `closed` last and once); honours the
 * capabilities it declares (truncation, text input); closes idempotently, releasing its timers;
 * and ignores audio after close without throwing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import type { ModelEvent, ModelSession } from '../../src/models/model.js';
import { PROVIDERS, tone, type ProviderHarness } from './providers.js';

const init = { callId: 'conformance', systemPrompt: 'You are a test.', history: [], logger: silentLogger };

/** Problems with the order of `events` (empty when legal). */
export function orderProblems(events: readonly ModelEvent[], framesResponses: boolean): string[] {
  const problems: string[] = [];
  const open = new Set<string>();
  const done = new Set<string>();
  events.forEach((e, i) => {
    if (e.type === 'closed' && i !== events.length - 1) problems.push(`event ${i}: closed is not last`);
    if (e.type === 'responseStarted') {
      if (open.has(e.responseId) || done.has(e.responseId)) problems.push(`event ${i}: response ${e.responseId} started twice`);
      open.add(e.responseId);
    }
    if (e.type === 'responseDone') {
      if (!open.has(e.responseId)) problems.push(`event ${i}: response ${e.responseId} done without being open`);
      open.delete(e.responseId);
      done.add(e.responseId);
    }
    if (e.type === 'audio') {
      if (!e.responseId) problems.push(`event ${i}: audio without a response id`);
      if (framesResponses && !open.has(e.responseId)) problems.push(`event ${i}: audio outside response ${e.responseId}`);
      if (e.pcm.length === 0) problems.push(`event ${i}: empty audio`);
    }
  });
  return problems;
}

describe('orderProblems (the checker itself)', () => {
  it('finds audio outside a response, a double start and closed not last', () => {
    const pcm = new Int16Array(10);
    expect(orderProblems([{ type: 'audio', pcm, responseId: 'r' }], true)).toHaveLength(1);
    expect(orderProblems([{ type: 'responseStarted', responseId: 'r' }, { type: 'responseStarted', responseId: 'r' }], true)).toHaveLength(1);
    expect(orderProblems([{ type: 'closed', reason: 'x' }, { type: 'speechStarted' }], true)).toHaveLength(1);
    expect(orderProblems([{ type: 'responseStarted', responseId: 'r' }, { type: 'audio', pcm, responseId: 'r' }, { type: 'responseDone', responseId: 'r', cancelled: false }, { type: 'closed', reason: 'x' }], true)).toEqual([]);
  });
});

for (const entry of PROVIDERS) {
  const skipped = entry.skip?.();
  describe.skipIf(skipped !== undefined)(`ModelSession conformance: ${entry.name}${skipped ? ` (skipped: ${skipped})` : ''}`, () => {
    beforeAll(async () => entry.beforeAll?.(), 120_000);
    afterAll(async () => entry.afterAll?.());

    async function opened(): Promise<{ h: ProviderHarness; session: ModelSession; events: ModelEvent[] }> {
      const h = await entry.setup();
      const opening = h.model.open(init);
      const session = await (h.clock ? settleOnClock(h, opening) : opening);
      const events: ModelEvent[] = [];
      session.setHandler((e) => events.push(e));
      return { h, session, events };
    }

    async function settleOnClock<T>(h: ProviderHarness, p: Promise<T>): Promise<T> {
      let settled = false;
      p.then(() => (settled = true), () => (settled = true));
      await h.until(() => settled, 'the session to open');
      return p;
    }

    it('declares sane rates and capabilities, and opens', async () => {
      const { h, session } = await opened();
      expect(h.model.inputRateHz).toBeGreaterThanOrEqual(8000);
      expect(h.model.outputRateHz).toBeGreaterThanOrEqual(8000);
      expect(h.model.maxSessionMs).toBeGreaterThan(0);
      await session.close();
      await h.teardown();
    });

    it('answers caller audio at its input rate, with events in a legal order and closed last and once', async () => {
      const { h, session, events } = await opened();
      await h.speak(session);
      if (entry.responses) await h.until(() => events.some((e) => e.type === 'responseDone'), 'a finished response');
      else await h.until(() => events.some((e) => e.type === 'audio'), 'audio back');
      expect(events.some((e) => e.type === 'audio')).toBe(true);
      await session.close();
      await session.close(); // idempotent
      expect(events.filter((e) => e.type === 'closed')).toHaveLength(1);
      expect(orderProblems(events, entry.responses)).toEqual([]);
      if (h.clock) expect(h.clock.pendingTimers).toBe(0);
      await h.teardown();
    });

    it('honours truncation when it declares it: the heard part of a reply replaces its transcript', async () => {
      const { h, session, events } = await opened();
      if (!h.model.capabilities.truncation) {
        await session.close();
        return h.teardown();
      }
      await h.speak(session);
      await h.until(() => events.some((e) => e.type === 'responseDone'), 'a finished response');
      const done = events.find((e): e is Extract<ModelEvent, { type: 'responseDone' }> => e.type === 'responseDone')!;
      const full = events.filter((e): e is Extract<ModelEvent, { type: 'transcript' }> => e.type === 'transcript' && e.role === 'assistant' && e.final && e.responseId === done.responseId).at(-1);
      expect(full?.text.length).toBeGreaterThan(0);
      const before = events.length;
      session.truncate(done.responseId, 0);
      await h.until(() => events.slice(before).some((e) => e.type === 'transcript' && e.responseId === done.responseId), 'the truncated transcript');
      const cut = events.slice(before).find((e): e is Extract<ModelEvent, { type: 'transcript' }> => e.type === 'transcript')!;
      expect(cut.text.length).toBeLessThan(full!.text.length);
      await session.close();
      await h.teardown();
    });

    it('takes text input when it declares it', async () => {
      const { h, session, events } = await opened();
      if (!h.model.capabilities.textInput) {
        expect(() => session.sendText('ignored')).not.toThrow();
        await session.close();
        return h.teardown();
      }
      session.sendText('what time is it');
      await h.textReached(events, 'what time is it');
      await session.close();
      expect(orderProblems(events, entry.responses)).toEqual([]);
      if (h.clock) expect(h.clock.pendingTimers).toBe(0);
      await h.teardown();
    });

    it('closes idempotently, releases its timers and ignores audio after close without throwing', async () => {
      const { h, session, events } = await opened();
      session.sendAudio(tone(h.model.inputRateHz, 100));
      await Promise.all([session.close(), session.close()]);
      await session.close();
      if (h.clock) expect(h.clock.pendingTimers).toBe(0);
      const after = events.length;
      expect(() => session.sendAudio(tone(h.model.inputRateHz, 100))).not.toThrow();
      expect(() => session.cancelResponse()).not.toThrow();
      if (h.clock) await h.until(() => true, 'nothing');
      expect(events.slice(after)).toEqual([]);
      expect(events.filter((e) => e.type === 'closed')).toHaveLength(1);
      expect(events.at(-1)!.type).toBe('closed');
      await h.teardown();
    });
  });
}
