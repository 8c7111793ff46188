/**
 * The speech-to-speech load benchmark (Nova Sonic, or OpenAI Realtime with `--model openai`),
 * measured the way a user would measure it: the server (compiled `dist/`, default settings,
 * `--model nova-sonic` through the real AWS SDK, or `--model openai` over its WebSocket) pinned to
 * CPU 0 with `taskset`; in this process, pinned to CPU 1, N simulated Twilio callers and a stand-in
 * model service (the Bedrock or the OpenAI Realtime emulator with the timed brain: 2 s of speech
 * every 6 s, streamed in 100 ms chunks at real-time pace, or with `--pace burst` all at once).
 * The stand-in runs on its own worker thread (bench/stand-in.ts), so the callers' work does not
 * make its chunks late and its work does not make the callers' receive times late; the two
 * threads share CPU 1, the stand-in's five nice steps ahead when `--nice` is below 0. Callers send a continuous 440 Hz tone.
 *
 * Everything is timed outside the server:
 * - CPU: the whole server process (`/proc/PID/stat` utime + stime, every thread), per call-minute,
 *   and the marginal cost between the smallest and largest call counts; per-thread CPU by name;
 * - inbound added latency: caller frame sent → the `audioInput` event holding it reaches the
 *   stand-in (includes the server's input batching, `NOVA_AUDIO_CHUNK_MS`);
 * - outbound added latency: frame received at the carrier − the earliest the server could have
 *   sent it: max(its chunk left the stand-in, reply start + its offset − `PLAYOUT_LEAD_MS`); a
 *   Bedrock chunk's time is taken once its burst is encoded and queued, before Node's HTTP/2 flush
 *   (bench/stand-in.ts), so it can be early but never late;
 * - underruns, counted twice: at a carrier with a one-frame (20 ms) jitter buffer, as real carriers
 *   have at least, and at the strictest carrier (no buffer). `CarrierPlayout`: from a reply's first
 *   frame it plays 20 ms every 20 ms; a tick finding the buffer empty mid-reply is an underrun.
 *   Each underrun at the one-frame-buffer carrier is put down to whichever was later than at its
 *   reply's start: the stand-in sending the chunk (`underrunCauses.standInLate`) or the chunk's
 *   trip through the server to the carrier (`underrunCauses.tripLate`); `unknown` for one found at
 *   a reply's first frame (the reply before it was cut short) or at a clear.
 *
 *   npm run bench:nova -- [--model nova-sonic|openai] [--calls 20,60] [--seconds 30] [--pace realtime|burst] [--no-pin]
 *                         [--nice=-10] [--env KEY=VALUE]… [--profile DIR] [--server-dir OTHER_CHECKOUT]
 *                         [--frames-out FILE]
 *
 * On a machine shared with other work, run it as
 * `setsid node --import tsx bench/nova-calls.ts --nice=-10 …` (root): the benchmark and the server
 * then get their own scheduling groups at that priority, so other load cannot distort the latency
 * and underrun figures.
 *
 * Linux only (reads /proc; pins with taskset when available).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Histogram } from '../src/core/histogram.js';
import { CarrierPlayout } from '../src/sim/carrier-playout.js';
import { connectCaller, type SimulatedCaller } from '../src/sim/clients.js';
import { cpuSeconds, cpuSplitSeconds, freePort, LOAD_TEST_LIMITS, pinBenchmarkProcess, rssMb, threadCpuSeconds, whenReady } from './proc.js';
import { startStandIn } from './stand-in-host.js';
import { runAndTabulate } from './table.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'nova-sonic' },
    calls: { type: 'string', default: '20,60' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    pace: { type: 'string', default: 'realtime' },
    'no-pin': { type: 'boolean', default: false },
    /** Extra server environment (experiments only: the figures in the README use none). */
    env: { type: 'string', multiple: true, default: [] },
    /** Write a V8 CPU profile of the server process into this folder. */
    profile: { type: 'string' },
    /**
     * Scheduling priority (nice value) for the server and this process, e.g. -10 on a machine
     * shared with other work, so that it cannot distort the figures (needs root for < 0).
     */
    nice: { type: 'string', default: '0' },
    /** Extra node flags for the server (diagnosis, e.g. --trace-gc with BENCH_SERVER_STDOUT=1). */
    'node-flag': { type: 'string', multiple: true, default: [] },
    /** Run the server built in another checkout (A/B comparisons): its folder. */
    'server-dir': { type: 'string', default: '.' },
    /**
     * Write every measured reply frame to this file (diagnosis), one line each:
     * `calls call frame atMs addedMs`, atMs from that run's window start; every call count's run.
     */
    'frames-out': { type: 'string' },
  },
});
const pace = values.pace === 'burst' ? 'burst' : 'realtime';
const modelId = values.model === 'openai' ? 'openai' : 'nova-sonic';
const counts = values.calls!.split(',').map(Number);
if (values['frames-out']) fs.writeFileSync(values['frames-out'], '');
const windowS = Number(values.seconds);
const warmupS = Number(values.warmup);
/** The server's defaults the outbound figure is judged against (config.ts). */
const PLAYOUT_LEAD_MS = 60;
const REPLY_MS = 2000;
const CHUNK_MS = 100;
const FRAME_MS = 20;
const FRAMES_PER_CHUNK = CHUNK_MS / FRAME_MS;

