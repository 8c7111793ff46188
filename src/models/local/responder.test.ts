import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { ChatCompletionsResponder, RuleResponder } from './responder.js';
import { splitSentences } from './sentences.js';

describe('splitSentences', () => {
  it.each([
    ['Hello there. How are you? Fine!', ['Hello there.', 'How are you?', 'Fine!']],
    ['Dr. Smith paid 3.50 dollars. Done', ['Dr. Smith paid 3.50 dollars.', 'Done']],
    ['', []],
    ['no punctuation at all', ['no punctuation at all']],
  ])('%j', (text, expected) => {
    expect(splitSentences(text)).toEqual(expected);
  });

  it('splits very long sentences at a comma', () => {
    const long = `${'word '.repeat(30).trim()}, ${'more '.repeat(30).trim()}.`;
    const parts = splitSentences(long, 200);
    expect(parts.length).toBe(2);
    expect(parts.join(' ')).toBe(long);
  });
});

describe('RuleResponder', () => {
  const r = new RuleResponder(() => new Date(2026, 10, 21, 14, 5));
  it.each([
    ['hello', 'Hello! How can I help you today?'],
    ['what time is it', 'It is 2:05 PM.'],
    ['what is seven plus five', '7 plus 5 is 12.'],
    ['what is ten divided by zero', 'I cannot divide by zero.'],
    ['say good morning', 'good morning.'],
    ['goodbye', 'Goodbye, and thank you for calling.'],
    ['purple elephants', 'You said: purple elephants. How can I help with that?'],
    ['', 'Sorry, I did not catch that. Could you say it again?'],
  ])('%j → %j', (input, reply) => {
    expect(r.reply([], input)).toBe(reply);
  });
});

describe('RuleResponder with tools', () => {
  const timeTool = { name: 'get_current_time', description: 'time', inputSchema: { type: 'object' } };
  const make = (result: unknown) => {
    const calls: Array<{ name: string; args: Record<string, unknown> }> = [];
    return { calls, tools: { specs: [timeTool], call: async (name: string, args: Record<string, unknown>) => (calls.push({ name, args }), result) } };
  };
  const r = new RuleResponder(() => new Date(0), 'America/New_York');
  const iso = '2026-11-21T19:05:00.000Z';

  it('answers time and date questions through get_current_time', async () => {
    const t = make({ time: 'Saturday 2:05 PM', timezone: 'America/New_York', iso });
    expect(await r.respond([], 'what time is it', '', new AbortController().signal, t.tools)).toBe('It is 2:05 PM.');
    expect(await r.respond([], 'what day is it today', '', new AbortController().signal, t.tools)).toBe('Today is Saturday, November 21, 2026.');
    expect(t.calls).toEqual([
      { name: 'get_current_time', args: { timezone: 'America/New_York' } },
      { name: 'get_current_time', args: { timezone: 'America/New_York' } },
    ]);
  });

  it('says so when the tool fails, and calls no tool for other questions', async () => {
    const t = make({ error: 'tool get_current_time timed out after 8000 ms' });
    expect(await r.respond([], 'what time is it', '', new AbortController().signal, t.tools)).toBe('Sorry, I could not look up the time just now.');
    expect(await r.respond([], 'what is seven plus five', '', new AbortController().signal, t.tools)).toBe('7 plus 5 is 12.');
    expect(t.calls.length).toBe(1);
  });

  it("calls a user tool whose offline phrases match and speaks its result or its error", async () => {
    const weather = { name: 'weather', description: 'w', inputSchema: { type: 'object' }, offline: { phrases: ['\\bweather\\b', 'forecast'], arguments: { city: 'Paris' } } };
    const calls: Array<[string, Record<string, unknown>]> = [];
    let result: unknown = { forecast: 'sunny', high_c: 21 };
    const tools = { specs: [timeTool, weather], call: async (name: string, args: Record<string, unknown>) => (calls.push([name, args]), result) };
    expect(await r.respond([], 'what is the Weather like', '', new AbortController().signal, tools)).toBe('The weather tool says forecast sunny, high c 21.');
    result = { error: 'HTTP 500' };
    expect(await r.respond([], 'give me the forecast', '', new AbortController().signal, tools)).toBe('Sorry, the weather tool did not work: HTTP 500.');
    expect(calls).toEqual([['weather', { city: 'Paris' }], ['weather', { city: 'Paris' }]]);
    expect(await r.respond([], 'what is two plus two', '', new AbortController().signal, tools)).toBe('2 plus 2 is 4.');
    expect(calls).toHaveLength(2);
  });

  it('uses its own clock when the tool is not offered', async () => {
    const t = make({ iso });
    t.tools.specs = [];
    expect(await r.respond([], 'what time is it', '', new AbortController().signal, t.tools)).toMatch(/^It is \d{1,2}:\d{2} (AM|PM)\.$/);
    expect(t.calls.length).toBe(0);
  });
});

describe('ChatCompletionsResponder', () => {
  let server: http.Server;
  let base = '';
  let lastBody: any;
  let mode: 'ok' | 'error' | 'slow' = 'ok';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        lastBody = JSON.parse(body);
        if (mode === 'error') return void res.writeHead(500).end('boom');
        if (mode === 'slow') return void setTimeout(() => res.end('{}'), 2000);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'It is sunny in Seattle.' } }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const make = (timeoutMs = 1000) =>
    new ChatCompletionsResponder({ baseUrl: base, model: 'test-model', timeoutMs, logger: silentLogger, fallback: new RuleResponder(), apiKey: 'k' });

  it('sends system prompt, history and the user turn, and returns the reply', async () => {
    mode = 'ok';
    const reply = await make().respond([{ role: 'user', text: 'hi' }, { role: 'assistant', text: 'hello' }], 'weather?', 'Be brief.', new AbortController().signal);
    expect(reply).toBe('It is sunny in Seattle.');
    expect(lastBody.model).toBe('test-model');
    expect(lastBody.messages.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(lastBody.messages[3].content).toBe('weather?');
  });

  it('falls back to the rules on HTTP errors and timeouts', async () => {
    mode = 'error';
    const responder = make();
    expect(await responder.respond([], 'goodbye', 'x', new AbortController().signal)).toBe('Goodbye, and thank you for calling.');
    mode = 'slow';
    expect(await make(200).respond([], 'goodbye', 'x', new AbortController().signal)).toBe('Goodbye, and thank you for calling.');
    expect(responder.failures).toBe(1);
  });
});
