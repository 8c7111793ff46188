import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.js';
import { RecordingLogger } from '../../test/fakes/logger.js';
import { McpServerConnection, type McpListedTool, type McpSession } from './mcp-server.js';
import type { McpCallResult } from './mcp-result.js';

class TransportGone extends Error {}

/** A fake MCP session: answers from `answer`, dies on `die()`. */
class FakeSession implements McpSession {
  closed = false;
  private lostListener: ((reason: string) => void) | undefined;
  constructor(private readonly listed: McpListedTool[], private readonly answer: (name: string, args: Record<string, unknown>) => McpCallResult) {}
  async listTools() { return this.listed; }
  async callTool(name: string, args: Record<string, unknown>) {
    if (this.closed) throw new TransportGone('connection closed');
    return this.answer(name, args);
  }
  isTransportFailure(err: unknown) { return err instanceof TransportGone; }
  onLost(l: (reason: string) => void) { this.lostListener = l; }
  async close() { this.closed = true; }
  die() { this.closed = true; this.lostListener?.('connection closed'); }
}

const listed = [{ name: 'lookup', description: 'Looks a note up', inputSchema: { type: 'object', properties: { key: { type: 'string' } } } }];
const ctx = (signal = new AbortController().signal) => ({ callId: 'c1', logger: new RecordingLogger(), signal });

function setUp(opens: Array<FakeSession | Error>) {
  const clock = new FakeClock();
  let opened = 0;
  const server = new McpServerConnection({
    name: 'notes', restart: { initialDelayMs: 100, maxDelayMs: 250 }, offline: { lookup: { phrases: ['note'], arguments: { key: 'a' } } }, clock, logger: new RecordingLogger(),
    connect: async () => {
      const next = opens[opened++];
      if (!next) throw new Error('no more sessions');
      if (next instanceof Error) throw next;
      return next;
    },
  });
  return { clock, server, opened: () => opened };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('McpServerConnection', () => {
  it('offers the listed tools namespaced, with their schema and offline phrases, and maps results', async () => {
    const s = new FakeSession(listed, (_n, args) => ({ content: [{ type: 'text', text: `note ${String(args.key)} is blue` }] }));
    const { server } = setUp([s]);
    await server.start();
    const [tool] = server.tools();
    expect(tool).toMatchObject({ name: 'notes__lookup', description: 'Looks a note up', inputSchema: listed[0].inputSchema, offline: { phrases: ['note'], arguments: { key: 'a' } } });
    expect(await tool.run({ key: 'k' }, ctx())).toBe('note k is blue');
  });

  it('throws isError results as errors', async () => {
    const { server } = setUp([new FakeSession(listed, () => ({ isError: true, content: [{ type: 'text', text: 'no such note' }] }))]);
    await server.start();
    await expect(server.tools()[0].run({}, ctx())).rejects.toThrow('no such note');
  });

  it('names the server when it does not start', async () => {
    const { server } = setUp([new Error('spawn ENOENT')]);
    await expect(server.start()).rejects.toThrow('MCP server notes did not start: spawn ENOENT');
  });

  it('marks its tools unavailable when it dies and restarts it with backoff until it answers', async () => {
    const first = new FakeSession(listed, () => ({ content: [{ type: 'text', text: 'one' }] }));
    const second = new FakeSession(listed, () => ({ content: [{ type: 'text', text: 'two' }] }));
    const { clock, server, opened } = setUp([first, new Error('refused'), new Error('refused'), second]);
    await server.start();
    const tool = server.tools()[0];
    first.die();
    expect(server.status()).toMatchObject({ state: 'restarting', restarts: 0 });
    await expect(tool.run({}, ctx())).rejects.toThrow('MCP server notes is unavailable (restarting)');
    clock.advance(99);
    expect(opened()).toBe(1);
    clock.advance(1); // attempt 1 after 100 ms: refused
    await flush();
    expect(opened()).toBe(2);
    clock.advance(199);
    await flush();
    expect(opened()).toBe(2);
    clock.advance(1); // attempt 2 after 200 ms: refused
    await flush();
    expect(opened()).toBe(3);
    clock.advance(249);
    await flush();
    expect(opened()).toBe(3);
    clock.advance(1); // attempt 3 after 250 ms (the cap): answers
    await flush();
    expect(opened()).toBe(4);
    expect(server.status()).toMatchObject({ state: 'ready', restarts: 1, lastError: 'refused' });
    expect(await tool.run({}, ctx())).toBe('two');
  });

  it('treats a transport failure during a call as the server dying', async () => {
    const first = new FakeSession(listed, () => { throw new TransportGone('fetch failed'); });
    const { server, clock, opened } = setUp([first, new FakeSession(listed, () => ({ content: [{ type: 'text', text: 'back' }] }))]);
    await server.start();
    const tool = server.tools()[0];
    await expect(tool.run({}, ctx())).rejects.toThrow('fetch failed');
    expect(server.status().state).toBe('restarting');
    clock.advance(100);
    await flush();
    expect(opened()).toBe(2);
    expect(await tool.run({}, ctx())).toBe('back');
  });

  it('does not restart after close', async () => {
    const first = new FakeSession(listed, () => ({ content: [] }));
    const { server, clock, opened } = setUp([first, first]);
    await server.start();
    first.die();
    await server.close();
    clock.advance(10_000);
    await flush();
    expect(opened()).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });
});
