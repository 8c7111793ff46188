/**
 * Offline phrases of user tools (`TOOLS_FILE` `offline`) for the rule responder, which cannot
 * choose functions itself: which tool the caller's words ask for, and its result as a sentence.
 * Pure.
 */
import type { ToolSpec } from '../model.js';
import { spokenToolName } from '../../tools/names.js';

/** Longest tool result or error spoken, characters. */
const MAX_SPOKEN_CHARS = 200;

/**
 * The first tool whose offline phrases (case-insensitive regular expressions, checked when the
 * tools file was read; one that does not compile is matched as plain words) match `userText`, with
 * the arguments to call it with.
 */
export function toolForPhrase(specs: readonly ToolSpec[], userText: string): { name: string; arguments: Record<string, unknown> } | undefined {
  for (const s of specs) {
    if (s.offline?.phrases.some((p) => phraseMatches(p, userText))) return { name: s.name, arguments: s.offline.arguments };
  }
  return undefined;
}

function phraseMatches(phrase: string, text: string): boolean {
  try {
    return new RegExp(phrase, 'i').test(text);
  } catch {
    return text.toLowerCase().includes(phrase.toLowerCase());
  }
}

/** A value as short plain words: text as is, objects as `key value, …`. */
function words(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k.replace(/_/g, ' ')} ${typeof x === 'object' ? JSON.stringify(x) : String(x)}`)
      .join(', ');
  }
  return String(v);
}

/** The reply for tool `name`'s result (`{ error }` when it failed). */
export function spokenToolResult(name: string, result: unknown): string {
  const r = result as { error?: unknown } | null;
  if (typeof r === 'object' && r !== null && Object.keys(r).length === 1 && typeof r.error === 'string') {
    return `Sorry, the ${spokenToolName(name)} tool did not work: ${r.error.slice(0, MAX_SPOKEN_CHARS)}.`;
  }
  return `The ${spokenToolName(name)} tool says ${words(result).slice(0, MAX_SPOKEN_CHARS)}.`;
}
