/**
 * Adapts a `ws` WebSocket (the shell) to the `CallerSocket` port. The only caller module that
 * touches the `ws` socket API.
 */
import type { WebSocket } from 'ws';
import type { CallerSocket } from './socket.js';

/** Longest close reason a close frame can carry, bytes (RFC 6455 §5.5: 125 − 2 for the code). */
const MAX_CLOSE_REASON_BYTES = 123;

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
    this.ws.close(code, Buffer.from(reason).subarray(0, MAX_CLOSE_REASON_BYTES).toString());
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
