/**
 * `CallManager`: accepts caller transports, creates and tracks live calls, keeps the summaries of
 * recent ones, and drains on shutdown (stop accepting, let calls finish, then hang up the rest).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { CallerStartInfo, CallerTransport, InboundAudioLimiter } from '../callers/transport.js';
import { errorMessage, VoiceBridgeError } from '../core/errors.js';
import { rateLimitedLogger } from '../core/log-limit.js';
import type { SpeechModel } from '../models/model.js';
import { Call, MAX_CALL_LENGTH_REASON, type CallDeps, type CallSummary } from './call.js';
import { Histogram } from '../core/histogram.js';

/** Dependencies of the manager. */
export interface CallManagerDeps extends Pick<CallDeps, 'model' | 'resamplers' | 'clock' | 'logger' | 'vad' | 'options' | 'tools' | 'holdPhrase' | 'prices'> {
  /** How long a transport may take to start its stream, ms. */
  startTimeoutMs?: number;
  /** Whether browser callers may override the system prompt. */
  allowPromptOverride?: boolean;
  /** Recent call summaries kept, count. */
  historySize?: number;
  /** Other models a caller may ask for by id (`session.start.model`, `?model=`); `model` is the default. */
  alternatives?: readonly SpeechModel[];
  /** Makes the limiter put in front of each caller's inbound audio (none when absent). */
  inboundAudioLimiter?: () => InboundAudioLimiter;
  /** Called for each call hung up at its longest length (`options.maxCallMs`), e.g. to count it. */
  onMaxLength?: () => void;
  /** Wraps each call's transport before the call gets it, once the call id exists (e.g. the call recording's tap, `src/recording/tap.ts`). */
  wrapTransport?: (callId: string, transport: CallerTransport) => CallerTransport;
}

/** Thrown by `accept` while draining. */
export class DrainingError extends VoiceBridgeError {
  constructor() {
    super('draining', 'server is draining: no new calls', true);
  }
}

/** Events of `CallManager.events`: `call`, each new call before it starts. */
export interface CallManagerEvents {
  call: [call: Call];
}

/** Tracks every live call in this process. */
export class CallManager {
  private readonly live = new Map<string, Call>();
  private readonly recent: CallSummary[] = [];
  private draining = false;
  /** Emits `call` (Call) when a call is created, before it starts. */
  readonly events = new EventEmitter<CallManagerEvents>();

  constructor(private readonly deps: CallManagerDeps) {}

  /** Live call count. */
  get size(): number {
    return this.live.size;
  }

  /** Whether `drain()` has begun. */
  get isDraining(): boolean {
    return this.draining;
  }

  /** The model new calls use. */
  get model(): SpeechModel {
    return this.deps.model;
  }

  /** Every model callers may use: the default first. */
  get models(): readonly SpeechModel[] {
    return [this.deps.model, ...(this.deps.alternatives ?? []).filter((m) => m.id !== this.deps.model.id)];
  }

  /** The model with id `id` when callers may use it, else the default. */
  modelFor(id: string | undefined): SpeechModel {
    return (id && this.models.find((m) => m.id === id)) || this.deps.model;
  }

  /** The live call with id `id`, if any. */
  get(id: string): Call | undefined {
    return this.live.get(id);
  }

  /** Live calls. */
  calls(): Call[] {
    return [...this.live.values()];
  }

  /**
   * Audio-path statistics merged over live calls: inbound added latency (caller frame received →
   * handed to the model), outbound added latency and pacing jitter (ms), underruns and frame counts.
   */
  stats(): { calls: number; inboundLatencyMs: ReturnType<Histogram['summary']>; outboundLatencyMs: ReturnType<Histogram['summary']>; pacingJitterMs: ReturnType<Histogram['summary']>; underruns: number; framesIn: number; framesOut: number; bargeIns: number; model: Record<string, number> } {
    const inbound = new Histogram(200);
    const outbound = new Histogram(200);
    const jitter = new Histogram(200);
    let underruns = 0, framesIn = 0, framesOut = 0, bargeIns = 0;
    for (const c of this.live.values()) {
      inbound.merge(c.inboundLatency);
      outbound.merge(c.playout.addedLatency);
      jitter.merge(c.playout.jitter);
      underruns += c.playout.underruns;
      framesIn += c.framesIn;
      framesOut += c.playout.framesSent;
      bargeIns += c.bargeIns;
    }
    const model = { ...this.endedModelTotals };
    for (const c of this.live.values()) addModelStats(model, c.modelStats());
    return { calls: this.live.size, inboundLatencyMs: inbound.summary(), outboundLatencyMs: outbound.summary(), pacingJitterMs: jitter.summary(), underruns, framesIn, framesOut, bargeIns, model };
  }

  /** Model session counters of ended calls, summed (`max*` keys: the maximum). */
  private readonly endedModelTotals: Record<string, number> = {};

