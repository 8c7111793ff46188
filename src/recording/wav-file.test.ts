import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readWavChannels } from '../audio/wav.js';
import { RecordingLogger } from '../../test/fakes/logger.js';
import { WavFileWriter } from './wav-file.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-wav-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('WavFileWriter', () => {
  it('streams blocks to disk and patches the RIFF and data sizes on finish', async () => {
    const file = path.join(tempDir(), 'a.wav');
    const logger = new RecordingLogger();
    const w = await WavFileWriter.open(file, { channels: 2, sampleRateHz: 8000, logger });
    // while it runs, the header says "unknown size" (streaming) and blocks are on disk as they come
    expect(fs.readFileSync(file).readUInt32LE(40)).toBe(0xffffffff - 36);
    for (let i = 0; i < 50; i++) expect(w.append(Int16Array.of(i, -i, i, -i))).toBe(true);
    expect(await w.finish()).toBe(50 * 8);
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBe(44 + 400);
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(bytes.readUInt32LE(40)).toBe(400);
    const { channels } = readWavChannels(bytes);
    expect(Array.from(channels[0].subarray(0, 4))).toEqual([0, 0, 1, 1]);
    expect(Array.from(channels[1].subarray(0, 4))).toEqual([0, 0, -1, -1]);
    expect(w.append(Int16Array.of(1, 1))).toBe(false); // finished
    expect(await w.finish()).toBe(400); // idempotent
    expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('cannot create a file in a folder that is not there: open throws, nothing else happens', async () => {
    const notAFolder = path.join(tempDir(), 'file');
    fs.writeFileSync(notAFolder, 'x');
    await expect(WavFileWriter.open(path.join(notAFolder, 'a.wav'), { channels: 2, sampleRateHz: 8000, logger: new RecordingLogger() })).rejects.toThrow(/ENOTDIR|ENOENT/);
  });

  it.skipIf(!fs.existsSync('/dev/full'))('a disk that fails a write stops the file once, logged, and appends are dropped without throwing', async () => {
    const logger = new RecordingLogger();
    // /dev/full: every write fails with ENOSPC (opening it works)
    const w = await WavFileWriter.open('/dev/full', { channels: 2, sampleRateHz: 8000, logger }).catch((err) => err as Error);
    if (w instanceof Error) {
      // the header write already failed: open reports it
      expect(w.message).toMatch(/ENOSPC/);
      return;
    }
    w.append(new Int16Array(320));
    await w.finish();
    expect(w.failure).toMatch(/ENOSPC/);
    expect(w.append(new Int16Array(320))).toBe(false);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });

  it('more than maxPendingBytes waiting for the disk stops the file (bounded memory)', async () => {
    const logger = new RecordingLogger();
    const w = await WavFileWriter.open(path.join(tempDir(), 'b.wav'), { channels: 2, sampleRateHz: 8000, logger, maxPendingBytes: 1000 });
    // the first block goes to the disk at once; the next ones wait for it, and the third is too much
    expect(w.append(new Int16Array(400))).toBe(true);
    expect(w.append(new Int16Array(400))).toBe(true);
    expect(w.append(new Int16Array(400))).toBe(false);
    expect(w.failure).toMatch(/disk too slow/);
    const bytes = await w.finish();
    expect(bytes).toBeGreaterThanOrEqual(800);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
  });
});
