/**
 * The flood test: one hostile client (its own process, one source address) opens hundreds of
 * WebSockets on every caller route and posts hundreds of WebRTC offers, sends audio at 20× real
 * time on every socket it gets and streams unknown events, while honest callers (from another
 * address) talk beside it. The honest calls keep their audio (every frame comes back, no gap of
 * `MAX_ECHO_GAP_MS` or more), local-model callers still get replies, the server's memory and open files
 * return to within 10 % of where they were, and its log grows by a bounded amount.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectCaller, type SimulatedCaller } from '../src/sim/clients.js';
import { simulateCall } from '../src/sim/simulate.js';
import type { FloodReport } from './helpers/flood-client.js';
import { openFiles, rssMb } from './helpers/proc.js';
import { useSpokenCallFixture } from './helpers/spoken-calls.js';
import { eventually } from './helpers/wait.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FLOOD_MS = 12_000;
/** Log the server may write during the flood, bytes (before: ≈119 MB/s from one socket's unknown events; measured with every part of issue 9 in: ≈17 kB). */
const LOG_BUDGET_BYTES = 500_000;
/**
 * Longest gap allowed in an honest call's echo, ms. A flood that starves the server stalls calls
 * for seconds (the synchronous logging of unknown events once did). The line was 100 ms until
 * this VM's own stalls crossed it with one core busy: 133 and 139 ms with the version before the
 * change that raised it, the flood test alone (the server's event loop stalled 117 ms). The gaps
 * measured are printed with the other figures.
 */
const MAX_ECHO_GAP_MS = 250;

const fx = useSpokenCallFixture({ VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 1, BARGE_IN_VAD: false, WEBRTC_BIND_ADDRESS: '127.0.0.1', WEBRTC_CONNECT_TIMEOUT_MS: 3000 });

/** Runs the flood client from `localAddress` for `ms`; resolves with its report. */
function runFlood(localAddress: string, ms: number): Promise<FloodReport> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/flood-client.ts', fx.srv.url, localAddress, String(ms)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  // The hostile client stands for another machine: at the lowest priority, its own CPU (300 sockets
  // at 20x real time) does not starve the honest callers in this process of theirs, so a gap they
  // see is the server's doing, not this machine's scheduling.
  if (child.pid) os.setPriority(child.pid, 19);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? ''));
      } catch {
        reject(new Error(`flood client exited with ${code}: ${out}\n${err}`));
      }
    }),
  );
}

/** An honest echo call (browser protocol, loopback model): sends a frame every 20 ms and times what comes back. */
async function echoCall(): Promise<{ caller: SimulatedCaller; stop(): Promise<{ sent: number; received: number; largestGapMs: number }> }> {
  const caller = await connectCaller({ url: fx.srv.url, via: 'ws', binary: true, model: 'loopback' });
  const frame = Int16Array.from({ length: 320 }, (_, i) => Math.round(5000 * Math.sin(i / 5)));
  let sent = 0;
  let received = 0;
  let last = 0;
  let largestGapMs = 0;
  caller.socket.on('message', (_d, isBinary) => {
    if (!isBinary) return;
    const now = performance.now();
    if (last) largestGapMs = Math.max(largestGapMs, now - last);
    last = now;
    received++;
  });
  const start = performance.now();
  let timer: NodeJS.Timeout;
  const tick = () => {
    // Frames on an absolute 20 ms schedule, as a phone or browser sends them.
    while (start + sent * 20 <= performance.now()) {
      caller.sendFrame(frame);
      sent++;
    }
    timer = setTimeout(tick, Math.max(0, start + sent * 20 - performance.now()));
  };
  tick();
  return {
    caller,
    async stop() {
      clearTimeout(timer);
      await eventually(() => received >= sent - 5, 'the last frames to come back', 5000).catch(() => {});
      await caller.hangup();
      return { sent, received, largestGapMs };
    },
  };
}

const liveCalls = async () => ((await (await fetch(`${fx.srv.url}/stats`)).json()) as { calls: number }).calls;

