/**
 * User tools (TOOLS_FILE) in whole calls with the offline local model, against a real server
 * process: an HTTP tool (header from the environment), a stdio MCP server and a Streamable-HTTP
 * MCP server (both on the MCP SDK's server) called on the caller's spoken words; then, in calls
 * driven by typed turns, a failing tool, a timing-out tool, a slow tool with its hold phrase heard
 * while the caller can still talk, and the stdio MCP server killed mid-call: its tool errors, it is
 * restarted, and works again. The calls page shows a call's tool calls.
 */
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { voicedMs } from '../src/audio/level.js';
import type { CallSummary } from '../src/call/types.js';
import { simulateCall } from '../src/sim/simulate.js';
import { useSpokenCallFixture } from './helpers/spoken-calls.js';
import { textCall, useToolFixtures, SLOW_TOOL_MS, STUCK_TOOL_TIMEOUT_MS } from './helpers/user-tools.js';
import { eventually } from './helpers/wait.js';
import { launchBrowser } from './helpers/browser.js';

const tools = useToolFixtures();
beforeAll(() => {
  // Build the web client from the current sources so the server serves the calls page.
  const build = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}\n${build.stderr}`);
}, 180_000);
const fx = useSpokenCallFixture(() => ({ VOICEBRIDGE_MODEL: 'local', STT_POOL_SIZE: 1, TOOLS: '', ...tools.env }));

const assistantText = (r: { transcript: Array<{ role: string; text: string }> }) => r.transcript.filter((t) => t.role === 'assistant').map((t) => t.text).join(' ');
const record = async (callId: string): Promise<CallSummary> => eventually(async () => {
  const res = await fetch(`${fx.srv.url}/calls/${callId}`);
  const body = res.ok ? ((await res.json()) as CallSummary & { live?: boolean }) : undefined;
  return body && !body.live ? body : undefined;
}, `the record of call ${callId}`);
const mcpState = async (name: string): Promise<string> => ((await (await fetch(`${fx.srv.url}/stats`)).json()) as { mcpServers: Record<string, { state: string }> }).mcpServers[name].state;

describe.each([
  ['an HTTP tool, with its header from the environment', 'What is the weather forecast for today?', 'weather', { city: 'Paris' }, /sunny in Paris/],
  ['a stdio MCP server', 'Please read my notes.', 'notes__lookup', { key: 'seven' }, /note seven says blue/],
  ['a Streamable-HTTP MCP server', 'What is the stock price?', 'stock__price', {}, /forty two dollars/],
] as const)('the local model calls %s on the caller\'s words', (_what, words, tool, args, said) => {
  it('and speaks its result', async () => {
    const input = await fx.speech.say(words, 'rms');
    const result = await simulateCall({ url: fx.srv.url, via: 'ws', samples: input, sampleRateHz: 16000, resamplers: fx.resamplers, maxTailMs: 15_000 });
    expect(assistantText(result), `caller said "${result.transcript.filter((t) => t.role === 'user').map((t) => t.text).join(' ')}"`).toMatch(said);
    expect(result.summary!.toolCalls).toMatchObject([{ name: tool, arguments: args, ok: true, result: expect.anything() }]);
    expect(voicedMs(result.heard, result.sampleRateHz)).toBeGreaterThan(1000);
    if (tool === 'weather') expect(tools.httpRequests).toContainEqual({ path: '/weather?city=Paris', authorization: 'Bearer weather-secret' });
  });
});

describe('tools that fail, time out or are slow, in one call', () => {
  it('gives the model error results, and holds the caller with the phrase while a slow tool runs', async () => {
    const call = await textCall(fx.srv.url);
    await call.exchange('check the broken service', /broken tool did not work: HTTP 500/);
    await call.exchange('what is my account balance', /stuck tool did not work: tool stuck timed out/);

    const before = call.messages.length;
    call.say('where is my order');
    const toolDone = await call.next((m) => m.type === 'tool' && m.name === 'slow_order', before);
    const doneAt = call.messages.findIndex((x) => x.m === toolDone);
    expect(call.audioMsBetween(before, doneAt), 'the hold phrase was heard before the result').toBeGreaterThan(1000);
    await call.next((m) => m.type === 'transcript' && m.role === 'assistant' && m.final && /status shipped/.test(m.text), doneAt);
    await call.end();

    const r = await record(call.callId);
    expect(r.toolCalls).toMatchObject([
      { name: 'broken', ok: false, error: expect.stringContaining('HTTP 500') },
      { name: 'stuck', ok: false, error: `tool stuck timed out after ${STUCK_TOOL_TIMEOUT_MS} ms` },
      { name: 'slow_order', ok: true, result: { status: 'shipped' }, heldCaller: true },
    ]);
    expect(r.toolCalls[0].heldCaller).toBeUndefined();
    expect(r.toolCalls[2].durationMs).toBeGreaterThanOrEqual(SLOW_TOOL_MS - 50);
  });

  it('does not freeze the conversation: the caller is answered while a slow tool runs', async () => {
    const call = await textCall(fx.srv.url);
    call.say('where is my order');
    await eventually(() => call.audioMsBetween(0, call.messages.length) > 300, 'the hold phrase playing');
    const asked = call.messages.length;
    call.say('what is two plus two');
    const answer = await call.next((m) => m.type === 'transcript' && m.role === 'assistant' && m.final && /2 plus 2 is 4/.test(m.text), asked);
    const answeredAt = call.messages.findIndex((x) => x.m === answer);
    expect(call.messages.slice(asked, answeredAt).some((x) => x.m.type === 'tool'), 'answered before the slow tool finished').toBe(false);
    await call.next((m) => m.type === 'tool' && m.name === 'slow_order');
    await call.end();
    expect((await record(call.callId)).toolCalls).toMatchObject([{ name: 'slow_order', ok: true, heldCaller: true }]);
  });
});

describe('a caller who hangs up while a tool runs', () => {
  it('aborts the tool: its HTTP request is dropped and the call record has its error', async () => {
    const call = await textCall(fx.srv.url);
    const dropped = tools.droppedSlowRequests;
    const before = tools.httpRequests.length;
    call.say('where is my order');
    await eventually(() => tools.httpRequests.slice(before).some((r) => r.path === '/slow'), 'the slow request at the tool server');
    await call.end();
    await eventually(() => tools.droppedSlowRequests === dropped + 1, 'the slow request dropped');
    const r = await record(call.callId);
    // Aborted, not answered: the slow tool would have answered { status: 'shipped' }.
    expect(r.toolCalls).toMatchObject([{ name: 'slow_order', ok: false, error: expect.any(String) }]);
  });
});

describe('an MCP server killed mid-call', () => {
  it('errors while it is down, is restarted with backoff, and works again in the same call', async () => {
    const call = await textCall(fx.srv.url);
    const ask = (expected: RegExp) => call.exchange('read my notes', expected);
    await ask(/note seven says blue/);
    const [pid] = tools.notesPids().slice(-1);
    tools.setNotesDown(true);
    process.kill(pid, 'SIGKILL');
    await eventually(async () => (await mcpState('notes')) === 'restarting', 'the notes server marked down');
    await ask(/notes lookup tool did not work: MCP server notes is unavailable/);
    tools.setNotesDown(false);
    await eventually(async () => (await mcpState('notes')) === 'ready', 'the notes server restarted', 30_000);
    expect(tools.notesPids().length).toBeGreaterThanOrEqual(2);
    await ask(/note seven says blue/);
    const live = (await (await fetch(`${fx.srv.url}/calls/${call.callId}`)).json()) as { live: boolean; toolCalls: unknown[] };
    expect(live).toMatchObject({ live: true, toolCalls: [{ ok: true }, { ok: false }, { ok: true }] });
    await call.end();
    expect((await fetch(`${fx.srv.url}/calls/no-such-call`)).status).toBe(404);

    const r = await record(call.callId);
    expect(r.toolCalls.map((t) => [t.name, t.ok])).toEqual([['notes__lookup', true], ['notes__lookup', false], ['notes__lookup', true]]);
    const stats = (await (await fetch(`${fx.srv.url}/stats`)).json()) as { mcpServers: Record<string, { restarts: number }> };
    expect(stats.mcpServers.notes.restarts).toBe(1);
  });
});

describe('the calls page', () => {
  it("shows a call's tool calls: name, arguments, result or error, duration", async () => {
    const call = await textCall(fx.srv.url);
    await call.exchange('read my notes', /note seven says blue/);
    await call.exchange('check the broken service', /did not work/);
    await call.end();
    await record(call.callId);
    const browser = await launchBrowser();
    try {
      // the list links each call to its page, which lists the tool calls
      await browser.page.goto(`${fx.srv.url}/#/calls`);
      await browser.page.click(`tr[data-call="${call.callId}"] [data-testid=started]`);
      const list = await browser.page.waitForSelector('[data-testid=tool-calls]', { timeout: 15_000 });
      const text = (await list.textContent()) ?? '';
      expect(text).toMatch(/notes__lookup\(\{"key":"seven"\}\) → note seven says blue · \d+ ms/);
      expect(text).toMatch(/broken\(\{\}\) → error: HTTP 500/);
      expect(await browser.page.$$eval('[data-testid=tool-calls] li.bad', (l) => l.length)).toBe(1);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
