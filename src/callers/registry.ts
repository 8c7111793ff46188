/**
 * Every caller protocol this server speaks, one entry per carrier folder. The HTTP layer serves
 * each WebSocket carrier from its entry (`src/http/carrier-routes.ts`); adding a carrier is one
 * folder plus one line here (README: "How to add a carrier").
 */
import { browserCarrier } from './browser/carrier.js';
import type { Carrier, WebSocketCarrier } from './core/carrier.js';
import { pcmCarrier } from './pcm/carrier.js';
import { twilioCarrier } from './twilio/carrier.js';
import { vonageCarrier } from './vonage/carrier.js';
import { webRtcCarrier } from './webrtc/carrier.js';

/** The carriers, in route registration order. */
export const CARRIERS: readonly Carrier[] = [twilioCarrier, vonageCarrier, browserCarrier, pcmCarrier, webRtcCarrier];

/** The carriers served over a WebSocket. */
export function webSocketCarriers(carriers: readonly Carrier[] = CARRIERS): WebSocketCarrier[] {
  return carriers.filter((c): c is WebSocketCarrier => c.connection === 'websocket');
}
