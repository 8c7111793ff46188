/**
 * The benchmark's stand-in model service, run in a worker thread of the benchmark process
 * (bench/nova-calls.ts): the Bedrock emulator (or, with `model: 'openai'`, the OpenAI Realtime
 * emulator) with the timed brain. It runs on its own thread so that its timers (when each reply
 * chunk is due) are not held up by the simulated callers' work on the main thread, and the
 * callers' receive times are not held up by its work: both share CPU 1, scheduled by the kernel.
 *
 * Messages to the parent (`StandInMessage`): `ready` with the service URL and this thread's clock
 * origin; `live` as each stream's caller audio starts; `batch` with the chunk and caller-audio
 * records since the last one (every `BATCH_MS`); `flushed` after a `flush` request's batch;
 * `closed` after a `close` request. Times are this
 * thread's `performance.now()`; the parent maps them onto its own clock with `originMs`
 * (`process.hrtime` at this thread's `performance.now()` = 0, a clock both threads share).
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadResamplerFactory } from '../src/audio/resample.js';
import { timedBrainFactory } from '../src/emulators/nova-sonic/brains.js';
import { startNovaSonicEmulator } from '../src/emulators/nova-sonic/server.js';
import type { ReplyPace, TimedChunk } from '../src/emulators/nova-sonic/timed-brain.js';
import { startOpenAIRealtimeEmulator } from '../src/emulators/openai-realtime/server.js';
import { hrtimeOriginMs } from './clock-origin.js';

/** What the parent passes as `workerData`. */
export interface StandInOptions {
  model: 'nova-sonic' | 'openai';
  pace: ReplyPace;
  replyMs: number;
  chunkMs: number;
  replyEveryMs: number;
  /**
   * Nice value for this thread (Linux: per thread), below the callers' thread so that a due chunk
   * goes out before callers' work queued on the same core; undefined: inherit.
   */
  nice?: number;
}

/**
 * A chunk record: session id, reply number, chunk index, when it left (see `onChunk` below: for
 * Bedrock, after its burst was encoded and queued), when it was due (ms, this thread's clock).
 */
export type ChunkRecord = [sessionId: string, reply: number, chunk: number, atMs: number, dueAtMs: number];
/** Caller audio that reached the stand-in: stream number (1-based), duration ms, at ms. */
export type AudioInputRecord = [stream: number, durationMs: number, atMs: number];

/** Messages from the stand-in thread. */
export type StandInMessage =
  | { type: 'ready'; url: string; originMs: number }
  | { type: 'live'; index: number; sessionId: string }
  | { type: 'batch'; chunks: ChunkRecord[]; inputs: AudioInputRecord[] }
  | { type: 'flushed' }
  | { type: 'closed' };

/** How often records go to the parent, ms (they are read after the measuring window). */
const BATCH_MS = 100;
/** How often stream start-up is polled, ms. */
const LIVE_POLL_MS = 5;

const port = parentPort!;
const options = workerData as StandInOptions;
// os.setPriority(pid 0) is setpriority(PRIO_PROCESS, 0): on Linux the calling thread only.
if (options.nice !== undefined) os.setPriority(options.nice);
let chunks: ChunkRecord[] = [];
let inputs: AudioInputRecord[] = [];
const post = (m: StandInMessage): void => port.postMessage(m);
const flush = (): void => {
  if (chunks.length === 0 && inputs.length === 0) return;
  post({ type: 'batch', chunks, inputs });
  chunks = [];
  inputs = [];
};

/**
 * When a chunk left this service: the brain reports each chunk before the emulator encodes and
 * writes it. The OpenAI emulator's WebSocket writes each message to the socket there and then, so
 * that time stands. Node's HTTP/2 session (the Bedrock emulator) only queues each write, and hands
 * what is queued to the kernel in a native immediate later in the loop turn, after the whole burst
 * is encoded (p50 1.5 ms, up to 13 ms on this thread's shared core, measured at 60 calls): there
 * the chunk's time is taken once the brain's timer callback has encoded and queued everything it
 * sends (`nextTick`). The rest of the turn (other streams' timers, reading the server's input) may
 * still come before the flush, so the time can be early, never late. (A time taken after the flush
 * could fall after the carrier already had the frame, when this thread loses the core in between.)
 * The stand-in's chunk lateness (`standInChunkLatenessMs`) therefore includes the burst's encoding
 * for Bedrock, and the benchmark's first-frame figure does not.
 */
const writesAtTurnEnd = options.model !== 'openai';
const onChunk = (c: TimedChunk): void => {
  if (!writesAtTurnEnd) return void chunks.push([c.sessionId, c.reply, c.chunk, c.atMs, c.dueAtMs]);
  process.nextTick(() => chunks.push([c.sessionId, c.reply, c.chunk, performance.now(), c.dueAtMs]));
};
const onAudioInput = (stream: number, durationMs: number, atMs: number): void => void inputs.push([stream, durationMs, atMs]);
const brain = timedBrainFactory({ pace: options.pace, replyMs: options.replyMs, chunkMs: options.chunkMs, replyEveryMs: options.replyEveryMs, onChunk });
const resamplers = await loadResamplerFactory();
const emulator =
  options.model === 'openai'
    ? // The timed brain paces its replies itself; the emulator passes its chunks on as they come.
      await startOpenAIRealtimeEmulator({ brain, resamplers, pace: 'burst', onAudioInput }).then((e) => ({ url: e.url, close: () => e.close(), liveSession: (i: number) => (e.sessions[i]?.audioStartedAtMs !== undefined ? e.sessions[i].conversation.session.id : undefined) }))
    : await startNovaSonicEmulator({ brain, resamplers, verifySignatures: false, onAudioInput }).then((e) => ({ url: e.url, close: () => e.close(), liveSession: (i: number) => (e.streams[i]?.conversation && e.streams[i].audioStartedAtMs !== undefined ? e.streams[i].conversation!.sessionId : undefined) }));

let announced = 0;
const livePoll = setInterval(() => {
  for (let id = emulator.liveSession(announced); id !== undefined; id = emulator.liveSession(announced)) post({ type: 'live', index: announced++, sessionId: id });
}, LIVE_POLL_MS);
const batches = setInterval(flush, BATCH_MS);
port.on('message', (m: { type: 'flush' | 'close' }) => {
  if (m.type === 'flush') {
    flush();
    post({ type: 'flushed' });
    return;
  }
  clearInterval(livePoll);
  clearInterval(batches);
  void emulator.close().then(() => {
    flush();
    post({ type: 'closed' });
    port.close();
  });
});
const originMs = hrtimeOriginMs();
post({ type: 'ready', url: emulator.url, originMs });
