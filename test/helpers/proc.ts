/**
 * What a server child process holds, read from /proc (Linux): resident memory and open files.
 */
import fs from 'node:fs';

/** Resident set size of process `pid`, MB (`VmRSS` in /proc/PID/status). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) / 1024;
}

/** Open file descriptors of process `pid` (entries of /proc/PID/fd). */
export function openFiles(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/** Samples `rssMb(pid)` every `intervalMs` until `stop()`, which returns the largest value seen. */
export function watchPeakRss(pid: number, intervalMs = 25): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the process ended
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid));
    },
  };
}
