/**
 * WebRTC as a carrier: signalled by `POST /webrtc/offer` (presigned token or JWT); its transport
 * is built by `WebRtcTransport.answer` once the native module is loaded (`loader.ts`).
 */
import type { SignalledCarrier } from '../core/carrier.js';

/** The WebRTC carrier. */
export const webRtcCarrier: SignalledCarrier = {
  kind: 'webrtc',
  name: 'WebRTC',
  connection: 'signalled',
  path: '/webrtc/offer',
  tokenRoute: 'webrtc',
  auth: 'caller',
};
