/**
 * Hand-off to a person through a real server on 127.0.0.1 and real carrier sockets: an operator's
 * `POST /calls/:id/transfer` and the model's `transfer_to_human` tool end a Twilio media stream and
 * Twilio's `<Connect action>` request then dials `TRANSFER_TO` (with the summary as whisper); a
 * Vonage call is moved through the Voice API (a local stand-in, the official SDK); a browser caller
 * gets a `transfer` event; the call record keeps the hand-off and the carrier's ids; the signed
 * webhook receives it; a caller phrase triggers it; `end_call` hangs up after the goodbye.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mulawEncode } from '../src/audio/g711.js';
import { loadConfig } from '../src/config/config.js';
import type { ModelEvent, ModelSession, SpeechModel } from '../src/models/model.js';
import { LOOPBACK_CAPABILITIES } from '../src/models/loopback/model.js';
import { verifyHandoffBody } from '../src/handoff/webhook.js';
import { createServer, type Server } from '../src/server.js';
import { twilioStream, vonageStreamUrl } from './helpers/carrier-stream.js';
import { eventually } from './helpers/wait.js';
import { startVonageVoiceApi, type VonageVoiceApi } from './fakes/vonage-voice-api.js';
import { startBrowserSession } from './helpers/browser-session.js';
import { MemoryCallStore } from './fakes/call-store.js';

const ADMIN = 'admin-token-0123456789';
let server: Server | undefined;
let voiceApi: VonageVoiceApi | undefined;
afterEach(async () => {
  await server?.close(0);
  await voiceApi?.close();
  server = voiceApi = undefined;
});

/**
 * A model that, on the caller's first audio, answers with a line and optionally calls one tool;
 * its user transcript is `userSays`.
 */
function toolModel(options: { tool?: { name: string; arguments: unknown }; userSays?: string } = {}): SpeechModel & { toolResults: unknown[] } {
  const toolResults: unknown[] = [];
  return {
    id: 'tool-model',
    capabilities: { ...LOOPBACK_CAPABILITIES, textInput: true },
    inputRateHz: 16000,
    outputRateHz: 16000,
    maxSessionMs: Infinity,
    toolResults,
    open: async (): Promise<ModelSession> => {
      let emit: (e: ModelEvent) => void = () => {};
      let heard = false;
      let seq = 0;
      const reply = (text: string) => {
        const responseId = `r${++seq}`;
        emit({ type: 'responseStarted', responseId });
        emit({ type: 'audio', responseId, pcm: new Int16Array(3200).fill(2000) });
        emit({ type: 'transcript', role: 'assistant', text, final: true, responseId });
        emit({ type: 'responseDone', responseId, cancelled: false });
      };
      return {
        setHandler: (h) => (emit = h),
        sendAudio: () => {
          if (heard) return;
          heard = true;
          if (options.userSays) emit({ type: 'transcript', role: 'user', text: options.userSays, final: true });
          if (options.tool) emit({ type: 'toolCall', toolCallId: 't1', name: options.tool.name, arguments: options.tool.arguments });
          else reply('How can I help?');
        },
        sendText: (text) => reply(`You said ${text}`),
        sendToolResult: (_id, result) => {
          toolResults.push(result);
          reply('Goodbye, connecting you now.');
        },
        cancelResponse: () => {},
        truncate: () => {},
        close: async () => emit({ type: 'closed', reason: 'closed by call' }),
      };
    },
  };
}

async function start(settings: Record<string, unknown>, model: SpeechModel = toolModel()): Promise<string> {
  const config = loadConfig({}, { LOG_LEVEL: 'silent', BARGE_IN_VAD: false, PORT: 0, HOST: '127.0.0.1', ADMIN_TOKEN: ADMIN, ...settings });
  server = await createServer(config, { store: new MemoryCallStore(), logger: pino({ level: 'silent' }), model, webrtc: { available: false, reason: 'not in this test' } });
  return server.listen();
}

/** A Twilio media stream that has started and sends a little speech-level audio. */
async function twilioCall(base: string, callSid: string) {
  const { url, parameters } = await twilioStream(base, callSid);
  const ws = new WebSocket(url);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  ws.send(JSON.stringify({ event: 'start', sequenceNumber: '1', streamSid: `MZ${callSid}`, start: { callSid, streamSid: `MZ${callSid}`, customParameters: parameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, tracks: ['inbound'] } }));
  const payload = Buffer.from(mulawEncode(new Int16Array(160).fill(3000))).toString('base64');
  for (let i = 0; i < 5; i++) ws.send(JSON.stringify({ event: 'media', media: { track: 'inbound', chunk: String(i + 1), timestamp: String(i * 20), payload } }));
  return { ws, closed };
}

const liveCallOf = (carrierCallId: string) => eventually(() => server!.manager.calls().find((c) => c.startInfo.carrierCallId === carrierCallId), `call ${carrierCallId}`);
const afterStream = (base: string, callSid: string) =>
  fetch(`${base}/twilio/after-stream`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ CallSid: callSid, CallStatus: 'in-progress' }).toString() }).then((r) => r.text());
