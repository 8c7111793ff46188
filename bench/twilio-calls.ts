/**
 * Load benchmark: N concurrent simulated Twilio calls against the loopback model (or, with
 * `--model nova-sonic`, Nova Sonic through the real AWS SDK against the Bedrock emulator running
 * its echo brain in a separate process) on one server process. The server runs as a child process (compiled `dist/`), the callers run here and speak
 * the real Twilio Media Streams protocol (20 ms mu-law frames at real-time pace, marks echoed once
 * "played"). Reports per N: server CPU per call-minute, RSS per call, added latency inbound
 * (caller frame received → handed to the model) and outbound (model audio → frame sent, beyond its
 * due time), outbound frame arrival jitter at the simulated carrier (|inter-arrival − 20 ms|,
 * p50/p99), the pacer's timer lateness, and underruns.
 *
 *   npm run build && npx tsx bench/twilio-calls.ts [--calls 20,60,100] [--seconds 30] [--vad]
 *                                                  [--model loopback|nova-sonic] [--chunk-ms 60]
 *
 * With nova-sonic the callers talk 1.5 s in every 3 s (so the echo brain answers, and audio flows
 * both ways through the SDK); only the server process's CPU is counted.
 *
 * Linux only (reads /proc for the server's CPU time and RSS).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { connectCaller, type SimulatedCaller } from '../src/sim/clients.js';
import { Histogram } from '../src/core/histogram.js';
import { cpuSeconds, freePort, LOAD_TEST_LIMITS, rssMb, whenReady } from './proc.js';
import { runAndTabulate } from './table.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20,60,100' },
    seconds: { type: 'string', default: '30' },
    vad: { type: 'boolean', default: false },
    warmup: { type: 'string', default: '5' },
    model: { type: 'string', default: 'loopback' },
    'chunk-ms': { type: 'string', default: '60' },
    /** Write a V8 CPU profile of the server process into this folder. */
    profile: { type: 'string' },
    /** Pin the server to CPU 0 and everything else (callers, emulator) to CPU 1 (needs taskset). */
    pin: { type: 'boolean', default: false },
  },
});
const nova = values.model === 'nova-sonic';
if (values.pin) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
/** Command and arguments to start a process, pinned to `cpu` when `--pin` is given. */
function pinned(cpu: number, args: string[]): [string, string[]] {
  return values.pin ? ['taskset', ['-c', String(cpu), process.execPath, ...args]] : [process.execPath, args];
}
const counts = values.calls!.split(',').map(Number);
const windowS = Number(values.seconds);
const warmupS = Number(values.warmup);




async function startEmulator(port: number): Promise<ChildProcess> {
  const child = spawn(...pinned(1, ['dist/cli/index.js', 'emulate', 'nova-sonic', '--brain', 'echo', '--port', String(port)]), {
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), resolve(true))).once('error', () => resolve(false));
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('emulator did not start');
}

