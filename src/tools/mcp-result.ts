/**
 * What an MCP `tools/call` result (MCP spec 2025-06-18, "Tools" › "Tool Result") means for the
 * model: `structuredContent` when present, else the text of its `text` content items (other
 * items described by type); `isError: true` makes it an error with that text. Pure.
 */

/** An MCP tool result as the SDK returns it (fields this module reads). */
export interface McpCallResult {
  content?: unknown;
  structuredContent?: unknown;
  isError?: unknown;
  /** Older servers (protocol 2024-10-07) answer `toolResult`. */
  toolResult?: unknown;
}

/** Outcome of mapping: a value for the model, or an error message. */
export type MappedResult = { ok: true; value: unknown } | { ok: false; error: string };

/** Longest error text kept from a tool, characters. */
const MAX_ERROR_CHARS = 500;

function contentText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map((item: unknown) => {
      if (typeof item !== 'object' || item === null) return '';
      const c = item as { type?: unknown; text?: unknown; resource?: { uri?: unknown; text?: unknown } };
      if (c.type === 'text' && typeof c.text === 'string') return c.text;
      if (c.type === 'resource' && typeof c.resource?.text === 'string') return c.resource.text;
      return `[${String(c.type ?? 'unknown')} content]`;
    })
    .filter(Boolean)
    .join('\n');
}

/** Maps an MCP tool result to a model result or an error. */
export function mapMcpResult(result: McpCallResult): MappedResult {
  const text = contentText(result.content);
  if (result.isError === true) return { ok: false, error: (text || 'the tool reported an error').slice(0, MAX_ERROR_CHARS) };
  if (result.structuredContent !== undefined && result.structuredContent !== null) return { ok: true, value: result.structuredContent };
  if (result.toolResult !== undefined) return { ok: true, value: result.toolResult };
  return { ok: true, value: text };
}
