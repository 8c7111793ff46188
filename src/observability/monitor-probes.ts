/**
 * The live monitor's view of this process (`MonitorProbes` in `monitor.ts`): CPU time, resident
 * memory and an event-loop delay histogram of its own (reset per sample window, so it leaves
 * prom-client's and `/stats`' histograms alone).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MonitorProbes } from './monitor.js';

/** Sampling interval of the event-loop delay histogram, ms (Node's and prom-client's default). */
export const LOOP_RESOLUTION_MS = 10;

/** This process's probes, with the delay histogram enabled; `close()` disables it. */
export function processProbes(): MonitorProbes & { close(): void } {
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loopDelay.enable();
  return {
    cpuUsage: () => process.cpuUsage(),
    rssBytes: () => process.memoryUsage.rss(),
    loopDelay,
    loopResolutionMs: LOOP_RESOLUTION_MS,
    close: () => loopDelay.disable(),
  };
}