async function startServer(port: number, emulatorPort: number): Promise<ChildProcess> {
  const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
  const child = spawn(...pinned(0, [...profile, 'dist/cli/index.js', 'serve', '--model', nova ? 'nova-sonic' : 'loopback']), {
    env: {
      ...process.env,
      ...LOAD_TEST_LIMITS,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      BARGE_IN_VAD: values.vad ? 'true' : 'false',
      INACTIVITY_TIMEOUT_MS: '600000',
      NOVA_ENDPOINT: `http://127.0.0.1:${emulatorPort}`,
      NOVA_REGION: 'us-east-1',
      NOVA_AUDIO_CHUNK_MS: values['chunk-ms'],
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return whenReady(child, port);
}

/** A speech-like test signal: a 300 Hz + 1200 Hz two-tone with a 3 Hz syllable envelope. */
const SILENCE = new Int16Array(160);

/** Nova runs: caller `i` talks 1.5 s in every 3 s, phase-shifted so calls do not talk in lockstep. */
function talking(i: number, n: number, calls: number): boolean {
  return !nova || (n * 20 + Math.floor((i * 3000) / calls)) % 3000 < 1500;
}

const frameCache = new Map<number, Int16Array>();
/** The caller signal's frame `n` (shared by all callers; a few recent frames are cached). */
function callerFrame(n: number): Int16Array {
  let f = frameCache.get(n);
  if (!f) {
    f = makeFrame(n);
    frameCache.set(n, f);
    frameCache.delete(n - 40);
  }
  return f;
}

function makeFrame(n: number): Int16Array {
  return Int16Array.from({ length: 160 }, (_, i) => {
    const t = (n * 160 + i) / 8000;
    const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t);
    return Math.round(6000 * env * (Math.sin(2 * Math.PI * 300 * t) + 0.5 * Math.sin(2 * Math.PI * 1200 * t)));
  });
}

async function runOnce(n: number) {
  const port = await freePort();
  const emulatorPort = await freePort();
  const emulator = nova ? await startEmulator(emulatorPort) : undefined;
  const server = await startServer(port, emulatorPort);
  const url = `http://127.0.0.1:${port}`;
  const pid = server.pid!;
  await new Promise((r) => setTimeout(r, 500));
  const rssIdle = rssMb(pid);
  const callers: SimulatedCaller[] = [];
  // inter-arrival jitter of outbound media frames as the carrier sees them: |Δt − 20 ms|
  const arrivalJitter = new Histogram(200);
  let measuring = false;
  for (let i = 0; i < n; i++) {
    const c = await connectCaller({ url, via: 'twilio' });
    let last = 0;
    c.socket.on('message', (d: Buffer) => {
      if (d.length < 100 || d.toString('latin1', 0, 20).indexOf('media') < 0) return;
      const t = performance.now();
      // Gaps over 150 ms are the silence between two replies, not jitter within one.
      if (measuring && last && t - last < 150) arrivalJitter.record(Math.abs(t - last - 20));
      last = t;
    });
    callers.push(c);
  }
  // One absolute-schedule loop sends every caller's frame each 20 ms. Real carrier streams start
  // at unrelated times, so caller i starts (60·i/n) ms after caller 0 rather than in lockstep
  // (which also spreads the Nova provider's 60 ms audio batches across calls, as in real traffic).
  const start = performance.now();
  const nextFrame = callers.map(() => 0);
  let running = true;
  const loop = () => {
    if (!running) return;
    const now = performance.now();
    let soonest = Infinity;
    callers.forEach((c, i) => {
      const phase = Math.floor((60 * i) / n);
      while (start + phase + nextFrame[i] * 20 <= now) {
        const k = nextFrame[i]++;
        c.sendFrame(talking(i, k, n) ? callerFrame(k) : SILENCE);
      }
      soonest = Math.min(soonest, start + phase + nextFrame[i] * 20);
    });
    setTimeout(loop, Math.max(0, soonest - performance.now()));
  };
  loop();
  await new Promise((r) => setTimeout(r, warmupS * 1000));
  measuring = true;
  const underruns0 = ((await (await fetch(`${url}/stats`)).json()) as { underruns: number }).underruns;
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowS * 1000));
  const cpu1 = cpuSeconds(pid);
  const t1 = performance.now();
  const rss = rssMb(pid);
  const stats = (await (await fetch(`${url}/stats`)).json()) as Record<string, any>;
  measuring = false;
  running = false;
  await Promise.all(callers.map((c) => c.hangup()));
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  emulator?.kill('SIGTERM');
  const minutes = (t1 - t0) / 60000;
  return {
    calls: n,
    cpuSecondsPerCallMinute: +((cpu1 - cpu0) / (n * minutes)).toFixed(3),
    serverCpuPercent: +(((cpu1 - cpu0) / ((t1 - t0) / 1000)) * 100).toFixed(1),
    rssPerCallMb: +((rss - rssIdle) / n).toFixed(2),
    rssMb: +rss.toFixed(0),
    inboundLatencyMs: { p50: stats.inboundLatencyMs.p50Ms, p99: stats.inboundLatencyMs.p99Ms },
    outboundLatencyMs: { p50: stats.outboundLatencyMs.p50Ms, p99: stats.outboundLatencyMs.p99Ms },
    pacerTimerLatenessMs: { p50: stats.pacingJitterMs.p50Ms, p99: stats.pacingJitterMs.p99Ms, samples: stats.pacingJitterMs.count },
    arrivalJitterMs: { p50: arrivalJitter.summary().p50Ms, p99: arrivalJitter.summary().p99Ms },
    underruns: stats.underruns - underruns0,
    framesOut: stats.framesOut,
    callsPerCore: Math.floor(60 / ((cpu1 - cpu0) / (n * minutes))),
    model: stats.model,
  };
}

await runAndTabulate(counts, runOnce, [
  ['calls', (r) => r.calls],
  ['CPU s per call-minute', (r) => r.cpuSecondsPerCallMinute],
  ['calls per core', (r) => r.callsPerCore],
  ['server CPU', (r) => `${r.serverCpuPercent}%`],
  ['server RSS', (r) => `${r.rssMb} MB`],
  ['RSS per call', (r) => `${r.rssPerCallMb} MB`],
  ['inbound added p50/p99', (r) => `${r.inboundLatencyMs.p50}/${r.inboundLatencyMs.p99} ms`],
  ['outbound added p50/p99', (r) => `${r.outboundLatencyMs.p50}/${r.outboundLatencyMs.p99} ms`],
  ['frame arrival jitter p50/p99', (r) => `${r.arrivalJitterMs.p50}/${r.arrivalJitterMs.p99} ms`],
  ['underruns', (r) => r.underruns],
]);
