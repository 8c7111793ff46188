/**
 * Simulates one whole call from a recording: connects as the chosen carrier, sends the audio at
 * real-time pace in 20 ms frames (then keeps streaming silence, as a phone line does, until the
 * reply has finished), records what the caller heard, and measures reply latency and barge-in
 * reaction. Used by `voicebridge call`, the integration tests and the benchmarks.
 */
import type { ResamplerFactory } from '../audio/resample.js';
import { dbfs } from '../audio/level.js';
import type { CallSummary } from '../call/call.js';
import { connectCaller, type SimEvent, type SimulatedCaller, type Via } from './clients.js';
import { sleep, systemClock } from '../core/clock.js';

/** Options for `simulateCall`. */
export interface SimulationOptions {
  url: string;
  via: Via;
  /** Caller audio (mono PCM16) and its rate; resampled to the carrier's rate. */
  samples: Int16Array;
  sampleRateHz: number;
  resamplers: ResamplerFactory;
  /** At this many seconds, speak the recording's first 1.5 s again over the reply (barge-in). */
  bargeInAtS?: number;
  /** Alternatively: barge in this long after the first reply audio is heard, ms. */
  bargeInAfterReplyMs?: number;
  /** Longest wait for the reply after the recording ends, ms (default 20000). */
  maxTailMs?: number;
  /** Silence after the reply that ends the call, ms (default 1500). */
  quietAfterReplyMs?: number;
  /** Browser protocol only: rate (default 16000) and binary frames. */
  browserRateHz?: number;
  binary?: boolean;
  /** The server's carrier secrets, to sign webhooks and upgrades as the carrier does (see `ConnectOptions`). */
  twilioAuthToken?: string;
  vonageSignatureSecret?: string;
  /** The server's ADMIN_TOKEN, to read its call records (`GET /calls`) when it has one. */
  adminToken?: string;
  /** Called once the caller is connected and then on every 20 ms tick while the call runs (progress displays). */
  onTick?: (tick: SimulationTick) => void;
}

/** Where a running simulated call is, for progress displays. */
export interface SimulationTick {
  /** Since the first frame was sent, ms. */
  elapsedMs: number;
  /** Length of the caller's recording, ms. */
  inputMs: number;
  /** End of the audio heard so far, ms from the call start (0: nothing heard yet). */
  heardEndMs: number;
  caller: SimulatedCaller;
}

/** What a simulated call produced. */
export interface SimulationResult {
  via: Via;
  /** Heard audio on the call's timeline, at `sampleRateHz`. */
  heard: Int16Array;
  sampleRateHz: number;
  /** Final transcript lines (from browser messages or the server's call summary). */
  transcript: Array<{ role: string; text: string }>;
  /**
   * The server's turns with their reply latency (the project's one definition, `src/call/reply-latency.ts`):
   * from the call record in `GET /calls`, else from the browser protocol's `turn` events.
   */
  turns: Array<{ turn: number; replyLatencyMs: number | null; interrupted: boolean }>;
  /**
   * An independent check of the server's figure, measured by this caller from audio alone: for each
   * caller utterance, end of its speech (energy) → first reply audio heard, ms.
   */
  replyLatenciesMs: number[];
  /** Barge-in: when it started (ms from call start) and how long until the server cleared / audio stopped. */
  bargeIn?: { atMs: number; clearAfterMs: number | null; audioStoppedAfterMs: number | null };
  events: SimEvent[];
  /** Heard audio chunks: start (ms from call start) and duration. */
  timeline: Array<{ atMs: number; durationMs: number }>;
  summary?: CallSummary;
  durationMs: number;
}

const FRAME_MS = 20;

/** Voiced spans (start, end ms) of a signal, by 20 ms energy frames with a hang-over. */
export function voicedSpans(pcm: Int16Array, rateHz: number, thresholdDbfs = -40, hangoverMs = 600): Array<[number, number]> {
  const n = rateHz / 50;
  const spans: Array<[number, number]> = [];
  let start = -1;
  let lastVoiced = -1;
  for (let i = 0; i + n <= pcm.length; i += n) {
    const t = (i / rateHz) * 1000;
    if (dbfs(pcm.subarray(i, i + n)) > thresholdDbfs) {
      if (start < 0) start = t;
      lastVoiced = t + FRAME_MS;
    } else if (start >= 0 && t - lastVoiced >= hangoverMs) {
      spans.push([start, lastVoiced]);
      start = -1;
    }
  }
  if (start >= 0) spans.push([start, lastVoiced]);
  return spans;
}

/**
 * Runs the call.
 * @throws Error when the server cannot be reached.
 */
