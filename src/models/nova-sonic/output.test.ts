import { describe, expect, it } from 'vitest';
import { decodePcm16Base64, generationStageOf, NovaOutputParser } from './output.js';

const ev = (name: string, body: Record<string, unknown>) => ({ event: { [name]: body } });

describe('NovaOutputParser', () => {
  it('reads SPECULATIVE and FINAL assistant text from additionalModelFields (a JSON string)', () => {
    const p = new NovaOutputParser();
    p.parse(ev('contentStart', { contentId: 'a', type: 'TEXT', role: 'ASSISTANT', additionalModelFields: '{"generationStage":"SPECULATIVE"}' }));
    expect(p.parse(ev('textOutput', { contentId: 'a', content: 'Sure.' }))).toEqual({ kind: 'assistantText', text: 'Sure.', stage: 'SPECULATIVE', contentId: 'a' });
    p.parse(ev('contentStart', { contentId: 'b', type: 'TEXT', role: 'ASSISTANT', additionalModelFields: '{"generationStage":"FINAL"}' }));
    expect(p.parse(ev('textOutput', { contentId: 'b', content: 'Sure.' }))).toMatchObject({ stage: 'FINAL' });
    expect(p.parse(ev('contentEnd', { contentId: 'b', type: 'TEXT', stopReason: 'END_TURN' }))).toEqual({ kind: 'textEnd', contentId: 'b', role: 'ASSISTANT', stage: 'FINAL', stopReason: 'END_TURN' });
  });

  it('reports the user transcript', () => {
    const p = new NovaOutputParser();
    p.parse(ev('contentStart', { contentId: 'u', type: 'TEXT', role: 'USER', additionalModelFields: '{"generationStage":"FINAL"}' }));
    expect(p.parse(ev('textOutput', { contentId: 'u', content: 'hello there' }))).toEqual({ kind: 'userTranscript', text: 'hello there' });
    // USER blocks end PARTIAL_TURN and never count as an interruption
    expect(p.parse(ev('contentEnd', { contentId: 'u', type: 'TEXT', stopReason: 'PARTIAL_TURN' })).kind).toBe('textEnd');
  });

  it('recognises all three barge-in signals', () => {
    const p = new NovaOutputParser();
    p.parse(ev('contentStart', { contentId: 't', type: 'TEXT', role: 'ASSISTANT', additionalModelFields: '{"generationStage":"FINAL"}' }));
    expect(p.parse(ev('textOutput', { contentId: 't', content: '{ "interrupted" : true }' }))).toEqual({ kind: 'interrupted', source: 'interruptedText' });
    expect(p.parse(ev('contentEnd', { contentId: 't', type: 'TEXT', stopReason: 'INTERRUPTED' }))).toEqual({ kind: 'interrupted', source: 'textContentEnd' });
    p.parse(ev('contentStart', { contentId: 'x', type: 'AUDIO', role: 'ASSISTANT' }));
    expect(p.parse(ev('contentEnd', { contentId: 'x', type: 'AUDIO', stopReason: 'INTERRUPTED' }))).toEqual({ kind: 'interrupted', source: 'audioContentEnd' });
  });

  it('decodes audio, audio block ends with their stop reason, and usage totals', () => {
    const p = new NovaOutputParser();
    expect(p.parse(ev('contentStart', { contentId: 'x', type: 'AUDIO', role: 'ASSISTANT' }))).toEqual({ kind: 'audioStart', contentId: 'x' });
    const pcm = Int16Array.from([1, -2, 32767, -32768]);
    const sig = p.parse(ev('audioOutput', { contentId: 'x', content: Buffer.from(pcm.buffer).toString('base64') }));
    expect(sig.kind === 'audio' && Array.from(sig.pcm)).toEqual([1, -2, 32767, -32768]);
    expect(p.parse(ev('contentEnd', { contentId: 'x', type: 'AUDIO', stopReason: 'END_TURN' }))).toEqual({ kind: 'audioEnd', contentId: 'x', stopReason: 'END_TURN' });
    expect(p.parse(ev('usageEvent', { totalInputTokens: 172, totalOutputTokens: 9, totalTokens: 181 }))).toEqual({ kind: 'usage', totalInputTokens: 172, totalOutputTokens: 9 });
    expect(p.parse(ev('completionEnd', { stopReason: 'END_TURN' }))).toEqual({ kind: 'completionEnd', stopReason: 'END_TURN' });
  });

  it('parses tool arguments (a JSON string) and reports bad ones without throwing', () => {
    const p = new NovaOutputParser();
    p.parse(ev('contentStart', { contentId: 'k', type: 'TOOL', role: 'TOOL' }));
    expect(p.parse(ev('toolUse', { contentId: 'k', toolName: 'get_weather', toolUseId: 'id1', content: '{"city":"Seattle"}' }))).toEqual({ kind: 'toolUse', toolUseId: 'id1', name: 'get_weather', arguments: { city: 'Seattle' } });
    expect(p.parse(ev('contentEnd', { contentId: 'k', type: 'TOOL', stopReason: 'TOOL_USE' }))).toEqual({ kind: 'toolEnd', contentId: 'k' });
    const bad = p.parse(ev('toolUse', { toolName: 't', toolUseId: 'id2', content: '{city' }));
    expect(bad).toMatchObject({ kind: 'toolUse', arguments: '{city', argumentsError: expect.any(String) });
  });

  it('never throws on malformed or unknown events', () => {
    const p = new NovaOutputParser();
    expect(p.parse(null).kind).toBe('malformed');
    expect(p.parse({ event: { a: {}, b: {} } }).kind).toBe('malformed');
    expect(p.parse({ event: { textOutput: 'x' } }).kind).toBe('malformed');
    expect(p.parse(ev('audioOutput', {})).kind).toBe('malformed');
    expect(p.parse(ev('someFutureEvent', {}))).toEqual({ kind: 'ignored', name: 'someFutureEvent' });
    expect(generationStageOf('not json')).toBeUndefined();
    expect(decodePcm16Base64('AQ').length).toBe(0);
  });
});