const nice = Number(values.nice);
const pin = pinBenchmarkProcess(!values['no-pin'], nice);
const extraEnv = Object.fromEntries(values.env!.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));

/** The model service's settings for the server: the Bedrock emulator's endpoint and test keys, or the OpenAI emulator's URL and key. */
function modelEnv(emulatorUrl: string): Record<string, string> {
  if (modelId === 'openai') return { OPENAI_API_KEY: 'test', OPENAI_REALTIME_URL: `${emulatorUrl.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime` };
  return { NOVA_ENDPOINT: emulatorUrl, NOVA_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
}

async function startServer(port: number, emulatorUrl: string): Promise<ChildProcess> {
  const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const args = [...profile, ...values['node-flag']!, `${values['server-dir']}/dist/cli/index.js`, 'serve', '--model', modelId];
  const [cmd, argv] = pin ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  Object.assign(env, {
    ...LOAD_TEST_LIMITS,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...modelEnv(emulatorUrl),
    ...extraEnv,
  });
  // Its own session (so its own autogroup) lets --nice apply to all of the server's threads.
  const child = spawn(cmd, argv, { env, stdio: ['ignore', process.env.BENCH_SERVER_STDOUT ? 'inherit' : 'ignore', 'inherit'], detached: nice !== 0 });
  if (nice !== 0) {
    os.setPriority(child.pid!, nice);
    if (fs.existsSync(`/proc/${child.pid}/autogroup`)) fs.writeFileSync(`/proc/${child.pid}/autogroup`, String(nice));
  }
  return whenReady(child, port);
}

/** The caller's signal: a continuous 440 Hz tone at −18 dBFS, as 20 ms frames at 8 kHz. */
const TONE_FRAMES = Array.from({ length: 50 }, (_, n) =>
  Int16Array.from({ length: 160 }, (_, i) => Math.round(4000 * Math.sin((2 * Math.PI * 440 * (n * 160 + i)) / 8000))),
);

/** One caller as the benchmark sees it. */
interface Leg {
  caller: SimulatedCaller;
  /** Index of its first frame on the shared schedule. */
  offset: number;
  /** Send time of each caller frame, ms. */
  sentAtMs: number[];
  /** Caller audio that reached the stand-in, ms. */
  deliveredMs: number;
  carrier: CarrierPlayout;
  /** The same frames at a carrier with a one-frame jitter buffer. */
  buffered: CarrierPlayout;
  /** Replies as the carrier received them (frame arrival times), matched to the stand-in's chunks after the run. */
  replies: CarrierReply[];
  clears: number;
}

/** One reply at a carrier: when each frame arrived (NaN outside the measuring window), ms. */
interface CarrierReply {
  startMs: number;
  arrivalsMs: number[];
  /** The frames whose late arrival made the one-frame-buffer carrier run dry. */
  lateFrames: number[];
}

async function runOnce(n: number) {
  const inbound = new Histogram(1000);
  const outbound = new Histogram(1000);
  const frameLog: string[] | undefined = values['frames-out'] ? [] : undefined;
  const firstFrame = new Histogram(1000);
  const transitSpread = new Histogram(1000);
  /** stream session id → reply number → chunk emission times. */
  const emitted = new Map<string, Map<number, number[]>>();
  const legs: Leg[] = [];
  const sessionOfLeg: string[] = [];
  const chunkLateness = new Histogram(1000);
  /** The measuring window on this thread's clock (records arrive in batches, after the fact). */
  const window = { fromMs: Infinity, toMs: Infinity };
  const inWindow = (atMs: number): boolean => atMs >= window.fromMs && atMs <= window.toMs;
  const onChunk = (sessionId: string, reply: number, chunk: number, atMs: number, dueAtMs: number): void => {
    if (inWindow(atMs)) chunkLateness.record(atMs - dueAtMs);
    let replies = emitted.get(sessionId);
    if (!replies) emitted.set(sessionId, (replies = new Map()));
    let times = replies.get(reply);
    if (!times) replies.set(reply, (times = []));
    times[chunk] = atMs;
  };
  const onAudioInput = (stream: number, durationMs: number, atMs: number): void => {
    const leg = legs[stream - 1];
    if (!leg) return;
    const before = Math.floor(leg.deliveredMs / FRAME_MS);
    leg.deliveredMs += durationMs;
    const after = Math.floor(leg.deliveredMs / FRAME_MS);
    if (inWindow(atMs)) for (let k = before; k < after && k < leg.sentAtMs.length; k++) inbound.record(atMs - leg.sentAtMs[k]);
  };
  /** The stand-in model service, and the brain session id of its i-th stream once its audio flows. */
  const emulator = await startStandIn(
    { model: modelId, pace, replyMs: REPLY_MS, chunkMs: CHUNK_MS, replyEveryMs: 6000, ...(nice < 0 ? { nice: Math.max(-20, nice - 5) } : {}) },
    { onInput: onAudioInput, onChunk },
  );
  const port = await freePort();
  const server = await startServer(port, emulator.url);
  const url = `http://127.0.0.1:${port}`;
  const pid = server.pid!;
  await new Promise((r) => setTimeout(r, 500));
  const rssIdle = rssMb(pid);

  /** The stand-in's chunks of the reply that was going out when a carrier reply began at `atMs`. */
  const replyAt = (session: string | undefined, atMs: number): number[] | undefined => {
    const replies = session ? emitted.get(session) : undefined;
    let best: number[] | undefined;
    for (const times of replies?.values() ?? []) if (times[0] !== undefined && times[0] <= atMs && (!best || times[0] > best[0])) best = times;
    return best;
  };

  // Callers send on one absolute schedule, each phase-shifted (real streams start at unrelated times).
  const start = performance.now();
  let running = true;
  const loop = (): void => {
    if (!running) return;
    const now = performance.now();
    let soonest = now + FRAME_MS;
    legs.forEach((leg, i) => {
      const phase = (i * 20) / n;
      while (start + phase + (leg.offset + leg.sentAtMs.length) * FRAME_MS <= now) {
        const k = leg.sentAtMs.length;
        leg.sentAtMs.push(performance.now());
        leg.caller.sendFrame(TONE_FRAMES[k % TONE_FRAMES.length]);
      }
      soonest = Math.min(soonest, start + phase + (leg.offset + leg.sentAtMs.length) * FRAME_MS);
    });
    setTimeout(loop, Math.max(0, soonest - performance.now()));
  };
  loop();
  for (let i = 0; i < n; i++) {
    const caller = await connectCaller({ url, via: 'twilio', ignoreMedia: true });
    // The caller's frames start now, on the shared schedule.
    const offset = Math.ceil((performance.now() - start - (i * 20) / n) / FRAME_MS);
    const leg: Leg = { caller, offset, sentAtMs: [], deliveredMs: 0, carrier: new CarrierPlayout({ replyFrames: REPLY_MS / FRAME_MS }), buffered: new CarrierPlayout({ replyFrames: REPLY_MS / FRAME_MS, jitterBufferMs: FRAME_MS }), replies: [], clears: 0 };
    caller.socket.on('message', (d: Buffer) => {
      const t = performance.now();
      const head = d.toString('latin1', 0, 24);
      if (head.includes('"clear"')) {
        leg.carrier.clear(t);
        leg.buffered.clear(t);
        leg.clears++;
        return;
      }
      if (!head.includes('"media"')) return;
      const j = leg.carrier.frame(t);
      const underrunsBefore = leg.buffered.underruns;
      leg.buffered.frame(t);
      if (j === 0) leg.replies.push({ startMs: t, arrivalsMs: [], lateFrames: [] });
      const reply = leg.replies[leg.replies.length - 1];
      reply.arrivalsMs[j] = inWindow(t) ? t : NaN;
      // The frame that ended a dry spell at the one-frame-buffer carrier: it came too late.
      if (leg.buffered.underruns > underrunsBefore) reply.lateFrames.push(j);
    });
    legs.push(leg);
    // Wait for this call's stream to go live, so stream i+1 is caller i.
    while (emulator.liveSession(i) === undefined) await new Promise((r) => setTimeout(r, 5));
    sessionOfLeg[i] = emulator.liveSession(i)!;
  }
  await new Promise((r) => setTimeout(r, warmupS * 1000));
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const stats0 = (await (await fetch(`${url}/stats`)).json()) as { underruns: number };
  const base = legs.map((l) => ({ bufferedUnderruns: l.buffered.underruns, underruns: l.carrier.underruns, replies: l.carrier.replies, clears: l.clears, silent: l.carrier.silentTicks }));
  window.fromMs = performance.now();
  const cpu0 = cpuSeconds(pid);
  const split0 = cpuSplitSeconds(pid);
  const benchCpu0 = cpuSeconds(process.pid);
  const threads0 = threadCpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowS * 1000));
  const cpu1 = cpuSeconds(pid);
  const split1 = cpuSplitSeconds(pid);
  const benchCpu1 = cpuSeconds(process.pid);
  const threads1 = threadCpuSeconds(pid);
  const t1 = performance.now();
  window.toMs = t1;
  const sum = (f: (l: Leg, i: number) => number) => legs.reduce((s, l, i) => s + f(l, i), 0);
  const underruns = sum((l, i) => l.carrier.underruns - base[i].underruns);
  const bufferedUnderruns = sum((l, i) => l.buffered.underruns - base[i].bufferedUnderruns);
  const replies = sum((l, i) => l.carrier.replies - base[i].replies);
  const clears = sum((l, i) => l.clears - base[i].clears);
  const silentMs = sum((l, i) => l.carrier.silentTicks - base[i].silent) * FRAME_MS;
  loopDelay.disable();
  const rss = rssMb(pid);
  const stats = (await (await fetch(`${url}/stats`)).json()) as Record<string, any>;
  running = false;
  await emulator.flush();
  // Each reply the carriers received, against the chunks the stand-in sent for it; each underrun
  // (one-frame buffer) put down to whichever was later than at the reply's start: the stand-in's
  // chunk (its timer) or the chunk's trip through the server to the carrier; `unknown`: one found
  // at a reply's first frame (the reply before it was cut short), at a clear, or with no chunk record.
  const underrunCauses = { standInLate: 0, tripLate: 0, unknown: 0 };
  legs.forEach((leg, i) => {
    for (const reply of leg.replies) {
      const chunks = replyAt(sessionOfLeg[i], reply.startMs);
      if (!chunks) continue;
      const firstTransitMs = reply.startMs - chunks[0];
      for (const late of reply.lateFrames) {
        if (Number.isNaN(reply.arrivalsMs[late])) continue;
        const c = Math.floor(late / FRAMES_PER_CHUNK);
        const standInLateMs = chunks[c] - chunks[0] - (pace === 'realtime' ? c * CHUNK_MS : 0);
        const tripLateMs = reply.arrivalsMs[late] - chunks[c] - firstTransitMs;
        if (late > 0 && Number.isFinite(standInLateMs) && Number.isFinite(tripLateMs)) underrunCauses[standInLateMs > tripLateMs ? 'standInLate' : 'tripLate']++;
      }
      reply.arrivalsMs.forEach((t, j) => {
        const chunkAt = chunks[Math.floor(j / FRAMES_PER_CHUNK)];
        if (Number.isNaN(t) || chunkAt === undefined) return;
        outbound.record(t - Math.max(chunkAt, chunks[0] + j * FRAME_MS - PLAYOUT_LEAD_MS));
        if (frameLog) frameLog.push(`${n} ${i} ${j} ${(t - window.fromMs).toFixed(1)} ${(t - Math.max(chunkAt, chunks[0] + j * FRAME_MS - PLAYOUT_LEAD_MS)).toFixed(2)}`);
        if (j === 0) firstFrame.record(t - chunks[0]);
        else if (pace === 'realtime' && j % FRAMES_PER_CHUNK === 0) {
          // How much later than the reply's first chunk this chunk's first frame made the trip: the
          // start-of-reply cushion a strict carrier needs to never run dry on a real-time stream.
          transitSpread.record(t - chunkAt - firstTransitMs);
        }
      });
    }
  });
  underrunCauses.unknown = bufferedUnderruns - underrunCauses.standInLate - underrunCauses.tripLate;
  if (frameLog) fs.appendFileSync(values['frames-out']!, frameLog.join('\n') + '\n');
  await Promise.all(legs.map((l) => l.caller.hangup()));
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  await emulator.close();
  const seconds = (t1 - t0) / 1000;
  const threadCpu = [...threads1].map(([name, s]) => [name, +(((s - (threads0.get(name) ?? 0)) / seconds) * 100).toFixed(1)] as const).filter(([, p]) => p >= 0.5).sort((a, b) => b[1] - a[1]);
  const q = (h: Histogram) => ({ p50: +h.quantile(0.5).toFixed(1), p99: +h.quantile(0.99).toFixed(1), max: +h.maxMs.toFixed(1) });
  return {
    model: modelId,
    calls: n,
    pace,
    cpuSecondsPerCallMinute: +((cpu1 - cpu0) / (n * (seconds / 60))).toFixed(3),
    serverCpuSecondsPerSecond: +((cpu1 - cpu0) / seconds).toFixed(3),
    serverCpuPercent: +(((cpu1 - cpu0) / seconds) * 100).toFixed(1),
    threadCpuPercent: Object.fromEntries(threadCpu),
    serverUserSystemPercent: [+(((split1.user - split0.user) / seconds) * 100).toFixed(1), +(((split1.system - split0.system) / seconds) * 100).toFixed(1)],
    rssMb: +rss.toFixed(0),
    rssPerCallMb: +((rss - rssIdle) / n).toFixed(2),
    inboundMs: q(inbound),
    outboundMs: q(outbound),
    firstFrameMs: q(firstFrame),
    chunkTransitBeyondFirstMs: q(transitSpread),
    underruns,
    bufferedUnderruns,
    underrunCauses,
    silentMs,
    replies,
    clears,
    serverStats: { underruns: stats.underruns - stats0.underruns, inboundP99Ms: stats.inboundLatencyMs.p99Ms, outboundP99Ms: stats.outboundLatencyMs.p99Ms, bargeIns: stats.bargeIns, eventLoopDelayMs: stats.eventLoopDelayMs },
    benchCpuPercent: +(((benchCpu1 - benchCpu0) / ((t1 - t0) / 1000)) * 100).toFixed(1),
    standInChunkLatenessMs: q(chunkLateness),
    benchLoopDelayMs: { p99: +(loopDelay.percentile(99) / 1e6).toFixed(1), max: +(loopDelay.max / 1e6).toFixed(1) },
    pinned: pin,
    nice,
    loadAverage1m: +os.loadavg()[0].toFixed(1),
  };
}