export async function simulateCall(o: SimulationOptions): Promise<SimulationResult> {
  const caller = await connectCaller({ url: o.url, via: o.via, sampleRateHz: o.browserRateHz, binary: o.binary, twilioAuthToken: o.twilioAuthToken, vonageSignatureSecret: o.vonageSignatureSecret });
  const rate = caller.sampleRateHz;
  const resampler = o.resamplers.create(o.sampleRateHz, rate, 7);
  const input = resampler.process(o.samples);
  resampler.destroy();
  const frameSamples = rate / 50;
  let bargeInAtMs = o.bargeInAtS !== undefined ? o.bargeInAtS * 1000 : undefined;
  // The barge-in repeats the recording's first 1.5 s of speech, starting at its speech onset, so
  // reaction times are measured from when the caller actually starts talking.
  const onsetMs = Math.max(0, (voicedSpans(input, rate)[0]?.[0] ?? 0) - 20);
  const onset = Math.round((onsetMs * rate) / 1000);
  const interjection = input.subarray(onset, Math.min(input.length, onset + Math.round(rate * 1.5)));
  const quietMs = o.quietAfterReplyMs ?? 1500;
  const inputMs = (input.length / rate) * 1000;
  const maxEndMs = inputMs + (o.maxTailMs ?? 20_000) + (bargeInAtMs !== undefined || o.bargeInAfterReplyMs !== undefined ? 3000 : 0);

  const start = performance.now();
  let frame = 0;
  let lastHeardEnd = 0;
  // Silence alone does not end the call: on a busy machine the next sentence of a reply can take
  // longer than `quietMs` to arrive. The server must also say the call is no longer responding.
  let serverQuietFor = -1; // lastHeardEnd at which the server last said it was not responding
  let checking = false;
  let lastCheckAt = 0;
  const checkServer = (heardEnd: number) => {
    checking = true;
    lastCheckAt = performance.now();
    liveCallOf(o.url, caller, o.adminToken)
      .then((live) => {
        if (live?.phase !== 'responding') serverQuietFor = heardEnd;
      })
      .finally(() => (checking = false));
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (start + frame * FRAME_MS <= now) {
        const tMs = frame * FRAME_MS;
        const out = new Int16Array(frameSamples);
        const offset = frame * frameSamples;
        if (offset < input.length) out.set(input.subarray(offset, offset + frameSamples));
        if (bargeInAtMs !== undefined && tMs >= bargeInAtMs) {
          const j = Math.round(((tMs - bargeInAtMs) * rate) / 1000);
          for (let k = 0; k < frameSamples && j + k < interjection.length; k++) out[k] = Math.max(-32768, Math.min(32767, out[k] + interjection[j + k]));
        }
        caller.sendFrame(out);
        frame++;
      }
      const elapsed = now - start;
      lastHeardEnd = caller.playout.endMs - start;
      o.onTick?.({ elapsedMs: elapsed, inputMs, heardEndMs: Math.max(0, lastHeardEnd), caller });
      if (bargeInAtMs === undefined && o.bargeInAfterReplyMs !== undefined && lastHeardEnd > 0) {
        const firstHeard = caller.playout.timeline()[0]?.playAtMs;
        if (firstHeard !== undefined) bargeInAtMs = Math.ceil((firstHeard - start + o.bargeInAfterReplyMs) / FRAME_MS) * FRAME_MS;
      }
      const inputDone = elapsed > inputMs + 500 && (bargeInAtMs === undefined || elapsed > bargeInAtMs + interjection.length / (rate / 1000) + 500);
      const replyHeard = lastHeardEnd > 0 && elapsed - lastHeardEnd > quietMs;
      if (inputDone && replyHeard && serverQuietFor !== lastHeardEnd && !checking && now - lastCheckAt > 200) checkServer(lastHeardEnd);
      if ((inputDone && replyHeard && serverQuietFor === lastHeardEnd) || elapsed > maxEndMs || caller.socket.readyState > 1) return resolve();
      systemClock.setTimeout(tick, Math.max(0, start + frame * FRAME_MS - performance.now()));
    };
    tick();
  });
  await caller.hangup();
  const durationMs = performance.now() - start;
  const heard = caller.playout.render(start);

  let summary: CallSummary | undefined;
  summary = await fetchSummary(o.url, (c) => isCallOf(caller, c), 5000, o.adminToken);
  const transcript =
    o.via === 'ws'
      ? caller.events.filter((e) => e.type === 'transcript' && (e.detail as { final: boolean }).final).map((e) => ({ role: (e.detail as { role: string }).role, text: (e.detail as { text: string }).text }))
      : (summary?.transcript ?? []).map((t) => ({ role: t.role, text: t.text }));

  const callerSpans = voicedSpans(input, rate).filter(([s]) => bargeInAtMs === undefined || s < bargeInAtMs);
  const heardSpans = voicedSpans(heard, rate, -45, 300);
  const replyLatenciesMs = callerSpans
    .map(([, end]) => heardSpans.find(([s]) => s > end)?.[0])
    .map((s, i) => (s === undefined ? NaN : Math.round(s - callerSpans[i][1])))
    .filter((x) => Number.isFinite(x));

  let bargeIn: SimulationResult['bargeIn'];
  const timeline = caller.playout.timeline().map((c) => ({ atMs: c.playAtMs - start, durationMs: c.durationMs }));
  const at = bargeInAtMs;
  if (at !== undefined) {
    const clear = caller.events.find((e) => e.type === 'clear' && e.atMs - start >= at);
    bargeIn = {
      atMs: at,
      clearAfterMs: clear ? Math.round(clear.atMs - start - at) : null,
      audioStoppedAfterMs: playbackStopAfter(timeline, at),
    };
  }
  const turns = summary
    ? summary.turns.map((t) => ({ turn: t.turn, replyLatencyMs: t.replyLatencyMs, interrupted: t.interrupted }))
    : turnEvents(caller.events);
  return { via: o.via, heard, sampleRateHz: rate, transcript, turns, replyLatenciesMs, bargeIn, events: caller.events, timeline, summary, durationMs: Math.round(durationMs) };
}

