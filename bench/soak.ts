/**
 * Soak benchmark: N concurrent simulated Twilio calls against the loopback model on one server
 * process for many minutes, looking for growth (memory, handles) and leaks rather than latency.
 *
 * - The server: compiled `dist/`, every default setting (barge-in VAD on, the embedded PGlite call
 *   store in a fresh temp `DATA_DIR`, or with `--database postgres` a fresh PostgreSQL 15 cluster
 *   via `DATABASE_URL`) except the per-client limits (`LOAD_TEST_LIMITS`: every caller is
 *   127.0.0.1) and `INACTIVITY_TIMEOUT_MS` (the loopback model never speaks words, so calls would
 *   otherwise be cut at 2 minutes), pinned to CPU 0 with `taskset`.
 * - The callers, in this process pinned to CPU 1: the real Twilio protocol (answer webhook, one-time
 *   stream URL, `connected`/`start`, 20 ms mu-law frames of a speech-like two-tone signal at
 *   real-time pace, marks echoed, `stop` to hang up). Each call lasts a random time in
 *   `--call-minutes` (uniform, seeded), then hangs up and a new call takes its place at once, so N
 *   stay live and setup and teardown run all the time.
 * - Every `--sample-seconds`: server RSS (`/proc`), CPU time (`/proc`), heap used, active handles,
 *   timers (`nodejs_active_resources{type="Timeout"}`) and event-loop delay p99 (prom-client's
 *   histogram, reset at each scrape, so one value per sample window, less its 10 ms resolution)
 *   from `GET /metrics`; live calls and underruns from `GET /monitor`; socket descriptors from
 *   `/proc/PID/fd`.
 * - Reported: idle RSS; RSS at the end of warm-up and its least-squares slope after it (MB per
 *   10 minutes), heap slope; event-loop lag p99 (median and worst sample window); underruns; CPU
 *   seconds per call-minute after warm-up; call setup time; then, after every call hangs up and
 *   `--settle-seconds`, leaks: live calls (`/monitor`, `/calls`), socket descriptors, handles and
 *   timers against the idle server before the first call, and call records stored vs calls placed.
 *   The default settle (80 s) outlasts Fastify's HTTP keep-alive timeout (72 s): the answer
 *   webhooks' idle keep-alive connections are closed by then, so any socket left is a leak.
 *   With the embedded store the measured server is the second start on its `DATA_DIR` (the first
 *   creates the store, which leaves RSS ~400 MB higher for a minute or more).
 *
 *   npm run bench:soak -- [--calls 200] [--minutes 10] [--warmup-minutes 2] [--call-minutes 1-3]
 *                         [--sample-seconds 10] [--settle-seconds 80] [--database embedded|postgres] [--no-pin] [--nice=-10]
 *                         [--node-flag=--cpu-prof --node-flag=--cpu-prof-dir=DIR]
 *
 * Linux only (reads /proc; pins with taskset when available).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connectCaller, type SimulatedCaller } from '../src/sim/clients.js';
import { Histogram } from '../src/core/histogram.js';
import { startTestPostgres, type TestPostgres } from '../test/helpers/postgres.js';
import { cpuSeconds, fdTargets, freePort, LOAD_TEST_LIMITS, pinBenchmarkProcess, rssMb, socketFds, tcpSockets } from './proc.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '200' },
    minutes: { type: 'string', default: '10' },
    'warmup-minutes': { type: 'string', default: '2' },
    'call-minutes': { type: 'string', default: '1-3' },
    'sample-seconds': { type: 'string', default: '10' },
    'settle-seconds': { type: 'string', default: '80' },
    'idle-seconds': { type: 'string', default: '20' },
    database: { type: 'string', default: 'embedded' },
    seed: { type: 'string', default: '1' },
    'no-pin': { type: 'boolean', default: false },
    /**
     * Scheduling priority (nice value) for the server and this process, e.g. -10 on a machine
     * shared with other work (needs root for < 0; as bench/nova-calls.ts).
     */
    nice: { type: 'string', default: '0' },
    /** Extra node flags for the server (diagnosis, e.g. --cpu-prof --cpu-prof-dir=DIR). */
    'node-flag': { type: 'string', multiple: true, default: [] },
  },
});
const N = Number(values.calls);
const runMs = Number(values.minutes) * 60_000;
const warmupMs = Number(values['warmup-minutes']) * 60_000;
const [callMinMs, callMaxMs] = values['call-minutes']!.split('-').map((m) => Number(m) * 60_000);
const sampleMs = Number(values['sample-seconds']) * 1000;
const settleMs = Number(values['settle-seconds']) * 1000;
const idleMs = Number(values['idle-seconds']) * 1000;
const usePostgres = values.database === 'postgres';
/** prom-client's event-loop histogram resolution, ms: every recorded delay includes it. */
const LOOP_RESOLUTION_MS = 10;

