import { describe, expect, it } from 'vitest';
import { trustProxyOption } from './limits.js';

describe("TRUST_PROXY as Fastify's trustProxy", () => {
  it('maps each parsed setting: none, all, addresses, and a hop count as a test of the hop index', () => {
    expect(trustProxyOption(false)).toEqual({});
    expect(trustProxyOption(true)).toEqual({ trustProxy: true });
    expect(trustProxyOption(['10.0.0.0/8'])).toEqual({ trustProxy: ['10.0.0.0/8'] });
    const hops = trustProxyOption({ hops: 2 }).trustProxy as (address: string, hop: number) => boolean;
    expect([0, 1, 2].map((hop) => hops('203.0.113.9', hop))).toEqual([true, true, false]);
  });
});
