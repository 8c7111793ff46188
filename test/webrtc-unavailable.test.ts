/**
 * A server whose WebRTC add-on cannot load (a lean install) still starts, says so on `/health`,
 * and answers `/webrtc/offer` (and Pipecat's `/connect`) with 503 and the reason instead of failing.
 */
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { webRtcUnavailableReason } from '../src/callers/webrtc/loader.js';
import { loadConfig } from '../src/config/config.js';
import { loopbackModel } from '../src/models/loopback/model.js';
import { createServer, type Server } from '../src/server.js';

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await s.close(100);
});

const OFFER = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n';

describe('WebRTC availability', () => {
  it('reports a missing add-on on /health and answers offers 503 with the reason', async () => {
    const reason = webRtcUnavailableReason('Cannot load native addon for node-datachannel on linux (x64). Attempted to require "@node-datachannel/linux-x64-gnu".');
    const s = await createServer(loadConfig({}, { LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }), model: loopbackModel(), webrtc: { available: false, reason } });
    servers.push(s);
    const health = (await s.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health.webrtc).toEqual({ available: false, reason });
    expect(reason).toMatch(/lean install.*WebSocket/);
    const offer = await s.app.inject({ method: 'POST', url: '/webrtc/offer', payload: OFFER, headers: { 'content-type': 'application/sdp' } });
    expect(offer.statusCode).toBe(503);
    expect(offer.json()).toEqual({ error: 'webrtc_unavailable', message: reason });
    // A Pipecat client's start request is told the same, before any session or token is made.
    const connect = await s.app.inject({ method: 'POST', url: '/connect', headers: { 'content-type': 'application/json' } });
    expect(connect.statusCode).toBe(503);
    expect(connect.json()).toEqual({ error: 'webrtc_unavailable', message: reason });
  });

  it('loads node-datachannel when it is installed', async () => {
    const s = await createServer(loadConfig({}, { LOG_LEVEL: 'silent' }), { logger: pino({ level: 'silent' }), model: loopbackModel() });
    servers.push(s);
    expect((await s.app.inject({ method: 'GET', url: '/health' })).json().webrtc).toEqual({ available: true });
  });
});