const nice = Number(values.nice);
const pin = pinBenchmarkProcess(!values['no-pin'], nice);

/** mulberry32: a small seeded PRNG, so call lengths repeat from run to run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(Number(values.seed));

/** The caller signal (bench/twilio-calls.ts's): 300 Hz + 1200 Hz with a 3 Hz syllable envelope; 50 frames = 1 s, periodic. */
const FRAMES = Array.from({ length: 50 }, (_, n) =>
  Int16Array.from({ length: 160 }, (_, i) => {
    const t = (n * 160 + i) / 8000;
    const env = 0.5 + 0.5 * Math.sin(2 * Math.PI * 3 * t);
    return Math.round(6000 * env * (Math.sin(2 * Math.PI * 300 * t) + 0.5 * Math.sin(2 * Math.PI * 1200 * t)));
  }),
);

/** GET `url` on a fresh connection (`Connection: close`), so the benchmark holds no socket of the server's between samples. */
function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: ${res.statusCode} ${body}`))));
      })
      .once('error', reject);
  });
}

/** A Prometheus sample's value from `/metrics` text (NaN when absent). */
function metric(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** What the server's process looks like at one moment. */
interface ProcessView {
  rssMb: number;
  heapUsedMb: number;
  /** Memory of C++ objects bound to JavaScript ones (Buffers, ArrayBuffers, WebAssembly memory), MB. */
  externalMb: number;
  cpuS: number;
  socketFds: number;
  openFds: number;
  handles: number;
  timers: number;
  /** Event-loop delay p99 since the previous scrape, less the histogram's resolution, ms. */
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  activeCalls: number;
  underruns: number;
}

async function view(url: string, pid: number): Promise<ProcessView> {
  // Descriptors first: the requests below open (and close) a connection of their own.
  const sockets = socketFds(pid);
  const metrics = await get(`${url}/metrics`);
  const monitor = JSON.parse(await get(`${url}/monitor`)) as { activeCalls: number; underruns: { total: number } };
  const lag = (s: number) => Math.round(Math.max(0, s * 1000 - LOOP_RESOLUTION_MS) * 100) / 100;
  return {
    rssMb: rssMb(pid),
    heapUsedMb: metric(metrics, 'nodejs_heap_size_used_bytes') / 2 ** 20,
    externalMb: metric(metrics, 'nodejs_external_memory_bytes') / 2 ** 20,
    cpuS: cpuSeconds(pid),
    socketFds: sockets,
    openFds: metric(metrics, 'process_open_fds'),
    handles: metric(metrics, 'nodejs_active_handles_total'),
    timers: metric(metrics, 'nodejs_active_resources{type="Timeout"}') || 0,
    loopLagP99Ms: lag(metric(metrics, 'nodejs_eventloop_lag_p99_seconds')),
    loopLagMaxMs: lag(metric(metrics, 'nodejs_eventloop_lag_max_seconds')),
    activeCalls: monitor.activeCalls,
    underruns: monitor.underruns.total,
  };
}

/** Least-squares slope of `ys` over `xs`. */
function slope(xs: number[], ys: number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : NaN;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r1 = (x: number) => Math.round(x * 10) / 10;

/** Temp folder: the embedded store's DATA_DIR and the server's log. */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-soak-'));

async function startServer(port: number, database: { dataDir: string } | { url: string }): Promise<ChildProcess> {
  const args = [...values['node-flag']!, 'dist/cli/index.js', 'serve', '--model', 'loopback'];
  const [cmd, argv] = pin ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...LOAD_TEST_LIMITS,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    INACTIVITY_TIMEOUT_MS: '600000',
    ...('url' in database ? { DATABASE_URL: database.url } : { DATA_DIR: database.dataDir }),
  };
  // Its log (warnings only) goes to a file beside the temp data, shown when it fails to start.
  const log = fs.openSync(path.join(tmp, 'server.log'), 'a');
  // Its own session (so its own autogroup) lets --nice apply to all of the server's threads.
  const child = spawn(cmd, argv, { env, stdio: ['ignore', log, log], detached: nice !== 0 });
  fs.closeSync(log);
  if (nice !== 0) {
    os.setPriority(child.pid!, nice);
    if (fs.existsSync(`/proc/${child.pid}/autogroup`)) fs.writeFileSync(`/proc/${child.pid}/autogroup`, String(nice));
  }
  // The embedded store's first start (initdb in WebAssembly) takes 10–20 s on a busy machine.
  for (let i = 0; i < 1200 && child.exitCode === null; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error(`server did not become ready:\n${fs.readFileSync(path.join(tmp, 'server.log'), 'utf8').slice(-2000)}`);
}

/** One simulated call as the benchmark drives it. */
interface Leg {
  caller: SimulatedCaller;
  startMs: number;
  endMs: number;
  nextFrame: number;
  hungUp: boolean;
}

let pg: TestPostgres | undefined;
if (usePostgres) pg = await startTestPostgres();
const database = pg ? { url: pg.url } : { dataDir: path.join(tmp, 'data') };
if (!pg) {
  // A server's first start creates the embedded store (initdb in WebAssembly), which leaves RSS
  // ~400 MB higher for a minute or more; a server normally starts on a store that exists, so the
  // measured server is the second one on this DATA_DIR.
  const first = await startServer(await freePort(), database);
  first.kill('SIGTERM');
  await new Promise((r) => first.once('exit', r));
}
const port = await freePort();
const server = await startServer(port, database);
const url = `http://127.0.0.1:${port}`;
const pid = server.pid!;
let serverExited = false;
server.once('exit', () => (serverExited = true));
const load0 = os.loadavg();

