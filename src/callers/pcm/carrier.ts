/**
 * Raw PCM as a carrier: `/ws`, presigned token or JWT; the upgrade's query parameters (never a
 * credential) become the call's parameters.
 */
import type { WebSocketCarrier } from '../core/carrier.js';
import { PcmTransport } from './transport.js';

/** The raw PCM carrier. */
export const pcmCarrier: WebSocketCarrier = {
  kind: 'pcm',
  name: 'raw PCM',
  connection: 'websocket',
  path: '/ws',
  tokenRoute: 'ws',
  auth: 'caller',
  create: (socket, context) => new PcmTransport(socket, { ...context, parameters: context.query }),
};
