/**
 * Twilio Media Streams as a carrier: `/twilio/media`, signed upgrade (`X-Twilio-Signature`), and
 * the one-time token as `<Parameter name="token">` in `start` (Twilio allows no query string in
 * `<Stream url>`), kept out of the call's parameters.
 */
import type { WebSocketCarrier } from '../core/carrier.js';
import { TwilioTransport } from './transport.js';

/** The Twilio carrier. */
export const twilioCarrier: WebSocketCarrier = {
  kind: 'twilio',
  name: 'Twilio',
  connection: 'websocket',
  path: '/twilio/media',
  tokenRoute: 'twilio',
  auth: 'carrier-signature',
  create: (socket, context) =>
    new TwilioTransport(socket, {
      ...context,
      admit: async ({ callSid, parameters }) => {
        const { token, ...kept } = parameters;
        const refused = await context.admitStreamToken(token, callSid);
        return refused ? { ok: false, reason: `refused: ${refused}` } : { ok: true, parameters: kept };
      },
    }),
};
