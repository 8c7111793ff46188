import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { deprioritizeHelperThreads } from './thread-priority.js';

/** Nice value of thread `tid` of this process, from /proc (field 19 of stat). */
function niceOf(tid: number): number {
  const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

describe.runIf(process.platform === 'linux')('deprioritizeHelperThreads', () => {
  it('raises the nice value of every thread but the main one, once per thread, and catches new threads later', async () => {
    const main = os.getPriority(0);
    const seen = new Set<number>();
    expect(deprioritizeHelperThreads(5, seen)).toBeGreaterThan(0);
    const tids = fs.readdirSync('/proc/self/task').map(Number);
    for (const tid of tids) expect(niceOf(tid)).toBe(tid === process.pid ? main : Math.min(19, main + 5));
    expect(deprioritizeHelperThreads(5, seen), 'nothing new to change').toBe(0);
    // A thread started afterwards (here a worker) is caught by the next call.
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((resolve) => worker.once('online', resolve));
    try {
      expect(deprioritizeHelperThreads(5, seen)).toBeGreaterThan(0);
      expect(niceOf(process.pid)).toBe(main);
    } finally {
      await worker.terminate();
    }
  });

  it('does nothing for a delta of 0', () => {
    expect(deprioritizeHelperThreads(0)).toBe(0);
  });
});
