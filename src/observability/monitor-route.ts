/**
 * `GET /monitor`: the live monitor's figures now (`MonitorSnapshot` in `monitor.ts`), as JSON. An
 * admin route (auth as for `/calls`: `src/http/admin-access.ts`, applied by the app's `onRoute`
 * hook). Polled every couple of seconds by the web client's Monitor panel, so logged at debug.
 */
import type { FastifyInstance } from 'fastify';
import type { MonitorSnapshot } from './monitor.js';

/** Registers `GET /monitor` on `app` (after the admin hook), answering `monitor.snapshot()`. */
export function registerMonitorRoute(app: FastifyInstance, monitor: { snapshot(): MonitorSnapshot }): void {
  app.get('/monitor', { config: { quietLog: true } }, async (_req, reply) => reply.header('cache-control', 'no-store').send(monitor.snapshot()));
}
