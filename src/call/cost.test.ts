import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../config/config.js';
import { callCostUsd, DEFAULT_MODEL_PRICES, priceFor } from './cost.js';
import { CallEventLog, MAX_CALL_EVENTS } from './call-events.js';

describe('call cost', () => {
  it('is usage × the per-1k token prices plus the per-minute price', () => {
    expect(callCostUsd({ inputPer1kTokensUsd: 0.032, outputPer1kTokensUsd: 0.064 }, { inputTokens: 1500, outputTokens: 500 }, 60_000)).toBeCloseTo(0.048 + 0.032, 12);
    expect(callCostUsd({ perMinuteUsd: 0.1 }, undefined, 90_000)).toBeCloseTo(0.15, 12);
    expect(callCostUsd({ inputPer1kTokensUsd: 1, perMinuteUsd: 0.5 }, { inputTokens: 1000, outputTokens: 1000 }, 30_000)).toBeCloseTo(1.25, 12);
    expect(callCostUsd({}, { inputTokens: 1000, outputTokens: 1000 }, 60_000)).toBe(0);
  });

  it('finds a model\'s prices by its vendor id, then its provider id; none for the local model by default', () => {
    expect(priceFor(DEFAULT_MODEL_PRICES, { id: 'nova-sonic', billingId: 'amazon.nova-2-sonic-v1:0' })).toEqual({ inputPer1kTokensUsd: 0.003, outputPer1kTokensUsd: 0.012 });
    expect(priceFor(DEFAULT_MODEL_PRICES, { id: 'nova-sonic', billingId: 'amazon.nova-sonic-v1:0' })).toEqual({ inputPer1kTokensUsd: 0.0034, outputPer1kTokensUsd: 0.0136 });
    expect(priceFor(DEFAULT_MODEL_PRICES, { id: 'openai', billingId: 'gpt-realtime' })).toEqual({ inputPer1kTokensUsd: 0.032, outputPer1kTokensUsd: 0.064 });
    expect(priceFor(DEFAULT_MODEL_PRICES, { id: 'local' })).toBeUndefined();
    expect(priceFor({ openai: { perMinuteUsd: 1 } }, { id: 'openai', billingId: 'gpt-unknown' })).toEqual({ perMinuteUsd: 1 });
  });

  it('MODEL_PRICES adds and replaces prices over the defaults, and a bad value stops start-up naming the problem', () => {
    const prices = loadConfig({ MODEL_PRICES: '{"local": {"perMinuteUsd": 0.002}, "gpt-realtime": {"inputPer1kTokensUsd": 0.04}}' }).MODEL_PRICES;
    expect(prices.local).toEqual({ perMinuteUsd: 0.002 });
    expect(prices['gpt-realtime']).toEqual({ inputPer1kTokensUsd: 0.04 });
    expect(prices['amazon.nova-2-sonic-v1:0']).toEqual(DEFAULT_MODEL_PRICES['amazon.nova-2-sonic-v1:0']);
    expect(loadConfig({}).MODEL_PRICES).toEqual(DEFAULT_MODEL_PRICES);
    const bad: [string, RegExp][] = [
      ['{not json', /MODEL_PRICES=.*not JSON/],
      ['{"x": {"inputPer1kTokens": 1}}', /MODEL_PRICES=.*x: Unrecognized key: "inputPer1kTokens"/],
      ['{"x": {"outputPer1kTokensUsd": -1}}', /MODEL_PRICES=.*x\.outputPer1kTokensUsd/],
      ['[1, 2]', /MODEL_PRICES=.*expected record/],
    ];
    for (const [value, message] of bad) {
      let err: unknown;
      try {
        loadConfig({ MODEL_PRICES: value });
      } catch (e) {
        err = e;
      }
      expect(err, value).toBeInstanceOf(ConfigError);
      expect((err as Error).message, value).toMatch(message);
    }
  });
});

describe('CallEventLog', () => {
  it('keeps the last cumulative usage, renewals and model errors with their times', () => {
    const log = new CallEventLog();
    expect(log.usage).toBeUndefined();
    log.add({ type: 'usage', inputTokens: 100, outputTokens: 40 }, 1000);
    log.add({ type: 'renewed', cause: 'limit' }, 2000.4);
    log.add({ type: 'usage', inputTokens: 250, outputTokens: 90 }, 3000);
    log.add({ type: 'error', code: 'model_unavailable', message: 'throttled', retryable: true }, 3500);
    log.add({ type: 'renewed', cause: 'failure', code: 'model_unavailable', message: 'stream reset' }, 4000);
    log.add({ type: 'speechStarted' }, 4100);
    expect(log.usage).toEqual({ inputTokens: 250, outputTokens: 90 });
    expect(log.events).toEqual([
      { kind: 'renewal', atMs: 2000, code: 'limit' },
      { kind: 'model-error', atMs: 3500, code: 'model_unavailable', message: 'throttled' },
      { kind: 'renewal', atMs: 4000, code: 'failure', message: 'model_unavailable: stream reset' },
    ]);
  });

  it('keeps at most MAX_CALL_EVENTS and counts the rest', () => {
    const log = new CallEventLog();
    for (let i = 0; i < MAX_CALL_EVENTS + 5; i++) log.add({ type: 'error', code: 'model_unavailable', message: 'again', retryable: false }, i);
    expect(log.events).toHaveLength(MAX_CALL_EVENTS);
    expect(log.dropped).toBe(5);
  });
});
