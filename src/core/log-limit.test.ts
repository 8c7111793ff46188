import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { rateLimitedLogger } from './log-limit.js';
import type { Logger } from './logger.js';

/** A logger that keeps its lines as `level msg`. */
function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const make = (): Logger => ({
    debug: (o, m) => lines.push(`debug ${m ?? o}`),
    info: (o, m) => lines.push(`info ${m ?? o}`),
    warn: (o, m) => lines.push(`warn ${m ?? o}`),
    error: (o, m) => lines.push(`error ${m ?? o}`),
    child: () => make(),
  });
  return { logger: make(), lines };
}

describe('rateLimitedLogger', () => {
  it('writes at most N warn/error lines per window, then one summary of the rest', () => {
    const clock = new FakeClock();
    const { logger, lines } = recorder();
    const log = rateLimitedLogger(logger, { clock, maxLines: 3, windowMs: 10_000 });
    const child = log.child({ callId: 'c' });
    for (let i = 0; i < 1000; i++) (i % 2 ? log : child).warn({ i }, `bad ${i}`);
    log.error('boom');
    log.info('still written');
    expect(lines).toEqual(['warn bad 0', 'warn bad 1', 'warn bad 2', 'info still written']);
    clock.advance(10_000);
    expect(lines.at(-1)).toBe('warn suppressed 998 warn/error lines from this connection');
    expect(lines).toHaveLength(5);
    // A new window: lines flow again; no summary when nothing was dropped.
    log.warn('again');
    clock.advance(60_000);
    expect(lines.slice(5)).toEqual(['warn again']);
    expect(clock.pendingTimers).toBe(0);
  });
});
