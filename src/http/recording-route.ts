/**
 * `GET /calls/:id/recording.wav`: a call's recording (`RECORD_CALLS`), served from
 * `RECORDINGS_DIR` by @fastify/static (byte ranges, so a player can seek; `Content-Type:
 * audio/wav`; never cached: recordings are private). Admin auth as for `/calls` (the `/calls/`
 * prefix is an admin route). 404 when recordings are off, for an id that is not a call id, or when
 * the call has no recording. A recording still being written is served as it stands (its header
 * says "unknown size", as streamed WAVs do).
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Recordings } from '../recording/recordings.js';

/** Registers the route on `app` (in its own scope: the static plugin serves nothing else). */
export async function registerRecordingRoute(app: FastifyInstance, recordings: Recordings | undefined): Promise<void> {
  await app.register(async (scope) => {
    if (recordings) {
      // The folder is given per file (it may not exist yet, or not be creatable: that is no reason not to start).
      await scope.register(fastifyStatic, {
        serve: false,
        acceptRanges: true,
        cacheControl: false,
        contentType: false,
        dotfiles: 'deny',
        setHeaders: (reply) => {
          reply.header('content-type', 'audio/wav');
          reply.header('cache-control', 'private, no-store');
        },
      });
    }
    scope.get<{ Params: { id: string } }>('/calls/:id/recording.wav', async (req, reply) => {
      if (!recordings) return reply.code(404).send({ error: 'not_found', message: 'call recordings are off on this server (RECORD_CALLS)' });
      const name = recordings.fileName(req.params.id);
      if (!name || (await recordings.sizeOf(req.params.id)) === undefined) return reply.code(404).send({ error: 'not_found', message: 'no recording for this call' });
      return reply.sendFile(name, recordings.dir);
    });
  });
}
