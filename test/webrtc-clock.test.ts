/**
 * The WebRTC transport's timers run on the injected clock: on a fake clock, a peer that never
 * connects is released exactly when the clock reaches its connect deadline, and a hung-up peer's
 * connection is released when the clock passes the release delay, not by a real-time timer. A
 * real node-datachannel offer on 127.0.0.1; the peer never connects.
 */
import nodeDataChannel from 'node-datachannel';
import { afterEach, describe, expect, it } from 'vitest';
import { webRtcNetwork } from '../src/callers/webrtc/network.js';
import { WebRtcPeers } from '../src/callers/webrtc/peers.js';
import { WebRtcTransport } from '../src/callers/webrtc/transport.js';
import { FakeClock } from '../src/core/clock.js';
import { silentLogger } from '../src/core/logger.js';

const { Audio, PeerConnection } = nodeDataChannel;
const offerers: Array<InstanceType<typeof PeerConnection>> = [];

/** An SDP offer with Opus audio and a data channel, host candidates on 127.0.0.1. */
async function makeOffer(): Promise<string> {
  const pc = new PeerConnection(`offerer-${offerers.length}`, { iceServers: [], bindAddress: '127.0.0.1' });
  offerers.push(pc);
  const gathered = new Promise<void>((resolve) => pc.onGatheringStateChange((s) => s === 'complete' && resolve()));
  const media = new Audio('0', 'SendRecv');
  media.addOpusCodec(111, 'minptime=10;useinbandfec=1');
  pc.addTrack(media);
  pc.createDataChannel('events');
  pc.setLocalDescription();
  if (pc.gatheringState() !== 'complete') await gathered;
  return pc.localDescription()!.sdp;
}

afterEach(() => {
  for (const pc of offerers.splice(0)) pc.close();
});

describe('WebRTC transport timers on the injected clock', () => {
  const network = { ...webRtcNetwork({ bindAddress: '127.0.0.1', iceServers: [], portRange: undefined, connectTimeoutMs: 5000 }) };

  it('releases a peer that never connects when the clock reaches the connect deadline', async () => {
    const clock = new FakeClock();
    const peers = new WebRtcPeers();
    let expired = 0;
    let released = 0;
    const { transport } = await WebRtcTransport.answer(await makeOffer(), { clock, logger: silentLogger, network, peers, hooks: { onConnectTimeout: () => expired++, onReleased: () => released++ } });
    expect(peers.size).toBe(1);
    clock.advance(4999);
    expect(peers.size).toBe(1);
    clock.advance(1);
    expect({ expired, released, open: peers.size }).toEqual({ expired: 1, released: 1, open: 0 });
    await expect(transport.started).rejects.toThrow('did not connect within 5000 ms');
  });

  it('a peer connection that closes before it connected fails the start at once, not at the deadline', async () => {
    const clock = new FakeClock();
    const peers = new WebRtcPeers();
    const { transport } = await WebRtcTransport.answer(await makeOffer(), { clock, logger: silentLogger, network, peers });
    (transport as unknown as { pc: InstanceType<typeof PeerConnection> }).pc.close();
    await expect(transport.started).rejects.toThrow('went away before it connected (peer-closed)');
  });

  it('releases a hung-up peer when the clock passes the release delay', async () => {
    const clock = new FakeClock();
    const peers = new WebRtcPeers();
    let released = 0;
    const { transport } = await WebRtcTransport.answer(await makeOffer(), { clock, logger: silentLogger, network, peers, hooks: { onReleased: () => released++ } });
    transport.hangup('caller-ended');
    expect(peers.size).toBe(1);
    clock.advance(200);
    expect({ released, open: peers.size }).toEqual({ released: 1, open: 0 });
  });

  it('shutdown through the server-owned registry releases every peer at once', async () => {
    const clock = new FakeClock();
    const peers = new WebRtcPeers();
    await WebRtcTransport.answer(await makeOffer(), { clock, logger: silentLogger, network, peers });
    await WebRtcTransport.answer(await makeOffer(), { clock, logger: silentLogger, network, peers });
    expect(peers.size).toBe(2);
    peers.shutdown();
    expect(peers.size).toBe(0);
  });
});
