/**
 * The `voicebridge` command as a user runs it (a child process on the TypeScript sources): a port
 * already in use or an address not on this machine ends `serve` with one clear line and exit code
 * 1 instead of hanging on the offline model's worker threads; `--version`; each command's own
 * `--help`; a `.env` file in the working directory is read and the environment wins over it;
 * `emulate openai-realtime` serves wss:// with the given key and certificate until SIGTERM.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const CLI = path.join(ROOT, 'src/cli/index.ts');
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs `voicebridge ...args` to its end; resolves with the exit code and everything it printed. */
function voicebridge(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, LOG_FORMAT: 'json', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A guard, not a wait: a command that never ends (the bug this file tests) must not outlive the test.
    const guard = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `voicebridge ...args` and lets the test wait for output and stop it (SIGTERM). */
function startVoicebridge(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  return {
    output: () => out,
    /** Resolves once the output matches `pattern`; rejects if the process ends first. */
    waitFor(pattern: RegExp): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => (pattern.test(out) ? resolve() : waiters.push(check));
        void closed.then(() => reject(new Error(`exited before printing ${pattern}:\n${out}`)));
        check();
      });
    },
    async stop(): Promise<number | null> {
      if (child.exitCode === null) child.kill('SIGTERM');
      return closed;
    },
  };
}

/** Lines that are errors: pino level ≥ 50, or plain stderr text. */
function errorLines(out: { stdout: string; stderr: string }): string[] {
  const lines = `${out.stdout}\n${out.stderr}`.split('\n').filter((l) => l.trim());
  return lines.filter((l) => {
    try {
      return (JSON.parse(l) as { level: number }).level >= 50;
    } catch {
      return true;
    }
  });
}

describe('voicebridge serve cannot listen', () => {
  it('exits 1 with one clear line when the port is already in use (default model, with its worker threads)', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const out = await voicebridge(['serve', '--port', String(port), '--host', '127.0.0.1']);
      expect(out.code).toBe(1);
      const errors = errorLines(out);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
    } finally {
      holder.close();
    }
  });

  it('exits 1 with one clear line when the address is not on this machine', async () => {
    const out = await voicebridge(['serve', '--port', '0'], { env: { HOST: '192.0.2.1' } });
    expect(out.code).toBe(1);
    const errors = errorLines(out);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('192.0.2.1 is not an address of this machine (EADDRNOTAVAIL)');
  });
});

