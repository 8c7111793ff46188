/**
 * `GET /calls/:id` (an admin route, guarded with the rest of `/calls/`): one call's record once it
 * has ended, else what the live call has so far (`live: true`: phase, transcript, tool calls);
 * 404 with a message for an id that is neither live nor among the recent calls.
 */
import type { FastifyInstance } from 'fastify';
import type { CallManager } from '../call/manager.js';

/** Registers `GET /calls/:id` on `app`, reading calls from `manager`. */
export function registerCallRecordRoute(app: FastifyInstance, manager: Pick<CallManager, 'recentCalls' | 'get'>): void {
  app.get<{ Params: { id: string } }>('/calls/:id', async (req, reply) => {
    const ended = manager.recentCalls().find((c) => c.id === req.params.id);
    if (ended) return ended;
    const c = manager.get(req.params.id);
    if (!c) return reply.code(404).send({ error: 'not_found', message: `no live or recent call ${req.params.id}` });
    return { id: c.id, live: true, phase: c.phase, startedAt: c.startedAt, kind: c.kind, model: c.modelId, transcript: c.transcript, toolCalls: c.toolCalls };
  });
}
