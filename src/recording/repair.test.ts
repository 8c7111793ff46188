import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_WAV_DATA_BYTES, pcm16WavHeader, readWavChannels } from '../audio/wav.js';
import { RecordingLogger } from '../../test/fakes/logger.js';
import { repairUnfinished, unfinishedDataBytes } from './repair.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('unfinished recordings', () => {
  it('unfinishedDataBytes: whole stereo frames after the header of a file still marked "size unknown"', () => {
    const streaming = pcm16WavHeader(2, 8000, MAX_WAV_DATA_BYTES);
    expect(unfinishedDataBytes(streaming, 44 + 1003)).toBe(1000); // a torn last frame is dropped
    expect(unfinishedDataBytes(streaming, 44)).toBe(0);
    expect(unfinishedDataBytes(pcm16WavHeader(2, 8000, 1000), 44 + 1000)).toBeUndefined(); // finalized
    expect(unfinishedDataBytes(Buffer.from('RIFF'), 4)).toBeUndefined();
    expect(unfinishedDataBytes(Buffer.alloc(44), 100)).toBeUndefined();
  });

  it('repairUnfinished patches a file a dead process left, leaves others alone, and tolerates a missing folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-repair-'));
    dirs.push(dir);
    const samples = Buffer.from(Int16Array.of(1, -1, 2, -2, 3, -3).buffer);
    fs.writeFileSync(path.join(dir, 'dead.wav'), Buffer.concat([pcm16WavHeader(2, 8000, MAX_WAV_DATA_BYTES), samples, Buffer.from([9])]));
    const fine = Buffer.concat([pcm16WavHeader(2, 8000, samples.length), samples]);
    fs.writeFileSync(path.join(dir, 'fine.wav'), fine);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a recording');
    const logger = new RecordingLogger();
    expect(await repairUnfinished(dir, logger)).toBe(1);
    const repaired = fs.readFileSync(path.join(dir, 'dead.wav'));
    expect(repaired.readUInt32LE(4)).toBe(repaired.length - 8);
    expect(repaired.readUInt32LE(40)).toBe(12);
    expect(readWavChannels(repaired).channels.map((c) => Array.from(c))).toEqual([[1, 2, 3], [-1, -2, -3]]);
    expect(fs.readFileSync(path.join(dir, 'fine.wav')).equals(fine)).toBe(true);
    expect(await repairUnfinished(dir, logger)).toBe(0); // nothing left to do
    expect(await repairUnfinished(path.join(dir, 'missing'), logger)).toBe(0);
  });
});
