/**
 * The `TOOLS_FILE` format: user tools declared without code. Validated with zod; a bad file is
 * refused at start-up with an error naming the field (`tools[1].url: …`). Pure: parsing only.
 *
 * ```json
 * {
 *   "tools": [{ "name": "weather", "description": "…", "url": "https://…", "method": "GET",
 *               "parameters": { "type": "object", "properties": { "city": { "type": "string" } } },
 *               "headers": { "Authorization": { "env": "WEATHER_AUTH" } }, "timeoutMs": 3000 }],
 *   "mcpServers": {
 *     "notes": { "command": "node", "args": ["notes-server.js"], "env": { "NOTES_DIR": "/srv/notes" } },
 *     "stock": { "url": "https://mcp.example.com/mcp", "headers": { "Authorization": { "env": "STOCK_AUTH" } } }
 *   }
 * }
 * ```
 */
import { z } from 'zod';
import { TOOL_NAME_PATTERN } from './names.js';

function isRegExp(source: string): boolean {
  try {
    new RegExp(source, 'i');
    return true;
  } catch {
    return false;
  }
}

/** Words that make the offline rule responder call a tool, with the arguments it passes. */
const offlineSchema = z.strictObject({
  /** Case-insensitive regular expressions matched against what the caller said. */
  phrases: z.array(z.string().min(1).refine(isRegExp, 'not a valid regular expression')).min(1),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

/** A header value: literal text, or `{ "env": "NAME" }` read from the environment at start-up. */
const headerValueSchema = z.union([z.string(), z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') })]);
const headersSchema = z.record(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name'), headerValueSchema).default({});

const objectSchema = z.record(z.string(), z.unknown()).refine((s) => s.type === 'object', 'must be a JSON Schema with "type": "object"');

const httpToolSchema = z.strictObject({
  name: z.string().regex(TOOL_NAME_PATTERN, 'letters, digits, _ and -, at most 64'),
  description: z.string().min(1),
  url: z.url({ protocol: /^https?$/ }),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  parameters: objectSchema.default({ type: 'object', properties: {} }),
  headers: headersSchema,
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
  offline: offlineSchema.optional(),
});

const restartSchema = z.strictObject({
  initialDelayMs: z.number().int().min(10).max(600_000).default(500),
  maxDelayMs: z.number().int().min(10).max(3_600_000).default(30_000),
}).refine((r) => r.maxDelayMs >= r.initialDelayMs, 'maxDelayMs must be at least initialDelayMs');

const mcpCommon = {
  timeoutMs: z.number().int().min(100).max(120_000).optional(),
  restart: restartSchema.default({ initialDelayMs: 500, maxDelayMs: 30_000 }),
  /** Offline phrases by the server's own tool name. */
  offline: z.record(z.string(), offlineSchema).default({}),
};

const stdioServerSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  ...mcpCommon,
});

const httpServerSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  headers: headersSchema,
  ...mcpCommon,
});

const serverName = z.string().regex(/^[A-Za-z0-9_-]{1,30}$/, 'letters, digits, _ and -, at most 30');

/** Schema of the whole file. */
export const toolsFileSchema = z.strictObject({
  tools: z.array(httpToolSchema).default([]),
  mcpServers: z.record(serverName, z.union([stdioServerSchema, httpServerSchema], { error: 'give either "command" (stdio) or "url" (Streamable HTTP), with only their fields' })).default({}),
});

/** An HTTP tool as declared. */
export type HttpToolSpec = z.infer<typeof httpToolSchema>;
/** A header value as declared. */
export type HeaderValue = z.infer<typeof headerValueSchema>;
/** An MCP server run as a child process speaking stdio. */
export type StdioServerSpec = z.infer<typeof stdioServerSchema>;
/** An MCP server reached over Streamable HTTP. */
export type HttpServerSpec = z.infer<typeof httpServerSchema>;
/** Either kind of MCP server. */
export type McpServerSpec = StdioServerSpec | HttpServerSpec;
/** Offline phrases of one tool. */
export type OfflineTrigger = z.infer<typeof offlineSchema>;
/** A parsed tools file. */
export type ToolsFile = z.infer<typeof toolsFileSchema>;

/** Whether `spec` is a stdio server. */
export function isStdioServer(spec: McpServerSpec): spec is StdioServerSpec {
  return 'command' in spec;
}

/**
 * Parses and validates the text of a tools file.
 * @param source where the text came from (named in errors).
 * @throws Error `source: path.to.field: problem` for invalid JSON or a bad field, and for
 *   duplicate HTTP tool names.
 */
export function parseToolsFile(text: string, source = 'TOOLS_FILE'): ToolsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = toolsFileSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    // A bad record key (a server or header name) carries its own issue inside.
    const issue = first.code === 'invalid_key' && first.issues[0] ? { ...first.issues[0], path: first.path } : first;
    const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || '(file)';
    throw new Error(`${source}: ${path}: ${issue.message}`);
  }
  const seen = new Set<string>();
  parsed.data.tools.forEach((t, i) => {
    if (seen.has(t.name)) throw new Error(`${source}: tools[${i}].name: duplicate tool name ${t.name}`);
    seen.add(t.name);
  });
  return parsed.data;
}

/**
 * Resolves declared header values: `{ env: NAME }` is read from `env`.
 * @throws Error naming the header and variable when the variable is unset or empty.
 */
export function resolveHeaders(headers: Record<string, HeaderValue>, env: Readonly<Record<string, string | undefined>>, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string') out[name] = value;
    else {
      const v = env[value.env];
      if (!v) throw new Error(`${where}.headers.${name}: environment variable ${value.env} is not set`);
      out[name] = v;
    }
  }
  return out;
}
