/**
 * End to end in real headless Chromium (Debian `chromium` through playwright-core) against a real
 * server process on the offline model, with a fake microphone playing speech made at test time.
 * For WebRTC and for WebSocket: the page connects, the caller's words appear in the transcript,
 * the reply is heard (the page's WebAudio analyser on the received audio), and talking over the
 * reply (once it has been audible for a second, however long it took to come) stops playback. Screenshots of the talk page mid-conversation and of the calls page go to
 * `test-output/screenshots/`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import NodeWebSocket from 'ws';
import { fetchSummary } from '../src/sim/simulate.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { TestSpeech } from './helpers/speech.js';
import { words } from './helpers/wer.js';

const SHOTS = path.resolve('test-output/screenshots');
const FIRST = 'Please repeat after me the quick brown fox jumps over the lazy dog near the river';
const SECOND = 'Stop, stop, please stop now.';

let srv: ServerProcess;
/** The caller's two utterances, 16 kHz: a request with a long reply, then words spoken over it. */
let first: Int16Array;
let second: Int16Array;

interface Hooks {
  state: string;
  callId: string | null;
  transcript: { role: string; text: string; final: boolean; turn: number }[];
  turns: { turn: number; replyLatencyMs: number | null; interrupted: boolean }[];
  levels: { t: number; inDb: number; outDb: number }[];
  clears: number[];
  errors: string[];
}

// The page's globals, as the callbacks passed to page.waitForFunction / page.evaluate see them.
declare const window: { __vb?: Hooks; WebSocket: typeof WebSocket };
declare const document: { documentElement: { scrollWidth: number; clientWidth: number } };

beforeAll(async () => {
  // Build the web client from the current sources so the server serves it at /.
  const build = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'local', WEBRTC_BIND_ADDRESS: '127.0.0.1' });
  const speech = new TestSpeech();
  first = await speech.say(FIRST, 'rms');
  second = await speech.say(SECOND, 'rms');
  await speech.close();
  fs.mkdirSync(SHOTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  const code = await srv?.stop();
  expect(code, srv?.output().slice(-3000)).toBe(0);
});

