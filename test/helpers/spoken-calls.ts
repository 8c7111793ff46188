/**
 * The shared set-up of test files that hold spoken calls against a server process: the server,
 * the test speech engines and resamplers, started before the file's tests and stopped after.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { loadResamplerFactory, type ResamplerFactory } from '../../src/audio/resample.js';
import { startServerProcess, type ServerProcess } from './server-process.js';
import { TestSpeech } from './speech.js';

/** A server process's settings (environment variables). */
type ServerSettings = Record<string, string | number | boolean>;

/** What a test file of spoken calls shares: a server process, the test speech engines, resamplers. */
export interface SpokenCallFixture {
  srv: ServerProcess;
  speech: TestSpeech;
  resamplers: ResamplerFactory;
}

/**
 * Registers the file's `beforeAll`/`afterAll`: starts a server process with `settings` (or what
 * `settings()` returns then, e.g. with the URL of an emulator a `beforeAll` registered earlier
 * started) and the speech engines before its tests, and afterwards stops them, expecting the
 * server to exit 0. The returned object's fields are set once `beforeAll` has run (read them
 * inside tests).
 */
export function useSpokenCallFixture(settings: ServerSettings | (() => ServerSettings)): SpokenCallFixture {
  const fx = {} as SpokenCallFixture;
  beforeAll(async () => {
    fx.srv = await startServerProcess(typeof settings === 'function' ? settings() : settings);
    fx.speech = new TestSpeech();
    fx.resamplers = await loadResamplerFactory();
  }, 120_000);
  afterAll(async () => {
    expect(await fx.srv?.stop()).toBe(0);
    await fx.speech?.close();
  });
  return fx;
}