  /** Summaries of recently ended calls, newest first. */
  recentCalls(): CallSummary[] {
    return [...this.recent].reverse();
  }

  /**
   * Waits for the transport's stream to start, then creates and starts a call.
   * @returns the call, or null when the stream never started (the transport has already closed
   *   itself with a reason).
   * @throws DrainingError while draining.
   */
  async accept(transport: CallerTransport, onCreated?: (call: Call, info: CallerStartInfo) => void): Promise<Call | null> {
    if (this.draining) throw new DrainingError();
    const { clock, logger } = this.deps;
    if (this.deps.inboundAudioLimiter) transport.limitInboundAudio?.(this.deps.inboundAudioLimiter());
    const timeoutMs = this.deps.startTimeoutMs ?? 10_000;
    let timer: unknown;
    let info: CallerStartInfo;
    try {
      info = await Promise.race([
        transport.started,
        new Promise<never>((_, reject) => {
          timer = clock.setTimeout(() => reject(new Error(`stream did not start within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      logger.info({ kind: transport.kind, err: errorMessage(err) }, 'caller stream never started');
      transport.hangup('stream did not start');
      return null;
    } finally {
      clock.clearTimeout(timer);
    }
    if (this.draining) {
      transport.hangup('server is draining');
      return null;
    }
    const id = randomUUID();
    // Each call's warn/error lines are limited per window (log-limit.ts).
    const log = rateLimitedLogger(logger.child({ callId: id, kind: transport.kind, carrierCallId: info.carrierCallId }), { clock });
    const options = { ...this.deps.options };
    if (info.systemPrompt && this.deps.allowPromptOverride) options.systemPrompt = info.systemPrompt;
    const model = this.modelFor(info.model);
    if (info.voice && (model.voices ?? []).includes(info.voice)) options.voice = info.voice;
    const call = new Call({ id, transport: this.deps.wrapTransport?.(id, transport) ?? transport, startInfo: info, model, resamplers: this.deps.resamplers, clock, logger: log, vad: this.deps.vad, options, tools: this.deps.tools, holdPhrase: this.deps.holdPhrase, prices: this.deps.prices });
    this.live.set(id, call);
    log.info({ model: model.id, parameters: info.parameters }, 'call started');
    void call.ended.then((summary) => {
      this.live.delete(id);
      if (summary.reason === MAX_CALL_LENGTH_REASON) this.deps.onMaxLength?.();
      addModelStats(this.endedModelTotals, summary.modelStats);
      this.recent.push(summary);
      if (this.recent.length > (this.deps.historySize ?? 100)) this.recent.shift();
    });
    onCreated?.(call, info);
    this.events.emit('call', call);
    await call.start();
    return call;
  }

  /** Ends the wait of a drain in progress (set while `drain` waits). */
  private cutDrainShort: (() => void) | undefined;

  /**
   * Stops accepting calls and waits up to `timeoutMs` (or until `endCallsNow`) for live calls to
   * end; then hangs up the rest politely: close 1001 "server shutting down" on WebSocket callers,
   * `session.ended` to browsers.
   * @returns how many calls were hung up by force.
   */
  async drain(timeoutMs: number): Promise<number> {
    this.draining = true;
    const pending = this.calls().map((c) => c.ended);
    if (pending.length === 0) return 0;
    const { clock, logger } = this.deps;
    logger.info({ calls: pending.length, timeoutMs }, 'draining calls');
    let timer: unknown;
    await Promise.race([
      Promise.all(pending),
      new Promise<void>((r) => (timer = clock.setTimeout(r, timeoutMs))),
      new Promise<void>((r) => (this.cutDrainShort = r)),
    ]);
    clock.clearTimeout(timer);
    this.cutDrainShort = undefined;
    const left = this.calls();
    for (const c of left) c.hangup('server shutting down', { serverShutdown: true });
    await Promise.all(left.map((c) => c.ended));
    return left.length;
  }

  /**
   * Ends every live call now, politely (as `drain` does at its timeout), and stops accepting new
   * ones: e.g. a second SIGTERM during the drain. A drain in progress then finishes at once.
   * @returns how many calls were live.
   */
  endCallsNow(): number {
    this.draining = true;
    const live = this.live.size;
    if (this.cutDrainShort) this.cutDrainShort();
    else for (const c of this.calls()) c.hangup('server shutting down', { serverShutdown: true });
    return live;
  }
}

/** Adds `stats` into `totals`: sums, except `max*` keys, which keep the maximum. */
function addModelStats(totals: Record<string, number>, stats: Record<string, number>): void {
  for (const [k, v] of Object.entries(stats)) totals[k] = k.startsWith('max') ? Math.max(totals[k] ?? 0, v) : (totals[k] ?? 0) + v;
}
