/**
 * Splits assistant text into sentences for sentence-by-sentence synthesis (pure).
 * Keeps abbreviations like "Dr." and decimals like "3.5" inside their sentence, and splits very
 * long sentences at commas so the first audio starts sooner.
 */
const ABBREVIATIONS = new Set(['mr', 'mrs', 'ms', 'dr', 'st', 'vs', 'etc', 'e.g', 'i.e', 'jr', 'sr', 'no']);

/**
 * @param text any text.
 * @param maxChars sentences longer than this are split at the last comma before it.
 * @returns non-empty trimmed sentences in order.
 */
export function splitSentences(text: string, maxChars = 200): string[] {
  const out: string[] = [];
  let start = 0;
  const clean = text.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i];
    if (c !== '.' && c !== '!' && c !== '?') continue;
    const next = clean[i + 1];
    if (next !== undefined && next !== ' ' && next !== '"' && next !== "'") continue;
    if (c === '.') {
      const word = /([A-Za-z.]+)$/.exec(clean.slice(start, i))?.[1]?.toLowerCase();
      if (word && ABBREVIATIONS.has(word)) continue;
    }
    out.push(clean.slice(start, i + 1).trim());
    start = i + 1;
  }
  if (start < clean.length) out.push(clean.slice(start).trim());
  return out.filter(Boolean).flatMap((s) => splitLong(s, maxChars));
}

function splitLong(sentence: string, maxChars: number): string[] {
  if (sentence.length <= maxChars) return [sentence];
  const cut = sentence.lastIndexOf(',', maxChars);
  const at = cut > 20 ? cut + 1 : sentence.lastIndexOf(' ', maxChars);
  if (at <= 0) return [sentence];
  return [sentence.slice(0, at).trim(), ...splitLong(sentence.slice(at).trim(), maxChars)];
}
