/**
 * Runs a real voicebridge server as a child process (`voicebridge serve` from the TypeScript
 * sources through tsx) on 127.0.0.1 with a free port, for tests that drive it over sockets.
 *
 * Why a child process: with the server's audio path running inside vitest's module runner, V8
 * segfaulted intermittently (Builtins_KeyedLoadIC_Megamorphic, in both the forks and threads
 * pools), while the same code never crashed in a plain Node process. A separate process is also
 * the honest test: the server starts the way users start it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A running server process. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything it printed (stdout and stderr), for failure messages (the last 20,000 characters). */
  output(): string;
  /** Bytes it has printed so far (stdout and stderr): how much log it wrote. */
  outputBytes(): number;
  /** Sends SIGTERM and resolves with the exit code (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server with `settings` as environment variables and waits until `/ready` answers.
 * Its call store is embedded in a temp directory of its own (removed once it has stopped) unless
 * `settings` give `DATA_DIR` or `DATABASE_URL`.
 * @throws Error with the server's output when it does not become ready within `readyTimeoutMs`.
 */
export async function startServerProcess(settings: Record<string, string | number | boolean> = {}, readyTimeoutMs = 60_000): Promise<ServerProcess> {
  const port = await freePort();
  const dataDir = settings.DATA_DIR || settings.DATABASE_URL ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'vb-data-'));
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DRAIN_TIMEOUT_MS: '2000', ...(dataDir ? { DATA_DIR: dataDir } : {}) };
  for (const [k, v] of Object.entries(settings)) env[k] = String(v);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let bytes = 0;
  const keep = (d: Buffer) => {
    bytes += d.length;
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (signal) out += `\n[server process ended by ${signal}]`;
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(`${url}/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready after ${readyTimeoutMs} ms:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output: () => out,
    outputBytes: () => bytes,
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A running `voicebridge emulate nova-sonic` process. */
export interface EmulatorProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Server settings for `VOICEBRIDGE_MODEL=openai` against an `openai-realtime` emulator process:
 * its WebSocket URL with the default model, a test key, caller transcription asked for, and no
 * local barge-in VAD (barge-in comes from the emulator's `speech_started`).
 */
export function openAIEmulatorSettings(emulator: EmulatorProcess) {
  return {
    VOICEBRIDGE_MODEL: 'openai',
    OPENAI_API_KEY: 'test',
    OPENAI_REALTIME_URL: `${emulator.url.replace(/^http/, 'ws')}/v1/realtime?model=gpt-realtime`,
    OPENAI_TRANSCRIPTION_MODEL: 'gpt-4o-mini-transcribe',
    BARGE_IN_VAD: false,
  };
}

/**
 * Starts `voicebridge emulate nova-sonic` (or `target`) on a free port with extra `args`, and waits
 * until it says it is listening.
 * @throws Error with its output when it is not listening within `readyTimeoutMs`.
 */
export async function startEmulatorProcess(args: string[] = [], readyTimeoutMs = 60_000, target: 'nova-sonic' | 'openai-realtime' = 'nova-sonic'): Promise<EmulatorProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'emulate', target, '--port', String(port), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-50_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const deadline = Date.now() + readyTimeoutMs;
  while (!out.includes('emulator listening')) {
    if (child.exitCode !== null) throw new Error(`emulator exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`emulator did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
