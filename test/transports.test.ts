/**
 * Caller transports over a real WebSocket pair on 127.0.0.1: what each carrier's messages turn into.
 */
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { mulawEncode } from '../src/audio/g711.js';
import { wsSocket } from '../src/callers/core/ws-socket.js';
import type { CallerEvent } from '../src/callers/transport.js';
import { TwilioTransport, type TwilioAdmission } from '../src/callers/twilio/transport.js';
import { VonageTransport } from '../src/callers/vonage/transport.js';
import { systemClock } from '../src/core/clock.js';
import { InboundAudioGate } from '../src/limits/inbound-audio.js';
import { FakeClock } from './fakes/clock.js';
import { silentLogger } from '../src/core/logger.js';
import { useSocketPairs } from './helpers/socket-pairs.js';
import { eventually } from './helpers/wait.js';

const sockets = useSocketPairs();

async function pair<T>(wrap: (ws: WebSocket) => T): Promise<{ client: WebSocket; transport: T; events: CallerEvent[]; sent: string[] }> {
  const sent: string[] = [];
  const { client, server } = await sockets.open((c) => c.on('message', (d, isBinary) => sent.push(isBinary ? `binary:${(d as Buffer).length}` : d.toString())));
  const transport = wrap(server);
  const events: CallerEvent[] = [];
  (transport as unknown as { setHandler(h: (e: CallerEvent) => void): void }).setHandler((e) => events.push(e));
  return { client, transport, events, sent };
}

describe('TwilioTransport', () => {
  it('decodes media, fills timestamp gaps with silence, reports marks, DTMF and stop', async () => {
    const { client, transport, events, sent } = await pair((ws) => new TwilioTransport(wsSocket(ws), { clock: systemClock, logger: silentLogger }));
    const media = (ts: number) => JSON.stringify({ event: 'media', media: { track: 'inbound', timestamp: String(ts), payload: Buffer.from(mulawEncode(new Int16Array(160).fill(1000))).toString('base64') } });
    client.send(JSON.stringify({ event: 'connected' }));
    client.send(JSON.stringify({ event: 'start', streamSid: 'MZ1', start: { callSid: 'CA1', customParameters: { tenant: 't-1' }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } }));
    const info = await transport.started;
    expect(info).toMatchObject({ carrierCallId: 'CA1', streamId: 'MZ1', parameters: { tenant: 't-1' } });
    client.send(media(0));
    client.send(media(20));
    client.send(media(100)); // 60 ms lost in transit
    client.send(JSON.stringify({ event: 'mark', mark: { name: 'r1:1' } }));
    client.send(JSON.stringify({ event: 'dtmf', dtmf: { track: 'inbound_track', digit: '7' } }));
    await eventually(() => events.some((e) => e.type === 'dtmf'), 'the DTMF event');
    const audio = events.filter((e) => e.type === 'audio') as Array<{ pcm: Int16Array }>;
    expect(audio.map((a) => a.pcm.length)).toEqual([160, 160, 480, 160]);
    expect(audio[2].pcm.every((s) => s === 0)).toBe(true);
    expect(audio[0].pcm[0]).toBe(988);
    expect(transport.gapFilledMs).toBe(60);
    expect(events.filter((e) => e.type !== 'audio')).toEqual([{ type: 'played', markId: 'r1:1' }, { type: 'dtmf', digit: '7' }]);
    // outbound: media frames are base64 mu-law, marks and clear carry the streamSid
    transport.sendAudio(new Int16Array(160));
    transport.mark('r1:2');
    transport.clearPlayback();
    await eventually(() => sent.length >= 3, 'media, mark and clear at the client');
    expect(JSON.parse(sent[0])).toEqual({ event: 'media', streamSid: 'MZ1', media: { payload: Buffer.alloc(160, 0xff).toString('base64') } });
    expect(JSON.parse(sent[1])).toEqual({ event: 'mark', streamSid: 'MZ1', mark: { name: 'r1:2' } });
    expect(JSON.parse(sent[2])).toEqual({ event: 'clear', streamSid: 'MZ1' });
    client.send(JSON.stringify({ event: 'stop', stop: {} }));
    await eventually(() => events.at(-1)?.type === 'ended', 'the ended event');
    expect(events.at(-1)).toEqual({ type: 'ended', reason: 'stop' });
  });
});

describe('TwilioTransport gap fill and inbound admission', () => {
  it('silence filled into a gap is not charged to the real-time admission, so the audio after it is kept', async () => {
    const clock = new FakeClock();
    const { client, transport, events } = await pair((ws) => new TwilioTransport(wsSocket(ws), { clock, logger: silentLogger }));
    const gate = new InboundAudioGate({ burstMs: 500, closeFactor: 3 });
    transport.limitInboundAudio(gate);
    const media = (ts: number) => JSON.stringify({ event: 'media', media: { track: 'inbound', timestamp: String(ts), payload: Buffer.alloc(160, 0xff).toString('base64') } });
    client.send(JSON.stringify({ event: 'start', streamSid: 'MZ3', start: { callSid: 'CA3', customParameters: {}, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } }));
    await transport.started;
    const t0 = clock.nowMs();
    /** Sends one frame at its time and waits until the transport has handled it (a mark right behind it). */
    const deliver = async (ts: number) => {
      clock.advance(t0 + ts - clock.nowMs());
      client.send(media(ts));
      client.send(JSON.stringify({ event: 'mark', mark: { name: `after-${ts}` } }));
      await eventually(() => events.some((e) => e.type === 'played' && e.markId === `after-${ts}`), `media ${ts}`);
    };
    await deliver(0);
    // A one-second network stall on the carrier's side: 49 frames lost, the wall clock moved on with them.
    for (let ts = 1000; ts <= 1600; ts += 20) await deliver(ts);
    const audio = events.filter((e) => e.type === 'audio') as Array<{ pcm: Int16Array }>;
    expect(transport.gapFilledMs).toBe(980);
    expect(audio.map((a) => a.pcm.length)).toEqual([160, 980 * 8, ...Array<number>(31).fill(160)]);
    expect(gate.droppedMs).toBe(0);
    client.close();
  });
});