await new Promise((r) => setTimeout(r, idleMs));
const connectionsIdle = tcpSockets(pid);
const fdsIdle = fdTargets(pid).map((t) => t.replace(tmp, '$TMP'));
const idle = await view(url, pid);
console.error(`idle: ${JSON.stringify({ ...idle, tcp: connectionsIdle })}`);

const legs = new Set<Leg>();
const setupMs = new Histogram(10_000);
let placed = 0;
let endedByServer = 0;
let connectFailures = 0;
let framesOut = 0;
let replacing = true;

/** Places one call; when it ends (hang-up by us at its time, or by the server) the next takes its place while `replacing`. */
async function place(): Promise<void> {
  const t0 = performance.now();
  let caller: SimulatedCaller;
  try {
    caller = await connectCaller({ url, via: 'twilio', ignoreMedia: true });
  } catch (err) {
    connectFailures++;
    console.error(`call setup failed: ${(err as Error).message}`);
    await new Promise((r) => setTimeout(r, 1000));
    if (replacing) void place();
    return;
  }
  const now = performance.now();
  setupMs.record(now - t0);
  placed++;
  const leg: Leg = { caller, startMs: now, endMs: now + callMinMs + random() * (callMaxMs - callMinMs), nextFrame: 0, hungUp: false };
  caller.socket.on('message', (d: Buffer) => {
    if (d.length > 100 && d.toString('latin1', 0, 16) === '{"event":"media"') framesOut++;
  });
  legs.add(leg);
  void caller.closed.then(() => {
    legs.delete(leg);
    if (!leg.hungUp) endedByServer++;
    if (replacing) void place();
  });
}

