import { describe, expect, it } from 'vitest';
import * as ev from './events.js';

describe('Nova input event builders (protocols.md §1.4)', () => {
  it('builds sessionStart with Nova 2 endpointing only when asked', () => {
    expect(ev.sessionStart({ maxTokens: 1024, topP: 0.9, temperature: 0.7 }, 'MEDIUM')).toEqual({
      event: { sessionStart: { inferenceConfiguration: { maxTokens: 1024, topP: 0.9, temperature: 0.7 }, turnDetectionConfiguration: { endpointingSensitivity: 'MEDIUM' } } },
    });
    expect(ev.sessionStart({ maxTokens: 1, topP: 0, temperature: 0 }, undefined).event.sessionStart).not.toHaveProperty('turnDetectionConfiguration');
  });

  it('declares tools with the schema as a JSON string, and omits tool config without tools', () => {
    const e = ev.promptStart('p', { rateHz: 24000, voiceId: 'matthew' }, [{ name: 'get_weather', description: 'd', inputSchema: { type: 'object' } }]);
    const body = e.event.promptStart as Record<string, any>;
    expect(body.toolConfiguration.tools[0].toolSpec.inputSchema.json).toBe('{"type":"object"}');
    expect(body.audioOutputConfiguration).toMatchObject({ sampleRateHertz: 24000, voiceId: 'matthew', encoding: 'base64', mediaType: 'audio/lpcm' });
    expect(ev.promptStart('p', { rateHz: 8000, voiceId: 'x' }, []).event.promptStart).not.toHaveProperty('toolConfiguration');
  });

  it('encodes audio as base64 PCM16 LE and tool results as strings', () => {
    const pcm = Int16Array.from([1, 256]);
    expect(ev.audioInput('p', 'c', pcm).event.audioInput).toEqual({ promptName: 'p', contentName: 'c', content: 'AQAAAQ==' });
    expect(ev.toolResult('p', 'c', { ok: 1 }).event.toolResult).toMatchObject({ content: '{"ok":1}' });
    expect(ev.toolResult('p', 'c', 'plain').event.toolResult).toMatchObject({ content: 'plain' });
  });

  it('closes in order: audio contentEnd, promptEnd, sessionEnd', () => {
    expect(ev.closingSequence('p', 'a').map((e) => Object.keys(e.event)[0])).toEqual(['contentEnd', 'promptEnd', 'sessionEnd']);
    expect(ev.closingSequence('p', undefined).map((e) => Object.keys(e.event)[0])).toEqual(['promptEnd', 'sessionEnd']);
    expect(ev.toolResultBlock('p', 'c', 'u', 1).map((e) => Object.keys(e.event)[0])).toEqual(['contentStart', 'toolResult', 'contentEnd']);
  });
});

describe('audioInputEncoder', () => {
  it('gives the bytes of JSON.stringify(audioInput(…)) for every chunk length and names needing escapes', () => {
    for (const [prompt, content] of [
      ['3f2a6c1e-9b7d-4e2a-8f11-2c4b6d8e0a13', '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9'],
      ['quote " back \\ slash', 'ünïcødé ☎'],
    ] as const) {
      const encode = ev.audioInputEncoder(prompt, content);
      for (const samples of [0, 1, 2, 3, 160, 320, 959, 960, 961]) {
        const pcm = Int16Array.from({ length: samples }, (_, i) => ((i * 7919) % 65536) - 32768);
        const expected = new TextEncoder().encode(JSON.stringify(ev.audioInput(prompt, content, pcm)));
        expect(Buffer.from(encode(pcm)).equals(Buffer.from(expected))).toBe(true);
      }
    }
  });

  it('reads only the view it is given, and returns a fresh array each time', () => {
    const encode = ev.audioInputEncoder('p', 'c');
    const whole = Int16Array.from([1, 2, 3, 4, 5, 6]);
    const view = whole.subarray(2, 4);
    const a = encode(view);
    expect(JSON.parse(Buffer.from(a).toString()).event.audioInput.content).toBe(Buffer.from(Int16Array.from([3, 4]).buffer).toString('base64'));
    const b = encode(view);
    expect(a).not.toBe(b);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});
