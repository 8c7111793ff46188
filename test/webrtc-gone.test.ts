/**
 * A WebRTC caller that vanishes without closing its peer connection: a node-datachannel peer (as in
 * bench/webrtc.ts) sends Opus RTP, then stops sending and keeps its connection open. The server
 * must end the call on the silence of inbound RTP, not wait for ICE to fail (which this peer, still
 * alive and answering ICE checks, never would).
 */
import { Encoder } from '@evan/opus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRtp } from '../src/callers/webrtc/rtp.js';
import type { CallSummary } from '../src/call/types.js';
import { fetchSummary } from '../src/sim/simulate.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { connectPeer } from './helpers/webrtc-peer.js';

let srv: ServerProcess;

beforeAll(async () => {
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, WEBRTC_BIND_ADDRESS: '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  expect(await srv?.stop()).toBe(0);
});

describe('a WebRTC caller that disappears without closing', () => {
  it('is hung up when its RTP stops (reason rtp-timeout), while its connection is still open', async () => {
    // node-datachannel as the offerer sometimes fails to apply the answer (as in bench/webrtc.ts): retry.
    let peer: Awaited<ReturnType<typeof connectPeer>> | undefined;
    for (let attempt = 0; !peer; attempt++) {
      try {
        peer = await connectPeer(srv.url, `gone-peer-${attempt}`);
      } catch (err) {
        if (attempt >= 4) throw err;
        console.log(`WebRTC peer attempt ${attempt + 1} failed (${err instanceof Error ? err.message : err}); retrying`);
      }
    }
    const { pc, track } = peer;
    // Talk for 50 packets (1 s of audio), paced at 20 ms, then go silent without closing anything.
    const encoder = new Encoder({ channels: 1, sample_rate: 48000, application: 'voip' });
    const frame = Int16Array.from({ length: 960 }, (_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 48000)));
    const started = await peer.next((m) => m.type === 'session.started');
    for (let k = 0; k < 50; k++) {
      track.sendMessageBinary(buildRtp({ payloadType: 111, sequenceNumber: k, timestamp: k * 960, ssrc: 4242, marker: k === 0 }, encoder.encode(frame)));
      await new Promise((r) => setTimeout(r, 20));
    }
    try {
      const ended = await peer.next((m) => m.type === 'session.ended');
      expect(ended.reason).toBe('rtp-timeout');
      expect(pc.state(), 'the peer never closed its side').toBe('connected');
      const record = (await fetchSummary(srv.url, (c) => c.id === started.callId)) as CallSummary;
      expect(record.reason).toBe('rtp-timeout');
      expect(record.reasonLabel).toBe("caller's audio stopped");
      expect(record.framesIn).toBeGreaterThan(0);
    } finally {
      peer.close();
    }
  }, 60_000);
});
