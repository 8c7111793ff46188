/**
 * Where a call is handed to a person: a phone number in E.164 (ITU-T E.164: `+`, country code, at
 * most 15 digits) or a SIP URI (RFC 3261 §19.1: `sip:` or `sips:`, user part optional).
 */

/** A transfer target. */
export type TransferTarget = { kind: 'phone'; number: string } | { kind: 'sip'; uri: string };

const E164 = /^\+[1-9]\d{6,14}$/;
const SIP_URI = /^sips?:([^@\s<>"]+@)?[A-Za-z0-9.-]+(:\d{1,5})?(;[^\s<>"]*)?$/;

/**
 * Parses `text` (`+15551234567` or `sip:agent@pbx.example.com`); spaces, dashes, dots and brackets
 * inside a phone number are dropped.
 * @returns the target, or an error message naming what is wrong.
 */
export function parseTransferTarget(text: string): { ok: true; target: TransferTarget } | { ok: false; error: string } {
  const t = text.trim();
  if (/^sips?:/i.test(t)) {
    return SIP_URI.test(t) ? { ok: true, target: { kind: 'sip', uri: t } } : { ok: false, error: `"${t}" is not a SIP URI (sip:user@host[:port])` };
  }
  const number = t.replace(/[\s().-]/g, '');
  if (E164.test(number)) return { ok: true, target: { kind: 'phone', number } };
  return { ok: false, error: `"${t}" is neither an E.164 number (+ and 7–15 digits) nor a sip: URI` };
}

/** The target as text (`+15551234567` or the SIP URI). */
export function targetText(target: TransferTarget): string {
  return target.kind === 'phone' ? target.number : target.uri;
}
