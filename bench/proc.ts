/**
 * Process helpers the benchmarks share (Linux: reads /proc): CPU time, RSS and descriptors of a child, and
 * waiting for a server to answer `/ready`. Free ports come from the test helpers.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export { freePort } from '../test/helpers/server-process.js';

/**
 * Server settings for load benchmarks, whose callers all come from 127.0.0.1: the per-address and
 * global call limits (which would refuse them as one client) raised out of the way.
 */
export const LOAD_TEST_LIMITS = { MAX_CALLS: '100000', MAX_CALLS_PER_ADDRESS: '100000', WS_UPGRADES_PER_MINUTE: '1000000', WEBRTC_OFFERS_PER_MINUTE: '1000000' } as const;

/** Clock ticks per second of /proc CPU times. */
const CLK_TCK = 100;

/** User + system CPU seconds used so far by process `pid`. */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

/** User and system (kernel: sockets, timers, page faults) CPU seconds used so far by process `pid`. */
export function cpuSplitSeconds(pid: number): { user: number; system: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}

/** Resident set size of process `pid`, MB (NaN when unknown). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * Resolves with `child` once `http://127.0.0.1:port/ready` answers OK (polling for up to 10 s).
 * @throws Error (after killing `child`) when it never does.
 */
export async function whenReady(child: ChildProcess, port: number): Promise<ChildProcess> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/ready`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('server did not start');
}

/**
 * CPU seconds used so far by each thread of process `pid`, keyed `name` (`comm`, e.g.
 * `libuv-worker`, `V8 DefaultWorke`) summed over threads of that name, with the main thread as
 * `main` and other threads called `node` (native add-ons' threads inherit it) kept apart as
 * `node#TID`. Threads that ended are missing (their time is in the process total from `cpuSeconds`).
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return byName;
  }
  for (const tid of tids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const name = tid === String(pid) ? 'main' : comm === 'node' ? `node#${tid}` : comm;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / CLK_TCK);
    } catch {
      // the thread ended meanwhile
    }
  }
  return byName;
}

/** What process `pid`'s descriptors other than sockets point at (files, pipes, anon inodes). */
export function fdTargets(pid: number): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (!target.startsWith('socket:')) out.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** Open socket descriptors of process `pid`. */
export function socketFds(pid: number): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

const TCP_STATES: Record<string, string> = { '01': 'ESTABLISHED', '06': 'TIME_WAIT', '08': 'CLOSE_WAIT', '0A': 'LISTEN', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '09': 'LAST_ACK' };

/** The TCP sockets process `pid` holds, as `local port → remote port STATE` (from /proc/net/tcp{,6}). */
export function tcpSockets(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9])) continue;
      const portOf = (a: string) => parseInt(a.slice(a.lastIndexOf(':') + 1), 16);
      out.push(`${portOf(f[1])} → ${portOf(f[2])} ${TCP_STATES[f[3]] ?? f[3]}`);
    }
  }
  return out;
}

/**
 * Sets up this benchmark process as the load side of a pinned run: pins it to CPU 1 with `taskset`
 * when `pin` (the server goes on CPU 0), and gives it nice value `nice` when not 0 (with autogroup
 * scheduling a nice value only counts inside the session's group, so a process that leads its own
 * session, started with `setsid`, gives the whole group that priority).
 * @returns whether the process is pinned (false when `taskset` is missing: the run goes unpinned).
 * @throws Error from `os.setPriority` when `nice` is not permitted (raising priority needs root).
 */
export function pinBenchmarkProcess(pin: boolean, nice: number): boolean {
  let pinned = pin;
  if (pinned) {
    try {
      execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
    } catch {
      console.error('taskset is not available: running unpinned');
      pinned = false;
    }
  }
  if (nice !== 0) {
    os.setPriority(nice);
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const session = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
    if (session === process.pid && fs.existsSync('/proc/self/autogroup')) fs.writeFileSync('/proc/self/autogroup', String(nice));
    else console.error('not a session leader: --nice applies to the main thread only (start it with setsid node --import tsx …)');
  }
  return pinned;
}
