/**
 * Reviewing calls on the web client's calls page in real headless Chromium (issue 13, "Done
 * when"): a server process (offline `local` model, RECORD_CALLS, ADMIN_TOKEN) takes two Twilio
 * calls of real speech with different words; the page finds one of them by a word only it
 * contains (the search is in the URL, so the link gives the same list), opens it, draws the
 * recording's waveform, lists the transcript on its timeline, and plays the recording from a
 * clicked transcript line; a screenshot goes to `test-output/screenshots/calls-review.png`. A
 * call's page opened by link without the admin token says so and shows the call once the token
 * is given; Delete removes the call.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSummary } from '../src/call/types.js';
import { simulateCall } from '../src/sim/simulate.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { useSpokenCallFixture } from './helpers/spoken-calls.js';

const SHOTS = path.resolve('test-output/screenshots');
const ADMIN_TOKEN = 'calls-review-admin-token-0123456789';
const RECORDINGS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-review-recordings-'));
afterAll(() => fs.rmSync(RECORDINGS_DIR, { recursive: true, force: true }));

// The page's globals, as the callbacks passed to page.evaluate / waitForFunction see them (the tests' TypeScript has no DOM).
declare const document: { querySelector(s: string): unknown; querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null }> };
interface PageAudio {
  currentTime: number;
  paused: boolean;
  addEventListener(type: string, fn: () => void): void;
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}

beforeAll(() => {
  // Build the web client from the current sources so the server serves it at /.
  const build = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
  fs.mkdirSync(SHOTS, { recursive: true });
}, 180_000);

const fx = useSpokenCallFixture({ VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 1, RECORD_CALLS: true, RECORDINGS_DIR, ADMIN_TOKEN });

/** Lower-case words of a text. */
const wordsOf = (text: string) => text.toLowerCase().match(/[a-z]+/g) ?? [];

/** A spoken Twilio call's record. */
async function spokenCall(text: string): Promise<CallSummary> {
  const input = await fx.speech.say(text, 'rms');
  const result = await simulateCall({ url: fx.srv.url, via: 'twilio', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000, adminToken: ADMIN_TOKEN });
  expect(result.summary, 'the call ended with a record').toBeDefined();
  return result.summary!;
}

let morning: CallSummary;
let fox: CallSummary;
beforeAll(async () => {
  morning = await spokenCall('Please say good morning to everyone');
  fox = await spokenCall('Please repeat after me the quick brown fox jumps over the lazy dog');
}, 240_000);

/** Opens `hash` on the server with the admin token already given (as a previous visit leaves it). */
async function open(browser: TestBrowser, hash: string): Promise<void> {
  await browser.page.goto(`${fx.srv.url}/`);
  await browser.page.evaluate((t) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('vb-admin-token', t), ADMIN_TOKEN);
  await browser.page.goto(`${fx.srv.url}/${hash}`);
}

