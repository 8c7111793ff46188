/**
 * Shapes conversation history for injection into a new Nova Sonic session (protocols.md §1.8):
 * at most 40 KB in total and 1 KB per `textInput` (AWS "chat history" page), strictly alternating
 * roles with consecutive same-role messages merged, and the first message from the USER.
 */
import type { HistoryMessage } from '../model.js';

/** One history block ready for `textBlock`: each content is within the per-input limit. */
export interface HistoryBlock {
  role: 'USER' | 'ASSISTANT';
  contents: string[];
}

/** Limits for `shapeHistory`, bytes of UTF-8. */
export interface HistoryLimits {
  /** Whole history (AWS: 40 KB). */
  maxTotalBytes: number;
  /** One `textInput` (AWS: 1 KB). */
  maxInputBytes: number;
}

/** AWS's documented limits. */
export const NOVA_HISTORY_LIMITS: HistoryLimits = { maxTotalBytes: 40 * 1024, maxInputBytes: 1024 };

const utf8Bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Splits `text` into pieces of at most `maxBytes` UTF-8 bytes, preferring word boundaries (a piece
 * keeps the space it ends on) and never cutting a character in two: the pieces joined are `text`.
 * @throws RangeError when `maxBytes` is below 4 (a character may need 4 bytes).
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (!(maxBytes >= 4)) throw new RangeError(`maxBytes must be at least 4, not ${maxBytes}`);
  const out: string[] = [];
  let rest = text;
  while (utf8Bytes(rest) > maxBytes) {
    // Largest prefix (in code points) within maxBytes.
    let bytes = 0;
    let end = 0;
    for (const ch of rest) {
      const b = utf8Bytes(ch);
      if (bytes + b > maxBytes) break;
      bytes += b;
      end += ch.length;
    }
    const space = rest.lastIndexOf(' ', end - 1);
    const cut = space > end / 2 ? space + 1 : end;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) out.push(rest);
  return out;
}

/**
 * Shapes `messages` (oldest first) for a new session: drops empty lines, merges same-role runs,
 * keeps the newest messages that fit the total (and the newest part of the next older one when
 * otherwise no user message would be left), drops leading assistant messages, and splits
 * each message into ≤ `maxInputBytes` pieces. With `dropTrailingUser`, a final user message is
 * left out (its audio is being replayed to the new session instead).
 */
export function shapeHistory(messages: readonly HistoryMessage[], limits: HistoryLimits = NOVA_HISTORY_LIMITS, dropTrailingUser = false): HistoryBlock[] {
  const merged: { role: 'USER' | 'ASSISTANT'; text: string }[] = [];
  for (const m of messages) {
    const text = m.text.trim();
    if (!text) continue;
    const role = m.role === 'user' ? 'USER' : 'ASSISTANT';
    const last = merged[merged.length - 1];
    if (last && last.role === role) last.text = `${last.text} ${text}`;
    else merged.push({ role, text });
  }
  if (dropTrailingUser && merged[merged.length - 1]?.role === 'USER') merged.pop();
  // Newest first, whole messages while they fit. The first that does not fit ends the history,
  // unless nothing kept so far starts with the user (what is kept would then all be dropped as a
  // leading assistant turn, or be nothing): then its newest part that fits is kept too.
  const kept: typeof merged = [];
  let budget = limits.maxTotalBytes;
  for (let i = merged.length - 1; i >= 0; i--) {
    const m = merged[i];
    const bytes = utf8Bytes(m.text);
    if (bytes <= budget) {
      kept.unshift(m);
      budget -= bytes;
      continue;
    }
    if (!kept.some((k) => k.role === 'USER')) {
      const pieces = splitUtf8(m.text, limits.maxInputBytes);
      let tail = '';
      for (let k = pieces.length - 1; k >= 0; k--) {
        const pieceBytes = utf8Bytes(pieces[k]);
        if (pieceBytes > budget) break;
        tail = pieces[k] + tail;
        budget -= pieceBytes;
      }
      if (tail.trim()) kept.unshift({ role: m.role, text: tail });
    }
    break;
  }
  while (kept[0]?.role === 'ASSISTANT') kept.shift();
  return kept.map((m) => ({ role: m.role, contents: splitUtf8(m.text, limits.maxInputBytes) }));
}

/** Total UTF-8 bytes of shaped history (for checks and metrics). */
export function historyBytes(blocks: readonly HistoryBlock[]): number {
  return blocks.reduce((n, b) => n + b.contents.reduce((k, c) => k + utf8Bytes(c), 0), 0);
}
