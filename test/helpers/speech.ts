/**
 * Speech made at test time: flite voices synthesize the caller's words, pocketsphinx transcribes
 * what the caller heard back (phone-band audio with a phone-band-primed recognizer). Shared
 * engines per test file.
 */
import { loadResamplerFactory } from '../../src/audio/resample.js';
import { concatPcm16 } from '../../src/audio/pcm.js';
import { phoneBand } from '../../src/models/local/model.js';
import { PocketsphinxPool } from '../../src/models/local/stt/recognizer.js';
import { FlitePool } from '../../src/models/local/tts/synthesizer.js';

/** Test speech engines. */
export class TestSpeech {
  readonly tts = new FlitePool(1);
  private readonly wide = new PocketsphinxPool(1);
  private readonly narrow = new PocketsphinxPool(1);
  private primed = false;

  /** 16 kHz speech for `text`, with `padMs` of silence before and after. */
  async say(text: string, voice = 'rms', padMs = 300): Promise<Int16Array> {
    const pad = new Int16Array((16000 * padMs) / 1000);
    return concatPcm16([pad, await this.tts.synthesize(text, voice), pad]);
  }

  /** Transcribes PCM16 at `rateHz` (resampled to 16 kHz). */
  async transcribe(pcm: Int16Array, rateHz: number): Promise<string> {
    const f = await loadResamplerFactory();
    if (!this.primed) {
      const calibration = await this.tts.synthesize('Hello, this is a short sentence to calibrate the speech recognizer.', 'slt');
      this.wide.setPrimingAudio(calibration);
      this.narrow.setPrimingAudio(phoneBand(calibration, f));
      this.primed = true;
    }
    const r = f.create(rateHz, 16000, 7);
    const pcm16 = r.process(pcm);
    r.destroy();
    const s = (rateHz <= 8000 ? this.narrow : this.wide).begin();
    for (let i = 0; i < pcm16.length; i += 3200) s.push(pcm16.slice(i, i + 3200));
    return s.finish();
  }

  async close(): Promise<void> {
    await Promise.all([this.tts.close(), this.wide.close(), this.narrow.close()]);
  }
}