describe('the model a carrier call asks for (provider switch per number)', () => {
  it('Twilio: the start\'s `model` custom parameter', async () => {
    const { client, transport } = await pair((ws) => new TwilioTransport(wsSocket(ws), { clock: systemClock, logger: silentLogger }));
    client.send(JSON.stringify({ event: 'start', streamSid: 'MZ9', start: { callSid: 'CA9', customParameters: { model: 'nova-sonic' }, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } }));
    expect(await transport.started).toMatchObject({ carrierCallId: 'CA9', model: 'nova-sonic' });
    client.close();
  });

  it('Vonage: the `model` header of websocket:connected', async () => {
    const { client, transport } = await pair((ws) => new VonageTransport(wsSocket(ws), { clock: systemClock, logger: silentLogger }));
    client.send(JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000', uuid: 'u9', model: 'openai' }));
    expect(await transport.started).toMatchObject({ carrierCallId: 'u9', model: 'openai' });
    client.close();
  });
});

describe('TwilioTransport admission of start', () => {
  const start = (customParameters: Record<string, string>) => JSON.stringify({ event: 'start', streamSid: 'MZ2', start: { callSid: 'CA2', customParameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } });
  const media = (ts: number) => JSON.stringify({ event: 'media', media: { track: 'inbound', timestamp: String(ts), payload: Buffer.alloc(160, 0xff).toString('base64') } });

  it('holds the media that arrives while start is checked, then delivers it in order with the admitted parameters', async () => {
    let decide!: (a: TwilioAdmission) => void;
    const asked: unknown[] = [];
    const admit = (s: { callSid: string; parameters: Record<string, string> }) => {
      asked.push(s);
      return new Promise<TwilioAdmission>((r) => (decide = r));
    };
    const { client, transport, events } = await pair((ws) => new TwilioTransport(wsSocket(ws), { clock: systemClock, logger: silentLogger, admit }));
    client.send(start({ token: 't', From: '+1555' }));
    client.send(media(0));
    client.send(media(20));
    await eventually(() => asked.length === 1, 'the admission check');
    expect(asked[0]).toEqual({ callSid: 'CA2', parameters: { token: 't', From: '+1555' } });
    expect(events).toEqual([]);
    decide({ ok: true, parameters: { From: '+1555' } });
    expect(await transport.started).toMatchObject({ carrierCallId: 'CA2', parameters: { From: '+1555' } });
    await eventually(() => events.length === 2, 'the held media');
    expect(events.map((e) => e.type)).toEqual(['audio', 'audio']);
    client.close();
  });

  it('a refused start closes the stream with 1008 and the reason, and nothing it sent reaches the call', async () => {
    const { client, transport, events } = await pair((ws) => new TwilioTransport(wsSocket(ws), { clock: systemClock, logger: silentLogger, admit: async () => ({ ok: false, reason: 'refused: stream token expired' }) }));
    const closed = new Promise<[number, string]>((r) => client.once('close', (code, reason) => r([code, reason.toString()])));
    client.send(start({ token: 'old' }));
    client.send(media(0));
    expect(await closed).toEqual([1008, 'refused: stream token expired']);
    await expect(transport.started).rejects.toThrow(/stream token expired/);
    expect(events).toEqual([{ type: 'ended', reason: 'protocol-error' }]);
  });
});

describe('VonageTransport', () => {
  it('takes the rate from websocket:connected, reports DTMF and notify marks, sends clear', async () => {
    const { client, transport, events, sent } = await pair((ws) => new VonageTransport(wsSocket(ws), { clock: systemClock, logger: silentLogger }));
    client.send(JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=8000', uuid: 'u-9', tenantId: 't' }));
    expect(await transport.started).toMatchObject({ carrierCallId: 'u-9', parameters: { tenantId: 't' } });
    expect(transport.inputRateHz).toBe(8000);
    client.send(Buffer.alloc(320));
    client.send(JSON.stringify({ event: 'websocket:dtmf', digit: '#', duration: 250 }));
    client.send(JSON.stringify({ event: 'websocket:notify', payload: { markId: 'm-1' } }));
    await eventually(() => events.length >= 3, 'audio, DTMF and the played mark');
    expect(events).toEqual([
      { type: 'audio', pcm: new Int16Array(160), receivedAtMs: expect.any(Number) },
      { type: 'dtmf', digit: '#', durationMs: 250 },
      { type: 'played', markId: 'm-1' },
    ]);
    transport.sendAudio(new Int16Array(160));
    transport.mark('m-2');
    transport.clearPlayback();
    await eventually(() => sent.length >= 3, 'audio, notify and clear at the client');
    expect(sent).toEqual(['binary:320', '{"action":"notify","payload":{"markId":"m-2"}}', '{"action":"clear"}']);
    client.close();
    await eventually(() => events.at(-1)?.type === 'ended', 'the ended event');
    expect(events.at(-1)).toEqual({ type: 'ended', reason: 'socket-closed' });
  });
});
