/**
 * Real headless Chromium (Debian's `chromium`, driven by playwright-core) with a fake microphone
 * the test plays clips into when it chooses (`TestBrowser.say`): the page's `getUserMedia` gets a
 * WebAudio `MediaStreamAudioDestinationNode`'s stream, silent until a clip plays. A test can so
 * talk over a reply once the reply is audible, however slow a busy machine makes the reply,
 * which a fixed WAV timeline (`--use-file-for-fake-audio-capture`) cannot. The flags that work
 * are in webrtc.md §2 (autoplay, fake media, no sandbox).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian installs Chromium (`apt-get install chromium`). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A browser with a fake microphone. */
export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /**
   * Plays `pcm` (mono PCM16 at `sampleRateHz`) into the page's microphone; resolves when it has
   * been played. The page must have loaded (any page of the server).
   */
  say(pcm: Int16Array, sampleRateHz: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Runs in every page before its scripts: the controllable microphone (`window.__mic.say(base64
 * PCM16, rateHz)`), and `getUserMedia({audio})` answered with its stream. Plain JavaScript: the
 * tests' TypeScript has no DOM types.
 */
const INSTALL_MICROPHONE = `(() => {
  let mic;
  const open = () => {
    if (!mic) {
      const ctx = new AudioContext({ sampleRate: 48000 });
      const dest = ctx.createMediaStreamDestination();
      // A real microphone never stops: without a source the track yields no audio at all, so
      // WebRTC would send no packets between clips and the server would never hear the pause.
      const floor = ctx.createConstantSource();
      floor.offset.value = 0;
      floor.connect(dest);
      floor.start();
      mic = { ctx, dest };
    }
    return mic;
  };
  window.__mic = {
    async say(b64, rateHz) {
      const { ctx, dest } = open();
      await ctx.resume();
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const pcm = new Int16Array(bytes.buffer);
      const buffer = ctx.createBuffer(1, pcm.length, rateHz);
      const f = buffer.getChannelData(0);
      for (let i = 0; i < pcm.length; i++) f[i] = pcm[i] / 32768;
      const source = ctx.createBufferSource();
      source.buffer = buffer;
      source.connect(dest);
      await new Promise((resolve) => {
        source.onended = resolve;
        source.start();
      });
    },
  };
  const devices = navigator.mediaDevices;
  const native = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    if (!constraints || !constraints.audio || constraints.video) return native(constraints);
    const { ctx, dest } = open();
    await ctx.resume();
    return new MediaStream(dest.stream.getAudioTracks().map((t) => t.clone()));
  };
})();`;

/**
 * Launches Chromium with the controllable microphone (see `TestBrowser.say`).
 * @throws Error saying how to install Chromium when it is missing.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install it with "apt-get install chromium" (or set CHROMIUM_PATH)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    viewport: { width: 1200, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      '--allow-loopback-in-peer-connection',
    ],
  });
  await context.addInitScript(INSTALL_MICROPHONE);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async say(pcm: Int16Array, sampleRateHz: number) {
      const b64 = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength).toString('base64');
      await page.evaluate(([data, rate]) => (globalThis as unknown as { __mic: { say(b: string, r: number): Promise<void> } }).__mic.say(data, rate), [b64, sampleRateHz] as const);
    },
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
