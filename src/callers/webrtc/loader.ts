/**
 * Loads the WebRTC caller on demand. Its native parts (node-datachannel's libdatachannel add-on,
 * an optional platform package) are missing from a lean install (`npm ci --omit=optional`); the
 * server then runs without WebRTC and says why, instead of failing to start.
 */
import { errorMessage } from '../../core/errors.js';

/** The WebRTC transport module (`./transport.js`). */
export type WebRtcModule = typeof import('./transport.js');

/** Whether WebRTC callers can be answered: the loaded module, or a plain-language reason. */
export type WebRtcSupport = { available: true; module: WebRtcModule } | { available: false; reason: string };

/** Imports the WebRTC transport; never throws (a failed import becomes `available: false`). */
export async function loadWebRtc(): Promise<WebRtcSupport> {
  try {
    return { available: true, module: await import('./transport.js') };
  } catch (err) {
    return { available: false, reason: webRtcUnavailableReason(errorMessage(err)) };
  }
}

/** The reason shown on `/health` and in the 503 of `/webrtc/offer`, from the import error. */
export function webRtcUnavailableReason(importError: string): string {
  const firstLine = importError.split('\n')[0].slice(0, 300);
  return /node-datachannel|datachannel/i.test(importError)
    ? `WebRTC is not available on this server: node-datachannel's native add-on is not installed (a lean install, npm ci --omit=optional, leaves it out). Browser callers can use the WebSocket transport; run npm ci to add WebRTC. (${firstLine})`
    : `WebRTC is not available on this server: its module failed to load (${firstLine}). Browser callers can use the WebSocket transport.`;
}
