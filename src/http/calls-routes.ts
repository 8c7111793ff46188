/**
 * The call records routes (admin routes: auth as for `/calls`, `admin-access.ts`):
 * - `GET /calls`: `live` calls with their state and transcript so far, and `recent` ended calls
 *   from the store, newest first, a page at a time (`limit` 1–200, default 50; `cursor` = the
 *   previous page's `nextCursor`), filtered by `from`/`to` (ISO 8601 start time), `carrier`,
 *   `model`, `endReason` (a code: `stop`, `model-closed`, …) and `q` (words in one transcript line).
 *   The first page also holds matching records still queued for the store. `totals` (`calls`,
 *   `durationMs`, `costUsd`: null when no call has a cost) sum every matching call, stored (all
 *   pages) or queued, whatever the cursor.
 * - `GET /calls/:id`: the whole record (a live call: its state so far, with `live: true`); 404.
 * With several instances (`REDIS_URL`), `live` lists every instance's live calls from the
 * live-call registry (each with its `instance`; another instance's as of its last heartbeat), and
 * `GET /calls/:id` answers another instance's live call with its registry entry. The registry
 * unreachable: this instance's live calls only, with `liveElsewhere: "unavailable"`.
 * - `DELETE /calls/:id`: deletes an ended call's record and its recording (privacy requests): 204, 404, or 409 for a
 *   live call.
 * A query that does not parse is answered 400; the store unreachable, 503.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Call } from '../call/call.js';
import { errorMessage } from '../core/errors.js';
import { addTotals, matchesQuery } from '../store/records.js';
import { InvalidCursorError, type CallListQuery } from '../store/types.js';
import type { AppDeps } from './deps.js';
import type { LiveEntry } from '../cluster/live-entry.js';

const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

/** `GET /calls` query parameters. */
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1000).optional(),
  from: instant.optional(),
  to: instant.optional(),
  carrier: z.string().max(100).optional(),
  model: z.string().max(100).optional(),
  endReason: z.string().max(200).optional(),
  q: z.string().max(500).optional(),
});

/** A live call as `/calls` shows it: its state, transcript and tool calls so far (`instance`: the instance holding it, with `REDIS_URL`). */
function liveEntry(c: Call, instance?: string) {
  return { id: c.id, ...(instance ? { instance } : {}), phase: c.phase, startedAtMs: c.startedAtMs, startedAt: c.startedAt, kind: c.kind, model: c.modelId, turns: c.turns.length, carrierCallId: c.startInfo.carrierCallId, parameters: c.startInfo.parameters, transcript: c.transcript, toolCalls: c.toolCalls };
}

/** Another instance's live call as `/calls` shows it (no `startedAtMs`: that instance's monotonic clock means nothing here). */
function remoteEntry(e: LiveEntry) {
  return { id: e.id, instance: e.instance, phase: e.phase, startedAt: e.startedAt, kind: e.kind, model: e.model, turns: e.turns.length, carrierCallId: e.carrierCallId, parameters: e.parameters, transcript: e.transcript, toolCalls: e.toolCalls };
}

/** Every instance's live calls: this one's, then the registry's others; `unavailable` when the registry cannot be read. */
async function allLive(deps: Pick<AppDeps, 'manager' | 'cluster' | 'logger'>): Promise<{ live: unknown[]; unavailable: boolean }> {
  const instance = deps.cluster?.instanceId;
  const here = deps.manager.calls();
  const live: unknown[] = here.map((c) => liveEntry(c, instance));
  if (!deps.cluster?.registry.shared) return { live, unavailable: false };
  try {
    const ids = new Set(here.map((c) => c.id));
    for (const e of await deps.cluster.registry.list()) if (!ids.has(e.id) && e.instance !== instance) live.push(remoteEntry(e));
    return { live, unavailable: false };
  } catch (err) {
    deps.logger.warn({ err: errorMessage(err) }, 'live-call registry read failed: listing this instance\'s calls only');
    return { live, unavailable: true };
  }
}

function storeUnavailable(reply: FastifyReply, err: unknown, deps: Pick<AppDeps, 'logger'>) {
  deps.logger.warn({ err: errorMessage(err) }, 'call store read failed');
  return reply.code(503).send({ error: 'store-unavailable', message: 'the call store cannot be reached; try again shortly' });
}

/** Registers `GET /calls`, `GET /calls/:id` and `DELETE /calls/:id`. */
export function registerCallRoutes(app: FastifyInstance, deps: Pick<AppDeps, 'manager' | 'store' | 'writer' | 'logger' | 'recordings' | 'cluster'>): void {
  app.get<{ Querystring: Record<string, string> }>('/calls', async (req, reply) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) return reply.code(400).send({ error: 'bad-query', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    const { q, ...rest } = parsed.data;
    const query: CallListQuery = { ...rest, text: q };
    // Live calls with their transcript so far (`voicebridge call` shows it as it grows).
    const { live, unavailable } = await allLive(deps);
    try {
      const pending = deps.writer.pending().filter((r) => matchesQuery(r, query));
      // Queued records are counted once: the store's sums leave out their ids (one may be committing now).
      const [page, stored] = await Promise.all([deps.store.list(query), deps.store.totals(query, pending.map((r) => r.id))]);
      const onPage = new Set(page.calls.map((c) => c.id));
      const queued = query.cursor ? [] : pending.filter((r) => !onPage.has(r.id)).reverse();
      return { live, ...(unavailable ? { liveElsewhere: 'unavailable' } : {}), recent: [...queued, ...page.calls], nextCursor: page.nextCursor, totals: addTotals(stored, pending) };
    } catch (err) {
      if (err instanceof InvalidCursorError) return reply.code(400).send({ error: 'bad-query', message: err.message });
      return storeUnavailable(reply, err, deps);
    }
  });

  app.get<{ Params: { id: string } }>('/calls/:id', async (req, reply) => {
    const { id } = req.params;
    const live = deps.manager.get(id);
    if (live) return { live: true, ...liveEntry(live, deps.cluster?.instanceId) };
    const elsewhere = deps.cluster?.registry.shared ? await deps.cluster.registry.get(id).catch(() => undefined) : undefined;
    if (elsewhere) return { live: true, ...remoteEntry(elsewhere) };
    const queued = deps.writer.pending().find((r) => r.id === id);
    if (queued) return queued;
    try {
      const record = await deps.store.get(id);
      return record ?? reply.code(404).send({ error: 'not-found', message: `no call ${id}` });
    } catch (err) {
      return storeUnavailable(reply, err, deps);
    }
  });

  app.delete<{ Params: { id: string } }>('/calls/:id', async (req, reply) => {
    const { id } = req.params;
    const liveElsewhere = deps.cluster?.registry.shared ? await deps.cluster.registry.get(id).catch(() => undefined) : undefined;
    if (deps.manager.get(id) || liveElsewhere) return reply.code(409).send({ error: 'call-live', message: `call ${id} is live: end it first` });
    try {
      const wasQueued = await deps.writer.forget(id);
      const wasStored = await deps.store.delete(id);
      const hadRecording = (await deps.recordings?.deleteRecording(id)) ?? false;
      if (!wasQueued && !wasStored && !hadRecording) return reply.code(404).send({ error: 'not-found', message: `no call ${id}` });
      deps.logger.info({ callId: id }, 'call record deleted');
      return reply.code(204).send();
    } catch (err) {
      return storeUnavailable(reply, err, deps);
    }
  });
}