/** The last browser `turn` event for each turn, in turn order. */
export function turnEvents(events: readonly SimEvent[]): SimulationResult['turns'] {
  const byTurn = new Map<number, SimulationResult['turns'][number]>();
  for (const e of events) {
    if (e.type !== 'turn') continue;
    const d = e.detail as { turn: number; replyLatencyMs: number | null; interrupted: boolean };
    byTurn.set(d.turn, { turn: d.turn, replyLatencyMs: d.replyLatencyMs, interrupted: d.interrupted });
  }
  return [...byTurn.values()].sort((a, b) => a.turn - b.turn);
}

/**
 * How long after `atMs` the audio that was playing at `atMs` stopped: the end of the contiguous run
 * of heard chunks (gaps under 100 ms ignored) that covers `atMs`; null when nothing was playing.
 */
export function playbackStopAfter(timeline: Array<{ atMs: number; durationMs: number }>, atMs: number): number | null {
  const chunks = [...timeline].sort((a, b) => a.atMs - b.atMs);
  let runStart = -1;
  let runEnd = -1;
  for (const c of chunks) {
    if (runEnd >= 0 && c.atMs > runEnd + 100) {
      if (runStart <= atMs && runEnd > atMs) return Math.round(runEnd - atMs);
      runStart = -1;
    }
    if (runStart < 0) runStart = c.atMs;
    runEnd = Math.max(runEnd, c.atMs + c.durationMs);
  }
  return runStart >= 0 && runStart <= atMs && runEnd > atMs ? Math.round(runEnd - atMs) : null;
}

/** A live call as `GET /calls` lists it (the fields simulated callers use). */
export interface LiveCallEntry {
  id: string;
  /** `listening`, `responding`, … */
  phase: string;
  /** Twilio CallSid, Vonage uuid. */
  carrierCallId?: string;
  parameters?: Record<string, string>;
  /** Final transcript lines so far. */
  transcript?: Array<{ role: string; text: string }>;
}

/**
 * Whether a call the server lists (live or ended) is `caller`'s: by the carrier's call id (Twilio,
 * Vonage), its `simId` parameter (raw PCM), or its browser call id.
 */
export function isCallOf(caller: Pick<SimulatedCaller, 'simId' | 'callId' | 'carrierCallId'>, c: { id: string; carrierCallId?: string; parameters?: Record<string, string> }): boolean {
  const callId = caller.callId();
  return (
    c.parameters?.simId === caller.simId ||
    (caller.carrierCallId !== undefined && c.carrierCallId === caller.carrierCallId) ||
    (callId !== undefined && c.id === callId)
  );
}

/**
 * Reads the server's `GET /calls` as an admin: with `Authorization: Bearer adminToken` when given
 * (the server's ADMIN_TOKEN; the admin routes need it when it is set, see src/http/admin-access.ts),
 * else as a client on the same machine. Rejects on network errors; a refusal comes back as its HTTP status.
 */
export function fetchCalls(url: string, adminToken?: string): Promise<Response> {
  return fetch(`${url.replace(/\/$/, '')}/calls`, adminToken ? { headers: { authorization: `Bearer ${adminToken}` } } : {});
}

/** `caller`'s call among the server's live calls (`GET /calls`); undefined when it is not live, or on errors. */
export async function liveCallOf(url: string, caller: Pick<SimulatedCaller, 'simId' | 'callId' | 'carrierCallId'>, adminToken?: string): Promise<LiveCallEntry | undefined> {
  try {
    const res = await fetchCalls(url, adminToken);
    if (!res.ok) return undefined;
    const body = (await res.json()) as { live?: LiveCallEntry[] };
    return body.live?.find((c) => isCallOf(caller, c));
  } catch {
    return undefined;
  }
}

/** Polls `GET /calls` for the ended call that `match` picks (e.g. by the `simId` parameter). */
export async function fetchSummary(url: string, match: (c: CallSummary) => boolean, timeoutMs = 5000, adminToken?: string): Promise<CallSummary | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetchCalls(url, adminToken);
      // Refused (the admin routes need ADMIN_TOKEN or a JWT here): waiting longer will not help.
      if (res.status === 401 || res.status === 403) return undefined;
      const body = (await res.json()) as { recent: CallSummary[] };
      const found = body.recent.find(match);
      if (found) return found;
    } catch {
      // server busy or restarting: retry
    }
    await sleep(systemClock, 100);
  }
  return undefined;
}
