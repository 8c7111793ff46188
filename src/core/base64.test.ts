import { describe, expect, it } from 'vitest';
import { base64Bytes, writeBase64 } from './base64.js';

describe('writeBase64', () => {
  it('writes what Buffer.toString("base64") gives, for every length up to 300 and every padding', () => {
    let seed = 7;
    for (let n = 0; n <= 300; n++) {
      const src = new Uint8Array(n);
      for (let i = 0; i < n; i++) src[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      const dst = Buffer.alloc(base64Bytes(n) + 4, 0x2a);
      expect(writeBase64(src, dst, 2)).toBe(2 + base64Bytes(n));
      expect(dst.toString('latin1', 2, 2 + base64Bytes(n))).toBe(Buffer.from(src).toString('base64'));
      expect([dst[0], dst[1], dst[dst.length - 2], dst[dst.length - 1]]).toEqual([0x2a, 0x2a, 0x2a, 0x2a]);
    }
  });

  it('encodes every byte value (RFC 4648 test vectors and all 256 bytes)', () => {
    const enc = (s: Uint8Array) => {
      const d = Buffer.alloc(base64Bytes(s.length));
      writeBase64(s, d, 0);
      return d.toString('latin1');
    };
    expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map((s) => enc(Buffer.from(s)))).toEqual(['', 'Zg==', 'Zm8=', 'Zm9v', 'Zm9vYg==', 'Zm9vYmE=', 'Zm9vYmFy']);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(enc(all)).toBe(Buffer.from(all).toString('base64'));
  });

  it('refuses a destination too small, writing nothing', () => {
    const dst = Buffer.alloc(7, 1);
    expect(() => writeBase64(new Uint8Array(6), dst, 0)).toThrow(RangeError);
    expect(() => writeBase64(new Uint8Array(3), dst, 4)).toThrow(/needs 4 bytes at 4/);
    expect(dst.every((b) => b === 1)).toBe(true);
  });
});