/** Hangs up `leg` (Twilio `stop`); its `closed` handler places the next call. */
function hangUp(leg: Leg): Promise<void> {
  leg.hungUp = true;
  return leg.caller.hangup();
}

// One loop sends every live caller's due frames on an absolute schedule and hangs up calls whose time is up.
let running = true;
const loop = (): void => {
  if (!running) return;
  const now = performance.now();
  let soonest = now + 20;
  for (const leg of legs) {
    if (leg.hungUp) continue;
    if (now >= leg.endMs) {
      void hangUp(leg);
      continue;
    }
    while (leg.startMs + leg.nextFrame * 20 <= now) leg.caller.sendFrame(FRAMES[leg.nextFrame++ % FRAMES.length]);
    soonest = Math.min(soonest, leg.startMs + leg.nextFrame * 20);
  }
  setTimeout(loop, Math.max(0, soonest - performance.now()));
};
loop();

const t0 = performance.now();
for (let i = 0; i < N; i++) await place();
console.error(`${N} calls live after ${r1((performance.now() - t0) / 1000)} s`);

interface Sample extends ProcessView {
  tMin: number;
  live: number;
  placed: number;
  framesOut: number;
}
const samples: Sample[] = [];
while (performance.now() - t0 < runMs && !serverExited) {
  await new Promise((r) => setTimeout(r, sampleMs - ((performance.now() - t0) % sampleMs)));
  const s: Sample = { tMin: (performance.now() - t0) / 60_000, live: legs.size, placed, framesOut, ...(await view(url, pid)) };
  samples.push(s);
  const prev = samples.length > 1 ? samples[samples.length - 2] : undefined;
  const cpu = prev ? `${r1(((s.cpuS - prev.cpuS) / ((s.tMin - prev.tMin) * 60)) * 100)}%` : '-';
  console.error(`t=${r1(s.tMin * 60)} s cpu=${cpu} live=${s.activeCalls} placed=${s.placed} rss=${r1(s.rssMb)} MB heap=${r1(s.heapUsedMb)} MB external=${r1(s.externalMb)} MB lagP99=${s.loopLagP99Ms} ms sockets=${s.socketFds} handles=${s.handles} timers=${s.timers} underruns=${s.underruns}`);
}
if (serverExited) throw new Error('the server exited during the run');

// Hang everything up, let the server settle, then look for what is left.
replacing = false;
await Promise.all([...legs].map(hangUp));
running = false;
await new Promise((r) => setTimeout(r, settleMs));
const connectionsAfter = tcpSockets(pid);
const fdsAfter = fdTargets(pid).map((t) => t.replace(tmp, '$TMP'));
const after = await view(url, pid);
const calls = JSON.parse(await get(`${url}/calls?limit=200`)) as { live: unknown[]; recent: unknown[]; nextCursor: string | null };
let stored = calls.recent.length;
for (let cursor = calls.nextCursor; cursor; ) {
  const page = JSON.parse(await get(`${url}/calls?limit=200&cursor=${encodeURIComponent(cursor)}`)) as { recent: unknown[]; nextCursor: string | null };
  stored += page.recent.length;
  cursor = page.nextCursor;
}
const storeBacklog = (JSON.parse(await get(`${url}/monitor`)) as { storeBacklog: number }).storeBacklog;
const load1 = os.loadavg();
server.kill('SIGTERM');
await new Promise((r) => (serverExited ? r(undefined) : server.once('exit', r)));
await pg?.destroy();
fs.rmSync(tmp, { recursive: true, force: true });

