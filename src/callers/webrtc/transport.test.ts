/**
 * A peer connection that cannot be set up natively (libdatachannel failing to create it or its
 * track) is a `PeerSetupError` (503), never a bare error (which the offer route answered 500), and
 * leaves nothing open or counted in the server's peers (a counted leak would hold a
 * `WEBRTC_PORT_RANGE` port for ever). Failures are injected through `createPeerConnection`.
 */
import nodeDataChannel from 'node-datachannel';
import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../../test/fakes/logger.js';
import { FakeClock } from '../../core/clock.js';
import { PeerSetupError } from './network.js';
import { WebRtcPeers } from './peers.js';
import { WebRtcTransport, type WebRtcTransportDeps } from './transport.js';

const OFFER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=setup:actpass\r\n';

function deps(createPeerConnection: WebRtcTransportDeps['createPeerConnection']) {
  const peers = new WebRtcPeers();
  let released = 0;
  const d: WebRtcTransportDeps = {
    clock: new FakeClock(),
    logger: new RecordingLogger(),
    network: { bindAddress: '127.0.0.1', iceServers: [], gatherTimeoutMs: 2000, connectTimeoutMs: 10_000 },
    peers,
    hooks: { onReleased: () => released++ },
    createPeerConnection,
  };
  return { d, peers, released: () => released };
}

describe('a peer connection that cannot be set up', () => {
  it('libdatachannel failing to create it: PeerSetupError with the reason, nothing counted', async () => {
    const { d, peers } = deps(() => {
      throw new Error('libdatachannel error while creating peer connection: Invalid port range');
    });
    const answering = WebRtcTransport.answer(OFFER, d);
    await expect(answering).rejects.toBeInstanceOf(PeerSetupError);
    await expect(answering).rejects.toMatchObject({ code: 'peer_setup_failed', message: expect.stringContaining('Invalid port range') });
    expect(peers.size).toBe(0);
  });

  it('its track failing: the created connection is closed, PeerSetupError, nothing counted', async () => {
    let created: InstanceType<typeof nodeDataChannel.PeerConnection> | undefined;
    const { d, peers } = deps((name, config) => {
      const pc = new nodeDataChannel.PeerConnection(name, config);
      created = pc;
      // Its methods are read-only on the native class: shadow this one on the instance.
      Object.defineProperty(pc, 'addTrack', {
        value: () => {
          throw new Error('libdatachannel error: track refused');
        },
      });
      return pc;
    });
    await expect(WebRtcTransport.answer(OFFER, d)).rejects.toMatchObject({ code: 'peer_setup_failed', message: expect.stringContaining('track refused') });
    expect(peers.size).toBe(0);
    expect(created?.state()).toBe('closed');
  });
});
