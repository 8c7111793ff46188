/**
 * `voicebridge call` against real servers: it refuses an unwritable `--out` before calling, exits 1
 * with the reason when the call ended in an error (Nova Sonic unreachable), brought no reply
 * (silence in, silence out) or was refused (an unsigned answer webhook), goes through the answer
 * webhook as the carrier does, and on a terminal shows a live progress line with the transcript as
 * it grows (phone protocol: polled from the server's live call list).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../src/audio/wav.js';
import { runCall, type CallIo } from '../src/cli/call.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { TestSpeech } from './helpers/speech.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-call-'));
let local: ServerProcess;
let speech: TestSpeech;

beforeAll(async () => {
  local = await startServerProcess({ VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 1 });
  speech = new TestSpeech();
}, 120_000);

afterAll(async () => {
  await local?.stop();
  await speech?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Captures what `runCall` writes. */
function capture(live: boolean): { io: CallIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) =>
    new Writable({
      write(chunk, _e, done) {
        add(chunk.toString());
        done();
      },
    });
  return { io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), live }, out: () => out, err: () => err };
}

function wavFile(name: string, pcm: Int16Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, writeWav(pcm, 16000));
  return file;
}

/** One second of a 440 Hz tone at 16 kHz, written as `name`; returns its path. */
function toneWav(name: string): string {
  return wavFile(name, new Int16Array(16000).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 16000))));
}

describe('voicebridge call', () => {
  it('refuses an --out it cannot write before calling anyone', async () => {
    const c = capture(false);
    const code = await runCall({ url: 'http://127.0.0.1:1', via: 'twilio', in: wavFile('x.wav', new Int16Array(1600)), out: path.join(dir, 'missing-folder', 'heard.wav') }, c.io);
    expect(code).toBe(2);
    expect(c.err()).toMatch(/cannot write --out .*heard\.wav: the folder .*missing-folder does not exist/);
    expect(c.err()).not.toMatch(/cannot reach/);
  });

  it('exits 1 and says why when the call ends in an error', async () => {
    const nova = await startServerProcess({ VOICEBRIDGE_MODEL: 'nova-sonic', NOVA_ENDPOINT: 'http://127.0.0.1:1', NOVA_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', NOVA_MAX_RETRIES: 0 });
    try {
      const c = capture(false);
      const code = await runCall({ url: nova.url, via: 'twilio', in: toneWav('tone.wav'), out: path.join(dir, 'err.wav') }, c.io);
      expect(code).toBe(1);
      expect(c.err()).toMatch(/call failed: the call ended in an error: model-open-failed/);
    } finally {
      await nova.stop();
    }
  });

  it('exits 1 and says why when the call brings no reply', async () => {
    const c = capture(false);
    const code = await runCall({ url: local.url, via: 'vonage', in: wavFile('silence.wav', new Int16Array(16000 * 2)), out: path.join(dir, 'silence-heard.wav'), 'reply-timeout': '3' }, c.io);
    expect(code).toBe(1);
    expect(c.err()).toMatch(/call failed: no reply: the caller heard only silence \(the server did not recognise any speech/);
    expect(fs.existsSync(path.join(dir, 'silence-heard.wav'))).toBe(true);
  });

  it('goes through the answer webhook, signed with the server\'s TWILIO_AUTH_TOKEN, and says so when the server refuses', async () => {
    const signed = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', TWILIO_AUTH_TOKEN: 'the-account-auth-token', BARGE_IN_VAD: false });
    try {
      const tone = toneWav('echo-tone.wav');
      const ok = capture(false);
      expect(await runCall({ url: signed.url, via: 'twilio', in: tone, out: path.join(dir, 'echo.wav'), 'reply-timeout': '5' }, ok.io, { TWILIO_AUTH_TOKEN: 'the-account-auth-token' }), ok.err()).toBe(0);
      const refused = capture(false);
      expect(await runCall({ url: signed.url, via: 'twilio', in: tone, out: path.join(dir, 'refused.wav') }, refused.io, {})).toBe(1);
      expect(refused.err()).toMatch(/refused the call: the Twilio answer webhook answered 403: missing X-Twilio-Signature/);
    } finally {
      await signed.stop();
    }
  });

  it('reads the call record with the server\'s ADMIN_TOKEN when it has one, and names the end reason', async () => {
    const guarded = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', ADMIN_TOKEN: 'the-admin-token-0123456789', BARGE_IN_VAD: false });
    try {
      const tone = toneWav('admin-tone.wav');
      const run = capture(false);
      expect(await runCall({ url: guarded.url, via: 'twilio', in: tone, out: path.join(dir, 'admin.wav'), 'reply-timeout': '5' }, run.io, { ADMIN_TOKEN: 'the-admin-token-0123456789' }), run.err()).toBe(0);
      // The summary (and so its end reason) comes from GET /calls, which needs the admin token here.
      expect(run.out()).toMatch(/"endReason": "/);
    } finally {
      await guarded.stop();
    }
  });

  it('shows a live progress line and the transcript as it arrives on a terminal', async () => {
    const c = capture(true);
    const input = wavFile('speech.wav', await speech.say('What is seven plus five?', 'rms'));
    const code = await runCall({ url: local.url, via: 'vonage', in: input, out: path.join(dir, 'speech-heard.wav') }, c.io);
    expect(code, c.err()).toBe(0);
    const out = c.out();
    expect(out).toMatch(/\r\x1b\[2K {2}0:0\d\.\d {2}caller speaking/);
    expect(out).toMatch(/\r\x1b\[2K {2}0:\d\d\.\d {2}(agent speaking|waiting)/);
    // The caller's line was printed while the call ran (between progress frames), once, before the report.
    const callerLine = out.indexOf('caller: ');
    expect(callerLine).toBeGreaterThan(0);
    expect(out.indexOf('caller: ', callerLine + 1)).toBe(-1);
    expect(out.slice(callerLine)).toMatch(/^caller: [^\n]*seven[^\n]*\n[\s\S]*\r\x1b\[2K {2}0:/);
    expect(out.indexOf('"via": "vonage"')).toBeGreaterThan(callerLine);
  });
});
