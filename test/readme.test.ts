/** Keeps the README true: every setting is documented, and the two commands are the ones CI runs. */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configTable, SETTINGS } from '../src/config/config.js';
import { readConfigTable } from '../src/config/readme-table.js';

const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every configuration setting', () => {
    for (const key of Object.keys(SETTINGS)) expect(readme).toContain(`| \`${key}\` |`);
  });

  it('has the configuration table generated from the settings (npm run docs:config)', () => {
    expect(readConfigTable(readme)).toBe(configTable());
  });

  it('tells a newcomer how to add a provider', () => {
    expect(readme).toContain('### How to add a provider');
    expect(readme).toContain('src/models/registry.ts');
  });

  it('gives the start and test commands, and CI runs the test command', () => {
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm ci && npm test');
    expect(fs.readFileSync(new URL('../.ci/run', import.meta.url), 'utf8')).toContain('npm ci && npm test');
  });
});
