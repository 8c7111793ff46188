/**
 * Pure helpers of the calls pages (no DOM, no fetch): the `#/calls…` hash route and its query,
 * time, money and latency formatting, waveform peaks from samples, and where transcript lines sit
 * on a call's timeline. Unit-tested in `review.test.ts`.
 */

/** The list's filters and page, as kept in the hash query (`#/calls?q=fox&carrier=twilio`). */
export interface ListFilters {
  /** Words that must all appear in one transcript line. */
  q?: string;
  /** Caller protocol (`twilio`, `vonage`, `browser`, `webrtc`, …). */
  carrier?: string;
  /** Model id (`local`, `nova-sonic`, `openai`, …). */
  model?: string;
  /** End reason code (`stop`, `inactivity`, `model-closed`, …). */
  endReason?: string;
  /** First day (local date, `YYYY-MM-DD`), inclusive. */
  from?: string;
  /** Last day (local date, `YYYY-MM-DD`), inclusive. */
  to?: string;
  /** The `nextCursor` of the previous page; absent: the newest page. */
  cursor?: string;
  /** Calls per page, 1–200 (default 50). */
  per?: string;
}

const FILTER_KEYS = ['q', 'carrier', 'model', 'endReason', 'from', 'to', 'cursor', 'per'] as const;

/** Calls per page for `per` (a whole number 1–200), else `fallback`. */
export function pageSize(per: string | undefined, fallback = 50): number {
  const n = Number(per);
  return Number.isInteger(n) && n >= 1 && n <= 200 ? n : fallback;
}

/** Which calls page a hash shows: the list with its filters, or one call. */
export type CallsRoute = { page: 'list'; filters: ListFilters } | { page: 'call'; id: string };

/**
 * Parses a `#/calls…` hash: `#/calls/<id>` is one call's page; `#/calls` or `#/calls?…` the list
 * with the filters of its query (unknown keys and empty values dropped).
 */
export function parseCallsHash(hash: string): CallsRoute {
  const rest = hash.replace(/^#?\/calls/, '');
  const call = /^\/([^/?]+)/.exec(rest);
  if (call) return { page: 'call', id: decodeURIComponent(call[1]) };
  const qs = new URLSearchParams(rest.includes('?') ? rest.slice(rest.indexOf('?') + 1) : '');
  const filters: ListFilters = {};
  for (const key of FILTER_KEYS) {
    const v = qs.get(key)?.trim();
    if (v) filters[key] = v;
  }
  return { page: 'list', filters };
}

/** The hash of the list with `filters` (`#/calls` when there are none). */
export function listHash(filters: ListFilters): string {
  const qs = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const v = filters[key]?.trim();
    if (v) qs.set(key, v);
  }
  const s = qs.toString();
  return s ? `#/calls?${s}` : '#/calls';
}

/** The hash of one call's page. */
export function callHash(id: string): string {
  return `#/calls/${encodeURIComponent(id)}`;
}

/**
 * The `GET /calls` query string for `filters` (days become ISO instants: `from` at the start of
 * that local day, `to` at the start of the day after, as the API's `to` is exclusive).
 * @param offsetOf the local time zone's offset, minutes (`Date#getTimezoneOffset`), for tests.
 */
export function apiQuery(filters: ListFilters, limit = pageSize(filters.per), offsetOf = (d: Date) => d.getTimezoneOffset()): string {
  const qs = new URLSearchParams({ limit: String(limit) });
  if (filters.q) qs.set('q', filters.q);
  if (filters.carrier) qs.set('carrier', filters.carrier);
  if (filters.model) qs.set('model', filters.model);
  if (filters.endReason) qs.set('endReason', filters.endReason);
  const day = (s: string, plusDays: number) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
    if (!m) return undefined;
    const utc = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3] + plusDays));
    return new Date(utc.getTime() + offsetOf(utc) * 60_000).toISOString();
  };
  const from = filters.from && day(filters.from, 0);
  const to = filters.to && day(filters.to, 1);
  if (from) qs.set('from', from);
  if (to) qs.set('to', to);
  if (filters.cursor) qs.set('cursor', filters.cursor);
  return qs.toString();
}

/** A position on a recording or timeline, `m:ss` (`h:mm:ss` past an hour); negative counts as 0. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const mm = Math.floor(s / 60) % 60;
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

/** A call's length in words: `42 s`, `3 min 5 s`, `1 h 2 min`. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** A cost in US dollars: four decimals under a dollar, two above; "—" when unknown. */
export function usd(costUsd: number | null | undefined): string {
  if (costUsd == null || !Number.isFinite(costUsd)) return '—';
  return `$${costUsd.toFixed(costUsd < 1 ? 4 : 2)}`;
}

/** A duration in ms as shown in tables ("640 ms", "1.2 s"); "—" when absent. */
export function ms(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return '—';
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

/** The median of the numbers among `values` (nulls and undefined skipped); null when there are none. */
export function median(values: ReadonlyArray<number | null | undefined>): number | null {
  const s = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** One column of a waveform: the lowest and highest sample in it (-1…1). */
export interface Peak {
  min: number;
  max: number;
}

/**
 * Waveform columns of `samples` (-1…1): `columns` buckets of equal length, each its min and max
 * (0/0 for a bucket with no samples, when there are fewer samples than columns).
 */
export function peaks(samples: ArrayLike<number>, columns: number): Peak[] {
  const n = Math.max(0, Math.floor(columns));
  const out: Peak[] = [];
  for (let c = 0; c < n; c++) {
    const start = Math.floor((c * samples.length) / n);
    const end = Math.floor(((c + 1) * samples.length) / n);
    let min = 0;
    let max = 0;
    for (let i = start; i < end; i++) {
      const v = samples[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    out.push({ min, max });
  }
  return out;
}

/** The parts of a call record `lineStarts` reads. */
export interface TimedRecord {
  transcript: ReadonlyArray<{ role: 'user' | 'assistant'; text: string; atMs: number }>;
  turns: ReadonlyArray<{ userText: string; assistantText: string; atMs?: number | null; replyAtMs?: number | null }>;
}

/**
 * Where each transcript line starts on the call's timeline, ms since the call started: a caller
 * line at its turn's `atMs` (when the caller started speaking) and a reply at its turn's
 * `replyAtMs` (when the caller started hearing it) where the record has them, else at the line's
 * own `atMs` (when its text was final).
 */
export function lineStarts(record: TimedRecord): number[] {
  const used = { user: new Set<number>(), assistant: new Set<number>() };
  return record.transcript.map((line) => {
    const taken = used[line.role];
    const i = record.turns.findIndex((t, k) => !taken.has(k) && (line.role === 'user' ? t.userText === line.text && t.atMs != null : t.assistantText === line.text && t.replyAtMs != null));
    if (i < 0) return line.atMs;
    taken.add(i);
    const t = record.turns[i];
    return (line.role === 'user' ? t.atMs : t.replyAtMs) ?? line.atMs;
  });
}

/** The index of the line being played at `atMs`: the last one starting at or before it; -1 before the first. */
export function currentLine(starts: ReadonlyArray<number>, atMs: number): number {
  let found = -1;
  starts.forEach((s, i) => {
    if (s <= atMs && (found < 0 || s >= starts[found])) found = i;
  });
  return found;
}

/** A time as a fraction of `totalMs` (0…1), for placing marks on a timeline. */
export function fraction(atMs: number, totalMs: number): number {
  if (!(totalMs > 0)) return 0;
  return Math.min(1, Math.max(0, atMs / totalMs));
}
