/**
 * Keeps the main thread (where every call's audio is received, paced and sent) ahead of the
 * process's helper threads (V8's garbage-collection and compiler workers, which exist from the
 * start) when they compete for the same core. On a server pinned to one core, concurrent marking
 * or sweeping otherwise preempts the main thread for whole scheduler slices: at 60 Nova calls,
 * outbound p99 added latency 37–41 ms without, 10–11 ms with (`npm run bench:nova`, A/B runs).
 *
 * Linux only: `setpriority(PRIO_PROCESS, tid)` on a thread id changes that thread alone
 * (setpriority(2), "Linux notes"); raising one's own nice value needs no privileges.
 */
import fs from 'node:fs';
import os from 'node:os';

/**
 * Raises the nice value of every thread of this process except the main thread by `niceDelta`
 * (relative to the main thread's), once per thread. Returns how many threads were changed; 0 on
 * other systems or when `niceDelta` is 0. Never throws.
 * @param seen thread ids already handled (pass the same set on later calls to catch new threads)
 */
export function deprioritizeHelperThreads(niceDelta: number, seen: Set<number> = new Set()): number {
  if (niceDelta <= 0 || process.platform !== 'linux') return 0;
  let changed = 0;
  try {
    const mainNice = os.getPriority(0);
    const target = Math.min(19, mainNice + niceDelta);
    for (const entry of fs.readdirSync('/proc/self/task')) {
      const tid = Number(entry);
      if (!Number.isInteger(tid) || tid === process.pid || seen.has(tid)) continue;
      seen.add(tid);
      try {
        os.setPriority(tid, target);
        changed++;
      } catch {
        // the thread exited meanwhile, or the system refused: leave it
      }
    }
  } catch {
    // no /proc: nothing to do
  }
  return changed;
}
