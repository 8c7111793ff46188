/**
 * Joins a `CallerSocket` to a `TransportCore` for the WebSocket transports: inbound messages go to
 * the transport stamped with their arrival time (none after `ended`), a closed socket ends the
 * call, socket errors are logged, and protocol errors close the socket with their code.
 */
import type { CallerSocket } from './socket.js';
import { CloseCode } from './socket.js';
import { TransportCore, type TransportDeps } from './transport-core.js';

/** Handles one inbound message; `receivedAtMs` is the clock time it arrived. */
export type MessageHandler = (data: Buffer, isBinary: boolean, receivedAtMs: number) => void;

/**
 * Builds the core of a transport over `socket` and wires the socket to it.
 * @param onMessage the transport's message handler (never called after `ended`).
 */
export function socketTransportCore(socket: CallerSocket, deps: TransportDeps, onMessage: MessageHandler): TransportCore {
  const core = new TransportCore(deps, (code, reason) => socket.close(code, reason));
  socket.onMessage((data, isBinary) => {
    if (!core.hasEnded) onMessage(data, isBinary, deps.clock.nowMs());
  });
  socket.onClose((code, reason) => {
    core.fail(new Error(`socket closed before the stream started (${code} ${reason})`));
    // 1005 = closed without a status code (RFC 6455 §7.1.5): a normal hang-up too.
    core.reportEnded(code === CloseCode.normal || code === CloseCode.goingAway || code === 1005 ? 'socket-closed' : `socket-closed-${code}`);
  });
  socket.onError((err) => deps.logger.warn({ err: err.message }, 'caller socket error'));
  return core;
}

/** Runs `send` corked on `socket` when it can cork, else just runs it. */
export function corkedOn(socket: CallerSocket, send: () => void): void {
  if (socket.corked) socket.corked(send);
  else send();
}

/** Copies PCM16 LE `bytes` (even length) into a fresh `Int16Array`. */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  const pcm = new Int16Array(bytes.length >> 1);
  new Uint8Array(pcm.buffer).set(bytes.subarray(0, pcm.length * 2));
  return pcm;
}

/** The bytes of `frame` without a copy. */
export function bytesOfPcm16(frame: Int16Array): Uint8Array {
  return new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
}
