/** The browser WebSocket protocol as a carrier: `/client`, presigned token or JWT. */
import type { WebSocketCarrier } from '../core/carrier.js';
import { BrowserTransport } from './transport.js';

/** The browser WebSocket carrier. */
export const browserCarrier: WebSocketCarrier = {
  kind: 'browser',
  name: 'browser',
  connection: 'websocket',
  path: '/client',
  tokenRoute: 'client',
  auth: 'caller',
  create: (socket, context) => new BrowserTransport(socket, context),
};
