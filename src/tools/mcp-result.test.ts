import { describe, expect, it } from 'vitest';
import { mapMcpResult } from './mcp-result.js';

describe('mapMcpResult', () => {
  it('gives the text of text content', () => {
    expect(mapMcpResult({ content: [{ type: 'text', text: 'blue' }, { type: 'text', text: 'green' }] })).toEqual({ ok: true, value: 'blue\ngreen' });
  });

  it('prefers structured content', () => {
    expect(mapMcpResult({ content: [{ type: 'text', text: '{"p":42}' }], structuredContent: { p: 42 } })).toEqual({ ok: true, value: { p: 42 } });
  });

  it('describes content that is not text', () => {
    expect(mapMcpResult({ content: [{ type: 'image', data: 'AAA', mimeType: 'image/png' }] })).toEqual({ ok: true, value: '[image content]' });
  });

  it('turns isError into an error with its text', () => {
    expect(mapMcpResult({ isError: true, content: [{ type: 'text', text: 'no such note' }] })).toEqual({ ok: false, error: 'no such note' });
    expect(mapMcpResult({ isError: true, content: [] })).toEqual({ ok: false, error: 'the tool reported an error' });
  });

  it('reads the older toolResult form', () => {
    expect(mapMcpResult({ toolResult: { a: 1 } })).toEqual({ ok: true, value: { a: 1 } });
  });
});
