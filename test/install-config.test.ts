/**
 * A fresh `npm ci` prints no warning the project could avoid: every locked package supports the
 * whole Node range we claim (no EBADENGINE), the project's `.npmrc` has no key npm does not know
 * ("Unknown project config"), and every package with an install script is decided in
 * `allowScripts` (npm ≥ 11.16 warns about undecided ones; npm 12 blocks them).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as { engines: { node: string }; allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(`${ROOT}/package-lock.json`, 'utf8')) as {
  packages: Record<string, { version?: string; engines?: Record<string, string> | string[]; hasInstallScript?: boolean }>;
};
const locked = Object.entries(lock.packages).filter(([path]) => path !== '');
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('a fresh install', () => {
  it('installs only packages whose engines accept every Node version the project supports', () => {
    const supported = pkg.engines.node;
    const excluding = locked
      .filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node && !semver.subset(supported, p.engines.node))
      .map(([path, p]) => `${nameOf(path)}@${p.version} needs node ${(p.engines as Record<string, string>).node}`);
    expect(excluding, `package.json says node ${supported}`).toEqual([]);
  });

  it('has no project npm config that npm does not know', () => {
    const r = spawnSync('npm', ['config', 'list'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'warn' } });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/Unknown (project|user|env|cli) config/);
  });

  it('decides in allowScripts for every package with an install script', () => {
    const allow = pkg.allowScripts ?? {};
    const undecided = locked.filter(([path, p]) => p.hasInstallScript && typeof allow[nameOf(path)] !== 'boolean').map(([path, p]) => `${nameOf(path)}@${p.version}`);
    expect(undecided).toEqual([]);
  });
});
