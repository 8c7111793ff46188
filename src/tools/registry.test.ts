import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { silentLogger } from '../core/logger.js';
import { builtinTools, currentTimeTool } from './builtin.js';
import { ToolRegistry, type Tool } from './registry.js';

const ctx = { callId: 'c', logger: silentLogger };
const tool = (name: string, run: Tool['run']): Tool => ({ name, description: name, inputSchema: { type: 'object' }, run });

describe('ToolRegistry', () => {
  it('runs a tool and declares its spec', async () => {
    const r = new ToolRegistry([tool('add', async (a) => (a.x as number) + (a.y as number))]);
    expect(r.specs()).toEqual([{ name: 'add', description: 'add', inputSchema: { type: 'object' } }]);
    expect(await r.run('add', { x: 2, y: 3 }, ctx, 1000)).toMatchObject({ ok: true, result: 5 });
  });

  it('never throws: unknown tool, bad arguments, a throwing tool, a timeout', async () => {
    const r = new ToolRegistry([tool('boom', async () => { throw new Error('kaput'); }), tool('slow', (_a, c) => new Promise((resolve) => c.signal.addEventListener('abort', () => resolve('late'))))]);
    expect(await r.run('nope', {}, ctx, 100)).toMatchObject({ ok: false, error: 'no tool named nope' });
    expect(await r.run('boom', 'x', ctx, 100)).toMatchObject({ ok: false, error: 'arguments must be a JSON object' });
    expect(await r.run('boom', {}, ctx, 100)).toMatchObject({ ok: false, error: 'kaput' });
    const slow = await r.run('slow', {}, ctx, 50);
    expect(slow).toMatchObject({ ok: false, error: 'tool slow timed out after 50 ms' });
    expect(slow.durationMs).toBeGreaterThanOrEqual(45);
  });

  it('times a tool out on the injected clock, measuring duration on it and clearing the timer', async () => {
    const clock = new FakeClock();
    const r = new ToolRegistry([tool('slow', (_a, c) => new Promise((resolve) => c.signal.addEventListener('abort', () => resolve('late'))))], clock);
    const running = r.run('slow', {}, ctx, 30_000);
    await Promise.resolve();
    expect(clock.pendingTimers).toBe(1);
    clock.advance(30_000);
    expect(await running).toEqual({ ok: false, error: 'tool slow timed out after 30000 ms', durationMs: 30_000 });
    const quick = new ToolRegistry([tool('one', async () => 1)], clock);
    expect(await quick.run('one', {}, ctx, 30_000)).toEqual({ ok: true, result: 1, durationMs: 0 });
    expect(clock.pendingTimers).toBe(0);
  });

  it("uses a tool's own timeout over the call's and passes its offline phrases in the spec", async () => {
    const clock = new FakeClock();
    const own: Tool = { ...tool('own', (_a, c) => new Promise((resolve) => c.signal.addEventListener('abort', () => resolve('late')))), timeoutMs: 1000, offline: { phrases: ['note'], arguments: {} } };
    const r = new ToolRegistry([own], clock);
    expect(r.specs()).toEqual([{ name: 'own', description: 'own', inputSchema: { type: 'object' }, offline: { phrases: ['note'], arguments: {} } }]);
    const running = r.run('own', {}, ctx, 30_000);
    await Promise.resolve();
    clock.advance(1000);
    expect(await running).toEqual({ ok: false, error: 'tool own timed out after 1000 ms', durationMs: 1000 });
  });

  it('refuses duplicate names; builtinTools validates the list', () => {
    expect(() => new ToolRegistry([tool('a', async () => 1), tool('a', async () => 2)])).toThrow(/duplicate/);
    expect(builtinTools('get_current_time').map((t) => t.name)).toEqual(['get_current_time']);
    expect(builtinTools('')).toEqual([]);
    expect(() => builtinTools('get_current_time, teleport')).toThrow(/teleport/);
  });

  it('get_current_time answers in a time zone and rejects unknown ones', async () => {
    const t = currentTimeTool(() => new Date('2026-11-21T10:15:00Z'));
    const r = new ToolRegistry([t]);
    expect(await r.run('get_current_time', { timezone: 'Europe/Paris' }, ctx, 1000)).toMatchObject({ ok: true, result: { time: 'Saturday 11:15 AM', timezone: 'Europe/Paris' } });
    expect(await r.run('get_current_time', { timezone: 'Mars/Olympus' }, ctx, 1000)).toMatchObject({ ok: false, error: 'unknown time zone Mars/Olympus' });
  });
});
