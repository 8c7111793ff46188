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

/**
 * WebAssembly memories mapped by process `pid` (default: this one), MB each. V8 on 64-bit Linux
 * maps a wasm memory as a read-write region followed directly by its guard reservation (several
 * GB, no access), which is how they are told apart from other anonymous mappings in /proc/PID/maps.
 * Worker threads' memories count too: they share the process's address space.
 */
export function wasmMemoriesMb(pid: number | 'self' = 'self'): number[] {
  const maps = fs
    .readFileSync(`/proc/${pid}/maps`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [range, perm] = line.split(' ');
      const [start, end] = range.split('-').map((x) => parseInt(x, 16));
      return { start, end, perm };
    });
  const out: number[] = [];
  for (let i = 0; i + 1 < maps.length; i++) {
    const [m, guard] = [maps[i], maps[i + 1]];
    if (m.perm === 'rw-p' && guard.perm === '---p' && guard.start === m.end && guard.end - guard.start >= 4 * 2 ** 30) out.push((m.end - m.start) / 2 ** 20);
  }
  return out;
}
