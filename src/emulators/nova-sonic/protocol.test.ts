import { describe, expect, it } from 'vitest';
import * as ev from '../../models/nova-sonic/events.js';
import { NOVA_MODELS } from './models.js';
import { InputValidator, type ValidationResult } from './protocol.js';

const NOVA2 = NOVA_MODELS.get('amazon.nova-2-sonic-v1:0')!;
const NOVA1 = NOVA_MODELS.get('amazon.nova-sonic-v1:0')!;
const validator = (nova2: boolean) => new InputValidator(nova2 ? NOVA2 : NOVA1);

const j = (e: unknown) => JSON.stringify(e);
const setup = [ev.sessionStart({ maxTokens: 10, topP: 0.5, temperature: 0.5 }, 'LOW'), ev.promptStart('p', { rateHz: 24000, voiceId: 'tiffany' }, [{ name: 't', description: 'd', inputSchema: { type: 'object' } }]), ...ev.textBlock('p', 's', 'SYSTEM', false, ['sys'])];

/** The setup, then an audio contentStart whose `audioInputConfiguration` has `changes` applied. */
function withAudioConfig(changes: Record<string, unknown>): unknown {
  const e = ev.audioContentStart('p', 'a', 16000) as { event: { contentStart: { audioInputConfiguration: Record<string, unknown> } } };
  const cfg = { ...e.event.contentStart.audioInputConfiguration, ...changes };
  return { event: { contentStart: { ...e.event.contentStart, audioInputConfiguration: cfg } } };
}

function run(v: InputValidator, events: unknown[]): ValidationResult[] {
  return events.map((e) => v.accept(j(e)));
}

describe('InputValidator', () => {
  it('accepts the documented order and reports what each event means', () => {
    const v = validator(true);
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
    ['a Nova 2 voice on Nova Sonic v1', false, [ev.sessionStart({ maxTokens: 1, topP: 0, temperature: 0 }, undefined), ev.promptStart('p', { rateHz: 24000, voiceId: 'tina' }, [])], /voiceId tina is not a voice of amazon.nova-sonic-v1:0/],
    ['a v1-only voice on Nova 2', true, [setup[0], ev.promptStart('p', { rateHz: 24000, voiceId: 'greta' }, [])], /voiceId greta is not a voice of amazon.nova-2-sonic-v1:0/],
    ['audio input that is not audio/lpcm', true, [...setup, withAudioConfig({ mediaType: 'audio/ogg' })], /audioInputConfiguration.mediaType must be audio\/lpcm/],
    ['audio input without a media type', true, [...setup, withAudioConfig({ mediaType: undefined })], /audioInputConfiguration.mediaType must be audio\/lpcm/],
    ['audio input that is not SPEECH', true, [...setup, withAudioConfig({ audioType: 'MUSIC' })], /audioType must be SPEECH/],
    ['text input that is not text/plain', true, [...setup, { event: { contentStart: { promptName: 'p', contentName: 'h', type: 'TEXT', role: 'USER', interactive: false, textInputConfiguration: { mediaType: 'text/html' } } } }], /textInputConfiguration.mediaType must be text\/plain/],
    ['maxTokens of 0', true, [ev.sessionStart({ maxTokens: 0, topP: 0.5, temperature: 0.5 }, 'LOW')], /maxTokens must be a positive integer/],
    ['a role-less text block whose textInput has no role either', true, [...setup, { event: { contentStart: { promptName: 'p', contentName: 'h', type: 'TEXT', interactive: false } } }, ev.textInput('p', 'h', 'hi'), ev.contentEnd('p', 'h')], /has no role/],
  ];
  for (const [name, nova2, events, message] of bad) {
    it(`rejects ${name}`, () => {
      const results = run(validator(nova2), events);
      const last = results.at(-1)!;
      expect(results.slice(0, -1).every((r) => r.ok)).toBe(true);
      expect(last.ok).toBe(false);
      expect(!last.ok && last.message).toMatch(message);
    });
  }

  it("accepts the history shape of AWS's resume-conversation sample (role on textInput, none on contentStart)", () => {
    const block = (name: string, role: string, text: string) => [
      { event: { contentStart: { promptName: 'p', contentName: name, type: 'TEXT', interactive: false, textInputConfiguration: { mediaType: 'text/plain' } } } },
      { event: { textInput: { promptName: 'p', contentName: name, content: text, role } } },
      ev.contentEnd('p', name),
    ];
    const results = run(validator(true), [...setup, ...block('h1', 'USER', 'hi'), ...block('h2', 'ASSISTANT', 'hello'), ev.audioContentStart('p', 'a', 16000)]);
    expect(results.map((r) => (r.ok ? r.action.kind : r.message)).filter((k) => k !== 'none')).toEqual(['sessionStart', 'promptStart', 'system', 'history', 'history', 'audioStart']);
    // The same rules hold once the role is known: history must start with the user.
    const wrong = run(validator(true), [...setup, ...block('h1', 'ASSISTANT', 'hello')]);
    expect(wrong.at(-2)).toMatchObject({ ok: false, message: expect.stringMatching(/must be from the USER/) });
  });

  it('joins an odd trailing byte of audio to the next chunk (audio is a byte stream)', () => {
    const v = validator(true);
    run(v, [...setup, ev.audioContentStart('p', 'a', 16000)]);
    const bytes = Buffer.from([1, 2, 3, 4, 5, 6]);
    const chunk = (b: Buffer) => ({ event: { audioInput: { promptName: 'p', contentName: 'a', content: b.toString('base64') } } });
    const [first, second] = run(v, [chunk(bytes.subarray(0, 3)), chunk(bytes.subarray(3))]);
    expect(first.ok && first.action.kind === 'audio' && [...first.action.pcm]).toEqual([0x0201]);
    expect(second.ok && second.action.kind === 'audio' && [...second.action.pcm]).toEqual([0x0403, 0x0605]);
  });

  it('ends the session on sessionEnd even with the prompt and its audio still open', () => {
    const v = validator(true);
    const results = run(v, [...setup, ev.audioContentStart('p', 'a', 16000), ev.sessionEnd()]);
    expect(results.at(-1)).toEqual({ ok: true, action: { kind: 'sessionEnd' } });
    expect(v.accept(j(ev.audioInput('p', 'a', new Int16Array(2))))).toMatchObject({ ok: false, message: expect.stringMatching(/after sessionEnd/) });
  });

  it('accepts every documented voice of each model', () => {
    for (const model of [NOVA1, NOVA2]) {
      for (const voiceId of model.voices) {
        const v = new InputValidator(model);
        const r = run(v, [ev.sessionStart({ maxTokens: 1, topP: 0, temperature: 0 }, undefined), ev.promptStart('p', { rateHz: 24000, voiceId }, [])]);
        expect(r.every((x) => x.ok), `${model.id} ${voiceId}`).toBe(true);
      }
    }
  });

  it('accepts a tool result for a tool use it issued, once', () => {
    const v = validator(true);
    run(v, [...setup, ev.audioContentStart('p', 'a', 16000)]);
    v.issueToolUse('u1');
    const r = run(v, ev.toolResultBlock('p', 'c', 'u1', { ok: true }));
    expect(r.map((x) => x.ok && x.action.kind)).toEqual(['none', 'toolResult', 'none']);
    expect(v.accept(j(ev.toolContentStart('p', 'c2', 'u1'))).ok).toBe(false);
  });

  it('rejects text that is not JSON or not an event', () => {
    const v = validator(true);
    expect(v.accept('{').ok).toBe(false);
    expect(v.accept('{"event":[]}').ok).toBe(false);
  });
});
