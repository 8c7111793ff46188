/**
 * Tool names the models accept. OpenAI Realtime function names and Bedrock tool names must match
 * `^[a-zA-Z0-9_-]{1,64}$` (OpenAI function calling guide, "name"; Bedrock `ToolSpecification.name`).
 * MCP tools are offered as `<server>__<tool>`; a longer or irregular name is cleaned and shortened
 * with a stable hash so two tools never collide. Pure.
 */
import { createHash } from 'node:crypto';

/** What a model tool name must match. */
export const TOOL_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
/** Longest model tool name, characters. */
export const MAX_TOOL_NAME_LENGTH = 64;
/** Separator between an MCP server's name and its tool's name. */
export const MCP_NAME_SEPARATOR = '__';

/**
 * The name MCP tool `tool` of server `server` is offered under: `server__tool`, with characters
 * outside `[a-zA-Z0-9_-]` replaced by `_`; when that is longer than 64 characters or had to be
 * cleaned, it is cut and given an 8-hex-digit hash of the original pair, so distinct tools keep
 * distinct names.
 */
export function mcpToolName(server: string, tool: string): string {
  const plain = `${server}${MCP_NAME_SEPARATOR}${tool}`;
  if (TOOL_NAME_PATTERN.test(plain)) return plain;
  const cleaned = plain.replace(/[^a-zA-Z0-9_-]/g, '_');
  const hash = createHash('sha256').update(`${server}\u0000${tool}`).digest('hex').slice(0, 8);
  return `${cleaned.slice(0, MAX_TOOL_NAME_LENGTH - 9)}_${hash}`;
}

/** A tool name as words to speak (`notes__look_up` → `notes look up`). */
export function spokenToolName(name: string): string {
  return name.replace(/[_-]+/g, ' ').trim();
}
