/**
 * The web client's Monitor panel (`#/monitor`) in real headless Chromium: with `ADMIN_TOKEN` set
 * it says why it shows nothing and offers the admin-token field; with the token it shows the
 * figures, counts a live Twilio caller (a held-open media stream, loopback model) with every tile
 * filled, and drops back to no calls once the caller hangs up, refreshing by itself. The panel
 * with the call live is screenshot into `test-output/screenshots/monitor.png`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCaller } from '../src/sim/clients.js';
import { launchBrowser } from './helpers/browser.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

const ADMIN = 'admin-token-monitor-page-0123456789';
const SHOTS = path.resolve('test-output/screenshots');
let srv: ServerProcess | undefined;

beforeAll(() => {
  // Build the web client from the current sources so the server serves it at /.
  const build = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
}, 180_000);

afterAll(async () => {
  await srv?.stop();
});

/** A page condition: the tile `id` shows exactly `text` (a string for the page: the tests have no DOM types). */
const tileIs = (id: string, text: string) => `document.querySelector('[data-testid=${id}]')?.textContent === ${JSON.stringify(text)}`;

describe('the monitor panel', () => {
  it('asks for the admin token, then shows a live call with its figures and the drop to none when it ends', async () => {
    srv = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', ADMIN_TOKEN: ADMIN });
    const browser = await launchBrowser();
    try {
      const { page } = browser;
      await page.goto(`${srv.url}/#/monitor`);
      await page.waitForSelector('.banner.error', { timeout: 15_000 });
      expect(await page.textContent('.banner.error')).toContain('admin token');
      expect(await page.textContent('nav a.active')).toBe('Monitor');
      await page.fill('[data-testid=admin-token]', ADMIN);
      await page.waitForFunction(tileIs('active-calls', '0'), undefined, { timeout: 15_000 });
      await page.waitForSelector('.banner.error', { state: 'detached', timeout: 15_000 });

      const caller = await connectCaller({ url: srv.url, via: 'twilio', ignoreMedia: true });
      try {
        await page.waitForFunction(tileIs('active-calls', '1'), undefined, { timeout: 15_000 });
        const text = async (id: string) => (await page.textContent(`[data-testid=${id}]`)) ?? '';
        expect(await page.textContent('.tile .detail')).toBe('1 twilio');
        expect(await text('cpu')).toMatch(/^\d+ %$/);
        expect(await text('loop-lag')).toMatch(/^\d+(\.\d)? ms$/);
        expect(await text('reply-latency')).toBe('— / —'); // loopback: no turns
        expect(await text('underruns')).toMatch(/^\d+ \/ \d+$/);
        expect(await text('rss')).toMatch(/^[1-9]\d* MB$/);
        expect(await text('store-backlog')).toMatch(/^\d+$/);
        fs.mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, 'monitor.png') });
      } finally {
        await caller.hangup();
      }
      await page.waitForFunction(tileIs('active-calls', '0'), undefined, { timeout: 15_000 });
      expect(await page.textContent('.tile .detail')).toBe('none live');
    } finally {
      await browser.close();
    }
  }, 90_000);
});
