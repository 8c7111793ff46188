/**
 * `POST /calls/:id/transfer`: an operator hands a live call to a person. JSON body
 * `{ reason?: string, to?: string }` (`to`: E.164 or `sip:`; default `TRANSFER_TO`). Answers 202
 * with the hand-off record; 400 for a bad body or target, 404 for no such live call, 409 when there is
 * nothing to transfer to or the call has ended, 502 when the carrier refused (the call goes on).
 * Admin auth as for `/calls` (the `/calls/` prefix is an admin route).
 */
import type { FastifyInstance } from 'fastify';
import type { TransferableCall, Transfers } from '../handoff/service.js';

/** What the route needs. */
export interface TransferRouteDeps {
  transfers: Transfers;
  /** The live call with this id, as the hand-off sees it. */
  findCall(callId: string): TransferableCall | undefined;
}

/** Registers `POST /calls/:id/transfer`. */
export function registerTransferRoute(app: FastifyInstance, deps: TransferRouteDeps): void {
  app.post<{ Params: { id: string }; Body: unknown }>('/calls/:id/transfer', { bodyLimit: 16 * 1024 }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) return reply.code(400).send({ error: 'bad_request', message: 'the body must be a JSON object {reason?, to?}' });
    for (const key of ['reason', 'to'] as const) {
      if (body[key] !== undefined && typeof body[key] !== 'string') return reply.code(400).send({ error: 'bad_request', message: `"${key}" must be a string` });
    }
    const call = deps.findCall(req.params.id);
    if (!call) return reply.code(404).send({ error: 'not_found', message: `no live call ${req.params.id}` });
    const outcome = await deps.transfers.transfer(call, { source: 'operator', reason: body.reason as string | undefined, to: body.to as string | undefined });
    if (!outcome.ok) return reply.code(outcome.status).send({ error: outcome.status === 400 ? 'bad_target' : outcome.status === 502 ? 'carrier_refused' : 'conflict', message: outcome.error });
    return reply.code(202).send({ handoff: outcome.handoff });
  });
}
