/**
 * WebRTC load benchmark: N concurrent WebRTC sessions against one server process (compiled
 * `dist/`, loopback model, so every caller frame is Opus-decoded, resampled, echoed, resampled,
 * paced and Opus-encoded again). The callers are node-datachannel peers in this process, each
 * sending a 20 ms Opus packet on an absolute schedule. Reports per N: server CPU per session,
 * sessions one core would hold at that cost, and whether the server's 20 ms packets arrive on
 * time (share of inter-arrival gaps more than 10 ms off 20 ms, packets per second per session).
 * Each run's JSON line also holds the server's RSS and its growth per session over the idle server.
 *
 *   npm run build && npx tsx bench/webrtc.ts [--sessions 5,10,20] [--seconds 20]
 *
 * Linux only (reads /proc for the server's CPU time).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Encoder } from '@evan/opus';
import nodeDataChannel from 'node-datachannel';
import { Histogram } from '../src/core/histogram.js';
import { buildRtp, parseRtp } from '../src/callers/webrtc/rtp.js';
import { cpuSeconds, freePort, LOAD_TEST_LIMITS, rssMb, whenReady } from './proc.js';
import { runAndTabulate } from './table.js';

const { values } = parseArgs({ options: { sessions: { type: 'string', default: '5,10,20' }, seconds: { type: 'string', default: '20' }, warmup: { type: 'string', default: '4' } } });
const counts = values.sessions!.split(',').map(Number);
const windowS = Number(values.seconds);
const warmupS = Number(values.warmup);
const { Audio, PeerConnection, RtcpReceivingSession } = nodeDataChannel;



async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/cli/index.js', 'serve', '--model', 'loopback'], {
    env: { ...process.env, ...LOAD_TEST_LIMITS, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', BARGE_IN_VAD: 'false', INACTIVITY_TIMEOUT_MS: '600000', WEBRTC_BIND_ADDRESS: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return whenReady(child, port);
}

/** A speech-like two-tone at 48 kHz with a 3 Hz syllable envelope. */
function frame48k(n: number): Int16Array {
  return Int16Array.from({ length: 960 }, (_, i) => {
    const t = (n * 960 + i) / 48000;
    return Math.round(6000 * (0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t)) * (Math.sin(2 * Math.PI * 300 * t) + 0.5 * Math.sin(2 * Math.PI * 1200 * t)));
  });
}

interface Peer {
  pc: InstanceType<typeof PeerConnection>;
  send(payload: Uint8Array): void;
  received: number;
  /** Frames not sent because the track had closed. */
  sendFailures: number;
  dc?: unknown;
  gaps: Histogram;
  close(): void;
}

