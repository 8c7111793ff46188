/**
 * The browser protocol's session handling that the WebSocket (`/client`) and WebRTC data-channel
 * transports share: parse a text message, answer a bad one, and handle `ping`, `session.pause` and
 * `session.resume` (the muted state). Pure apart from the two callbacks it is given.
 */
import { parseBrowserMessage, sessionControl, type BrowserClientMessage, type BrowserServerMessage } from './protocol.js';

/** Per-connection browser session state. */
export class BrowserControl {
  private pausedFlag = false;

  /**
   * @param send sends a protocol message to the browser.
   * @param reject answers a message that cannot be used (`code` as in `parseBrowserMessage`).
   */
  constructor(
    private readonly send: (message: BrowserServerMessage) => void,
    private readonly reject: (code: string, message: string) => void,
  ) {}

  /** Whether the caller muted its audio (`session.pause` until `session.resume`). */
  get paused(): boolean {
    return this.pausedFlag;
  }

  /**
   * Reads one text message. Invalid ones go to `reject`; `ping`/`pause`/`resume` are answered here.
   * @returns the message the transport must handle itself (`session.start`, `audio`, `text`,
   *   `session.end`), or undefined when it was handled or rejected here.
   */
  read(text: string): BrowserClientMessage | undefined {
    const parsed = parseBrowserMessage(text);
    if (!parsed.ok) {
      this.reject(parsed.code, parsed.error);
      return undefined;
    }
    const control = sessionControl(parsed.message, this.pausedFlag);
    if (!control) return parsed.message;
    this.pausedFlag = control.paused;
    this.send(control.reply);
    return undefined;
  }
}
