/**
 * scripts/build.mjs on a small project in a temp folder, with stand-in steps that write what tsc
 * and vite write (tsc's files are 0644): the CLI stays executable after every build, and
 * `--if-changed` rebuilds only when a source changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { build, isBuildCurrent } from '../scripts/build.mjs';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function project(): { root: string; built: string[]; steps: { server(root: string): void; web(root: string): void } } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-build-'));
  roots.push(root);
  fs.mkdirSync(path.join(root, 'src/cli'), { recursive: true });
  fs.mkdirSync(path.join(root, 'web/src'), { recursive: true });
  fs.writeFileSync(path.join(root, 'src/cli/index.ts'), '#!/usr/bin/env node\nconsole.log(1);\n');
  fs.writeFileSync(path.join(root, 'web/src/main.tsx'), 'export {};\n');
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"x"}\n');
  const built: string[] = [];
  const steps = {
    server(r: string) {
      fs.rmSync(path.join(r, 'dist'), { recursive: true, force: true });
      fs.mkdirSync(path.join(r, 'dist/cli'), { recursive: true });
      fs.writeFileSync(path.join(r, 'dist/cli/index.js'), fs.readFileSync(path.join(r, 'src/cli/index.ts')), { mode: 0o644 });
      built.push('server');
    },
    web(r: string) {
      fs.mkdirSync(path.join(r, 'web/dist'), { recursive: true });
      fs.writeFileSync(path.join(r, 'web/dist/index.html'), '<html></html>');
      built.push('web');
    },
  };
  return { root, built, steps };
}

const executable = (root: string) => (fs.statSync(path.join(root, 'dist/cli/index.js')).mode & 0o111) === 0o111;
const quiet = () => {};

describe('scripts/build.mjs', () => {
  it('leaves dist/cli/index.js executable after the first and every later build', () => {
    const { root, steps } = project();
    build({ root, steps, log: quiet });
    expect(executable(root)).toBe(true);
    build({ root, steps, log: quiet });
    expect(executable(root)).toBe(true);
  });

  it('with --if-changed builds only when a source changed', () => {
    const { root, built, steps } = project();
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    expect(build({ root, steps, ifChanged: true, log })).toBe(true);
    expect(isBuildCurrent(root)).toBe(true);
    expect(build({ root, steps, ifChanged: true, log })).toBe(false);
    expect(lines.at(-1)).toMatch(/up to date/);
    expect(built).toEqual(['server', 'web']);

    fs.writeFileSync(path.join(root, 'web/src/main.tsx'), 'export const x = 1;\n');
    expect(isBuildCurrent(root)).toBe(false);
    expect(build({ root, steps, ifChanged: true, log })).toBe(true);
    fs.appendFileSync(path.join(root, 'package.json'), ' ');
    expect(build({ root, steps, ifChanged: true, log })).toBe(true);
    // Outputs are not sources: a new web/dist file changes nothing; a missing output forces a build.
    fs.writeFileSync(path.join(root, 'web/dist/extra.js'), '');
    expect(build({ root, steps, ifChanged: true, log })).toBe(false);
    fs.rmSync(path.join(root, 'web/dist/index.html'));
    expect(build({ root, steps, ifChanged: true, log })).toBe(true);
    expect(built.length).toBe(8);
    expect(executable(root)).toBe(true);
  });

  it('writes no stamp when a step fails, so the next start builds again', () => {
    const { root, steps } = project();
    build({ root, steps, log: quiet });
    fs.writeFileSync(path.join(root, 'src/cli/index.ts'), 'broken');
    const failing = { ...steps, web() { throw new Error('vite failed'); } };
    expect(() => build({ root, steps: failing, ifChanged: true, log: quiet })).toThrow(/vite failed/);
    expect(isBuildCurrent(root)).toBe(false);
  });
});
