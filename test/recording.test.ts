/**
 * Call recordings (RECORD_CALLS) end to end, against real server processes and real Twilio-protocol
 * calls of real speech: the stereo WAV parses with the right sizes, the caller's speech is on the
 * left where they spoke and the agent's reply on the right; a barge-in is a cut on the right; a
 * server stopped (SIGTERM) with a call live leaves a finalized WAV; a folder that cannot be written
 * leaves calls working and says so in the log; the route is for admins only and serves byte ranges.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { voicedMs } from '../src/audio/level.js';
import { connectCaller } from '../src/sim/clients.js';
import { liveCallOf, simulateCall, voicedSpans } from '../src/sim/simulate.js';
import { parseFinalized, levelBetween } from './helpers/recording-wav.js';
import { startServerProcess } from './helpers/server-process.js';
import { useSpokenCallFixture } from './helpers/spoken-calls.js';
import { eventually } from './helpers/wait.js';

const ADMIN_TOKEN = 'recording-test-admin-token';
const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-recordings-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const RECORDINGS_DIR = tempDir();
const fx = useSpokenCallFixture({ VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 1, RECORD_CALLS: true, RECORDINGS_DIR, ADMIN_TOKEN });
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe('call recordings via Twilio', () => {
  it('a spoken call leaves a stereo WAV: the caller on the left where they spoke, the reply on the right', async () => {
    const input = await fx.speech.say('Please say good morning to everyone', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via: 'twilio', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000, adminToken: ADMIN_TOKEN });
    const id = result.summary!.id;
    // finalized once the call ended (the summary is listed when it has)
    const res = await eventually(async () => {
      const r = await fetch(`${fx.srv.url}/calls/${id}/recording.wav`, { headers: admin });
      if (r.status !== 200) return undefined;
      const body = Buffer.from(await r.arrayBuffer());
      return body.readUInt32LE(40) === body.length - 44 ? { r, body } : undefined;
    }, 'a finalized recording');
    expect(res.r.headers.get('content-type')).toBe('audio/wav');
    expect(res.body.equals(fs.readFileSync(path.join(RECORDINGS_DIR, `${id}.wav`)))).toBe(true);
    const { channels: [left, right], sampleRateHz } = parseFinalized(res.body);
    expect(sampleRateHz).toBe(8000);
    // about as long as the call
    expect(Math.abs((left.length / sampleRateHz) * 1000 - result.durationMs)).toBeLessThan(1500);
    // the caller's speech is on the left, where it was spoken (the first frame went out as the call started)
    const said = voicedSpans(fx.resamplers.create(16000, 8000, 7).process(input), 8000)[0];
    const recorded = voicedSpans(left, 8000)[0];
    expect(recorded, 'caller speech on the left').toBeDefined();
    expect(Math.abs(recorded[0] - said[0]), `caller speech starts at ${recorded[0]} ms, said at ${said[0]} ms`).toBeLessThan(400);
    expect(Math.abs(recorded[1] - recorded[0] - (said[1] - said[0]))).toBeLessThan(300);
    // the reply is on the right, after the caller's words, about as much of it as the caller heard
    const replyVoicedMs = voicedMs(right, 8000);
    const heardVoicedMs = voicedMs(result.heard, result.sampleRateHz);
    expect(replyVoicedMs).toBeGreaterThan(1000);
    expect(Math.abs(replyVoicedMs - heardVoicedMs), `right channel ${replyVoicedMs} ms voiced, caller heard ${heardVoicedMs} ms`).toBeLessThan(0.2 * heardVoicedMs + 200);
    const replyStart = voicedSpans(right, 8000, -45, 300)[0][0];
    expect(replyStart).toBeGreaterThan(recorded[1]);
    // the caller's side is silent on the right channel while they spoke (no leak between channels)
    expect(levelBetween(right, 8000, recorded[0], recorded[1])).toBeLessThan(-60);
    // a privacy request deletes the record and the recording
    const del = await fetch(`${fx.srv.url}/calls/${id}`, { method: 'DELETE', headers: admin });
    expect(del.status).toBe(204);
    expect(fs.existsSync(path.join(RECORDINGS_DIR, `${id}.wav`)), 'recording file deleted').toBe(false);
    expect((await fetch(`${fx.srv.url}/calls/${id}/recording.wav`, { headers: admin })).status).toBe(404);
    expect((await fetch(`${fx.srv.url}/calls/${id}`, { headers: admin })).status).toBe(404);
  });

  it('a barge-in is a cut on the right channel: the reply stops where the caller stopped hearing it', async () => {
    const input = await fx.speech.say('Please say the quick brown fox jumps over the lazy dog and runs all the way home to the farm', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via: 'twilio', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, bargeInAfterReplyMs: 1200, maxTailMs: 15_000, adminToken: ADMIN_TOKEN });
    const call = result.summary!;
    const b = call.bargeInEvents[0];
    expect(b, 'barge-in happened').toBeDefined();
    const file = await eventually(() => {
      const p = path.join(RECORDINGS_DIR, `${call.id}.wav`);
      const body = fs.existsSync(p) ? fs.readFileSync(p) : undefined;
      return body && body.readUInt32LE(40) === body.length - 44 ? body : undefined;
    }, 'a finalized recording');
    const { channels: [left, right] } = parseFinalized(file);
    const reply = voicedSpans(right, 8000, -45, 300)[0];
    expect(reply).toBeDefined();
    // on the right, the reply plays for about what the server says was heard, then is silent while
    // the caller talks over it (the interjection is 1.5 s of the caller's speech on the left)
    const cutMs = reply[0] + b.heardMs;
    expect(levelBetween(right, 8000, reply[0], cutMs - 100)).toBeGreaterThan(-40);
    expect(levelBetween(right, 8000, cutMs + 150, cutMs + 900), `right channel after the cut at ${cutMs} ms`).toBeLessThan(-60);
    expect(levelBetween(left, 8000, cutMs + 150, cutMs + 900), 'the caller talking over it on the left').toBeGreaterThan(-40);
  });

  it('the route is for admins, 404s a call without a recording, and serves byte ranges', async () => {
    const [id] = fs.readdirSync(RECORDINGS_DIR).map((f) => f.replace(/\.wav$/, ''));
    expect(id).toBeDefined();
    expect((await fetch(`${fx.srv.url}/calls/${id}/recording.wav`)).status).toBe(401);
    expect((await fetch(`${fx.srv.url}/calls/${id}/recording.wav`, { headers: { authorization: 'Bearer not-the-admin-token' } })).status).toBe(401);
    const missing = await fetch(`${fx.srv.url}/calls/00000000-0000-0000-0000-000000000000/recording.wav`, { headers: admin });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toMatch(/no recording/);
    expect((await fetch(`${fx.srv.url}/calls/..%2F..%2Fetc%2Fpasswd/recording.wav`, { headers: admin })).status).toBe(404);
    const part = await fetch(`${fx.srv.url}/calls/${id}/recording.wav`, { headers: { ...admin, range: 'bytes=0-43' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toMatch(/^bytes 0-43\/\d+$/);
    expect(Buffer.from(await part.arrayBuffer()).toString('ascii', 36, 40)).toBe('data');
  });
});

describe('call recordings at shutdown and on a bad disk (loopback model: the caller hears themself)', () => {
  it('a server stopped with SIGTERM during a call leaves a finalized stereo WAV', async () => {
    const dir = tempDir();
    const srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, RECORD_CALLS: true, RECORDINGS_DIR: dir, DRAIN_TIMEOUT_MS: 500 });
    const caller = await connectCaller({ url: srv.url, via: 'twilio' });
    // a tone the caller keeps sending until the server goes away
    const frame = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    const sender = setInterval(() => caller.sendFrame(frame), 20);
    try {
      const live = await eventually(() => liveCallOf(srv.url, caller), 'the call is live');
      await eventually(() => caller.playout.endMs > 0 && fs.existsSync(path.join(dir, `${live.id}.wav`)) && fs.statSync(path.join(dir, `${live.id}.wav`)).size > 44 + 8000 * 4, 'a second of the call on disk', 30_000);
      expect(await srv.stop()).toBe(0);
      const { channels: [left, right], sampleRateHz } = parseFinalized(fs.readFileSync(path.join(dir, `${live.id}.wav`)));
      expect(sampleRateHz).toBe(8000);
      expect(voicedMs(left, 8000)).toBeGreaterThan(800);
      expect(voicedMs(right, 8000)).toBeGreaterThan(200);
    } finally {
      clearInterval(sender);
      await srv.stop();
    }
  });

  it('a recording left unfinished by a killed server (SIGKILL mid-call) is finalized when the server starts again', async () => {
    const dir = tempDir();
    const settings = { VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, RECORD_CALLS: true, RECORDINGS_DIR: dir };
    const srv = await startServerProcess(settings);
    const caller = await connectCaller({ url: srv.url, via: 'twilio' });
    const frame = Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    const sender = setInterval(() => caller.sendFrame(frame), 20);
    let file = '';
    try {
      const live = await eventually(() => liveCallOf(srv.url, caller), 'the call is live');
      file = path.join(dir, `${live.id}.wav`);
      await eventually(() => fs.existsSync(file) && fs.statSync(file).size > 44 + 8000 * 4, 'a second of the call on disk', 30_000);
      srv.child.kill('SIGKILL');
      await srv.stop();
    } finally {
      clearInterval(sender);
    }
    expect(fs.readFileSync(file).readUInt32LE(40), 'unfinished: "size unknown"').toBe(0xffffffff - 36);
    const again = await startServerProcess(settings);
    try {
      const { channels: [left] } = parseFinalized(fs.readFileSync(file));
      expect(voicedMs(left, 8000)).toBeGreaterThan(800);
    } finally {
      expect(await again.stop()).toBe(0);
    }
    // Two server start-ups (each warms its models) and up to 30 s waiting for the file: more than the
    // default 60 s on a machine busy with other work.
  }, 180_000);

  it('a recordings folder that cannot be written is logged and the call goes on', async () => {
    const notAFolder = path.join(tempDir(), 'a-file');
    fs.writeFileSync(notAFolder, 'not a folder');
    const srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', BARGE_IN_VAD: false, RECORD_CALLS: true, RECORDINGS_DIR: path.join(notAFolder, 'recordings') });
    try {
      const input = await fx.speech.say('Hello there', 'rms');
      const result = await simulateCall({ url: srv.url, via: 'twilio', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 5000 });
      expect(voicedMs(result.heard, result.sampleRateHz), 'the caller heard the loopback').toBeGreaterThan(300);
      expect(result.summary?.reason).toBe('stop'); // the caller hung up: the call was not ended by the recording
      await eventually(() => srv.output().includes('call recording could not start'), 'the failure in the log');
      expect((await fetch(`${srv.url}/calls/${result.summary!.id}/recording.wav`)).status).toBe(404);
    } finally {
      expect(await srv.stop()).toBe(0);
    }
  });
});