const steady = samples.filter((s) => s.tMin * 60_000 >= warmupMs);
if (steady.length < 2) throw new Error('too few samples after warm-up: lengthen --minutes or shorten --warmup-minutes');
const first = steady[0];
const last = steady[steady.length - 1];
const callMinutes = steady.slice(1).reduce((sum, s, i) => sum + ((s.activeCalls + steady[i].activeCalls) / 2) * (s.tMin - steady[i].tMin), 0);
const lags = steady.map((s) => s.loopLagP99Ms);
const result = {
  calls: N,
  minutes: Number(values.minutes),
  warmupMinutes: Number(values['warmup-minutes']),
  callMinutes: values['call-minutes'],
  database: usePostgres ? 'postgres (DATABASE_URL)' : 'embedded PGlite (DATA_DIR)',
  pinned: pin,
  nice,
  loadAverage: { start: load0.map(r1), end: load1.map(r1) },
  idleRssMb: r1(idle.rssMb),
  rssAfterWarmupMb: r1(first.rssMb),
  rssEndMb: r1(last.rssMb),
  rssPerCallMb: +((median(steady.map((s) => s.rssMb)) - idle.rssMb) / N).toFixed(2),
  rssSlopeMbPer10Min: r1(slope(steady.map((s) => s.tMin), steady.map((s) => s.rssMb)) * 10),
  heapAfterWarmupMb: r1(first.heapUsedMb),
  heapSlopeMbPer10Min: r1(slope(steady.map((s) => s.tMin), steady.map((s) => s.heapUsedMb)) * 10),
  externalSlopeMbPer10Min: r1(slope(steady.map((s) => s.tMin), steady.map((s) => s.externalMb)) * 10),
  loopLagP99Ms: { medianWindow: median(lags), worstWindow: Math.max(...lags), windowSeconds: sampleMs / 1000 },
  loopLagMaxMs: Math.max(...steady.map((s) => s.loopLagMaxMs)),
  underruns: last.underruns - first.underruns,
  cpuSecondsPerCallMinute: +((last.cpuS - first.cpuS) / callMinutes).toFixed(3),
  serverCpuPercent: r1(((last.cpuS - first.cpuS) / ((last.tMin - first.tMin) * 60)) * 100),
  outboundFramesPerCallSecond: r1((last.framesOut - first.framesOut) / (callMinutes * 60)),
  callsPlaced: placed,
  endedByServer,
  connectFailures,
  setupMs: { p50: setupMs.summary().p50Ms, p99: setupMs.summary().p99Ms },
  leaks: {
    liveCalls: after.activeCalls,
    liveInCallsList: calls.live.length,
    storeBacklog,
    recordsStored: stored,
    socketFds: { idle: idle.socketFds, after: after.socketFds },
    tcpAfter: connectionsAfter,
    openFds: { idle: idle.openFds, after: after.openFds },
    /** Descriptors (not sockets) open after the hang-ups that were not open when idle. */
    newFds: fdsAfter.filter((t) => !fdsIdle.includes(t)),
    handles: { idle: idle.handles, after: after.handles },
    timers: { idle: idle.timers, after: after.timers },
    rssAfterMb: r1(after.rssMb),
    heapAfterMb: r1(after.heapUsedMb),
  },
};
console.log(JSON.stringify(result));
console.log(`\n| calls × minutes (call length) | store | idle RSS | RSS after warm-up → end | RSS slope | heap slope | event-loop lag p99 (median/worst ${sampleMs / 1000} s window) | CPU s per call-minute | server CPU | underruns | calls placed (records stored) | left after hang-up: calls / sockets / handles / timers (idle) |`);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
const l = result.leaks;
console.log(
  `| ${N} × ${result.minutes} (${result.callMinutes} min) | ${usePostgres ? 'PostgreSQL' : 'PGlite'} | ${result.idleRssMb} MB | ${result.rssAfterWarmupMb} → ${result.rssEndMb} MB | ${result.rssSlopeMbPer10Min} MB/10 min | ${result.heapSlopeMbPer10Min} MB/10 min | ${result.loopLagP99Ms.medianWindow}/${result.loopLagP99Ms.worstWindow} ms | ${result.cpuSecondsPerCallMinute} | ${result.serverCpuPercent}% | ${result.underruns} | ${placed} (${l.recordsStored}) | ${l.liveCalls} / ${l.socketFds.after} (${l.socketFds.idle}) / ${l.handles.after} (${l.handles.idle}) / ${l.timers.after} (${l.timers.idle}) |`,
);
