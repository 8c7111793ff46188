/**
 * Pipecat's own web client against voicebridge, in real headless Chromium: `@pipecat-ai/client-js`
 * 1.13.1 with `@pipecat-ai/small-webrtc-transport` 1.10.8 from npm, bundled for the page by
 * esbuild (test/fixtures/pipecat-page/), served from another origin than the server (so CORS and
 * its preflight are exercised), talking to a real server process on the offline model through a
 * fake microphone playing speech made at test time. The client reaches `ready` (RTVI
 * `client-ready` → `bot-ready`), the caller's words come back as a final user transcript, the
 * reply as bot text and audible audio, talking over the reply stops the bot's audio within 150 ms
 * of the server's barge-in notice (measured on the page's audio clock), and a client disconnect
 * ends the call on the server at once.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallSummary } from '../src/call/types.js';
import { fetchSummary } from '../src/sim/simulate.js';
import { launchBrowser, type TestBrowser } from './helpers/browser.js';
import { freePort, startServerProcess, type ServerProcess } from './helpers/server-process.js';
import { TestSpeech } from './helpers/speech.js';
import { eventually } from './helpers/wait.js';
import { words } from './helpers/wer.js';

const PAGE_SOURCES = path.resolve('test/fixtures/pipecat-page');
const FIRST = 'Please repeat after me the quick brown fox jumps over the lazy dog near the river';
const SECOND = 'Stop, stop, please stop now.';
/** RMS of the bot's audio that counts as audible (-40 dBFS) and as silent (-60 dBFS). */
const AUDIBLE_RMS = 0.01;
const SILENT_RMS = 0.001;

/** What the page records (test/fixtures/pipecat-page/main.js). */
interface PageRecord {
  states: string[];
  botReady: { version: string } | null;
  userTranscripts: { text: string; final: boolean; timestamp: string; user_id: string }[];
  botOutputs: { text: string; aggregated_by: string }[];
  botTranscripts: { text: string }[];
  llmText: string;
  events: string[];
  serverMessages: { type: string }[];
  errors: string[];
  levels: [number, number][];
  clearsAt: number[];
  callId: string | null;
}

// The page's globals, as the callbacks passed to page.waitForFunction / page.evaluate see them.
declare const window: {
  __pc: PageRecord & { client: { disconnect(): Promise<void> } };
  startPipecat(url: string): Promise<unknown>;
};

let srv: ServerProcess;
let pageServer: http.Server;
let pageUrl: string;
let bundleDir: string;
let first: Int16Array;
let second: Int16Array;

