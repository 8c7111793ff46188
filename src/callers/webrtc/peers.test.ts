/** The WebRTC peer registry the composition root owns (one per server, not one per process). */
import { describe, expect, it } from 'vitest';
import { WebRtcPeers } from './peers.js';

describe('WebRtcPeers', () => {
  it('counts open peers; shutdown destroys each once, even as they remove themselves', () => {
    const peers = new WebRtcPeers();
    const destroyed: number[] = [];
    const peer = (n: number) => {
      const p = { destroy: () => (destroyed.push(n), peers.delete(p)) };
      return p;
    };
    [1, 2, 3].forEach((n) => peers.add(peer(n)));
    expect(peers.size).toBe(3);
    peers.shutdown();
    expect(destroyed).toEqual([1, 2, 3]);
    expect(peers.size).toBe(0);
  });

  it('two servers in one process keep their own peers', () => {
    const a = new WebRtcPeers();
    const b = new WebRtcPeers();
    const destroyed: string[] = [];
    a.add({ destroy: () => destroyed.push('a') });
    b.add({ destroy: () => destroyed.push('b') });
    a.shutdown();
    expect(destroyed).toEqual(['a']);
    expect(b.size).toBe(1);
  });
});
