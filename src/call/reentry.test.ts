import { describe, expect, it } from 'vitest';
import { ReentryGuard } from './reentry.js';

describe('ReentryGuard', () => {
  it('lets events through outside a step', () => {
    const guard = new ReentryGuard<string>(() => {});
    expect(guard.defer('a')).toBe(false);
  });

  it('queues events offered during a step and handles them after it, in order', () => {
    const order: string[] = [];
    const guard = new ReentryGuard<string>((e) => order.push(`handled ${e}`));
    guard.run(() => {
      expect(guard.defer('a')).toBe(true);
      expect(guard.defer('b')).toBe(true);
      order.push('step done');
    });
    expect(order).toEqual(['step done', 'handled a', 'handled b']);
    expect(guard.defer('c')).toBe(false);
  });

  it('lets the handler of a queued event run its own step', () => {
    const order: string[] = [];
    const guard: ReentryGuard<string> = new ReentryGuard<string>((e) => {
      order.push(e);
      if (e === 'a') guard.run(() => void guard.defer('b'));
    });
    guard.run(() => void guard.defer('a'));
    expect(order).toEqual(['a', 'b']);
  });

  it('keeps events queued by a step that threw for the end of the next step', () => {
    const handled: string[] = [];
    const guard = new ReentryGuard<string>((e) => handled.push(e));
    expect(() =>
      guard.run(() => {
        guard.defer('a');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(handled).toEqual([]);
    expect(guard.defer('x')).toBe(false);
    guard.run(() => {});
    expect(handled).toEqual(['a']);
  });
});
