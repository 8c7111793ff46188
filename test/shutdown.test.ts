/**
 * Shutdown of a real server process as an orchestrator or an impatient user does it: SIGTERM
 * starts the drain, and a second SIGTERM during the drain ends every call at once, politely:
 * WebSocket callers get close 1001 with a reason (never 1006), browsers `session.ended`, the log
 * says what happened, and the process exits 0.
 */
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { answerTwilioCall } from '../src/sim/webhooks.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { eventually } from './helpers/wait.js';

let srv: ServerProcess | undefined;
afterAll(async () => {
  if (srv && srv.child.exitCode === null) srv.child.kill('SIGKILL');
});

interface Client {
  name: string;
  ws: WebSocket;
  texts: string[];
  closed: Promise<{ code: number; reason: string }>;
}

async function connect(name: string, path: string, first?: string): Promise<Client> {
  const ws = new WebSocket(`${srv!.url.replace('http', 'ws')}${path}`);
  const texts: string[] = [];
  ws.on('message', (d, isBinary) => {
    if (!isBinary) texts.push(d.toString());
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (first) ws.send(first);
  return { name, ws, texts, closed };
}

const liveCalls = async () => ((await (await fetch(`${srv!.url}/stats`)).json()) as { calls: number }).calls;

describe('a second SIGTERM during the drain', () => {
  it('ends every call at once with close 1001 and a reason, tells browsers, logs it, and exits 0', async () => {
    // A drain far longer than the test: only the second signal can end these calls.
    srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, DRAIN_TIMEOUT_MS: 600_000, LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => srv!.child.once('exit', (code, signal) => r({ code, signal })));
    // The Twilio stream needs the one-time token its answer webhook hands out.
    const { parameters } = await answerTwilioCall(srv.url, { callSid: 'CA1' });
    const twilioStart = JSON.stringify({ event: 'start', streamSid: 'MZ1', start: { callSid: 'CA1', customParameters: parameters, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } });
    const calls = [
      await connect('pcm 1', '/ws?callerId=one'),
      await connect('pcm 2', '/ws?callerId=two'),
      await connect('browser', '/client', JSON.stringify({ type: 'session.start', sampleRateHz: 16000 })),
      await connect('twilio', '/twilio/media', twilioStart),
    ];
    await eventually(async () => (await liveCalls()) === calls.length, 'every call to be live');
    // A socket whose stream has not started yet is not a call, but is told too.
    const notStarted = await connect('twilio before start', '/twilio/media');

    srv.child.kill('SIGTERM');
    await eventually(() => srv!.output().includes('shutting down: draining calls'), 'the drain to begin');
    await eventually(async () => (await fetch(`${srv!.url}/ready`)).status === 503, '/ready to turn 503');
    for (const c of calls) expect(c.ws.readyState, `${c.name} still talking during the drain`).toBe(WebSocket.OPEN);

    srv.child.kill('SIGTERM');
    for (const c of [...calls, notStarted]) {
      const closed = await c.closed;
      expect(closed, c.name).toEqual({ code: 1001, reason: 'server shutting down' });
    }
    const browser = calls[2].texts.map((t) => JSON.parse(t) as { type: string; reason?: string });
    expect(browser.find((m) => m.type === 'session.ended')).toEqual({ type: 'session.ended', reason: 'server shutting down' });
    expect(await exited).toEqual({ code: 0, signal: null });
    const lines = srv.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; calls?: number });
    expect(lines.find((l) => l.msg.startsWith('second SIGTERM during the drain'))).toMatchObject({ calls: 4 });
    expect(lines.filter((l) => l.msg === 'call ended')).toHaveLength(4);
  }, 60_000);
});
