/**
 * An offer the server cannot set a peer up for is the server's failure, not the caller's: with its
 * only `WEBRTC_PORT_RANGE` port held by another socket, libdatachannel cannot bind ICE ("Failed to
 * gather local ICE candidates"), and both offer routes answer 503 `peer_setup_failed` with the
 * reason and `Retry-After` (it was 400 `bad_offer`, blaming a valid offer). The failed setups hold
 * neither the port nor a call slot: once the port is free, the next offer is answered.
 */
import dgram from 'node:dgram';
import nodeDataChannel from 'node-datachannel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { within } from './helpers/webrtc-peer.js';

const { Audio, PeerConnection } = nodeDataChannel;
let srv: ServerProcess;
let held: dgram.Socket;
let port: number;
let heldOpen = false;

/** A node-datachannel offer (Opus audio and a data channel, its candidates in it); the offerer is closed. */
async function offerSdp(): Promise<string> {
  const pc = new PeerConnection('peer-setup', { iceServers: [], bindAddress: '127.0.0.1' });
  try {
    const gathered = new Promise<void>((resolve) => pc.onGatheringStateChange((s) => s === 'complete' && resolve()));
    const media = new Audio('0', 'SendRecv');
    media.addOpusCodec(111, 'minptime=10;useinbandfec=1');
    pc.addTrack(media);
    pc.createDataChannel('chat');
    pc.setLocalDescription();
    await within(gathered, 5000, 'ICE gathering');
    return pc.localDescription()!.sdp;
  } finally {
    pc.close();
  }
}

const postJson = (sdp: string) => fetch(`${srv.url}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sdp, type: 'offer', pc_id: null, restart_pc: false }) });
const postSdp = (sdp: string) => fetch(`${srv.url}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: sdp });

beforeAll(async () => {
  held = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => held.bind(0, '127.0.0.1', () => resolve()));
  port = held.address().port;
  heldOpen = true;
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, WEBRTC_BIND_ADDRESS: '127.0.0.1', WEBRTC_PORT_RANGE: `${port}-${port}` });
}, 120_000);

afterAll(async () => {
  if (heldOpen) held.close();
  expect(await srv?.stop()).toBe(0);
});

describe('an offer the server cannot set a peer up for', () => {
  it('is answered 503 peer_setup_failed with the reason on both offer routes, and holds no port or call slot', async () => {
    const sdp = await offerSdp();
    for (const [route, res] of [['json', await postJson(sdp)], ['sdp', await postSdp(sdp)]] as const) {
      expect(res.status, `${route}\n${srv.output().slice(-3000)}`).toBe(503);
      expect(res.headers.get('retry-after'), route).toMatch(/^\d+$/);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error, route).toBe('peer_setup_failed');
      expect(body.message, route).toMatch(/could not set up the peer connection: .*ICE/);
    }
    expect(srv.output()).toMatch(/WebRTC peer setup failed/);

    // The port is free again: the next offer gets it (a failed setup left nothing counted).
    await new Promise<void>((resolve) => held.close(() => resolve()));
    heldOpen = false;
    const res = await postJson(sdp);
    expect(res.status, srv.output().slice(-3000)).toBe(200);
    const answer = (await res.json()) as { sdp: string; type: string };
    expect(answer.type).toBe('answer');
    expect(answer.sdp).toContain(` ${port} typ host`);
  }, 30_000);
});
