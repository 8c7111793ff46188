/**
 * Checks around `voicebridge call`: that `--out` can be written before calling, and why a
 * finished call counts as failed (an error, or no reply), in plain words.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CallSummary } from '../call/types.js';
import type { SimEvent } from '../sim/clients.js';

/** Why `file` cannot be written (undefined: it can), without creating it. */
export function outputProblem(file: string): string | undefined {
  const abs = path.resolve(file);
  if (fs.existsSync(abs)) {
    if (fs.statSync(abs).isDirectory()) return `${file} is a folder`;
    try {
      fs.accessSync(abs, fs.constants.W_OK);
      return undefined;
    } catch {
      return `${file} is not writable`;
    }
  }
  const dir = path.dirname(abs);
  if (!fs.existsSync(dir)) return `the folder ${path.dirname(file)} does not exist`;
  if (!fs.statSync(dir).isDirectory()) return `${path.dirname(file)} is not a folder`;
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return undefined;
  } catch {
    return `the folder ${path.dirname(file)} is not writable`;
  }
}

/** What `callFailure` looks at. */
export interface CallOutcome {
  /** The server's summary of the call (undefined when `/calls` could not be read). */
  summary?: Pick<CallSummary, 'error' | 'reason' | 'transcript'>;
  /** What the simulated caller observed (closes, browser error events). */
  events: SimEvent[];
  /** Voiced audio the caller heard, ms. */
  heardVoicedMs: number;
}

/** Close codes that mean the server ended the connection because something went wrong. */
const ERROR_CLOSE_CODES = new Set([1002, 1003, 1007, 1008, 1009, 1011, 1013]);

/** Why the call failed, in one sentence; undefined when it ended normally with a reply. */
export function callFailure(o: CallOutcome): string | undefined {
  if (o.summary?.error) return `the call ended in an error: ${o.summary.reason}`;
  const close = o.events.find((e) => e.type === 'close')?.detail as { code: number; reason: string } | undefined;
  if (close && ERROR_CLOSE_CODES.has(close.code)) return `the server closed the connection with ${close.code}${close.reason ? ` (${close.reason})` : ''}`;
  const stateError = o.events.find((e) => e.type === 'state' && (e.detail as { state?: string }).state === 'error');
  if (stateError) {
    const err = o.events.find((e) => e.type === 'error')?.detail as { message?: string } | undefined;
    return `the call ended in an error${err?.message ? `: ${err.message}` : ''}`;
  }
  if (o.heardVoicedMs > 0) return undefined;
  const heardCaller = o.summary?.transcript.some((t) => t.role === 'user');
  return `no reply: the caller heard only silence${o.summary ? (heardCaller ? ' (the server understood the caller, but the model did not answer)' : ' (the server did not recognise any speech from the caller)') : ''}`;
}
