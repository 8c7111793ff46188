/**
 * A WebRTC caller that vanishes without closing its peer connection: a node-datachannel peer (as in
 * bench/webrtc.ts) sends Opus RTP, then stops sending and keeps its connection open. The server
 * must end the call on the silence of inbound RTP, not wait for ICE to fail (which this peer, still
 * alive and answering ICE checks, never would).
 */
import { Encoder } from '@evan/opus';
import nodeDataChannel from 'node-datachannel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRtp } from '../src/callers/webrtc/rtp.js';
import type { CallSummary } from '../src/call/types.js';
import { fetchSummary } from '../src/sim/simulate.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

const { Audio, PeerConnection, RtcpReceivingSession } = nodeDataChannel;
let srv: ServerProcess;

beforeAll(async () => {
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, WEBRTC_BIND_ADDRESS: '127.0.0.1' });
}, 120_000);

afterAll(async () => {
  expect(await srv?.stop()).toBe(0);
});

/** Resolves as `p` does, or rejects after `ms` naming what did not happen. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A connected node-datachannel peer with an audio track and the `events` data channel. */
async function connectPeer(url: string, name: string) {
  const pc = new PeerConnection(name, { iceServers: [], bindAddress: '127.0.0.1' });
  // Listen before adding the track and channel: libdatachannel may negotiate and gather at once.
  const gathered = new Promise<void>((resolve) => {
    pc.onGatheringStateChange((state) => state === 'complete' && resolve());
    if (pc.gatheringState() === 'complete') resolve();
  });
  const media = new Audio('0', 'SendRecv');
  media.addOpusCodec(111, 'minptime=10;useinbandfec=1');
  media.addSSRC(4242, 'peer', 'peer', 'peer-audio');
  const track = pc.addTrack(media);
  track.setMediaHandler(new RtcpReceivingSession());
  const dc = pc.createDataChannel('events');
  const messages: Array<Record<string, any>> = [];
  const waiters: Array<() => void> = [];
  dc.onMessage((m) => {
    messages.push(JSON.parse(String(m)));
    for (const w of waiters.splice(0)) w();
  });
  const close = () => {
    dc.close();
    track.close();
    pc.close();
  };
  try {
    // Each step is bounded: a peer that never gathers or whose track never opens is a failed
    // attempt (retried by the caller), not a test that hangs.
    pc.setLocalDescription();
    await within(gathered, 5000, 'ICE gathering');
    const res = await fetch(`${url}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription()!.sdp });
    if (res.status !== 201) throw new Error(`offer refused: ${res.status}`);
    pc.setRemoteDescription(await res.text(), 'answer');
    await within(new Promise<void>((resolve) => (track.isOpen() ? resolve() : track.onOpen(() => resolve()))), 5000, 'the audio track to open');
    await within(new Promise<void>((resolve) => (dc.isOpen() ? resolve() : dc.onOpen(() => resolve()))), 5000, 'the data channel to open');
  } catch (err) {
    close();
    throw err;
  }
  return {
    pc,
    track,
    close,
    async next(pred: (m: Record<string, any>) => boolean): Promise<Record<string, any>> {
      for (;;) {
        const found = messages.find(pred);
        if (found) return found;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
}

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
