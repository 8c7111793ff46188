import { describe, expect, it } from 'vitest';
import * as ev from '../../models/nova-sonic/events.js';
import { InputValidator, type ValidationResult } from './protocol.js';

const j = (e: unknown) => JSON.stringify(e);
const setup = [ev.sessionStart({ maxTokens: 10, topP: 0.5, temperature: 0.5 }, 'LOW'), ev.promptStart('p', { rateHz: 24000, voiceId: 'tiffany' }, [{ name: 't', description: 'd', inputSchema: { type: 'object' } }]), ...ev.textBlock('p', 's', 'SYSTEM', false, ['sys'])];

function run(v: InputValidator, events: unknown[]): ValidationResult[] {
  return events.map((e) => v.accept(j(e)));
}

describe('InputValidator', () => {
  it('accepts the documented order and reports what each event means', () => {
    const v = new InputValidator(true);
    const results = run(v, [...setup, ...ev.textBlock('p', 'h1', 'USER', false, ['hi']), ...ev.textBlock('p', 'h2', 'ASSISTANT', false, ['hello']), ev.audioContentStart('p', 'a', 16000), ev.audioInput('p', 'a', new Int16Array(4)), ...ev.textBlock('p', 'x', 'USER', true, ['typed']), ...ev.closingSequence('p', 'a')]);
    expect(results.every((r) => r.ok)).toBe(true);
    const kinds = results.map((r) => (r.ok ? r.action.kind : 'error')).filter((k) => k !== 'none');
    expect(kinds).toEqual(['sessionStart', 'promptStart', 'system', 'history', 'history', 'audioStart', 'audio', 'userText', 'audioEnd', 'promptEnd', 'sessionEnd']);
  });

  const bad: Array<[string, boolean, unknown[], RegExp]> = [
    ['an event before sessionStart', true, [ev.promptStart('p', { rateHz: 24000, voiceId: 'v' }, [])], /Expected sessionStart/],
    ['Nova 2 endpointing on Nova 1', false, [setup[0]], /not supported/],
    ['an output rate Nova does not have', true, [setup[0], ev.promptStart('p', { rateHz: 44100 as 8000, voiceId: 'v' }, [])], /sampleRateHertz/],
    ['history after audio started', true, [...setup, ev.audioContentStart('p', 'a', 16000), ev.textContentStart('p', 'h', 'USER', false)], /history should be sent completely/],
    ['audio inside an open history block', true, [...setup, ev.textContentStart('p', 'h', 'USER', false), ev.audioInput('p', 'a', new Int16Array(2))], /history should be sent completely/],
    ['history starting with the assistant', true, [...setup, ev.textContentStart('p', 'h', 'ASSISTANT', false)], /must be from the USER/],
    ['a history input over 1 KB', true, [...setup, ev.textContentStart('p', 'h', 'USER', false), ev.textInput('p', 'h', 'x'.repeat(1025))], /limit is 1024/],
    ['a tool result nobody asked for', true, [...setup, ev.toolContentStart('p', 'c', 'nope')], /Tool Response parsing error/],
    ['interactive text on Nova 1', false, [ev.sessionStart({ maxTokens: 1, topP: 0, temperature: 0 }, undefined), setup[1], ev.textContentStart('p', 'x', 'USER', true)], /not supported/],
    ['promptEnd with audio still open', true, [...setup, ev.audioContentStart('p', 'a', 16000), ev.promptEnd('p')], /still open/],
    ['a wrong promptName', true, [...setup, ev.audioContentStart('q', 'a', 16000)], /does not match/],
    ['an unknown event', true, [...setup, { event: { danceInput: { promptName: 'p' } } }], /Unknown input event/],
    ['odd-length audio', true, [...setup, ev.audioContentStart('p', 'a', 16000), { event: { audioInput: { promptName: 'p', contentName: 'a', content: 'AQ==' } } }], /whole 16-bit/],
  ];
  for (const [name, nova2, events, message] of bad) {
    it(`rejects ${name}`, () => {
      const results = run(new InputValidator(nova2), events);
      const last = results.at(-1)!;
      expect(results.slice(0, -1).every((r) => r.ok)).toBe(true);
      expect(last.ok).toBe(false);
      expect(!last.ok && last.message).toMatch(message);
    });
  }

  it('accepts a tool result for a tool use it issued, once', () => {
    const v = new InputValidator(true);
    run(v, [...setup, ev.audioContentStart('p', 'a', 16000)]);
    v.issueToolUse('u1');
    const r = run(v, ev.toolResultBlock('p', 'c', 'u1', { ok: true }));
    expect(r.map((x) => x.ok && x.action.kind)).toEqual(['none', 'toolResult', 'none']);
    expect(v.accept(j(ev.toolContentStart('p', 'c2', 'u1'))).ok).toBe(false);
  });

  it('rejects text that is not JSON or not an event', () => {
    const v = new InputValidator(true);
    expect(v.accept('{').ok).toBe(false);
    expect(v.accept('{"event":[]}').ok).toBe(false);
  });
});