describe('voicebridge serve starting', () => {
  it('prints the web page and the model once listening (one JSON line when stdout is not a terminal)', async () => {
    const server = startVoicebridge(['serve', '--port', '0', '--host', '127.0.0.1', '--model', 'loopback'], { ...process.env, LOG_FORMAT: 'json' });
    try {
      await server.waitFor(/voicebridge listening on/);
      const line = server.output().split('\n').find((l) => l.includes('voicebridge listening on'))!;
      const entry = JSON.parse(line) as { level: number; webPage: string | null; model: string; address: string };
      expect(entry.level).toBe(30);
      expect(entry.model).toBe('loopback');
      expect(entry.address).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(entry.webPage === null || entry.webPage === `${entry.address}/`).toBe(true);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('warns in plain words at start-up when Nova Sonic has no AWS credentials', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-home-'));
    temps.push(home);
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    const server = startVoicebridge(['serve', '--port', '0', '--host', '127.0.0.1', '--model', 'nova-sonic'], {
      ...env,
      HOME: home,
      AWS_EC2_METADATA_DISABLED: 'true',
      NOVA_REGION: 'us-east-1',
      LOG_FORMAT: 'json',
    });
    try {
      // Start-up does not wait for the check: the server listens, and the warning comes when the check ends.
      await Promise.all([server.waitFor(/Nova Sonic has no AWS credentials/), server.waitFor(/voicebridge listening on/)]);
      expect(server.output()).toMatch(/Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
      // No avoidable warning: the pinned SDK's notice about its future Node 22 requirement stays quiet.
      expect(server.output()).not.toMatch(/NodeVersionSupportWarning/);
    } finally {
      await server.stop();
    }
  });
});

describe('voicebridge options', () => {
  it('prints its version', async () => {
    const out = await voicebridge(['--version']);
    expect(out.code).toBe(0);
    expect(out.stdout.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('prints each command’s own options for --help', async () => {
    const [serve, call, emulate, signUrl, top] = await Promise.all([voicebridge(['serve', '--help']), voicebridge(['call', '--help']), voicebridge(['emulate', '--help']), voicebridge(['sign-url', '--help']), voicebridge(['--help'])]);
    for (const out of [serve, call, emulate, signUrl, top]) expect(out.code).toBe(0);
    expect(signUrl.stdout).toMatch(/^usage: voicebridge sign-url --route ws\|client\|webrtc/);
    expect(top.stdout).toContain('sign-url');
    expect(serve.stdout).toMatch(/^usage: voicebridge \[serve\]/);
    expect(serve.stdout).toContain('--model NAME');
    expect(serve.stdout).not.toContain('--via');
    expect(call.stdout).toMatch(/^usage: voicebridge call/);
    expect(call.stdout).toContain('--barge-in-at SECONDS');
    expect(call.stdout).not.toContain('--brain');
    expect(emulate.stdout).toMatch(/^usage: voicebridge emulate nova-sonic/);
    expect(emulate.stdout).toContain('--fault KIND');
    expect(emulate.stdout).not.toContain('--via');
    expect(emulate.stdout).toContain('usage: voicebridge emulate openai-realtime');
    expect(emulate.stdout).toContain('--session-limit-s S');
    expect(top.stdout).toContain('emulate openai-realtime');
    expect(top.stdout).toContain('voicebridge COMMAND --help');
  });

  it('reads .env from the working directory, and the environment wins over it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-dotenv-'));
    temps.push(dir);
    fs.writeFileSync(path.join(dir, '.env'), '# settings\nRESAMPLE_QUALITY=99\nINACTIVITY_TIMEOUT_MS="5"\n');
    const out = await voicebridge(['serve'], { cwd: dir, env: { RESAMPLE_QUALITY: '5' } });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('INACTIVITY_TIMEOUT_MS="5"');
    expect(out.stderr).not.toContain('RESAMPLE_QUALITY');
  });
});

describe('voicebridge emulate openai-realtime', () => {
  it('serves wss:// with --tls-key/--tls-cert, accepts only --api-key, and exits 0 on SIGTERM', async () => {
    const tls = path.join(ROOT, 'test/fixtures/tls');
    const emulator = startVoicebridge(['emulate', 'openai-realtime', '--port', '0', '--brain', 'echo', '--api-key', 'sk-cli-key', '--tls-key', path.join(tls, 'key.pem'), '--tls-cert', path.join(tls, 'cert.pem')], { ...process.env, LOG_FORMAT: 'json' });
    try {
      await emulator.waitFor(/OpenAI Realtime emulator listening on/);
      const url = /wss:\/\/127\.0\.0\.1:\d+\/v1\/realtime/.exec(emulator.output())![0];
      const { RealtimeTestClient, TEST_TLS } = await import('./helpers/realtime-client.js');
      const client = await RealtimeTestClient.connect(url, 'sk-cli-key', 'gpt-realtime', { ca: TEST_TLS.cert });
      expect((await client.next('session.created')).session).toMatchObject({ model: 'gpt-realtime' });
      client.close();
      await expect(RealtimeTestClient.connect(url, 'test', 'gpt-realtime', { ca: TEST_TLS.cert })).rejects.toThrow(/401/);
    } finally {
      expect(await emulator.stop()).toBe(0);
    }
  });

  it('refuses an unknown pace with one clear line and exit code 1', async () => {
    const out = await voicebridge(['emulate', 'openai-realtime', '--pace', 'warp']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('unknown pace "warp"');
  });
});
