/**
 * Checks on call recordings (RECORD_CALLS) shared by the test files that read them: a finalized
 * stereo WAV's header sizes, and loudness over a stretch of one channel.
 */
import { expect } from 'vitest';
import { dbfs } from '../../src/audio/level.js';
import { readWavChannels } from '../../src/audio/wav.js';

/**
 * Checks a finalized recording's header sizes against its length (RIFF size = length − 8, data
 * size = length − 44, 2 channels of 16-bit samples), and returns its channels as `readWavChannels` does.
 * Fails the test (vitest `expect`) when the file is not a finalized stereo WAV.
 */
export function parseFinalized(file: Buffer): ReturnType<typeof readWavChannels> {
  expect(file.toString('ascii', 0, 4)).toBe('RIFF');
  expect(file.readUInt32LE(4), 'RIFF size = file length − 8').toBe(file.length - 8);
  expect(file.readUInt32LE(40), 'data size = file length − 44').toBe(file.length - 44);
  expect(file.readUInt16LE(22), 'stereo').toBe(2);
  expect((file.length - 44) % 4).toBe(0);
  const wav = readWavChannels(file);
  expect(wav.channels).toHaveLength(2);
  return wav;
}

/** Loudness of `pcm` (at `rateHz`) between `fromMs` and `toMs`, dBFS. */
export const levelBetween = (pcm: Int16Array, rateHz: number, fromMs: number, toMs: number): number =>
  dbfs(pcm.subarray(Math.round((fromMs * rateHz) / 1000), Math.round((toMs * rateHz) / 1000)));
