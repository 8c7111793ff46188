/**
 * The embedded call store across a restart (issue 13, "Done when"): a server process on the
 * default store (PGlite in DATA_DIR, no DATABASE_URL) with RECORD_CALLS and the offline `local`
 * model takes a Twilio call of real speech, is stopped with SIGTERM and started again on the same
 * DATA_DIR; the new server still has the call's record with the caller's words, and its stereo
 * recording with both sides audible; the record's spoken turn has plausible timings.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { voicedMs } from '../src/audio/level.js';
import { loadResamplerFactory } from '../src/audio/resample.js';
import type { CallSummary } from '../src/call/types.js';
import { simulateCall } from '../src/sim/simulate.js';
import { parseFinalized } from './helpers/recording-wav.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { TestSpeech } from './helpers/speech.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-store-restart-'));
const running: ServerProcess[] = [];
const speech = new TestSpeech();
afterAll(async () => {
  for (const s of running) await s.stop();
  await speech.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const settings = { VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 1, RECORD_CALLS: true, DATA_DIR: dataDir };
async function serve(): Promise<ServerProcess> {
  const s = await startServerProcess(settings);
  running.push(s);
  return s;
}

describe('the embedded store across a restart (SIGTERM, then a new server on the same DATA_DIR)', () => {
  it('keeps a spoken Twilio call: its record has the caller\'s words and its recording both sides', async () => {
    const resamplers = await loadResamplerFactory();
    const first = await serve();
    const stats = (await (await fetch(`${first.url}/stats`)).json()) as { store: { backend: string } };
    expect(stats.store.backend, 'the embedded default store').toBe('pglite');
    const input = await speech.say('Please say good morning to everyone', 'rms');
    const result = await simulateCall({ url: first.url, via: 'twilio', samples: input, sampleRateHz: 16000, resamplers, maxTailMs: 15_000 });
    const id = result.summary!.id;
    const heardBefore = result.summary!.transcript.find((t) => t.role === 'user');
    expect(heardBefore?.text, 'the local model heard the caller').toMatch(/morning|everyone/i);
    expect(await first.stop()).toBe(0);
    expect(first.output()).not.toMatch(/were not written/);

    const second = await serve();
    const res = await fetch(`${second.url}/calls/${id}`);
    expect(res.status).toBe(200);
    const record = (await res.json()) as CallSummary;
    expect(record).toMatchObject({ id, kind: 'twilio', model: 'local', error: false });
    expect(record.transcript.find((t) => t.role === 'user')?.text).toMatch(/morning|everyone/i);
    expect(record.transcript.some((t) => t.role === 'assistant' && t.text.length > 0), 'the reply is in the transcript').toBe(true);
    // The spoken turn's timings (definitions: TurnRecord, README "Reply latency and turn timings"):
    // plausible and consistent with each other, not timing targets.
    const turn = record.turns.find((t) => /morning|everyone/i.test(t.userText))!;
    const spokenMs = (input.length * 1000) / 16000 - 2 * 300; // TestSpeech pads 300 ms each side
    console.log(`spoken turn (utterance ${Math.round(spokenMs)} ms): ${JSON.stringify({ ...turn, userText: undefined, assistantText: undefined })}`);
    expect(turn.atMs, 'the caller started speaking after the call started').toBeGreaterThan(0);
    expect(turn.callerSpeechMs, `caller speech ≈ the ${Math.round(spokenMs)} ms utterance`).toBeGreaterThan(spokenMs * 0.5);
    expect(turn.callerSpeechMs).toBeLessThan(spokenMs + 1500);
    expect(turn.endpointingMs, 'the local model waited some silence').toBeGreaterThan(0);
    expect(turn.firstAudioMs).toBeGreaterThan(0);
    expect(turn.replyLatencyMs!, 'heard no sooner than it reached the server').toBeGreaterThanOrEqual(turn.firstAudioMs!);
    expect(turn.replyMs, 'reply audio heard').toBeGreaterThan(500);
    expect(turn.replyAtMs!, 'heard after the caller stopped speaking').toBeGreaterThan(turn.atMs! + turn.callerSpeechMs!);
    // The local model is free and reports no usage; it had no renewal or error.
    expect(record).not.toHaveProperty('costUsd');
    expect(record.events).toEqual([]);

    const wav = await fetch(`${second.url}/calls/${id}/recording.wav`);
    expect(wav.status).toBe(200);
    expect(wav.headers.get('content-type')).toBe('audio/wav');
    const { channels: [left, right], sampleRateHz } = parseFinalized(Buffer.from(await wav.arrayBuffer()));
    expect(sampleRateHz).toBe(8000);
    expect(voicedMs(left, 8000), 'the caller on the left').toBeGreaterThan(800);
    expect(voicedMs(right, 8000), 'the reply on the right').toBeGreaterThan(500);
    expect(await second.stop()).toBe(0);
  });
});
