/**
 * Plain-language labels for the reason codes a call ends with (`CallSummary.reason`). The codes
 * stay in the API (`GET /calls`); people see the labels (the web client's calls page). Pure and
 * free of Node imports, so the web client bundles it too.
 */

/** Exact codes → labels. */
const LABELS: Record<string, string> = {
  stop: 'caller hung up',
  'socket-closed': 'caller hung up',
  'caller-ended': 'caller hung up',
  'peer-closed': 'caller hung up',
  'datachannel-closed': 'caller hung up',
  'peer-failed': 'connection lost',
  'peer-disconnected': 'connection lost',
  'rtp-timeout': "caller's audio stopped",
  'connect-timeout': 'caller never connected',
  'protocol-error': 'caller sent invalid data',
  'audio-flood': 'caller sent audio far faster than real time',
  'max-call-length': 'longest call length reached',
  inactivity: 'inactivity',
  transferred: 'handed to a person',
  'assistant-ended': 'assistant ended the call',
  'server shutting down': 'server shutting down',
  'server-shutdown': 'server shutting down',
  'server error': 'server error',
  'instance-lost': 'server lost',
  'stream did not start': 'caller never started',
};

/** Code prefixes (`prefix: detail` or `prefix-detail`) → labels. */
const PREFIXES: Array<[string, string]> = [
  ['model-open-failed', 'model unavailable'],
  ['model-closed', 'model error'],
  ['socket-closed-', 'connection lost'],
];

/**
 * The plain-language label for a call's end reason.
 * @param reason the code in `CallSummary.reason` (e.g. `stop`, `inactivity`, `model-closed: …`).
 * @param error whether the call ended in error (`CallSummary.error`); unknown codes then read
 *   "error: CODE".
 * @returns a short lower-case phrase such as "caller hung up" or "server shutting down"; an
 *   unknown code is returned as it is (or "error: CODE"), never an empty string.
 */
export function endReasonLabel(reason: string, error = false): string {
  const exact = LABELS[reason];
  if (exact) return exact;
  for (const [prefix, label] of PREFIXES) if (reason.startsWith(prefix)) return label;
  const code = reason.trim() || 'unknown';
  return error ? `error: ${code}` : code;
}

/**
 * A bounded code for a call's end reason, for metric labels: the exact code when it is a known
 * one (`stop`, `inactivity`, …), the known prefix of a detailed one (`model-closed: …` →
 * `model-closed`, `socket-closed-1006` → `socket-closed-abnormal`), else `other`. Free-text
 * details never become label values.
 */
export function endReasonCode(reason: string): string {
  if (LABELS[reason]) return reason.replace(/\s+/g, '-');
  for (const [prefix] of PREFIXES) if (reason.startsWith(prefix)) return prefix.endsWith('-') ? `${prefix}abnormal` : prefix;
  return 'other';
}
