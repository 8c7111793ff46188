/**
 * This instance's side of the live-call registry: each call is written when it starts, refreshed
 * every `intervalMs` (its transcript so far), and removed when it ends; on each beat, calls of
 * instances whose heartbeat lapsed are claimed and their records written with reason
 * `instance-lost`. Registry failures (Redis down) are logged and the beat goes on: live calls are
 * never touched by them. Timers run on the injected clock.
 */
import type { CallSummary } from '../call/types.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { liveEntryOf, lostCallSummary, type LiveCallView } from './live-entry.js';
import type { CallRegistry } from './registry.js';

/** What the heartbeat needs. */
export interface CallHeartbeatDeps {
  registry: CallRegistry;
  /** This instance's id (`INSTANCE_ID`). */
  instanceId: string;
  clock: Clock;
  /** Time between beats, ms (`HEARTBEAT_INTERVAL_MS`). */
  intervalMs: number;
  /** This instance's live calls now. */
  liveCalls(): readonly LiveCallView[];
  /** Queues the record of a call lost with its instance (the call writer). */
  writeRecord(summary: CallSummary): void;
  /** Wall clock, Unix epoch ms (a lost call's end time). */
  wallClockMs(): number;
  logger: Logger;
  /** More work for each beat (e.g. refreshing the admission counters' leases); its failure is logged like the registry's. */
  onBeat?: () => Promise<void>;
}

/** The heartbeat of one instance. */
export class CallHeartbeat {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private beating: Promise<void> | undefined;
  private failing = false;

  constructor(private readonly deps: CallHeartbeatDeps) {}

  /** Starts beating (the first beat at once). */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    const tick = () => {
      this.timer = this.deps.clock.setTimeout(tick, this.deps.intervalMs);
      if (!this.beating) this.beating = this.beat().finally(() => (this.beating = undefined));
    };
    tick();
  }

  /** Stops beating and waits for a beat in progress. Entries left behind lapse (and are claimed) unless their calls end first. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deps.clock.clearTimeout(this.timer);
    await this.beating;
  }

  /** Writes a new call's entry now (so other instances list it at once). */
  callStarted(call: LiveCallView): void {
    void this.guard(this.deps.registry.heartbeat([liveEntryOf(call, this.deps.instanceId)]));
  }

  /** Removes an ended call's entry (its record is written by this instance). */
  callEnded(callId: string): Promise<void> {
    return this.guard(this.deps.registry.remove(callId));
  }

  /** One beat: refresh this instance's entries, then take over lapsed ones. Never rejects. */
  async beat(): Promise<void> {
    const { registry, instanceId } = this.deps;
    const calls = this.deps.liveCalls();
    const live = new Set(calls.map((c) => c.id));
    await this.guard(
      (async () => {
        await registry.heartbeat(calls.map((c) => liveEntryOf(c, instanceId)));
        await this.deps.onBeat?.();
        const lapsed = await registry.claimLapsed();
        const ownAgain = lapsed.filter((e) => live.has(e.id));
        // Our own calls lapsed while Redis was out of reach: still live here, so written back.
        if (ownAgain.length) await registry.heartbeat(calls.filter((c) => ownAgain.some((e) => e.id === c.id)).map((c) => liveEntryOf(c, instanceId)));
        for (const entry of lapsed) {
          if (live.has(entry.id)) continue;
          this.deps.logger.warn({ callId: entry.id, instance: entry.instance, kind: entry.kind }, 'call of a lost instance ended: writing its record (instance-lost)');
          this.deps.writeRecord(lostCallSummary(entry, this.deps.wallClockMs()));
        }
      })(),
    );
  }

  private async guard(work: Promise<unknown>): Promise<void> {
    try {
      await work;
      if (this.failing) this.deps.logger.info('live-call registry reachable again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.deps.logger.warn({ err: errorMessage(err) }, 'live-call registry unreachable: calls go on; other instances may not list them until it is back');
      this.failing = true;
    }
  }
}
