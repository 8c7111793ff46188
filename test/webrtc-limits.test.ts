/**
 * WebRTC callers against the limits. Half-open offers: a client that posts offers and never
 * connects must not hold the UDP ports of `WEBRTC_PORT_RANGE` (before: 50 such offers locked every
 * honest caller out with 400 until the stream start timeout); each peer must connect within
 * `WEBRTC_CONNECT_TIMEOUT_MS`, its port returns at that deadline, and an offer that finds every
 * port held is told when to retry. A connected peer sending RTP far faster than real time is hung
 * up, like a WebSocket caller is closed.
 */
import fs from 'node:fs';
import { Encoder } from '@evan/opus';
import nodeDataChannel from 'node-datachannel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRtp } from '../src/callers/webrtc/rtp.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';
import { connectPeer } from './helpers/webrtc-peer.js';

const { Audio, PeerConnection } = nodeDataChannel;
const PORTS = 4;
const FIRST_PORT = 45_000 + Math.floor(Math.random() * 10_000);
let srv: ServerProcess;
let offerSdp = '';

/** UDP sockets bound in the test's port range on this machine (/proc/net/udp, IPv4). */
function udpPortsInRange(): number {
  return fs
    .readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => parseInt(line.trim().split(/\s+/)[1].split(':')[1], 16))
    .filter((port) => port >= FIRST_PORT && port < FIRST_PORT + PORTS).length;
}

const offer = async () => {
  const res = await fetch(`${srv.url}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: offerSdp });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
};

beforeAll(async () => {
  srv = await startServerProcess({
    VOICEBRIDGE_MODEL: 'loopback',
    BARGE_IN_VAD: false,
    WEBRTC_BIND_ADDRESS: '127.0.0.1',
    WEBRTC_PORT_RANGE: `${FIRST_PORT}-${FIRST_PORT + PORTS - 1}`,
    WEBRTC_CONNECT_TIMEOUT_MS: 1500,
    // Longer than the test waits: the ports must come back at the connect deadline, not this one.
    START_TIMEOUT_MS: 60_000,
  });
  // One real offer (Opus audio and a data channel), posted many times by a peer that never answers.
  const pc = new PeerConnection('half-open', { iceServers: [], bindAddress: '127.0.0.1' });
  const gathered = new Promise<void>((resolve) => pc.onGatheringStateChange((s) => s === 'complete' && resolve()));
  const media = new Audio('0', 'SendRecv');
  media.addOpusCodec(111, 'minptime=10;useinbandfec=1');
  pc.addTrack(media);
  pc.createDataChannel('events');
  pc.setLocalDescription();
  await gathered;
  offerSdp = pc.localDescription()!.sdp;
  pc.close();
}, 120_000);

afterAll(async () => {
  expect(await srv?.stop()).toBe(0);
});

describe('WebRTC callers against the limits', () => {
  it('half-open offers return their ports at the connect deadline; an offer finding no free port gets 503 with Retry-After', async () => {
    for (let i = 0; i < PORTS; i++) expect((await offer()).status).toBe(201);
    expect(udpPortsInRange()).toBe(PORTS);
    const full = await offer();
    expect(full.status).toBe(503);
    expect(Number(full.retryAfter)).toBeGreaterThan(0);
    expect(JSON.parse(full.body)).toMatchObject({ error: 'over_limit', limit: 'webrtcPorts' });
    await eventually(() => udpPortsInRange() === 0, 'the half-open peers to release their ports', 15_000);
    const stats = (await (await fetch(`${srv.url}/stats`)).json()) as { calls: number; limits: { offersExpired: number; refused: { webrtcPorts: number } } };
    expect(stats.limits.offersExpired).toBe(PORTS);
    expect(stats.limits.refused.webrtcPorts).toBe(1);
    expect(stats.calls).toBe(0);
    // An honest caller gets a port again.
    expect((await offer()).status).toBe(201);
  }, 60_000);

  it('a connected peer sending RTP at 20× real time is hung up (audio-flood) and counted', async () => {
    let peer: Awaited<ReturnType<typeof connectPeer>> | undefined;
    for (let attempt = 0; !peer; attempt++) {
      try {
        peer = await connectPeer(srv.url, `flood-peer-${attempt}`);
      } catch (err) {
        if (attempt >= 4) throw err;
      }
    }
    const before = (await (await fetch(`${srv.url}/stats`)).json()) as { limits: { inboundAudio: { closedCallers: number } } };
    const encoder = new Encoder({ channels: 1, sample_rate: 48000, application: 'voip' });
    const packet = encoder.encode(Int16Array.from({ length: 960 }, (_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 48000))));
    await peer.next((m) => m.type === 'session.started');
    let k = 0;
    const blast = setInterval(() => {
      // 20 packets of 20 ms every 20 ms: 20× real time.
      for (let i = 0; i < 20; i++, k++) peer!.track.sendMessageBinary(buildRtp({ payloadType: 111, sequenceNumber: k & 0xffff, timestamp: (k * 960) >>> 0, ssrc: 4242, marker: k === 0 }, packet));
    }, 20);
    try {
      const ended = await peer.next((m) => m.type === 'session.ended');
      expect(ended.reason).toBe('audio-flood');
      const after = (await (await fetch(`${srv.url}/stats`)).json()) as typeof before;
      expect(after.limits.inboundAudio.closedCallers).toBe(before.limits.inboundAudio.closedCallers + 1);
    } finally {
      clearInterval(blast);
      peer.close();
    }
  }, 60_000);
});
