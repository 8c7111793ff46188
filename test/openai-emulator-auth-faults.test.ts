/**
 * The OpenAI Realtime emulator's gate and endings over real sockets on 127.0.0.1: API keys checked
 * before the upgrade (401 with OpenAI's JSON error body; the browser subprotocol accepted), the
 * model required, the session limit ending as the real API ends it (an `error` event
 * `session_expired`, then close 1001), and each injected fault (close 1011, stall, slow start, an
 * error event mid-response). Timers run on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeClock } from '../src/core/clock.js';
import { parseRealtimeFault } from '../src/emulators/openai-realtime/server.js';
import { useRealtimeEmulator } from './helpers/realtime-client.js';
import { eventually } from './helpers/wait.js';

const { start, connect } = useRealtimeEmulator({ apiKeys: ['sk-good-key-123456'] }, 'sk-good-key-123456');

/** The HTTP answer to an upgrade the server refuses: status and JSON body. */
function refusal(url: string, options: WebSocket.ClientOptions = {}, protocols?: string[]): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, options);
    ws.on('open', () => reject(new Error('the upgrade was accepted')));
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
  });
}

describe('the API key and the model, checked before the upgrade', () => {
  it('refuses a missing key and a wrong key with 401 and OpenAI’s error body, and opens no session', async () => {
    const e = await start();
    const none = await refusal(`${e.wsUrl}?model=gpt-realtime`);
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { message: expect.stringContaining("You didn't provide an API key"), type: 'invalid_request_error', param: null, code: null } });
    const wrong = await refusal(`${e.wsUrl}?model=gpt-realtime`, { headers: { Authorization: 'Bearer sk-wrong-key-999999' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', message: expect.stringMatching(/^Incorrect API key provided: sk-\**9999\./) });
    const badSubprotocol = await refusal(`${e.wsUrl}?model=gpt-realtime`, {}, ['realtime', 'openai-insecure-api-key.sk-wrong-key-999999']);
    expect(badSubprotocol.status).toBe(401);
    expect(e.sessions).toHaveLength(0);
    expect(e.refusals).toEqual([401, 401, 401]);
  });

  it('accepts the key in the openai-insecure-api-key subprotocol (browsers), answering with the realtime subprotocol', async () => {
    const e = await start();
    const ws = new WebSocket(`${e.wsUrl}?model=gpt-realtime`, ['realtime', 'openai-insecure-api-key.sk-good-key-123456']);
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(d.toString())));
      ws.once('error', reject);
    });
    expect(first.type).toBe('session.created');
    expect(ws.protocol).toBe('realtime');
    ws.close();
  });

  it('needs ?model= naming a Realtime model, and only /v1/realtime', async () => {
    const e = await start();
    const auth = { headers: { Authorization: 'Bearer sk-good-key-123456' } };
    expect(await refusal(e.wsUrl, auth)).toMatchObject({ status: 400, body: { error: { code: 'missing_required_parameter', param: 'model' } } });
    expect(await refusal(`${e.wsUrl}?model=gpt-4o`, auth)).toMatchObject({ status: 404, body: { error: { code: 'model_not_found', param: 'model' } } });
    expect((await refusal(`${e.url.replace('http', 'ws')}/v1/chat?model=gpt-realtime`, auth)).status).toBe(404);
    const c = await connect(e);
    expect((c.of('session.created')[0].session as { model: string }).model).toBe('gpt-realtime');
  });
});