async function connectPeer(url: string, id: number, measuring: () => boolean): Promise<Peer> {
  const pc = new PeerConnection(`bench-${id}`, { iceServers: [], bindAddress: '127.0.0.1' });
  const media = new Audio('0', 'SendRecv');
  media.addOpusCodec(111, 'minptime=10;useinbandfec=1');
  const ssrc = 1000 + id;
  media.addSSRC(ssrc, 'bench', 'bench', 'bench-audio');
  const track = pc.addTrack(media);
  track.setMediaHandler(new RtcpReceivingSession());
  const peer: Peer = { pc, received: 0, sendFailures: 0, gaps: new Histogram(200), send: () => {}, close: () => pc.close() };
  let last = 0;
  track.onMessage((buf) => {
    if (!parseRtp(buf)) return;
    const t = performance.now();
    if (measuring()) {
      peer.received++;
      if (last) peer.gaps.record(Math.abs(t - last - 20));
    }
    last = t;
  });
  // Keep the channel referenced: a collected channel closes, and the server ends the call.
  peer.dc = pc.createDataChannel('events');
  const gathered = new Promise<void>((resolve) => pc.onGatheringStateChange((s) => s === 'complete' && resolve()));
  pc.setLocalDescription();
  await Promise.race([gathered, new Promise((r) => setTimeout(r, 2000))]);
  const res = await fetch(`${url}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription()!.sdp });
  if (res.status !== 201) throw new Error(`offer refused: ${res.status} ${await res.text()}`);
  pc.setRemoteDescription(await res.text(), 'answer');
  const open = new Promise<void>((resolve) => track.onOpen(() => resolve()));
  await Promise.race([open, new Promise((_, reject) => setTimeout(() => reject(new Error('track did not open')), 5000))]);
  let seq = 0;
  let ts = 0;
  peer.send = (payload) => {
    if (!track.isOpen()) {
      peer.sendFailures++;
      return;
    }
    track.sendMessageBinary(buildRtp({ payloadType: 111, sequenceNumber: seq++, timestamp: (ts += 960), ssrc, marker: seq === 1 }, payload));
  };
  return peer;
}

async function runOnce(n: number) {
  const port = await freePort();
  const server = await startServer(port);
  const url = `http://127.0.0.1:${port}`;
  await new Promise((r) => setTimeout(r, 500));
  const rssIdle = rssMb(server.pid!);
  let measuring = false;
  const peers: Peer[] = [];
  for (let i = 0; i < n; i++) {
    // node-datachannel as the offerer sometimes fails to apply the answer (webrtc.md §1.1): retry.
    for (let attempt = 0; ; attempt++) {
      try {
        peers.push(await connectPeer(url, i * 10 + attempt, () => measuring));
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }
  // One Opus stream shared by all callers (encoding it is the callers' cost, not the server's).
  const encoder = new Encoder({ channels: 1, sample_rate: 48000, application: 'voip' });
  const start = performance.now();
  let k = 0;
  let running = true;
  const loop = () => {
    if (!running) return;
    const now = performance.now();
    while (start + k * 20 <= now) {
      const payload = encoder.encode(frame48k(k));
      for (const p of peers) p.send(payload);
      k++;
    }
    setTimeout(loop, Math.max(0, start + k * 20 - performance.now()));
  };
  loop();
  await new Promise((r) => setTimeout(r, warmupS * 1000));
  measuring = true;
  const cpu0 = cpuSeconds(server.pid!);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowS * 1000));
  const cpu1 = cpuSeconds(server.pid!);
  const t1 = performance.now();
  const rss = rssMb(server.pid!);
  measuring = false;
  running = false;
  const stats = (await (await fetch(`${url}/stats`)).json()) as Record<string, any>;
  const ended = ((await (await fetch(`${url}/calls`)).json()) as { recent: { reason: string }[] }).recent.map((c) => c.reason);
  if (ended.length) console.error(`calls that ended during the run: ${ended.join(', ')}`);
  const gaps = new Histogram(200);
  for (const p of peers) gaps.merge(p.gaps);
  const received = peers.reduce((s, p) => s + p.received, 0);
  let late = 0;
  let total = 0;
  for (const p of peers) {
    const s = p.gaps.summary();
    total += s.count;
    late += p.gaps.countAbove(10);
  }
  for (const p of peers) p.close();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  const cpuShare = (cpu1 - cpu0) / ((t1 - t0) / 1000);
  return {
    sessions: n,
    serverCpuPercent: +(cpuShare * 100).toFixed(1),
    cpuPercentPerSession: +((cpuShare * 100) / n).toFixed(2),
    sessionsPerCore: Math.floor(n / cpuShare),
    packetsPerSecondPerSession: +(received / n / ((t1 - t0) / 1000)).toFixed(1),
    lateShare: total ? +((late / total) * 100).toFixed(2) : 0,
    gapOffMs: { p50: gaps.summary().p50Ms, p99: gaps.summary().p99Ms },
    outboundAddedMs: { p50: stats.outboundLatencyMs.p50Ms, p99: stats.outboundLatencyMs.p99Ms },
    underruns: stats.underruns,
    rssMb: +rss.toFixed(0),
    /** Growth over the idle server divided by the session count (GC makes small counts noisy). */
    rssPerSessionMb: +((rss - rssIdle) / n).toFixed(2),
  };
}

await runAndTabulate(counts, runOnce, [
  ['sessions', (r) => r.sessions],
  ['server CPU', (r) => `${r.serverCpuPercent}%`],
  ['CPU per session', (r) => `${r.cpuPercentPerSession}%`],
  ['sessions per core', (r) => r.sessionsPerCore],
  ['packets/s per session', (r) => r.packetsPerSecondPerSession],
  ['packets off 20 ms by > 10 ms', (r) => `${r.lateShare}%`],
  ['gap off 20 ms p50/p99', (r) => `${r.gapOffMs.p50}/${r.gapOffMs.p99} ms`],
  ['outbound added p50/p99', (r) => `${r.outboundAddedMs.p50}/${r.outboundAddedMs.p99} ms`],
]);
// libdatachannel's threads may outlive the closed connections (its cleanup() aborts here): leave.
process.exit(0);
