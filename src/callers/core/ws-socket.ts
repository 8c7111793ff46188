/**
 * Adapts a `ws` WebSocket (the shell) to the `CallerSocket` port. The only caller module that
 * touches the `ws` socket API.
 */
import type { WebSocket } from 'ws';
import type { CallerSocket } from './socket.js';

/** Longest close reason a close frame can carry, bytes (RFC 6455 §5.5: 125 − 2 for the code). */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * `reason` cut to what a close frame can carry: at most 123 bytes of UTF-8, ended on a character
 * boundary (a cut inside a character would decode to U+FFFD, 3 bytes, and `ws` throws a
 * `RangeError` for a reason over 123 bytes). Reasons often quote what the peer sent.
 */
export function closeReason(reason: string): string {
  const bytes = Buffer.from(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let end = MAX_CLOSE_REASON_BYTES;
  // bytes[end] is the first byte left out: while it continues a character, that character goes too.
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString();
}

/** A `CallerSocket` over `ws`; send failures are counted in `sendFailures`, never thrown. */
export class WsCallerSocket implements CallerSocket {
  /** Sends that failed because the socket was gone or the write failed. */
  sendFailures = 0;

  /** @param ws an open server-side `ws` socket. */
  constructor(private readonly ws: WebSocket) {}

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  sendText(text: string): boolean {
    return this.send(text);
  }

  sendBinary(bytes: Uint8Array): boolean {
    return this.send(bytes);
  }

  private send(data: string | Uint8Array): boolean {
    if (!this.isOpen) {
      this.sendFailures++;
      return false;
    }
    this.ws.send(data, (err) => {
      if (err) this.sendFailures++;
    });
    return true;
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.CLOSED || this.ws.readyState === this.ws.CLOSING) return;
    try {
      this.ws.close(code, closeReason(reason));
    } catch {
      // `ws` refuses what a close frame cannot carry: drop the connection rather than throw into a handler.
      this.ws.terminate();
    }
  }

  onMessage(handler: (data: Buffer, isBinary: boolean) => void): void {
    this.ws.on('message', (data: Buffer, isBinary: boolean) => handler(data, isBinary));
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.ws.on('close', (code: number, reason: Buffer) => handler(code, reason.toString()));
  }

  onError(handler: (err: Error) => void): void {
    this.ws.on('error', handler);
  }

  /**
   * Runs `send` with the TCP socket corked, so the frames it sends leave in one write. Uses `ws`'s
   * underlying `net.Socket` (`_socket`, present on every server-side `ws` socket); without it, just
   * runs `send`.
   */
  corked(send: () => void): void {
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!socket) return send();
    socket.cork();
    try {
      send();
    } finally {
      socket.uncork();
    }
  }
}

/** Wraps a `ws` socket in the port. */
export function wsSocket(ws: WebSocket): WsCallerSocket {
  return new WsCallerSocket(ws);
}
