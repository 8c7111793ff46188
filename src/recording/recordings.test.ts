import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../audio/resample.js';
import { readWavChannels } from '../audio/wav.js';
import type { CallEvents, CallSummary } from '../call/types.js';
import { FakeClock, flush } from '../../test/fakes/clock.js';
import { RecordingLogger } from '../../test/fakes/logger.js';
import { eventually } from '../../test/helpers/wait.js';
import { Recordings } from './recordings.js';

/** The parts of a call a recording listens to. */
class FakeCall extends EventEmitter<CallEvents> {
  constructor(readonly id: string, readonly startedAtMs = 0, readonly callerRateHz = 8000, readonly agentRateHz = 8000) {
    super();
  }
}

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-recs-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function setUp(dir = path.join(tempDir(), 'recordings')) {
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  const recordings = new Recordings({ dir, clock, logger, resamplers: await loadResamplerFactory() });
  return { clock, logger, recordings, dir };
}

/** A finalized file: sizes match its length. */
const isFinalized = (file: Buffer) => file.readUInt32LE(4) === file.length - 8 && file.readUInt32LE(40) === file.length - 44;

describe('Recordings', () => {
  it('records a call into <dir>/<id>.wav (folder made as needed) and finalizes it when the call ends', async () => {
    const { clock, recordings, dir } = await setUp();
    const call = new FakeCall('c1');
    recordings.record(call);
    for (let i = 1; i <= 50; i++) {
      clock.advance(20);
      call.emit('callerAudio', new Int16Array(160).fill(100), clock.nowMs());
      call.emit('agentAudio', new Int16Array(160).fill(-100), clock.nowMs());
      await flush();
    }
    call.emit('ended', {} as CallSummary);
    const file = await eventually(() => {
      const f = path.join(dir, 'c1.wav');
      const b = fs.existsSync(f) ? fs.readFileSync(f) : undefined;
      return b && isFinalized(b) ? b : undefined;
    }, 'the finalized file');
    const { channels } = readWavChannels(file);
    expect(channels[0].length).toBeGreaterThanOrEqual(8000);
    expect(channels[0].filter((x) => x === 100).length).toBe(8000);
    expect(channels[1].filter((x) => x === -100).length).toBe(8000);
    expect(await recordings.sizeOf('c1')).toBe(file.length);
    expect(recordings.activeCount).toBe(0);
  });

  it('close() finalizes recordings of calls still live and waits for them (the shutdown path)', async () => {
    const { clock, recordings, dir } = await setUp();
    const call = new FakeCall('c2');
    recordings.record(call);
    await flush();
    clock.advance(20);
    call.emit('callerAudio', new Int16Array(160).fill(5), clock.nowMs());
    await recordings.close();
    const file = fs.readFileSync(path.join(dir, 'c2.wav'));
    expect(isFinalized(file)).toBe(true);
    expect(file.length).toBe(44 + 160 * 4);
    expect(recordings.activeCount).toBe(0);
  });

  it('deleteRecording removes a recording (finalizing a live one first); unknown ids and paths are not files', async () => {
    const { recordings } = await setUp();
    const call = new FakeCall('c3');
    recordings.record(call);
    await flush();
    expect(await recordings.deleteRecording('c3')).toBe(true);
    expect(await recordings.sizeOf('c3')).toBeUndefined();
    expect(await recordings.deleteRecording('c3')).toBe(false);
    expect(recordings.fileName('../etc/passwd')).toBeUndefined();
    expect(recordings.fileName('a/b')).toBeUndefined();
    expect(await recordings.sizeOf('../c3')).toBeUndefined();
  });

  it('a folder that cannot be made logs an error, and the call events go on without throwing', async () => {
    const blocker = path.join(tempDir(), 'file');
    fs.writeFileSync(blocker, 'x');
    const { clock, recordings, logger } = await setUp(path.join(blocker, 'recordings'));
    const call = new FakeCall('c4');
    recordings.record(call);
    await eventually(() => logger.lines.some((l) => l.level === 'error' && /could not start/.test(l.msg)), 'the error logged');
    clock.advance(20);
    call.emit('callerAudio', new Int16Array(160), clock.nowMs());
    call.emit('ended', {} as CallSummary);
    await recordings.close();
    expect(recordings.activeCount).toBe(0);
  });
});
