import { describe, expect, it } from 'vitest';
import { mcpToolName, spokenToolName, TOOL_NAME_PATTERN } from './names.js';

describe('mcpToolName', () => {
  it('namespaces a tool by its server', () => {
    expect(mcpToolName('notes', 'look_up')).toBe('notes__look_up');
  });

  it('cleans characters models refuse and keeps distinct tools distinct', () => {
    const a = mcpToolName('files', 'read.file');
    const b = mcpToolName('files', 'read/file');
    expect(a).toMatch(TOOL_NAME_PATTERN);
    expect(b).toMatch(TOOL_NAME_PATTERN);
    expect(a).not.toBe(b);
    expect(a.startsWith('files__read_file_')).toBe(true);
  });

  it('shortens names over 64 characters, stably', () => {
    const long = 'x'.repeat(80);
    const n = mcpToolName('srv', long);
    expect(n).toMatch(TOOL_NAME_PATTERN);
    expect(n).toHaveLength(64);
    expect(mcpToolName('srv', long)).toBe(n);
    expect(mcpToolName('srv', `${long}y`)).not.toBe(n);
  });
});

describe('spokenToolName', () => {
  it('reads separators as spaces', () => {
    expect(spokenToolName('notes__look_up')).toBe('notes look up');
  });
});