describe('a flood from one client beside honest calls', () => {
  it('keeps the honest calls whole, answers local-model callers, and returns to its baseline', async () => {
    const pid = fx.srv.child.pid!;
    const question = await fx.speech.say('What is seven plus five?', 'rms');
    // Warm-up: every path the flood touches has run once (a local-model reply, an echo call,
    // offers that expire), so the baseline is the server's settled size, not its cold one.
    const warm = await simulateCall({ url: fx.srv.url, via: 'pcm', samples: question, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    expect(warm.transcript.some((t) => t.role === 'assistant')).toBe(true);
    const warmEcho = await echoCall();
    await new Promise((r) => setTimeout(r, 1000));
    await warmEcho.stop();
    await runFlood('127.0.0.3', 1500);
    await eventually(async () => (await liveCalls()) === 0, 'the warm-up calls to end', 15_000);
    await new Promise((r) => setTimeout(r, 4000)); // the warm-up offers expire
    const baseline = { rssMb: rssMb(pid), files: openFiles(pid), logBytes: fx.srv.outputBytes() };

    const echoes = [await echoCall(), await echoCall()];
    // The server's own event-loop lag while it lasts (its monitor's 2 s windows), to tell a stall
    // of the server from one of this machine in a failure's figures.
    let serverLagMaxMs = 0;
    const lagPoll = setInterval(() => {
      fetch(`${fx.srv.url}/monitor`)
        .then((r) => r.json() as Promise<{ eventLoopLagMs: { max: number } }>)
        .then((m) => (serverLagMaxMs = Math.max(serverLagMaxMs, m.eventLoopLagMs.max)))
        .catch(() => {});
    }, 1000);
    const flood = runFlood('127.0.0.2', FLOOD_MS);
    await new Promise((r) => setTimeout(r, 2000));
    // Local-model callers in the thick of it: one on raw PCM (the wideband recognizer the /ws flood
    // competes for), one on Twilio (phone band).
    const [pcmCall, twilioCall] = await Promise.all([
      simulateCall({ url: fx.srv.url, via: 'pcm', samples: question, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 }),
      simulateCall({ url: fx.srv.url, via: 'twilio', samples: question, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 }),
    ]);
    const report = await flood;
    const echoResults = await Promise.all(echoes.map((e) => e.stop()));
    clearInterval(lagPoll);
    const logGrowth = fx.srv.outputBytes() - baseline.logBytes;

    const stats = (await (await fetch(`${fx.srv.url}/stats`)).json()) as { limits?: { refusedTotal: number; inboundAudio: { closedCallers: number } } };
    // The figures, for the record (and for a failure's diagnosis).
    console.log(JSON.stringify({ serverLagMaxMs, baseline, now: { rssMb: rssMb(pid), files: openFiles(pid) }, logGrowth, echo: echoResults, replies: [pcmCall, twilioCall].map((c) => c.replyLatenciesMs), report, limits: stats.limits }));
    // The flood was a flood, and the server refused or cut it.
    expect(Object.values(report.upgrades).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(300);
    expect(Object.values(report.offers).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(150);
    expect(report.audioFrames).toBeGreaterThan(10_000);

    // Honest echo calls: every frame back, no gap of MAX_ECHO_GAP_MS or more.
    for (const r of echoResults) {
      expect(r.received, `frames back of ${r.sent} sent`).toBeGreaterThanOrEqual(r.sent - 5);
      expect(r.largestGapMs).toBeLessThan(MAX_ECHO_GAP_MS);
    }
    // Local-model callers got their replies.
    for (const call of [pcmCall, twilioCall]) {
      expect(call.transcript.some((t) => t.role === 'assistant'), `${call.via}: ${JSON.stringify(call.transcript)}`).toBe(true);
      expect(call.timeline.length).toBeGreaterThan(0);
    }
    // The log grew by a bounded amount.
    expect(logGrowth).toBeLessThan(LOG_BUDGET_BYTES);
    // Every refusal was counted.
    expect(stats.limits?.refusedTotal).toBeGreaterThan(0);
    expect(report.offers['503'] ?? 0).toBeGreaterThan(0);

    // Afterwards: no calls, and memory and open files back within 10 % of the baseline.
    await eventually(async () => (await liveCalls()) === 0, 'every call to end', 20_000);
    await eventually(() => openFiles(pid) <= baseline.files * 1.1, `open files back near ${baseline.files} (now ${openFiles(pid)})`, 20_000, 250);
    await eventually(() => rssMb(pid) <= baseline.rssMb * 1.1, `RSS back near ${baseline.rssMb.toFixed(0)} MB (now ${rssMb(pid).toFixed(0)} MB)`, 20_000, 250);
  }, 150_000);
});
