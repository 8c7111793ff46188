/**
 * The live progress line of `voicebridge call` on a terminal: elapsed time and the call's state,
 * redrawn in place, with transcript lines printed above it as they arrive (from browser protocol
 * messages, or by polling the server's `/calls` for this call on phone protocols).
 */
import { liveCallOf, type SimulationTick } from '../sim/simulate.js';

/** The caller's view of the call at a tick. */
export function callState(tick: Pick<SimulationTick, 'elapsedMs' | 'inputMs' | 'heardEndMs'>): string {
  if (tick.heardEndMs > tick.elapsedMs) return 'agent speaking';
  if (tick.elapsedMs < tick.inputMs) return 'caller speaking';
  return tick.heardEndMs > 0 ? 'waiting (reply heard)' : 'waiting for the reply';
}

/** `m:ss.s` for `ms`. */
export function clockText(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, '0')}`;
}

/** One transcript line as printed: `caller: …` / `agent : …`. */
export function transcriptLine(role: string, text: string): string {
  return `${role === 'user' ? 'caller' : 'agent '}: ${text}`;
}

/** Renders progress on a terminal stream; `stop()` clears the line. */
export class LiveProgress {
  private shown = 0;
  private polling = false;
  private lastPollMs = -Infinity;
  private stopped = false;

  /**
   * @param url the server, for polling `/calls`; @param out a TTY stream (stdout);
   * @param adminToken the server's ADMIN_TOKEN when it has one (its call records need it).
   */
  constructor(private readonly url: string, private readonly out: NodeJS.WritableStream, private readonly adminToken?: string) {}

  /** Redraws the line, printing new transcript lines first. */
  tick(t: SimulationTick): void {
    if (this.stopped) return;
    const browser = t.caller.events.filter((e) => e.type === 'transcript' && (e.detail as { final?: boolean }).final);
    if (browser.length) this.print(browser.map((e) => e.detail as { role: string; text: string }));
    else if (t.elapsedMs - this.lastPollMs >= 500 && !this.polling) void this.poll(t.caller, t.elapsedMs);
    this.out.write(`\r\x1b[2K  ${clockText(t.elapsedMs)}  ${callState(t)}`);
  }

  private async poll(caller: SimulationTick['caller'], atMs: number): Promise<void> {
    this.polling = true;
    this.lastPollMs = atMs;
    // The progress line is a courtesy: a failed poll (undefined) is tried again on a later tick.
    const mine = await liveCallOf(this.url, caller, this.adminToken);
    this.polling = false;
    if (mine?.transcript && !this.stopped) this.print(mine.transcript);
  }

  private print(lines: Array<{ role: string; text: string }>): void {
    for (const l of lines.slice(this.shown)) this.out.write(`\r\x1b[2K${transcriptLine(l.role, l.text)}\n`);
    this.shown = Math.max(this.shown, lines.length);
  }

  /** Clears the progress line; returns how many transcript lines were printed live. */
  stop(): number {
    this.stopped = true;
    this.out.write('\r\x1b[2K');
    return this.shown;
  }
}
