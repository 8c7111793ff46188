/**
 * An in-memory `CallerSocket` for transport unit tests: `receive()` plays a message from the
 * caller, `sent` keeps what the transport sent, `closed` the close it asked for (and `peerClose()`
 * plays the caller hanging up).
 */
import type { CallerSocket } from '../../src/callers/core/socket.js';

/** A fake socket; see the module comment. */
export class FakeCallerSocket implements CallerSocket {
  /** Messages the transport sent: strings for text, byte arrays for binary. */
  readonly sent: Array<string | Uint8Array> = [];
  /** The close the transport asked for, if any. */
  closed: { code: number; reason: string } | undefined;
  bufferedAmount = 0;
  private messageHandler: (data: Buffer, isBinary: boolean) => void = () => {};
  private closeHandler: (code: number, reason: string) => void = () => {};

  get isOpen(): boolean {
    return !this.closed;
  }

  sendText(text: string): boolean {
    if (this.closed) return false;
    this.sent.push(text);
    return true;
  }

  sendBinary(bytes: Uint8Array): boolean {
    if (this.closed) return false;
    this.sent.push(bytes.slice());
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = { code, reason };
    this.closeHandler(code, reason);
  }

  onMessage(handler: (data: Buffer, isBinary: boolean) => void): void {
    this.messageHandler = handler;
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.closeHandler = handler;
  }

  onError(_handler: (err: Error) => void): void {}

  /** The caller sends text (a string) or binary (bytes). */
  receive(data: string | Uint8Array): void {
    if (typeof data === 'string') this.messageHandler(Buffer.from(data, 'utf8'), false);
    else this.messageHandler(Buffer.from(data), true);
  }

  /** The caller closes the socket with `code`. */
  peerClose(code: number, reason = ''): void {
    if (this.closed) return;
    this.closed = { code, reason };
    this.closeHandler(code, reason);
  }

  /** Text messages sent, parsed as JSON. */
  json(): unknown[] {
    return this.sent.filter((m): m is string => typeof m === 'string').map((m) => JSON.parse(m));
  }
}
