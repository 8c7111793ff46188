/**
 * `voicebridge serve` with a bad `TOOLS_FILE` stops at start-up with one clear line naming the
 * file and the field (or the MCP server that did not start, or the unset header variable) and exit
 * code 1, instead of serving without the tools.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-tools-startup-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function serve(toolsFile: object): Promise<{ code: number | null; output: string }> {
  const file = path.join(dir, `tools-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, JSON.stringify(toolsFile));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--port', '0', '--host', '127.0.0.1', '--model', 'loopback'], {
      cwd: ROOT, env: { ...process.env, TOOLS_FILE: file, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('a bad TOOLS_FILE', () => {
  it.each([
    ['a bad field', { tools: [{ name: 'weather', description: 'w', url: 'not a url' }] }, /TOOLS_FILE .*tools-\w+\.json: tools\[0\]\.url: Invalid URL/],
    ['an unset header variable', { tools: [{ name: 'weather', description: 'w', url: 'http://127.0.0.1:9/w', headers: { Authorization: { env: 'VB_TEST_UNSET_VARIABLE' } } }] }, /tools\[0\]\.headers\.Authorization: environment variable VB_TEST_UNSET_VARIABLE is not set/],
    ['an MCP server that does not start', { mcpServers: { ghost: { command: 'voicebridge-test-no-such-command' } } }, /MCP server ghost did not start: .*ENOENT/],
  ])('stops start-up on %s with one line and exit code 1', async (_what, toolsFile, message) => {
    const { code, output } = await serve(toolsFile);
    expect(code, output).toBe(1);
    expect(output.trim().split('\n'), output).toHaveLength(1);
    expect(output).toMatch(message);
  }, 60_000);
});