type Row = Awaited<ReturnType<typeof runOnce>>;
const rows = await runAndTabulate<Row>(counts, runOnce, [
  ['calls', (r) => r.calls],
  ['reply pace', (r) => r.pace],
  ['CPU s per call-minute', (r) => r.cpuSecondsPerCallMinute],
  ['server CPU', (r) => `${r.serverCpuPercent}%`],
  ['inbound added p50/p99', (r) => `${r.inboundMs.p50}/${r.inboundMs.p99} ms`],
  ['outbound added p50/p99', (r) => `${r.outboundMs.p50}/${r.outboundMs.p99} ms`],
  ['first frame p50/p99', (r) => `${r.firstFrameMs.p50}/${r.firstFrameMs.p99} ms`],
  ['underruns, carrier with a 20 ms jitter buffer', (r) => `${r.bufferedUnderruns} in ${r.replies} replies`],
  ['underruns, carrier with none', (r) => `${r.underruns}`],
  ['clears', (r) => r.clears],
]);
if (rows.length >= 2) {
  const a = rows[0];
  const b = rows[rows.length - 1];
  const marginal = ((b.serverCpuSecondsPerSecond - a.serverCpuSecondsPerSecond) / (b.calls - a.calls)) * 60;
  console.log(`\nmarginal cost ${a.calls}→${b.calls} calls: ${marginal.toFixed(3)} CPU-s per call-minute`);
}
process.exit(0);
