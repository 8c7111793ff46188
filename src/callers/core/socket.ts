/**
 * The socket port: what a caller transport needs from a message socket (a WebSocket today). Pure
 * interface; `ws-socket.ts` adapts a `ws` WebSocket to it, and tests may pass any fake.
 */

/** WebSocket close codes we use (RFC 6455 §7.4.1). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  messageTooBig: 1009,
  internalError: 1011,
  /** "Try again later" (RFC 6455 §7.4.1, IANA registry): draining or over a limit. */
  tryAgainLater: 1013,
} as const;

/** A message socket as a transport sees it. */
export interface CallerSocket {
  /** Whether sends can still succeed (not closing or closed). */
  readonly isOpen: boolean;
  /** Bytes queued for sending and not yet written. */
  readonly bufferedAmount: number;
  /** Sends one text message; false when it could not be sent (socket gone or the write failed). */
  sendText(text: string): boolean;
  /** Sends one binary message; false when it could not be sent. */
  sendBinary(bytes: Uint8Array): boolean;
  /**
   * Closes with `code` and `reason` (truncated to the 123 bytes a close frame allows, RFC 6455 §5.5);
   * ignored when already closing or closed.
   */
  close(code: number, reason: string): void;
  /** Installs the handler for inbound messages (`data` as bytes; `isBinary` false for text). */
  onMessage(handler: (data: Buffer, isBinary: boolean) => void): void;
  /** Installs the handler called once when the socket has closed (`code` per RFC 6455 §7.1.5). */
  onClose(handler: (code: number, reason: string) => void): void;
  /** Installs the handler for socket errors (the socket then closes). */
  onError(handler: (err: Error) => void): void;
  /** Runs `send` so that everything it sends leaves in one write (optional: else just runs it). */
  corked?(send: () => void): void;
}
