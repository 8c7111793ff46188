/**
 * The live-call registry: every instance's live calls, so that any instance can list them, find
 * the one holding a call, and take over the records of calls whose instance died. Without Redis
 * (one instance) there are no other instances: `MemoryCallRegistry` knows nothing and does nothing.
 */
import type { LiveEntry } from './live-entry.js';

/** What the registry does (implementations: `MemoryCallRegistry`, `RedisCallRegistry`). */
export interface CallRegistry {
  /** Whether the registry is shared with other instances (false: this instance is alone). */
  readonly shared: boolean;
  /** Writes or refreshes these entries (this instance's live calls), stamped with the registry's time. */
  heartbeat(entries: readonly LiveEntry[]): Promise<void>;
  /** Removes an entry (its call ended here). */
  remove(callId: string): Promise<void>;
  /** Every entry heartbeated within the TTL, all instances. */
  list(): Promise<LiveEntry[]>;
  /** One entry heartbeated within the TTL, if any. */
  get(callId: string): Promise<LiveEntry | undefined>;
  /**
   * Takes the entries whose heartbeat lapsed (older than the TTL) out of the registry and returns
   * them: each to exactly one caller, which then writes its record.
   */
  claimLapsed(): Promise<LiveEntry[]>;
}

/** One instance alone: nothing shared. */
export class MemoryCallRegistry implements CallRegistry {
  readonly shared = false;
  async heartbeat(): Promise<void> {}
  async remove(): Promise<void> {}
  async list(): Promise<LiveEntry[]> {
    return [];
  }
  async get(): Promise<LiveEntry | undefined> {
    return undefined;
  }
  async claimLapsed(): Promise<LiveEntry[]> {
    return [];
  }
}
