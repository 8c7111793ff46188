#!/usr/bin/env node
/**
 * Builds the server (`tsc` → dist/) and the web client (vite → web/dist/), then marks
 * `dist/cli/index.js` executable (tsc writes it 0644; npm's bin link then fails with
 * "Permission denied" after a rebuild) and records a hash of the sources in `dist/.build-stamp`.
 *
 *   node scripts/build.mjs               always build (`npm run build`)
 *   node scripts/build.mjs --if-changed  build only when a source changed since the stamp (`npm start`)
 *
 * Sources: src/, web/ (not web/dist), package.json, package-lock.json and the tsconfig files.
 * The web client is bundled with rollup's WebAssembly build (@rollup/wasm-node, same version as
 * rollup), so the build also works on installs without rollup's native optional package
 * (`npm ci --omit=optional`) and bundles identically everywhere.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Files and folders whose content decides whether a build is current, relative to the root. */
export const BUILD_INPUTS = ['src', 'web', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
/** Paths under the inputs that are outputs or caches, not sources. */
const IGNORED = new Set(['web/dist', 'node_modules']);
/** Where the hash of the sources of the last successful build is kept. */
export const STAMP = 'dist/.build-stamp';
/** Outputs that must exist for a build to count as current. */
const OUTPUTS = ['dist/cli/index.js', 'web/dist/index.html'];

function walk(root, rel, out) {
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs) || IGNORED.has(rel) || rel.endsWith('/node_modules')) return;
  if (fs.statSync(abs).isDirectory()) {
    for (const name of fs.readdirSync(abs).sort()) walk(root, rel ? `${rel}/${name}` : name, out);
  } else out.push(rel);
}

/**
 * SHA-256 (hex) over the relative path and content of every source file under `root`.
 * @param {string} root project folder
 * @returns {string}
 */
export function sourceHash(root) {
  const files = [];
  for (const input of BUILD_INPUTS) walk(root, input, files);
  const hash = createHash('sha256');
  for (const rel of files) hash.update(`${rel}\0`).update(fs.readFileSync(path.join(root, rel))).update('\0');
  return hash.digest('hex');
}

/**
 * Whether `root` has a complete build of exactly its current sources.
 * @param {string} root
 * @returns {boolean}
 */
export function isBuildCurrent(root) {
  const stamp = path.join(root, STAMP);
  if (!fs.existsSync(stamp) || OUTPUTS.some((o) => !fs.existsSync(path.join(root, o)))) return false;
  return fs.readFileSync(stamp, 'utf8').trim() === sourceHash(root);
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

/** The real build steps: tsc for the server, vite (on the WebAssembly rollup) for the web client. */
export const defaultSteps = {
  server(root) {
    fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
    run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], root);
  },
  web(root) {
    const hooks = pathToFileURL(path.join(root, 'scripts/wasm-rollup.mjs')).href;
    run(process.execPath, ['--import', hooks, path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], root);
  },
};

/**
 * Builds `root` (or, with `ifChanged`, only when its sources changed since the last build).
 * @param {{ root: string, ifChanged?: boolean, steps?: typeof defaultSteps, log?: (line: string) => void }} o
 * @returns {boolean} true when it built, false when the build was current
 * @throws Error when a step fails (the stamp is then not written, so the next start rebuilds)
 */
export function build({ root, ifChanged = false, steps = defaultSteps, log = (l) => console.log(l) }) {
  if (ifChanged && isBuildCurrent(root)) {
    log('build is up to date (sources unchanged); `npm run build` forces a rebuild');
    return false;
  }
  const hash = sourceHash(root);
  const started = Date.now();
  steps.server(root);
  steps.web(root);
  const cli = path.join(root, 'dist/cli/index.js');
  fs.chmodSync(cli, fs.statSync(cli).mode | 0o111);
  fs.writeFileSync(path.join(root, STAMP), `${hash}\n`);
  log(`built dist/ and web/dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    build({ root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), ifChanged: process.argv.includes('--if-changed') });
  } catch (err) {
    console.error(`build failed: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  }
}
