/**
 * The one way every route hands a caller to the calls (`acceptCall`), and how a refused call or a
 * coded error is answered: WebSocket close codes and HTTP statuses per `VoiceBridgeError` code.
 */
import type { FastifyReply } from 'fastify';
import type { Call } from '../call/call.js';
import type { CallManager } from '../call/manager.js';
import type { CarrierTransport } from '../callers/core/carrier.js';
import { CloseCode } from '../callers/core/socket.js';
import { errorMessage, VoiceBridgeError, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/** HTTP status of each coded error a route may answer with (others: 500). */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  bad_offer: 400,
  bad_json: 400,
  bad_message: 400,
  draining: 503,
  peer_setup_failed: 503,
};

/** The HTTP status for `err`: its code's status (`bad_offer` 400, `draining` and `peer_setup_failed` 503), else 500. */
export function httpStatusFor(err: unknown): number {
  return (err instanceof VoiceBridgeError && HTTP_STATUS[err.code]) || 500;
}

/**
 * Answers `err` as JSON `{ error, message }`: a `VoiceBridgeError` with its code and status, any
 * other error as 500 `internal` with `internalMessage` (its own message is not shown).
 */
export function replyWithError(reply: FastifyReply, err: unknown, internalMessage = 'internal error'): FastifyReply {
  if (err instanceof VoiceBridgeError) return reply.code(httpStatusFor(err)).send({ error: err.code, message: err.message });
  return reply.code(500).send({ error: 'internal', message: internalMessage });
}

/**
 * The WebSocket close for a call that could not start: 1013 "try again later" while draining
 * (RFC 6455 §7.4.1), else 1011 "internal error".
 */
export function refusalClose(err: unknown): { code: number; reason: string } {
  if (err instanceof VoiceBridgeError && err.code === 'draining') return { code: CloseCode.tryAgainLater, reason: 'server is draining, try again later' };
  return { code: CloseCode.internalError, reason: 'internal error' };
}

/** A caller on its way to becoming a call. */
export interface IncomingCall {
  transport: CarrierTransport;
  /** Ends the connection of a call that could not start (`code`/`reason` from `refusalClose`). */
  refuse(code: number, reason: string): void;
}

/**
 * Hands `incoming.transport` to the call manager; once the call exists, the transport announces it
 * (browser protocols). A call that cannot start is refused on its connection (draining: 1013,
 * else logged and 1011). Never rejects.
 * @returns the call, or null when its stream never started or it was refused.
 */
export async function acceptCall(deps: { manager: Pick<CallManager, 'accept'>; log: Logger }, incoming: IncomingCall): Promise<Call | null> {
  const { transport } = incoming;
  try {
    return await deps.manager.accept(transport, (call) => transport.announce?.(call.id, call.modelId));
  } catch (err) {
    if (!(err instanceof VoiceBridgeError && err.code === 'draining')) deps.log.error({ err: errorMessage(err), kind: transport.kind }, 'call failed to start');
    const { code, reason } = refusalClose(err);
    incoming.refuse(code, reason);
    return null;
  }
}
