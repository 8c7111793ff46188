/**
 * TwiML for the Twilio answer webhook: `<Connect><Stream>` opens a bidirectional Media Stream
 * (protocols.md part 3.1, Twilio "TwiML Voice: <Stream>"). The stream URL carries no query
 * string; data travels in `<Parameter>` elements and arrives in `start.customParameters`.
 */

/** Escapes text for an XML attribute value. */
export function xmlEscape(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Inputs for `connectStreamTwiml`. */
export interface ConnectStreamOptions {
  /** `wss://…/twilio/media`. */
  streamUrl: string;
  /** Custom parameters (e.g. caller number, an admit token). */
  parameters?: Record<string, string>;
  /** Optional stream status callback URL. */
  statusCallbackUrl?: string;
}

/** Builds the `<Response><Connect><Stream>` document. */
export function connectStreamTwiml(options: ConnectStreamOptions): string {
  const params = Object.entries(options.parameters ?? {})
    .map(([name, value]) => `      <Parameter name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>\n`)
    .join('');
  const status = options.statusCallbackUrl ? ` statusCallback="${xmlEscape(options.statusCallbackUrl)}" statusCallbackMethod="POST"` : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Connect>\n' +
    `    <Stream url="${xmlEscape(options.streamUrl)}"${status}>\n${params}    </Stream>\n` +
    '  </Connect>\n</Response>\n'
  );
}