describe.each(['webrtc', 'websocket'] as const)('the talk page over %s in Chromium', (transport) => {
  let browser: TestBrowser;
  afterAll(async () => {
    await browser?.close();
  });

  it('hears the caller, plays the reply, and stops playback on barge-in', async () => {
    browser = await launchBrowser();
    const page = browser.page;
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${srv.url}/?transport=${transport}&aec=0`);
    await page.click('[data-testid=connect]');
    await page.waitForFunction(() => window.__vb?.state === 'listening', null, { timeout: 30_000 });
    await browser.say(first, 16000);
    // The first reply is being heard: the assistant's transcript and audible output, for a second.
    await page.waitForFunction(() => (window.__vb?.levels ?? []).filter((l) => l.outDb > -45).length * 50 >= 1000, null, { timeout: 45_000 });
    await page.waitForFunction(() => (window.__vb?.transcript ?? []).some((t) => t.role === 'assistant'), null, { timeout: 20_000 });
    await page.screenshot({ path: path.join(SHOTS, `talk-${transport}.png`) });
    // The caller talks over the reply: the server clears playback.
    void browser.say(second, 16000).catch(() => {});
    await page.waitForFunction(() => (window.__vb?.clears.length ?? 0) > 0, null, { timeout: 30_000 });
    // Level samples (every 50 ms) covering 1.5 s after the clear.
    await page.waitForFunction(() => (window.__vb?.levels ?? []).some((l) => l.t > window.__vb!.clears[0] + 1500), null, { timeout: 15_000 });
    const vb = (await page.evaluate(() => window.__vb)) as unknown as Hooks;

    const userFinals = vb.transcript.filter((t) => t.role === 'user' && t.final).map((t) => t.text);
    expect(words(userFinals[0] ?? ''), `heard "${userFinals[0]}"`).toEqual(expect.arrayContaining(['quick', 'brown', 'fox', 'lazy', 'dog']));
    expect(vb.transcript.some((t) => t.role === 'assistant')).toBe(true);

    // The reply was heard: the analyser on the received audio saw speech before the barge-in.
    const clearAt = vb.clears[0];
    const before = vb.levels.filter((l) => l.t < clearAt);
    const audibleMs = before.filter((l) => l.outDb > -45).length * 50;
    expect(audibleMs, 'reply audible before the barge-in').toBeGreaterThanOrEqual(1000);
    expect(Math.max(...before.map((l) => l.outDb))).toBeGreaterThan(-30);

    // Barge-in stopped playback: output goes quiet after the clear and stays quiet for the next
    // 600 ms, although the reply had more to say (the server dropped queued audio; checked below
    // against the call record). How fast it goes quiet is a figure for benchmarks, logged here.
    const after = vb.levels.filter((l) => l.t > clearAt);
    const quietAt = after.find((l) => l.outDb < -50)?.t;
    expect(quietAt, 'playback stopped').toBeDefined();
    const stopMs = quietAt! - clearAt;
    expect(after.filter((l) => l.t > quietAt! && l.t < quietAt! + 600).every((l) => l.outDb < -40)).toBe(true);
    console.log(`${transport}: caller words in ${userFinals[0] ? 'transcript' : '-'}, reply audible ${audibleMs} ms, playback silent ${Math.round(stopMs)} ms after the clear, turn latencies ${vb.turns.map((t) => t.replyLatencyMs).join('/')} ms`);
    expect(vb.turns.some((t) => t.interrupted)).toBe(true);
    expect(pageErrors).toEqual([]);

    await page.click('[data-testid=hangup]');
    await page.waitForFunction(() => window.__vb?.state === 'ended', null, { timeout: 5000 });
    const summary = await fetchSummary(srv.url, (c) => c.id === vb.callId, 10_000);
    const b = summary?.bargeInEvents[0];
    expect(summary?.kind).toBe(transport === 'webrtc' ? 'webrtc' : 'browser');
    expect(b, 'the call summary records the barge-in').toBeDefined();
    expect(b!.droppedMs, 'the reply had more to say').toBeGreaterThan(300);
    // Playback went quiet before the dropped rest of the reply would have finished playing.
    expect(stopMs).toBeLessThan(b!.droppedMs);
  }, 90_000);
});

describe('the calls page in Chromium', () => {
  it('lists recent calls with their transcripts', async () => {
    const browser = await launchBrowser();
    try {
      const page = browser.page;
      await page.goto(`${srv.url}/#/calls`);
      await page.waitForSelector('[data-testid=calls] tbody tr', { timeout: 10_000 });
      await page.click('[data-testid=calls] tbody tr');
      await page.waitForSelector('tr.detail .line.user');
      const text = await page.textContent('[data-testid=calls]');
      expect(text).toContain('webrtc');
      expect(text).toContain('browser');
      expect(text?.toLowerCase()).toContain('quick brown fox');
      // End reasons in plain words (codes stay in the API), and a start time on every call.
      expect(text).toContain('caller hung up');
      expect(text).not.toMatch(/caller-ended|datachannel-closed|socket-closed/);
      const started = await page.$$eval('[data-testid=started]', (cells) => cells.map((c) => c.textContent ?? ''));
      expect(started.length).toBeGreaterThan(0);
      for (const s of started) expect(s).toMatch(/\d{1,2}:\d{2}/);
      await page.screenshot({ path: path.join(SHOTS, 'calls.png') });
      // A phone-sized screen: the layout stacks into one column and stays readable.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${srv.url}/`);
      await page.waitForSelector('[data-testid=connect]');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, 'no horizontal scrolling on a phone').toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(SHOTS, 'talk-phone.png') });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('says so clearly when the server is unreachable', async () => {
    const browser = await launchBrowser();
    try {
      const page = browser.page;
      await page.goto(`${srv.url}/?transport=websocket`);
      await page.waitForSelector('[data-testid=connect]');
      // The page loaded; now the server "goes away" for the WebSocket and the offer.
      await page.route('**/webrtc/offer', (r) => r.abort());
      await page.evaluate(() => {
        const Native = window.WebSocket;
        window.WebSocket = class extends Native {
          constructor(url: string | URL) {
            super(String(url).replace(/:\d+\//, ':1/'));
          }
        };
      });
      await page.click('[data-testid=connect]');
      await page.waitForSelector('[role=alert]', { timeout: 10_000 });
      expect(await page.textContent('[role=alert]')).toMatch(/unreachable/i);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe('model choice', () => {
  it('starts a browser session on the model it asks for, and on the default for an unknown one', async () => {
    const health = (await (await fetch(`${srv.url}/health`)).json()) as { model: string; models: { id: string; voices: string[] }[] };
    expect(health.models.map((m) => m.id)).toEqual(['local', 'loopback']);
    expect(health.models[0].voices).toContain('slt');
    const started = async (model: string): Promise<string> => {
      const ws = new NodeWebSocket(`${srv.url.replace('http', 'ws')}/client`);
      const m = await new Promise<{ model: string }>((resolve, reject) => {
        ws.on('open', () => ws.send(JSON.stringify({ type: 'session.start', model, voice: 'awb' })));
        ws.on('message', (data, isBinary) => {
          if (isBinary) return;
          const msg = JSON.parse(String(data));
          if (msg.type === 'session.started') resolve(msg);
        });
        ws.on('error', reject);
      });
      ws.close();
      return m.model;
    };
    expect(await started('loopback')).toBe('loopback');
    expect(await started('no-such-model')).toBe('local');
  });
});