describe('the session limit', () => {
  it('ends the session with an error event session_expired, then close 1001, at the limit on the clock', async () => {
    const clock = new FakeClock();
    const e = await start({ clock, sessionLimitMs: 90_000 });
    const c = await connect(e);
    clock.advance(89_999);
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: 'still open' } });
    await c.next('session.updated');
    clock.advance(1);
    expect(await c.closed()).toBe(1001);
    const err = c.of('error')[0];
    expect(err.error).toEqual({ type: 'invalid_request_error', code: 'session_expired', message: 'Your session hit the maximum duration of 90 seconds.', param: null, event_id: null });
    expect(c.closeReason).toBe('Your session hit the maximum duration of 90 seconds.');
    expect(e.sessions[0].endReason).toBe('session-limit');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('faults', () => {
  it('parses kind[:afterMs][@session] and refuses unknown kinds', () => {
    expect(parseRealtimeFault('close:1500@2')).toEqual({ kind: 'close', afterMs: 1500, session: 2 });
    expect(parseRealtimeFault('stall')).toEqual({ kind: 'stall', afterMs: 0, session: undefined });
    expect(() => parseRealtimeFault('explode:5')).toThrow(/kind one of close, stall, slowStart, error/);
  });

  it('close: closes the chosen session with 1011 after the delay; other sessions live on', async () => {
    const clock = new FakeClock();
    const e = await start({ clock, faults: [{ kind: 'close', afterMs: 2000, session: 1 }] });
    const first = await connect(e);
    const second = await connect(e);
    clock.advance(2000);
    expect(await first.closed()).toBe(1011);
    second.send({ type: 'session.update', session: { type: 'realtime', instructions: 'fine' } });
    await second.next('session.updated');
    expect(second.closeCode).toBeUndefined();
    expect(e.sessions[0].endReason).toBe('fault:close');
  });

  it('stall: after the delay the emulator reads but never answers, and keeps the socket open', async () => {
    const clock = new FakeClock();
    const e = await start({ clock, faults: [{ kind: 'stall', afterMs: 1000 }] });
    const c = await connect(e);
    clock.advance(1000);
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: 'after the stall' } });
    await eventually(() => e.sessions[0].conversation.session.instructions === 'after the stall', 'the emulator to read the update');
    expect(c.of('session.updated')).toHaveLength(0);
    expect(c.closeCode).toBeUndefined();
    expect(e.openSessions()).toBe(1);
  });

  it('stall at 0 ms: not even session.created is sent', async () => {
    const e = await start({ clock: new FakeClock(), faults: [{ kind: 'stall', afterMs: 0 }] });
    const c = await connect(e, { waitForCreated: false });
    c.send({ type: 'session.update', session: { type: 'realtime', instructions: 'anyone there?' } });
    await eventually(() => e.sessions[0]?.conversation.session.instructions === 'anyone there?', 'the emulator to read the update');
    expect(c.events).toEqual([]);
    expect(e.openSessions()).toBe(1);
  });

  it('slowStart: the upgrade completes only after the delay', async () => {
    const clock = new FakeClock();
    const e = await start({ clock, faults: [{ kind: 'slowStart', afterMs: 3000 }] });
    const ws = new WebSocket(`${e.wsUrl}?model=gpt-realtime`, { headers: { Authorization: 'Bearer sk-good-key-123456' } });
    ws.on('error', () => {});
    await eventually(() => clock.pendingTimers > 0, 'the emulator to hold the upgrade');
    expect(ws.readyState).toBe(WebSocket.CONNECTING);
    clock.advance(3000);
    await eventually(() => ws.readyState === WebSocket.OPEN, 'the socket to open');
    ws.close();
  });

  it('slowStart: closing the emulator while it holds an upgrade ends that socket and leaves no timer', async () => {
    const clock = new FakeClock();
    const e = await start({ clock, faults: [{ kind: 'slowStart', afterMs: 60_000 }] });
    const ws = new WebSocket(`${e.wsUrl}?model=gpt-realtime`, { headers: { Authorization: 'Bearer sk-good-key-123456' } });
    ws.on('error', () => {});
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    await eventually(() => clock.pendingTimers > 0, 'the emulator to hold the upgrade');
    await e.close();
    expect(clock.pendingTimers).toBe(0);
    await closed;
    expect(e.sessions).toHaveLength(0);
  });

  it('error: the next response fails mid-way with a server_error event and response.done failed', async () => {
    const clock = new FakeClock();
    const e = await start({ clock, faults: [{ kind: 'error', afterMs: 10 }] });
    const c = await connect(e);
    clock.advance(10);
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'a sentence long enough for several chunks of audio' }] } });
    c.send({ type: 'response.create' });
    const done = await c.next('response.done');
    expect(done.response).toMatchObject({ status: 'failed', status_details: { type: 'failed', error: { type: 'server_error' } } });
    expect(c.of('error')[0].error).toMatchObject({ type: 'server_error', message: expect.stringContaining('The server had an error') });
    const deltas = c.of('response.output_audio.delta').length;
    expect(deltas).toBeGreaterThan(0);
    expect(c.events.indexOf(c.of('error')[0])).toBeGreaterThan(c.events.indexOf(c.of('response.output_audio.delta')[0]));
    // The session goes on: the next response completes.
    c.send({ type: 'conversation.item.create', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'again' }] } });
    c.send({ type: 'response.create' });
    expect((await c.next('response.done', () => true, 2)).response).toMatchObject({ status: 'completed' });
  });
});
