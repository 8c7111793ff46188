/**
 * The web client's calls page in real headless Chromium under the admin rule: a user on the
 * server's own machine sees the list with nothing to enter; with `ADMIN_TOKEN` set the page says
 * why it cannot list calls, offers an admin-token field, and lists them once it is filled in.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResamplerFactory } from '../src/audio/resample.js';
import { simulateCall } from '../src/sim/simulate.js';
import { launchBrowser } from './helpers/browser.js';
import { startServerProcess, type ServerProcess } from './helpers/server-process.js';

const ADMIN = 'admin-token-0123456789abcdef';
const servers: ServerProcess[] = [];

beforeAll(() => {
  // Build the web client from the current sources so the server serves it at /.
  const build = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
}, 180_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
});

async function start(settings: Record<string, string> = {}): Promise<ServerProcess> {
  const s = await startServerProcess({ VOICEBRIDGE_MODEL: 'loopback', ...settings });
  servers.push(s);
  return s;
}

describe('the calls page', () => {
  it('lists calls for a user on this machine with no token at all', async () => {
    const srv = await start();
    const browser = await launchBrowser();
    try {
      await browser.page.goto(`${srv.url}/#/calls`);
      await browser.page.waitForSelector('text=No calls yet', { timeout: 15_000 });
      expect(await browser.page.$('.banner.error')).toBeNull();
      expect(await browser.page.$('[data-testid=admin-token]')).toBeNull();
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('asks for the admin token when ADMIN_TOKEN is set, and lists calls with it', async () => {
    const srv = await start({ ADMIN_TOKEN: ADMIN });
    const browser = await launchBrowser();
    try {
      await browser.page.goto(`${srv.url}/#/calls`);
      await browser.page.waitForSelector('.banner.error', { timeout: 15_000 });
      expect(await browser.page.textContent('.banner.error')).toContain('admin token');
      await browser.page.fill('[data-testid=admin-token]', ADMIN);
      await browser.page.waitForSelector('text=No calls yet', { timeout: 15_000 });
      await browser.page.waitForSelector('.banner.error', { state: 'detached', timeout: 15_000 });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('plays the recording of a recorded call (RECORD_CALLS), fetched with the admin token', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-page-recordings-'));
    const srv = await start({ ADMIN_TOKEN: ADMIN, RECORD_CALLS: 'true', RECORDINGS_DIR: dir, BARGE_IN_VAD: 'false' });
    const browser = await launchBrowser();
    try {
      // a short loopback call: a tone the caller hears back
      const tone = Int16Array.from({ length: 16000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / 16000)));
      const call = await simulateCall({ url: srv.url, via: 'twilio', samples: tone, sampleRateHz: 16000, resamplers: await loadResamplerFactory(), maxTailMs: 4000, adminToken: ADMIN });
      expect(call.summary).toBeDefined();
      await browser.page.goto(`${srv.url}/#/calls`);
      await browser.page.fill('[data-testid=admin-token]', ADMIN);
      await browser.page.click('[data-testid=started]');
      await browser.page.waitForSelector('[data-testid=recording]', { timeout: 15_000 });
      const durationS = await browser.page.$eval('[data-testid=recording]', (el) => {
        // the page's audio element (the test's types have no DOM)
        const audio = el as unknown as { readyState: number; duration: number; error: { code: number } | null; addEventListener(type: string, fn: () => void): void };
        return new Promise<number>((resolve, reject) => {
          if (audio.readyState >= 1) return resolve(audio.duration);
          audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
          audio.addEventListener('error', () => reject(new Error(`audio error ${audio.error?.code}`)));
        });
      });
      expect(durationS).toBeGreaterThan(0.5);
    } finally {
      await browser.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
