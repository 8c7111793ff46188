import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../audio/resample.js';
import { readWavChannels } from '../audio/wav.js';
import type { CallerEvent } from '../callers/transport.js';
import { FakeCallerTransport } from '../../test/fakes/caller-transport.js';
import { FakeClock, flush } from '../../test/fakes/clock.js';
import { RecordingLogger } from '../../test/fakes/logger.js';
import { eventually } from '../../test/helpers/wait.js';
import { Recordings } from './recordings.js';

/** A call's transport with a recording tap in front: the test plays the caller and the playout through it. */
function tapped(recordings: Recordings, callId: string) {
  const inner = new FakeCallerTransport();
  const tap = recordings.tap(callId, inner);
  const seen: CallerEvent[] = [];
  tap.setHandler((e) => seen.push(e));
  return { inner, tap, seen };
}

const dirs: string[] = [];
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-recs-'));
  dirs.push(d);
  return d;
};
const opened: Recordings[] = [];
afterEach(async () => {
  // Every recording finalized (its file written and closed) before its folder is removed: a file
  // still being opened would land in the folder while it is being emptied (ENOTEMPTY).
  for (const r of opened.splice(0)) await r.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function setUp(dir = path.join(tempDir(), 'recordings')) {
  const clock = new FakeClock();
  const logger = new RecordingLogger();
  const recordings = new Recordings({ dir, clock, logger, resamplers: await loadResamplerFactory() });
  opened.push(recordings);
  return { clock, logger, recordings, dir };
}

/** A finalized file: sizes match its length. */
const isFinalized = (file: Buffer) => file.readUInt32LE(4) === file.length - 8 && file.readUInt32LE(40) === file.length - 44;

describe('Recordings', () => {
  it('records a call into <dir>/<id>.wav (folder made as needed) and finalizes it when the call ends', async () => {
    const { clock, recordings, dir } = await setUp();
    const { inner, tap, seen } = tapped(recordings, 'c1');
    for (let i = 1; i <= 50; i++) {
      clock.advance(20);
      inner.speak(new Int16Array(160).fill(100), clock.nowMs());
      tap.sendAudio(new Int16Array(160).fill(-100));
      await flush();
    }
    // everything went through to the call and to the carrier
    expect(seen.filter((e) => e.type === 'audio')).toHaveLength(50);
    expect(inner.sent).toHaveLength(50);
    void recordings.finalize('c1');
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
    const { inner } = tapped(recordings, 'c2');
    await flush();
    clock.advance(20);
    inner.speak(new Int16Array(160).fill(5), clock.nowMs());
    await recordings.close();
    const file = fs.readFileSync(path.join(dir, 'c2.wav'));
    expect(isFinalized(file)).toBe(true);
    expect(file.length).toBe(44 + 160 * 4);
    expect(recordings.activeCount).toBe(0);
  });

  it('deleteRecording removes a recording (finalizing a live one first); unknown ids and paths are not files', async () => {
    const { recordings } = await setUp();
    tapped(recordings, 'c3');
    await flush();
    expect(await recordings.deleteRecording('c3')).toBe(true);
    expect(await recordings.sizeOf('c3')).toBeUndefined();
    expect(await recordings.deleteRecording('c3')).toBe(false);
    expect(recordings.fileName('../etc/passwd')).toBeUndefined();
    expect(recordings.fileName('a/b')).toBeUndefined();
    const inner = new FakeCallerTransport();
    expect(recordings.tap('../x', inner)).toBe(inner); // never a file outside the folder
    expect(await recordings.sizeOf('../c3')).toBeUndefined();
  });

  it('a folder that cannot be made logs an error, and the call events go on without throwing', async () => {
    const blocker = path.join(tempDir(), 'file');
    fs.writeFileSync(blocker, 'x');
    const { clock, recordings, logger } = await setUp(path.join(blocker, 'recordings'));
    const { inner, tap, seen } = tapped(recordings, 'c4');
    await eventually(() => logger.lines.some((l) => l.level === 'error' && /could not start/.test(l.msg)), 'the error logged');
    clock.advance(20);
    inner.speak(new Int16Array(160), clock.nowMs());
    tap.sendAudio(new Int16Array(160));
    expect(seen).toHaveLength(1);
    expect(inner.sent).toHaveLength(1);
    await recordings.finalize('c4');
    await recordings.close();
    expect(recordings.activeCount).toBe(0);
  });

  it('the tap passes a barge-in clear through and cuts the agent channel there; corked sends stay corked', async () => {
    const { clock, recordings, dir } = await setUp();
    const inner = Object.assign(new FakeCallerTransport(), { corks: 0, corked(send: () => void) { this.corks++; send(); } });
    const tap = recordings.tap('c5', inner);
    tap.setHandler(() => {});
    await flush();
    tap.corked!(() => {
      for (let i = 0; i < 10; i++) tap.sendAudio(new Int16Array(160).fill(7)); // 200 ms sent ahead at once
    });
    expect(inner.corks).toBe(1);
    clock.advance(100);
    tap.clearPlayback(); // the caller heard 100 ms of it
    expect(inner.clears).toBe(1);
    clock.advance(100);
    inner.speak(new Int16Array(160).fill(1), clock.nowMs());
    await recordings.finalize('c5');
    const { channels } = readWavChannels(fs.readFileSync(path.join(dir, 'c5.wav')));
    expect(channels[1].filter((x) => x === 7).length).toBe(800); // 100 ms at 8 kHz
    expect(Array.from(channels[1].subarray(800)).every((x) => x === 0)).toBe(true);
    expect(recordings.tap('c6', new FakeCallerTransport()).corked).toBeUndefined(); // no batching invented
  });
});