const recentCall = (id: string) => eventually(() => server!.manager.recentCalls().find((c) => c.id === id), `the record of ${id}`);

describe('hand-off to a person over Twilio', () => {
  it("an operator's POST /calls/:id/transfer ends the stream; Twilio's action request then dials TRANSFER_TO with a whisper", async () => {
    const hooks: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const hook = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c)).on('end', () => {
        hooks.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      const base = await start({ TRANSFER_TO: '+15557654321', TRANSFER_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/handoff`, TRANSFER_WEBHOOK_SECRET: 'webhook-secret-123456' });
      const { closed } = await twilioCall(base, 'CA100');
      const call = await liveCallOf('CA100');
      const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

      expect((await fetch(`${base}/calls/${call.id}/transfer`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
      expect((await fetch(`${base}/calls/nope/transfer`, { method: 'POST', body: '{}', headers: admin })).status).toBe(404);
      const bad = await fetch(`${base}/calls/${call.id}/transfer`, { method: 'POST', body: JSON.stringify({ to: '12345' }), headers: admin });
      expect([bad.status, ((await bad.json()) as { error: string }).error]).toEqual([400, 'bad_target']);

      const res = await fetch(`${base}/calls/${call.id}/transfer`, { method: 'POST', body: JSON.stringify({ reason: 'billing question' }), headers: admin });
      expect(res.status).toBe(202);
      const { handoff } = (await res.json()) as { handoff: { carrierIds: Record<string, string>; summary: string } };
      expect(handoff.carrierIds).toEqual({ CallSid: 'CA100', StreamSid: 'MZCA100' });
      expect((await closed).code).toBe(1000);

      const dial = await afterStream(base, 'CA100');
      expect(dial).toContain('<Dial><Number url="');
      expect(dial).toContain('>+15557654321</Number></Dial>');
      const whisperUrl = /<Number url="([^"]+)"/.exec(dial)![1].replace(/&amp;/g, '&');
      const whisper = await fetch(whisperUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'CallSid=CA101' }).then((r) => r.text());
      expect(whisper).toContain('<Say>Transferred call. Reason: billing question.');

      const record = await recentCall(call.id);
      expect(record).toMatchObject({ reason: 'transferred', reasonLabel: 'handed to a person', carrierCallId: 'CA100', streamId: 'MZCA100', handoff: { reason: 'billing question', source: 'operator', target: { kind: 'phone', number: '+15557654321' } } });
      const delivered = await eventually(() => hooks[0], 'the hand-off webhook');
      const ts = Number(delivered.headers['x-voicebridge-timestamp']);
      expect(verifyHandoffBody('webhook-secret-123456', delivered.headers['x-voicebridge-signature'] as string, ts, delivered.body, Math.floor(Date.now() / 1000))).toBe(true);
      expect(JSON.parse(delivered.body)).toMatchObject({ callId: call.id, carrierIds: { CallSid: 'CA100' } });

      // A call that was not handed off gets <Hangup/> when its stream ends.
      expect(await afterStream(base, 'CA999')).toContain('<Hangup/>');
    } finally {
      hook.close();
    }
  });

  it("the model's transfer_to_human tool does the same", async () => {
    const model = toolModel({ tool: { name: 'transfer_to_human', arguments: { reason: 'caller wants a person' } } });
    const base = await start({ TRANSFER_TO: 'sip:desk@pbx.example.com' }, model);
    const { closed } = await twilioCall(base, 'CA200');
    expect((await closed).code).toBe(1000);
    const record = await eventually(() => server!.manager.recentCalls().find((c) => c.carrierCallId === 'CA200'), 'the record');
    expect(record.toolCalls).toMatchObject([{ name: 'transfer_to_human', ok: true }]);
    expect(record.handoff).toMatchObject({ source: 'model', reason: 'caller wants a person', target: { kind: 'sip', uri: 'sip:desk@pbx.example.com' } });
    expect(model.toolResults).toEqual([]); // the stream ended with the hand-off: nothing more goes to the model
    expect(await afterStream(base, 'CA200')).toContain('<Sip url="');
  });

  it('a TRANSFER_PHRASES phrase from the caller does the same for models without tools', async () => {
    const base = await start({ TRANSFER_TO: '+15557654321', TRANSFER_PHRASES: 'speak to a person' }, toolModel({ userSays: 'Can I speak to a person please' }));
    const { closed } = await twilioCall(base, 'CA300');
    await closed;
    const record = await eventually(() => server!.manager.recentCalls().find((c) => c.carrierCallId === 'CA300'), 'the record');
    expect(record.handoff).toMatchObject({ source: 'phrase', reason: 'the caller said "speak to a person"' });
    expect(await afterStream(base, 'CA300')).toContain('+15557654321');
  });

  it('end_call: the model says goodbye, it is played out, then the carrier hangs up', async () => {
    const model = toolModel({ tool: { name: 'end_call', arguments: {} } });
    const base = await start({ TOOLS: 'end_call' }, model);
    const { ws, closed } = await twilioCall(base, 'CA400');
    let mediaOut = 0;
    ws.on('message', (d) => (JSON.parse(d.toString()).event === 'media' ? mediaOut++ : 0));
    await closed;
    const record = await eventually(() => server!.manager.recentCalls().find((c) => c.carrierCallId === 'CA400'), 'the record');
    expect(record.reason).toBe('assistant-ended');
    expect(model.toolResults).toEqual([{ ending: true }]);
    expect(mediaOut).toBeGreaterThanOrEqual(10); // the 200 ms goodbye went out first
  });
});

describe('hand-off over Vonage and to a browser', () => {
  it('moves a Vonage call through the Voice API, then ends the WebSocket', async () => {
    voiceApi = await startVonageVoiceApi();
    voiceApi.liveCalls.add('uuid-500');
    const base = await start({ TRANSFER_TO: '+447700900456', VONAGE_APPLICATION_ID: voiceApi.applicationId, VONAGE_PRIVATE_KEY: voiceApi.privateKey, VONAGE_API_URL: voiceApi.url });
    const ws = new WebSocket(await vonageStreamUrl(base, 'uuid-500'));
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000', uuid: 'uuid-500' }));
    ws.send(Buffer.alloc(640, 1));
    const call = await liveCallOf('uuid-500');
    const res = await fetch(`${base}/calls/${call.id}/transfer`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    expect(await closed).toBe(1000);
    expect(voiceApi.requests).toEqual([{ method: 'PUT', path: '/v1/calls/uuid-500', body: { action: 'transfer', destination: { type: 'ncco', ncco: [{ action: 'connect', endpoint: [{ type: 'phone', number: '447700900456' }] }] } } }]);
    expect((await recentCall(call.id)).handoff?.carrierIds).toEqual({ uuid: 'uuid-500' });
  });

  it('records a Vonage transfer whose WebSocket Vonage closed before answering the PUT', async () => {
    voiceApi = await startVonageVoiceApi();
    voiceApi.liveCalls.add('uuid-501');
    const base = await start({ TRANSFER_TO: '+447700900456', VONAGE_APPLICATION_ID: voiceApi.applicationId, VONAGE_PRIVATE_KEY: voiceApi.privateKey, VONAGE_API_URL: voiceApi.url });
    const ws = new WebSocket(await vonageStreamUrl(base, 'uuid-501'));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000', uuid: 'uuid-501' }));
    const call = await liveCallOf('uuid-501');
    voiceApi.beforeAnswer = async () => {
      const closed = new Promise((resolve) => ws.once('close', resolve));
      ws.close(1000);
      await closed;
      await eventually(() => call.isOver() || undefined, 'the call ended with its stream');
    };
    const res = await fetch(`${base}/calls/${call.id}/transfer`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    const record = await recentCall(call.id);
    expect([record.reason, record.handoff?.carrierIds]).toEqual(['transferred', { uuid: 'uuid-501' }]);
  });

  it('keeps a Vonage call going when the Voice API refuses (502)', async () => {
    voiceApi = await startVonageVoiceApi();
    const base = await start({ TRANSFER_TO: '+447700900456', VONAGE_APPLICATION_ID: voiceApi.applicationId, VONAGE_PRIVATE_KEY: voiceApi.privateKey, VONAGE_API_URL: voiceApi.url });
    const ws = new WebSocket(await vonageStreamUrl(base, 'uuid-gone'));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000', uuid: 'uuid-gone' }));
    const call = await liveCallOf('uuid-gone');
    const res = await fetch(`${base}/calls/${call.id}/transfer`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } });
    expect([res.status, ((await res.json()) as { error: string }).error]).toEqual([502, 'carrier_refused']);
    expect(call.isOver()).toBe(false);
    ws.close();
  });

  it('tells a browser caller with a transfer event before its session ends', async () => {
    const base = await start({ TRANSFER_TO: '+15557654321' });
    const { messages } = await startBrowserSession(base);
    const started = await eventually(() => messages.find((m) => m.type === 'session.started'), 'session.started');
    const res = await fetch(`${base}/calls/${started.callId as string}/transfer`, { method: 'POST', body: JSON.stringify({ reason: 'needs an agent' }), headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } });
    expect(res.status).toBe(202);
    await eventually(() => messages.find((m) => m.type === 'session.ended'), 'session.ended');
    const types = messages.map((m) => m.type);
    expect(messages.find((m) => m.type === 'transfer')).toEqual({ type: 'transfer', to: '+15557654321', reason: 'needs an agent' });
    expect(types.indexOf('transfer')).toBeLessThan(types.indexOf('session.ended'));
  });
});