describe('reviewing calls in Chromium', () => {
  it('finds a call by a word only it contains, draws its waveform and plays it from a transcript line', async () => {
    const theirs = new Set(fox.transcript.flatMap((t) => wordsOf(t.text)));
    const callerLine = morning.transcript.find((t) => t.role === 'user');
    const word = wordsOf(callerLine?.text ?? '').filter((w) => w.length >= 4 && !theirs.has(w)).sort((a, b) => b.length - a.length)[0];
    expect(word, `a word of "${callerLine?.text}" that the other call lacks`).toBeDefined();
    const browser = await launchBrowser();
    try {
      const page = browser.page;
      await open(browser, '#/calls');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=calls] tr[data-call]').length >= 2, undefined, { timeout: 15_000 });
      // search: exactly the call that contains the word, and the search is a link
      await page.fill('[data-testid=search]', word);
      await page.press('[data-testid=search]', 'Enter');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=calls] tr[data-call]').length === 1, undefined, { timeout: 15_000 });
      const listed = () => page.$$eval('[data-testid=calls] tr[data-call]', (rows) => rows.map((r) => r.getAttribute('data-call')));
      expect(await listed()).toEqual([morning.id]);
      expect(new URL(page.url()).hash).toBe(`#/calls?q=${word}`);
      await page.reload();
      await page.waitForSelector(`[data-testid=calls] tr[data-call="${morning.id}"]`, { timeout: 15_000 });
      expect(await listed()).toEqual([morning.id]);
      expect(await page.textContent('[data-testid=calls]')).toContain('caller hung up');

      // its page: the waveform drawn from the decoded recording, the transcript on the timeline
      await page.click('[data-testid=started]');
      await page.waitForSelector('[data-testid=waveform][data-drawn=true]', { timeout: 15_000 });
      const inked = await page.$eval('[data-testid=waveform]', (el) => {
        const c = el as unknown as PageCanvas;
        const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
        return { n, of: c.width * c.height };
      });
      expect(inked.n, 'ink on the waveform').toBeGreaterThan(inked.of * 0.02);
      const lines = await page.$$eval('[data-testid=transcript-line]', (els) => els.map((e) => ({ atMs: Number(e.getAttribute('data-at-ms')), text: (e as unknown as { textContent: string }).textContent })));
      expect(lines.length).toBe(morning.transcript.length);
      expect(lines.some((l) => l.text.toLowerCase().includes(word))).toBe(true);
      expect(await page.$$('.tick')).toHaveLength(morning.transcript.length);

      // a click on the last line plays the recording from there
      const last = lines.length - 1;
      await page.click(`[data-testid=transcript-line] >> nth=${last}`);
      const position = await page.$eval(
        '[data-testid=recording]',
        (el, fromS) => {
          const audio = el as unknown as PageAudio;
          return new Promise<{ at: number; paused: boolean }>((resolve) => {
            const check = () => !audio.paused && audio.currentTime > fromS + 0.25 && resolve({ at: audio.currentTime, paused: audio.paused });
            audio.addEventListener('timeupdate', check);
            check();
          });
        },
        lines[last].atMs / 1000,
      );
      expect(position.paused).toBe(false);
      expect(position.at).toBeGreaterThan(lines[last].atMs / 1000);
      await page.waitForSelector(`[data-testid=transcript-line].current >> nth=0`);
      await page.screenshot({ path: path.join(SHOTS, 'calls-review.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('pages through the calls with Older and Newest, with the totals of them all', async () => {
    const browser = await launchBrowser();
    try {
      const page = browser.page;
      const listed = () => page.$$eval('[data-testid=calls] tr[data-call]', (rows) => rows.map((r) => r.getAttribute('data-call')));
      await open(browser, '#/calls?per=1');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=calls] tr[data-call]').length === 1, undefined, { timeout: 15_000 });
      expect(await listed()).toEqual([fox.id]);
      expect(await page.textContent('[data-testid=totals]')).toMatch(/^2 calls/);
      await page.click('[data-testid=older]');
      await page.waitForSelector(`[data-testid=calls] tr[data-call="${morning.id}"]`, { timeout: 15_000 });
      expect(await listed()).toEqual([morning.id]);
      expect(await page.$('[data-testid=older]'), 'no page older than the first call').toBeNull();
      expect(await page.textContent('[data-testid=totals]')).toMatch(/^2 calls/);
      await page.click('[data-testid=newest]');
      await page.waitForSelector(`[data-testid=calls] tr[data-call="${fox.id}"]`, { timeout: 15_000 });
      expect(await listed()).toEqual([fox.id]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it("a call's page opened by link without the admin token says what is needed, then shows the call", async () => {
    const browser = await launchBrowser();
    try {
      const page = browser.page;
      await page.goto(`${fx.srv.url}/#/calls/${fox.id}`);
      await page.waitForSelector('.banner.error', { timeout: 15_000 });
      expect(await page.textContent('.banner.error')).toContain('admin token');
      expect(await page.$('[data-testid=facts]')).toBeNull();
      await page.fill('[data-testid=admin-token]', ADMIN_TOKEN);
      await page.waitForSelector('[data-testid=facts]', { timeout: 15_000 });
      await page.waitForSelector('.banner.error', { state: 'detached' });
      expect(await page.textContent('[data-testid=transcript]')).toMatch(/fox|dog|brown/i);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('deletes a call on request: the record and the recording are gone', async () => {
    const browser = await launchBrowser();
    try {
      const page = browser.page;
      await open(browser, `#/calls/${fox.id}`);
      await page.waitForSelector('[data-testid=delete-call]', { timeout: 15_000 });
      page.once('dialog', (d) => void d.accept());
      await page.click('[data-testid=delete-call]');
      await page.waitForFunction(() => (globalThis as unknown as { location: { hash: string } }).location.hash === '#/calls', undefined, { timeout: 15_000 });
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
      expect((await fetch(`${fx.srv.url}/calls/${fox.id}`, { headers: admin })).status).toBe(404);
      expect((await fetch(`${fx.srv.url}/calls/${fox.id}/recording.wav`, { headers: admin })).status).toBe(404);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
