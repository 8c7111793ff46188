/**
 * Who may open a call or a socket now (no I/O: counters and the clock are injected). Applies
 * `MAX_CALLS` (global), `MAX_CALLS_PER_ADDRESS`, and per-address WebSocket upgrades and WebRTC
 * offers per minute; counts every refusal in `LimitStats`. A call slot is a lease: it is taken
 * when a socket or offer arrives (so sockets that never start a stream count too) and returned
 * once, when it ends.
 */
import type { ConcurrencyCounter, WindowCounter } from './counters.js';
import type { LimitStats, RefusalReason } from './stats.js';

/** The limits (the configuration's `MAX_CALLS`, `MAX_CALLS_PER_ADDRESS`, …). */
export interface AdmissionSettings {
  /** Calls (and call sockets) live at once in this process. */
  maxCalls: number;
  /** Calls live at once per client address. */
  maxCallsPerAddress: number;
  /** WebSocket upgrades per client address per minute. */
  upgradesPerMinute: number;
  /** WebRTC offers per client address per minute. */
  offersPerMinute: number;
  /** Retry-After suggested when calls are full, s. */
  callsFullRetryAfterS: number;
}

/** A refusal: why, and when to try again (HTTP `Retry-After`, s). */
export interface Refusal {
  reason: RefusalReason;
  retryAfterS: number;
  /** A sentence for the client. */
  message: string;
}

/** A held call slot; `release` is idempotent. */
export interface CallLease {
  release(): void;
}

const WINDOW_MS = 60_000;
const GLOBAL_KEY = '*';

/** Admission checks of one server. */
export class Admission {
  constructor(
    private readonly settings: AdmissionSettings,
    private readonly counters: { windows: WindowCounter; calls: ConcurrencyCounter },
    private readonly stats: LimitStats,
  ) {}

  /** Counts a WebSocket upgrade from `address`; a refusal when over its per-minute limit. */
  async upgrade(address: string): Promise<Refusal | null> {
    return this.rate('upgradesPerMinute', `ws:${address}`, this.settings.upgradesPerMinute, 'too many WebSocket connections from your address');
  }

  /** Counts a WebRTC offer from `address`; a refusal when over its per-minute limit. */
  async offer(address: string): Promise<Refusal | null> {
    return this.rate('offersPerMinute', `offer:${address}`, this.settings.offersPerMinute, 'too many WebRTC offers from your address');
  }

  /** Takes a call slot for `address`, or says why not (all calls taken, or the address's share). */
  async call(address: string): Promise<CallLease | Refusal> {
    const { calls } = this.counters;
    const key = `calls:${address}`;
    if (!(await calls.acquire(key, this.settings.maxCallsPerAddress))) return this.refuse('callsPerAddress', this.settings.callsFullRetryAfterS, 'too many calls from your address');
    if (!(await calls.acquire(GLOBAL_KEY, this.settings.maxCalls))) {
      calls.release(key);
      return this.refuse('maxCalls', this.settings.callsFullRetryAfterS, 'the server is at its call limit');
    }
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        calls.release(key);
        calls.release(GLOBAL_KEY);
      },
    };
  }

  /** Call slots held now, in all and by `address`. */
  callsHeld(address?: string): number {
    return this.counters.calls.held(address === undefined ? GLOBAL_KEY : `calls:${address}`);
  }

  private async rate(reason: RefusalReason, key: string, limit: number, message: string): Promise<Refusal | null> {
    const d = await this.counters.windows.hit(key, limit, WINDOW_MS);
    return d.allowed ? null : this.refuse(reason, Math.ceil(d.retryAfterMs / 1000), message);
  }

  private refuse(reason: RefusalReason, retryAfterS: number, message: string): Refusal {
    this.stats.refuse(reason);
    const s = Math.max(1, retryAfterS);
    return { reason, retryAfterS: s, message: `${message}: try again in ${s} s` };
  }
}

/** Whether `x` is a refusal rather than a lease. */
export function isRefusal(x: CallLease | Refusal): x is Refusal {
  return 'reason' in x;
}

/**
 * The key a client address is limited under: IPv4 as it is (IPv4-mapped IPv6 unwrapped), IPv6 by
 * its /64 (one subscriber's prefix: a client holds a whole /64, so single addresses would not
 * limit it).
 */
export function clientAddressKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!ip.includes(':')) return ip;
  const [head, tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
