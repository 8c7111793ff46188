import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { LocalSession } from './session.js';
import type { RecognitionStream, SpeechRecognizer } from './stt/recognizer.js';

/** A recognizer whose utterances finish only when the test says so; records aborts. */
class FakeRecognizer implements SpeechRecognizer {
  readonly sampleRateHz = 16000;
  readonly utterances: Array<{ aborted: boolean; finishing: boolean; samples: number; resolve?: (text: string) => void }> = [];
  begin(): RecognitionStream {
    const u: FakeRecognizer['utterances'][number] = { aborted: false, finishing: false, samples: 0 };
    this.utterances.push(u);
    return {
      push: (pcm) => void (u.samples += pcm.length),
      finish: () => new Promise<string>((resolve) => ((u.finishing = true), (u.resolve = resolve))),
      abort: () => {
        u.aborted = true;
        u.resolve?.('');
      },
    };
  }
  async close(): Promise<void> {}
}

function session(synthesize: (text: string, voice?: string, signal?: AbortSignal) => Promise<Int16Array> = async () => new Int16Array(160), reply = 'ok') {
  let speaking = false;
  const stt = new FakeRecognizer();
  const vad = { windowSamples: 512, sampleRateHz: 16000, probability: () => (speaking ? 0.9 : 0.05), reset() {}, close() {} };
  const s = new LocalSession({
    init: { callId: 'c', systemPrompt: '', history: [], logger: silentLogger },
    vad,
    stt,
    tts: { sampleRateHz: 16000, synthesize, close: async () => {} },
    responder: { name: 'fake', respond: async () => reply },
    endpointSilenceMs: 300,
  });
  s.setHandler(() => {});
  const talk = async (ms: number, voiced: boolean) => {
    speaking = voiced;
    for (let t = 0; t < ms; t += 20) s.sendAudio(new Int16Array(320));
    await new Promise((r) => setTimeout(r, 0));
  };
  return { s, stt, talk };
}

describe('LocalSession and the shared recognizers', () => {
  it('keeps one utterance being recognized at a time: a newer one supersedes the oldest', async () => {
    const { s, stt, talk } = session();
    for (let k = 0; k < 10; k++) {
      await talk(500, true);
      await talk(500, false);
    }
    expect(stt.utterances).toHaveLength(10);
    const pending = stt.utterances.filter((u) => u.finishing && !u.aborted);
    expect(pending).toHaveLength(1);
    expect(s.supersededUtterances).toBe(9);
    await s.close();
  });

  it('cancels the utterance being heard and the one being recognized when it closes', async () => {
    const { s, stt, talk } = session();
    await talk(500, true);
    await talk(500, false); // first utterance ended: being recognized
    await talk(500, true); // second: being heard
    expect(stt.utterances.map((u) => [u.finishing, u.aborted])).toEqual([[true, false], [false, false]]);
    await s.close();
    expect(stt.utterances.every((u) => u.aborted)).toBe(true);
  });

  it("hands the synthesizer the reply's abort signal, so a cut reply's sentences leave the shared queue", async () => {
    const signals: AbortSignal[] = [];
    const { s } = session(async (_text, _voice, signal) => {
      if (signal) signals.push(signal);
      return new Promise<Int16Array>(() => {});
    });
    s.sendText('tell me something long');
    await new Promise((r) => setTimeout(r, 0));
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.some((x) => x.aborted)).toBe(false);
    s.cancelResponse();
    expect(signals.every((x) => x.aborted)).toBe(true);
    await s.close();
  });

  it('drops the rest of a reply whose synthesis failed from the shared queue', async () => {
    const signals: AbortSignal[] = [];
    let calls = 0;
    const { s } = session(async (_text, _voice, signal) => {
      if (signal) signals.push(signal);
      if (calls++ === 0) throw new Error('flite worker exited');
      return new Promise<Int16Array>(() => {});
    }, 'First sentence. Second sentence. Third sentence.');
    const events: string[] = [];
    s.setHandler((e) => events.push(e.type));
    s.sendText('tell me three things');
    await new Promise((r) => setTimeout(r, 0));
    expect(events).toContain('error');
    expect(signals.length).toBeGreaterThan(1);
    expect(signals.every((x) => x.aborted)).toBe(true);
    await s.close();
  });
});
