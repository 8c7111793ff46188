/**
 * Provider-neutral trimming of conversation history for a renewed session: the newest messages
 * within a byte budget. (Nova Sonic's own shaping, with AWS's per-input limits and role rules,
 * stays in `nova-sonic/history.ts`.)
 */
import type { HistoryMessage } from '../model.js';

/**
 * The newest messages of `messages` (oldest first) whose texts total at most `maxBytes` UTF-8
 * bytes, empty ones dropped; a single newest message larger than the budget keeps its last
 * `maxBytes` bytes' worth of characters. Returns new objects; the input is not changed.
 */
export function trimHistory(messages: readonly HistoryMessage[], maxBytes: number): HistoryMessage[] {
  const out: HistoryMessage[] = [];
  let total = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    const text = m.text.trim();
    if (!text) continue;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (total + bytes > maxBytes) {
      if (out.length === 0) {
        // Keep the tail of an oversized newest message, cut at a character boundary.
        const chars = [...text];
        let kept = '';
        let keptBytes = 0;
        for (let j = chars.length - 1; j >= 0; j--) {
          const b = Buffer.byteLength(chars[j], 'utf8');
          if (keptBytes + b > maxBytes) break;
          kept = chars[j] + kept;
          keptBytes += b;
        }
        if (kept) out.unshift({ ...m, text: kept });
      }
      break;
    }
    out.unshift({ ...m, text });
    total += bytes;
  }
  return out;
}

/**
 * The conversation of a renewed session, oldest first: final lines are added once; a response's
 * line is replaced when its final text comes again (a truncation re-sends the heard share).
 */
export class Conversation {
  readonly messages: HistoryMessage[];
  /** History index of each response's line. */
  private readonly lineOf = new Map<string, number>();

  constructor(history: readonly HistoryMessage[]) {
    this.messages = [...history];
  }

  /** Adds a final line (empty text is skipped unless it replaces a response's line). */
  add(role: HistoryMessage['role'], text: string, responseId?: string): void {
    const at = responseId === undefined ? undefined : this.lineOf.get(responseId);
    if (at !== undefined) this.messages[at] = { role, text: text.trim() };
    else if (text.trim()) {
      if (responseId !== undefined) this.lineOf.set(responseId, this.messages.length);
      this.messages.push({ role, text: text.trim() });
    }
  }
}
