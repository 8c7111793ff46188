/**
 * TwiML for the Twilio answer webhook: `<Connect><Stream>` opens a bidirectional Media Stream
 * (protocols.md part 3.1, Twilio "TwiML Voice: <Stream>"). The stream URL carries no query
 * string; data travels in `<Parameter>` elements and arrives in `start.customParameters`.
 */
import twilio from 'twilio';
import type { TransferTarget } from '../handoff/target.js';

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
  /**
   * `<Connect action>`: Twilio requests this URL (POST, signed) when the stream ends and runs the
   * TwiML it answers, e.g. a `<Dial>` to a person (Twilio "TwiML Voice: <Connect>", action).
   */
  actionUrl?: string;
}

/** Builds the `<Response><Connect><Stream>` document. */
export function connectStreamTwiml(options: ConnectStreamOptions): string {
  const params = Object.entries(options.parameters ?? {})
    .map(([name, value]) => `      <Parameter name="${xmlEscape(name)}" value="${xmlEscape(value)}"/>\n`)
    .join('');
  const status = options.statusCallbackUrl ? ` statusCallback="${xmlEscape(options.statusCallbackUrl)}" statusCallbackMethod="POST"` : '';
  const action = options.actionUrl ? ` action="${xmlEscape(options.actionUrl)}" method="POST"` : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n  <Connect${action}>\n` +
    `    <Stream url="${xmlEscape(options.streamUrl)}"${status}>\n${params}    </Stream>\n` +
    '  </Connect>\n</Response>\n'
  );
}

/** Inputs for `dialTwiml`. */
export interface DialOptions {
  target: TransferTarget;
  /**
   * Played to the person who answers before the caller is connected (`<Number url>` / `<Sip url>`:
   * Twilio "TwiML Voice: <Number>", url attribute), e.g. a spoken summary of the call.
   */
  whisperUrl?: string;
  /** Caller id shown to the person called (a number on the Twilio account); default: the caller's. */
  callerId?: string;
}

/** `<Response><Dial><Number|Sip>` handing the caller to `target`, built with the Twilio SDK. */
export function dialTwiml(options: DialOptions): string {
  const response = new twilio.twiml.VoiceResponse();
  const dial = response.dial(options.callerId ? { callerId: options.callerId } : {});
  const attributes = options.whisperUrl ? { url: options.whisperUrl, method: 'POST' as const } : {};
  if (options.target.kind === 'phone') dial.number(attributes, options.target.number);
  else dial.sip(attributes, options.target.uri);
  return response.toString();
}

/** `<Response><Say>text</Say></Response>`: what the person who answers hears before being connected. */
export function whisperTwiml(text: string): string {
  const response = new twilio.twiml.VoiceResponse();
  response.say(text);
  return response.toString();
}

/** `<Response><Hangup/></Response>`: ends the call (after a stream that was not transferred). */
export function hangupTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.hangup();
  return response.toString();
}
