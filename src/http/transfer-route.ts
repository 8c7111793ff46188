/**
 * `POST /calls/:id/transfer`: an operator hands a live call to a person. JSON body
 * `{ reason?: string, to?: string }` (`to`: E.164 or `sip:`; default `TRANSFER_TO`). Answers 202
 * with the hand-off record; 400 for a bad body or target, 404 when no instance has the live call,
 * 409 when there is nothing to transfer to or the call has ended, 502 when the carrier refused (the
 * call goes on). With several instances (`REDIS_URL`), a call held by another instance is
 * transferred there (`src/cluster/actions.ts`) and its answer passed on (503 when Redis cannot be
 * reached, 504 when that instance does not answer in time).
 * Admin auth as for `/calls` (the `/calls/` prefix is an admin route).
 */
import type { FastifyInstance } from 'fastify';
import type { TransferableCall, Transfers } from '../handoff/service.js';

/** A transfer's answer: HTTP status and JSON body. */
export interface TransferAnswer {
  status: number;
  body: unknown;
}

/** What the route needs. */
export interface TransferRouteDeps {
  transfers: Transfers;
  /** The live call with this id, as the hand-off sees it. */
  findCall(callId: string): TransferableCall | undefined;
  /** Transfers a call held by another instance; undefined when no instance holds it (absent: one instance). */
  elsewhere?(callId: string, body: { reason?: string; to?: string }): Promise<TransferAnswer | undefined>;
}

/** Transfers the call `callId` held by this instance; 404 when it holds none. */
export async function transferHere(deps: TransferRouteDeps, callId: string, body: { reason?: string; to?: string }): Promise<TransferAnswer> {
  const call = deps.findCall(callId);
  if (!call) return { status: 404, body: { error: 'not_found', message: `no live call ${callId}` } };
  const outcome = await deps.transfers.transfer(call, { source: 'operator', reason: body.reason, to: body.to });
  if (!outcome.ok) return { status: outcome.status, body: { error: outcome.status === 400 ? 'bad_target' : outcome.status === 502 ? 'carrier_refused' : 'conflict', message: outcome.error } };
  return { status: 202, body: { handoff: outcome.handoff } };
}

/** Registers `POST /calls/:id/transfer`. */
export function registerTransferRoute(app: FastifyInstance, deps: TransferRouteDeps): void {
  app.post<{ Params: { id: string }; Body: unknown }>('/calls/:id/transfer', { bodyLimit: 16 * 1024 }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) return reply.code(400).send({ error: 'bad_request', message: 'the body must be a JSON object {reason?, to?}' });
    for (const key of ['reason', 'to'] as const) {
      if (body[key] !== undefined && typeof body[key] !== 'string') return reply.code(400).send({ error: 'bad_request', message: `"${key}" must be a string` });
    }
    const request = { reason: body.reason as string | undefined, to: body.to as string | undefined };
    const id = req.params.id;
    const answer = deps.findCall(id) || !deps.elsewhere ? await transferHere(deps, id, request) : ((await deps.elsewhere(id, request)) ?? { status: 404, body: { error: 'not_found', message: `no live call ${id}` } });
    return reply.code(answer.status).send(answer.body);
  });
}
