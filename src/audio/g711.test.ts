import { describe, expect, it } from 'vitest';
import { alawDecode, alawEncode, mulawDecode, mulawEncode } from './g711.js';

// protocols.md part 5.3 test vectors: [pcm, mulaw byte, mulaw decoded, alaw byte, alaw decoded]
const VECTORS: Array<[number, number, number, number, number]> = [
  [0, 0xff, 0, 0xd5, 8],
  [-1, 0x7f, 0, 0x55, -8],
  [8, 0xfe, 8, 0xd5, 8],
  [100, 0xf2, 104, 0xd3, 104],
  [-100, 0x72, -104, 0x53, -104],
  [1000, 0xce, 988, 0xfa, 1008],
  [-1000, 0x4e, -988, 0x7a, -1008],
  [12345, 0x97, 12412, 0xbd, 12544],
  [32767, 0x80, 32124, 0xaa, 32256],
  [-32768, 0x00, -32124, 0x2a, -32256],
];

function refMulawDecode(byte: number): number {
  const b = ~byte & 0xff;
  const mag = ((((b & 0x0f) << 3) + 0x84) << ((b >> 4) & 7)) - 0x84;
  return (b & 0x80 ? -mag : mag) | 0;
}

describe('G.711', () => {
  it.each(VECTORS)('encodes and decodes %i per the protocols.md vectors', (pcm, mu, muDec, a, aDec) => {
    const input = Int16Array.of(pcm);
    expect(mulawEncode(input)[0]).toBe(mu);
    expect(mulawDecode(Uint8Array.of(mu))[0]).toBe(muDec);
    expect(alawEncode(input)[0]).toBe(a);
    expect(alawDecode(Uint8Array.of(a))[0]).toBe(aDec);
  });

  it('decodes all 256 mu-law codes like the reference formula, and re-encodes each to itself', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decoded = mulawDecode(all);
    for (let b = 0; b < 256; b++) expect(decoded[b]).toBe(refMulawDecode(b));
    const reencoded = mulawEncode(decoded);
    for (let b = 0; b < 256; b++) {
      // 0x7F (negative zero) re-encodes to 0xFF (positive zero); every other code is a fixed point.
      expect(reencoded[b]).toBe(b === 0x7f ? 0xff : b);
    }
  });

  it('decodes all 256 A-law codes symmetrically, and re-encodes each to itself', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decoded = alawDecode(all);
    for (let b = 0; b < 128; b++) expect(decoded[b]).toBe(-decoded[b | 0x80]);
    const reencoded = alawEncode(decoded);
    for (let b = 0; b < 256; b++) expect(reencoded[b]).toBe(b);
  });

  it('keeps speech-like signals within G.711 quantisation error', () => {
    const pcm = Int16Array.from({ length: 8000 }, (_, i) => Math.round(20000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    const mu = mulawDecode(mulawEncode(pcm));
    const al = alawDecode(alawEncode(pcm));
    let errMu = 0, errA = 0, sig = 0;
    for (let i = 0; i < pcm.length; i++) {
      sig += pcm[i] ** 2; errMu += (pcm[i] - mu[i]) ** 2; errA += (pcm[i] - al[i]) ** 2;
    }
    expect(10 * Math.log10(sig / errMu)).toBeGreaterThan(35);
    expect(10 * Math.log10(sig / errA)).toBeGreaterThan(35);
  });
});
