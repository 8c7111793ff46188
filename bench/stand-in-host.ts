/**
 * The benchmark side of the stand-in model service (bench/stand-in.ts): starts it on a worker
 * thread and maps its records onto this thread's clock. Used by bench/nova-calls.ts.
 */
import { Worker } from 'node:worker_threads';
import type { StandInMessage, StandInOptions } from './stand-in.js';
import { hrtimeOriginMs } from './clock-origin.js';

/** Where the stand-in's records go, times on this thread's `performance.now()` clock (ms). */
export interface StandInSinks {
  /** Caller audio of stream `stream` (1-based) reached the stand-in. */
  onInput(stream: number, durationMs: number, atMs: number): void;
  /** The stand-in sent chunk `chunk` of reply `reply` on stream session `sessionId`. */
  onChunk(sessionId: string, reply: number, chunk: number, atMs: number, dueAtMs: number): void;
}

/** A running stand-in. */
export interface StandIn {
  /** The service's base URL (Bedrock endpoint or OpenAI Realtime server). */
  url: string;
  /** The brain session id of the i-th stream (0-based) once its caller audio flows. */
  liveSession(i: number): string | undefined;
  /** Resolves once every record up to now has reached the sinks. */
  flush(): Promise<void>;
  /** Closes the service and ends the thread. */
  close(): Promise<void>;
}

/**
 * Starts the stand-in on a worker thread.
 * @throws Error (the promise, or a later `flush`/`close`) when the thread fails or exits early.
 */
export async function startStandIn(options: StandInOptions, sinks: StandInSinks): Promise<StandIn> {
  // A worker does not inherit tsx's loader: register it there before loading the TypeScript module.
  const entry = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./stand-in.ts', import.meta.url).href)}); })`;
  const worker = new Worker(entry, { eval: true, workerData: options });
  const live: string[] = [];
  let shift = 0;
  let failure: Error | undefined;
  let waiting: { type: StandInMessage['type']; resolve: () => void; reject: (err: Error) => void } | undefined;
  let onReady: { resolve: (url: string) => void; reject: (err: Error) => void } | undefined;
  const fail = (err: Error): void => {
    failure ??= err;
    onReady?.reject(err);
    waiting?.reject(err);
    onReady = waiting = undefined;
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the stand-in thread exited (code ${code})`)));
  worker.on('message', (m: StandInMessage) => {
    if (m.type === 'ready') {
      // Its performance.now() + shift = ours (both from process.hrtime's clock).
      shift = m.originMs - hrtimeOriginMs();
      onReady?.resolve(m.url);
      onReady = undefined;
    } else if (m.type === 'live') live[m.index] = m.sessionId;
    else if (m.type === 'batch') {
      for (const [session, reply, chunk, atMs, dueAtMs] of m.chunks) sinks.onChunk(session, reply, chunk, atMs + shift, dueAtMs + shift);
      for (const [stream, durationMs, atMs] of m.inputs) sinks.onInput(stream, durationMs, atMs + shift);
    }
    if (waiting?.type === m.type) {
      waiting.resolve();
      waiting = undefined;
    }
  });
  const request = (type: 'flush' | 'close', reply: StandInMessage['type']): Promise<void> =>
    failure
      ? Promise.reject(failure)
      : new Promise<void>((resolve, reject) => {
          waiting = { type: reply, resolve, reject };
          worker.postMessage({ type });
        });
  const url = await new Promise<string>((resolve, reject) => (onReady = { resolve, reject }));
  return {
    url,
    liveSession: (i) => live[i],
    flush: () => request('flush', 'flushed'),
    close: async () => {
      worker.removeAllListeners('exit');
      await request('close', 'closed');
      await worker.terminate();
    },
  };
}
