import { describe, expect, it } from 'vitest';
import { RecordingLogger } from '../../test/fakes/logger.js';
import type { SpeechSynthesizer } from '../models/local/tts/synthesizer.js';
import { holdPhrase } from './hold-phrase.js';

class FakeSynth implements SpeechSynthesizer {
  readonly sampleRateHz = 16000;
  texts: string[] = [];
  closed = false;
  async synthesize(text: string) {
    this.texts.push(text);
    return new Int16Array(320);
  }
  async close() { this.closed = true; }
}

describe('holdPhrase', () => {
  it('synthesises the phrase once, on the first prepare, and closes the synthesiser', async () => {
    const synths: FakeSynth[] = [];
    const phrase = holdPhrase('One moment.', 1500, async () => (synths.push(new FakeSynth()), synths.at(-1)!), new RecordingLogger());
    expect(phrase.audio()).toBeUndefined();
    expect(synths).toHaveLength(0);
    await Promise.all([phrase.prepare(), phrase.prepare()]);
    await phrase.prepare();
    expect(synths).toHaveLength(1);
    expect(synths[0]).toMatchObject({ texts: ['One moment.'], closed: true });
    expect(phrase.audio()).toEqual({ pcm: new Int16Array(320), sampleRateHz: 16000 });
    expect(phrase.afterMs).toBe(1500);
  });

  it('warns once and stays silent when the synthesiser cannot start', async () => {
    const logger = new RecordingLogger();
    const phrase = holdPhrase('One moment.', 1500, async () => { throw new Error('flite missing'); }, logger);
    await phrase.prepare();
    await phrase.prepare();
    expect(phrase.audio()).toBeUndefined();
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });
});
