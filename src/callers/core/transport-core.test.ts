/**
 * The shared transport core, through the WebSocket transports over an in-memory socket port (no
 * network): started/ended, protocol errors with their close codes, bad-message counting, the
 * audio-flood abort, and the close codes of a hang-up.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.js';
import { silentLogger } from '../../core/logger.js';
import { FakeCallerSocket } from '../../../test/fakes/caller-socket.js';
import { BrowserTransport } from '../browser/transport.js';
import { PcmTransport } from '../pcm/transport.js';
import type { CallerEvent, CallerTransport } from '../transport.js';
import { TwilioTransport } from '../twilio/transport.js';
import { VonageTransport } from '../vonage/transport.js';
import { MAX_BAD_MESSAGES, TransportCore } from './transport-core.js';

const deps = () => ({ clock: new FakeClock(), logger: silentLogger });
const vonageConnected = JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=16000' });

/** A transport over a fake socket, with the events it reported. */
function open(make: (socket: FakeCallerSocket) => CallerTransport) {
  const socket = new FakeCallerSocket();
  const transport = make(socket);
  const events: CallerEvent[] = [];
  transport.setHandler((e) => events.push(e));
  return { socket, transport, events };
}

describe('every WebSocket transport over the socket port', () => {
  it.each([
    ['Twilio', (s: FakeCallerSocket) => new TwilioTransport(s, deps()), 'not json', { code: 1007, reason: 'malformed JSON' }],
    ['Twilio, binary', (s: FakeCallerSocket) => new TwilioTransport(s, deps()), new Uint8Array(4), { code: 1003, reason: 'binary frames are not part of the Twilio protocol' }],
    ['Vonage, audio first', (s: FakeCallerSocket) => new VonageTransport(s, deps()), new Uint8Array(640), { code: 1008, reason: 'audio before websocket:connected' }],
    ['Vonage, bad content-type', (s: FakeCallerSocket) => new VonageTransport(s, deps()), JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/pcmu' }), { code: 1007, reason: 'unsupported content-type "audio/pcmu"' }],
    ['raw PCM, odd chunk', (s: FakeCallerSocket) => new PcmTransport(s, deps()), new Uint8Array(3), { code: 1007, reason: 'bad PCM16 chunk of 3 bytes' }],
  ])('%s: a protocol error closes with its code and ends the call (protocol-error)', async (_name, make, message, close) => {
    const { socket, transport, events } = open(make);
    socket.receive(message);
    expect(socket.closed).toEqual(close);
    expect(events.filter((e) => e.type === 'ended')).toEqual([{ type: 'ended', reason: 'protocol-error' }]);
    if (_name.startsWith('raw PCM')) return; // started on connect
    await expect(transport.started).rejects.toThrow(close.reason);
  });

  it.each([
    ['Vonage', (s: FakeCallerSocket) => new VonageTransport(s, deps()), [vonageConnected], (i: number) => JSON.stringify({ event: `websocket:x-${i}` })],
    ['raw PCM', (s: FakeCallerSocket) => new PcmTransport(s, deps()), [], (i: number) => `text ${i}`],
    ['browser', (s: FakeCallerSocket) => new BrowserTransport(s, deps()), [], (i: number) => JSON.stringify({ type: `x-${i}` })],
  ])('%s: the MAX_BAD_MESSAGES-th bad message closes with 1008', (_name, make, opening, bad) => {
    const { socket, events } = open(make);
    for (const m of opening) socket.receive(m);
    for (let i = 0; i < MAX_BAD_MESSAGES - 1; i++) socket.receive(bad(i));
    expect(socket.closed).toBeUndefined();
    socket.receive(bad(99));
    expect(socket.closed).toEqual({ code: 1008, reason: 'too many invalid messages' });
    expect(events.at(-1)).toEqual({ type: 'ended', reason: 'protocol-error' });
  });

  it.each([
    [1000, 'socket-closed'],
    [1001, 'socket-closed'],
    [1005, 'socket-closed'],
    [1006, 'socket-closed-1006'],
  ])('a caller closing with %i ends the call as %s, once', (code, reason) => {
    const { socket, events } = open((s) => new PcmTransport(s, deps()));
    socket.peerClose(code);
    socket.receive(new Uint8Array(640));
    expect(events).toEqual([{ type: 'ended', reason }]);
  });

  it.each([
    [undefined, 1000],
    [{ serverShutdown: true }, 1001],
  ])('hang-up %j closes with %i', (options, code) => {
    const { socket, transport } = open((s) => new VonageTransport(s, deps()));
    transport.hangup('bye', options);
    expect(socket.closed).toEqual({ code, reason: 'bye' });
  });

  it('Vonage: connected starts the stream at its rate; audio, dtmf and notify become events', async () => {
    const { socket, transport, events } = open((s) => new VonageTransport(s, deps()));
    socket.receive(JSON.stringify({ event: 'websocket:connected', 'content-type': 'audio/l16;rate=8000', uuid: 'u-1' }));
    await expect(transport.started).resolves.toEqual({ carrierCallId: 'u-1', parameters: { uuid: 'u-1' } });
    expect(transport.inputRateHz).toBe(8000);
    socket.receive(new Uint8Array(320));
    socket.receive(JSON.stringify({ event: 'websocket:dtmf', digit: '5', duration: 100 }));
    socket.receive(JSON.stringify({ event: 'websocket:notify', payload: { markId: 'm1' } }));
    expect(events.map((e) => e.type)).toEqual(['audio', 'dtmf', 'played']);
    transport.mark('m2');
    transport.clearPlayback();
    expect(socket.json()).toEqual([{ action: 'notify', payload: { markId: 'm2' } }, { action: 'clear' }]);
  });
});

describe('TransportCore', () => {
  it('an audio flood (limiter says close) aborts with 1008 and reports audio-flood; dropped audio is not passed on', () => {
    const aborts: unknown[] = [];
    const core = new TransportCore(deps(), (code, reason, endedReason) => aborts.push({ code, reason, endedReason }));
    const events: CallerEvent[] = [];
    core.setHandler((e) => events.push(e));
    const verdicts: Array<'admit' | 'drop' | 'close'> = ['admit', 'drop', 'close'];
    core.limitInboundAudio({ admit: () => verdicts.shift()! });
    expect(core.admitAudio(20, 0)).toBe(true);
    expect(core.admitAudio(20, 0)).toBe(false);
    expect(aborts).toEqual([]);
    expect(core.admitAudio(20, 0)).toBe(false);
    expect(aborts).toEqual([{ code: 1008, reason: 'audio arrives far faster than real time', endedReason: 'audio-flood' }]);
    expect(events).toEqual([{ type: 'ended', reason: 'audio-flood' }]);
  });

  it('buffers events until a handler is set, reports ended once and nothing after it', () => {
    const ended: string[] = [];
    const core = new TransportCore(deps(), () => {}, (reason) => ended.push(reason));
    core.emit({ type: 'text', text: 'early' });
    core.reportEnded('stop');
    core.reportEnded('again');
    core.emit({ type: 'text', text: 'late' });
    const events: CallerEvent[] = [];
    core.setHandler((e) => events.push(e));
    expect(events).toEqual([{ type: 'text', text: 'early' }, { type: 'ended', reason: 'stop' }]);
    expect(ended).toEqual(['stop']);
  });
});
