/**
 * Vonage Voice WebSockets as a carrier: `/vonage/media?token=…` (the token the NCCO's `uri`
 * carries, used up at the upgrade); its call binding is checked once `websocket:connected` names
 * the call's uuid.
 */
import type { WebSocketCarrier } from '../core/carrier.js';
import { VonageTransport } from './transport.js';

/** The Vonage carrier. */
export const vonageCarrier: WebSocketCarrier = {
  kind: 'vonage',
  name: 'Vonage',
  connection: 'websocket',
  path: '/vonage/media',
  tokenRoute: 'vonage',
  auth: 'stream-token',
  create: (socket, context) => {
    const admit = ({ uuid }: { uuid?: string }) => {
      const problem = context.checkCallBinding(uuid);
      return problem ? `refused: ${problem}` : null;
    };
    return new VonageTransport(socket, { ...context, admit });
  },
};