/** Serves the test page and its bundle from `dir` on 127.0.0.1 (another origin than the server). */
async function servePage(dir: string): Promise<{ server: http.Server; url: string }> {
  const port = await freePort();
  const server = http.createServer((req, res) => {
    const name = req.url === '/bundle.js' ? 'bundle.js' : 'index.html';
    res.writeHead(200, { 'content-type': name.endsWith('.js') ? 'text/javascript' : 'text/html' });
    res.end(fs.readFileSync(path.join(dir, name)));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${port}` };
}

beforeAll(async () => {
  bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-pipecat-page-'));
  await build({ entryPoints: [path.join(PAGE_SOURCES, 'main.js')], bundle: true, format: 'iife', platform: 'browser', outfile: path.join(bundleDir, 'bundle.js'), logLevel: 'error' });
  fs.copyFileSync(path.join(PAGE_SOURCES, 'index.html'), path.join(bundleDir, 'index.html'));
  ({ server: pageServer, url: pageUrl } = await servePage(bundleDir));
  srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'local', WEBRTC_BIND_ADDRESS: '127.0.0.1', CORS_ORIGINS: pageUrl });
  const speech = new TestSpeech();
  first = await speech.say(FIRST, 'rms');
  second = await speech.say(SECOND, 'rms');
  await speech.close();
}, 180_000);

afterAll(async () => {
  pageServer?.close();
  if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
  const code = await srv?.stop();
  expect(code, srv?.output().slice(-3000)).toBe(0);
});

describe('the Pipecat web client (client-js 1.13.1, SmallWebRTC 1.10.8) in Chromium', () => {
  let browser: TestBrowser;
  afterAll(async () => {
    await browser?.close();
  });

  it('gets ready, is heard and answered, is interrupted within 150 ms, and its disconnect ends the call', async () => {
    browser = await launchBrowser();
    const page = browser.page;
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(pageUrl);
    const connectUrl = `${srv.url}/connect`;
    const ready = (await page.evaluate((url) => window.startPipecat(url), connectUrl)) as { version: string };
    expect(ready.version).toBe('2.1.0');
    let rec = (await page.evaluate(() => window.__pc)) as unknown as PageRecord;
    expect(rec.states).toEqual(expect.arrayContaining(['authenticating', 'authenticated', 'connecting', 'connected', 'ready']));
    expect(rec.states.indexOf('ready')).toBeGreaterThan(rec.states.indexOf('connected'));
    // The call id comes as a server message once the client is ready.
    await page.waitForFunction(() => window.__pc.callId !== null, null, { timeout: 20_000 });

    await browser.say(first, 16000);
    await page.waitForFunction(() => window.__pc.userTranscripts.some((t) => t.final), null, { timeout: 30_000 });
    // The reply is being heard: bot text, and audible audio for a second of the page's audio clock.
    await page.waitForFunction(
      (audible) => window.__pc.levels.filter(([, rms]) => rms > audible).length * (128 / 48000) >= 1,
      AUDIBLE_RMS,
      { timeout: 45_000 },
    );
    await page.waitForFunction(() => window.__pc.botOutputs.length > 0 || window.__pc.llmText.length > 0, null, { timeout: 20_000 });
    // The caller talks over the reply: the server clears the bot's audio and says so.
    void browser.say(second, 16000).catch(() => {});
    await page.waitForFunction(() => window.__pc.clearsAt.length > 0, null, { timeout: 30_000 });
    // Level measurements covering 1 s of audio after the clear.
    await page.waitForFunction(() => window.__pc.levels.some(([t]) => t > window.__pc.clearsAt[0] + 1), null, { timeout: 15_000 });
    rec = (await page.evaluate(() => {
      const { client: _client, ...record } = window.__pc;
      return record;
    })) as unknown as PageRecord;

    const finals = rec.userTranscripts.filter((t) => t.final);
    expect(words(finals[0].text), `heard "${finals[0].text}"`).toEqual(expect.arrayContaining(['quick', 'brown', 'fox', 'lazy', 'dog']));
    expect(Number.isNaN(Date.parse(finals[0].timestamp))).toBe(false);
    expect(rec.events).toEqual(expect.arrayContaining(['user-started-speaking', 'user-stopped-speaking', 'bot-started-speaking', 'bot-stopped-speaking']));
    // The bot's answer as text: streamed (bot-llm-text) and as a spoken sentence segment (bot-output,
    // and the deprecated bot-transcription that pages made from Pipecat's template show).
    expect(rec.llmText.trim().length).toBeGreaterThan(0);
    expect(rec.botOutputs[0]).toMatchObject({ text: expect.stringMatching(/\w/), aggregated_by: 'sentence' });
    expect(rec.botTranscripts[0].text).toBe(rec.botOutputs[0].text);

    // Audible before the clear, silent soon after: the first quantum from which the bot's audio stays
    // below -60 dBFS for the next 500 ms of audio, measured from the clear on the same audio clock.
    const clearAt = rec.clearsAt[0];
    const before = rec.levels.filter(([t]) => t < clearAt);
    expect(before.filter(([, rms]) => rms > AUDIBLE_RMS).length * (128 / 48000), 'reply audible before the barge-in (s)').toBeGreaterThanOrEqual(1);
    const after = rec.levels.filter(([t]) => t >= clearAt);
    const silentFrom = after.find(([t]) => after.filter(([u]) => u >= t && u < t + 0.5).every(([, rms]) => rms < SILENT_RMS));
    expect(silentFrom, 'the bot audio went silent after the clear').toBeDefined();
    const stopMs = (silentFrom![0] - clearAt) * 1000;
    console.log(`pipecat client: heard "${finals[0].text}", bot audio silent ${stopMs.toFixed(1)} ms after the clear (audio clock)`);
    expect(stopMs).toBeLessThanOrEqual(150);

    // The client hangs up: the server's call ends at once (its data channel closed), not when the
    // inbound-audio watchdog or ICE would notice.
    const callId = rec.callId!;
    const liveCalls = async () => ((await (await fetch(`${srv.url}/calls`)).json()) as { live: { id: string }[] }).live.map((c) => c.id);
    expect(await liveCalls()).toContain(callId);
    await page.evaluate(() => window.__pc.client.disconnect());
    const summary = (await fetchSummary(srv.url, (c) => c.id === callId, 10_000)) as CallSummary;
    expect(summary, 'the call ended').toBeDefined();
    expect(['datachannel-closed', 'peer-closed']).toContain(summary.reason);
    console.log(`pipecat client: the call ended with ${summary.reason} after the client disconnected`);
    expect(summary.kind).toBe('webrtc');
    expect(summary.bargeInEvents.length).toBeGreaterThan(0);
    await eventually(async () => !(await liveCalls()).includes(callId), 'the call to leave /calls', 5000);
    expect(rec.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
