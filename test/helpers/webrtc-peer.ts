/**
 * A node-datachannel peer for tests (as in bench/webrtc.ts): it offers Opus audio and the `events`
 * data channel, posts the offer to a running server and connects, each step bounded.
 */
import nodeDataChannel from 'node-datachannel';

const { Audio, PeerConnection, RtcpReceivingSession } = nodeDataChannel;

/** Resolves as `p` does, or rejects after `ms` naming what did not happen. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A connected node-datachannel peer with an audio track and the `events` data channel.
 * @throws Error when a step does not complete (callers retry: node-datachannel as the offerer sometimes fails to apply the answer).
 */
export async function connectPeer(url: string, name: string) {
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
