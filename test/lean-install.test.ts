/**
 * The README's lean install on a clean clone: `npm ci --omit=optional` (no offline speech packages,
 * no native optional packages at all) prints no warning, `npm start` builds and serves, a call over
 * Twilio's protocol gets the loopback model's reply, WebRTC is reported unavailable with a reason,
 * and `npx voicebridge --help` still works after a second build. The clone gets this working
 * tree's uncommitted changes on top, so the test checks what would be committed.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeWav } from '../src/audio/wav.js';
import { freePort } from './helpers/server-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-lean-'));
const clone = path.join(work, 'voicebridge');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The environment without the npm_* variables of an enclosing `npm test` (they name its project). */
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function sh(cmd: string, args: string[], cwd = clone, extraEnv: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Clones the repository and lays this working tree's uncommitted changes on top. */
function cloneWorkingTree(): void {
  sh('git', ['clone', '--quiet', ROOT, clone], work);
  const list = (...args: string[]) => sh('git', ['ls-files', '-z', ...args], ROOT).stdout.split('\0').filter(Boolean);
  for (const f of list('--deleted')) fs.rmSync(path.join(clone, f), { force: true });
  for (const f of new Set([...list('--modified'), ...list('--others', '--exclude-standard')])) {
    if (!fs.existsSync(path.join(ROOT, f))) continue;
    fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(clone, f));
  }
}

/** A 1 s 440 Hz tone between silences, 16 kHz. */
function toneWav(): Buffer {
  const rate = 16000;
  const pcm = new Int16Array(rate * 2);
  for (let i = rate / 2; i < rate * 1.5; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate));
  return writeWav(pcm, rate);
}

describe('lean install on a clean clone', () => {
  it('installs quietly, starts, serves a loopback call, reports WebRTC unavailable; the CLI runs after two builds', async () => {
    cloneWorkingTree();
    const install = sh('npm', ['ci', '--omit=optional', '--prefer-offline', '--no-audit', '--no-fund']);
    expect(`${install.stdout}\n${install.stderr}`.split('\n').filter((l) => /^npm warn/i.test(l))).toEqual([]);
    expect(fs.existsSync(path.join(clone, 'node_modules/onnxruntime-node'))).toBe(false);

    const port = await freePort();
    const server = spawn('npm', ['start'], { cwd: clone, env: { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    const exited = new Promise<number | null>((resolve) => server.once('close', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const onData = (d: Buffer) => {
          out += d.toString();
          if (/listening on/.test(out)) resolve();
        };
        server.stdout!.on('data', onData);
        server.stderr!.on('data', onData);
        void exited.then((code) => reject(new Error(`npm start exited ${code}:\n${out}`)));
      });
      const url = `http://127.0.0.1:${port}`;
      const health = (await (await fetch(`${url}/health`)).json()) as { model: string; webrtc: { available: boolean; reason?: string } };
      expect(health.model).toBe('loopback');
      expect(health.webrtc.available).toBe(false);
      expect(health.webrtc.reason).toMatch(/node-datachannel/);
      const offer = await fetch(`${url}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: 'v=0\r\n' });
      expect(offer.status).toBe(503);
      expect(((await offer.json()) as { error: string }).error).toBe('webrtc_unavailable');
      expect(await (await fetch(`${url}/`)).text()).toMatch(/<html/i);

      fs.writeFileSync(path.join(clone, 'tone.wav'), toneWav());
      const call = sh(process.execPath, ['dist/cli/index.js', 'call', '--url', url, '--via', 'twilio', '--in', 'tone.wav', '--out', 'heard.wav']);
      expect(call.stdout).toMatch(/"voicedMs": [1-9]/);
    } finally {
      if (server.exitCode === null) process.kill(-server.pid!, 'SIGTERM');
    }
    // npm itself ends by the signal; the server drains and says so (close: every holder of the pipes is gone).
    await exited;
    expect(out).toMatch(/"msg":"stopped"/);

    expect(sh('npx', ['voicebridge', '--help']).stdout).toMatch(/^usage: voicebridge/);
    sh('npm', ['run', 'build']);
    expect(sh('npx', ['voicebridge', '--help']).stdout).toMatch(/^usage: voicebridge/);
    expect(sh('npm', ['start', '--', '--help']).stdout).toMatch(/up to date/);
  }, 600_000);
});
